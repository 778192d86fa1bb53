"""Benchmark: how close a warm cache load comes to the unavoidable cost of its storage format.

Measured in one run, as ratios against a baseline that uses the standard library alone:

* ``local_storage_io`` (the plugin's base64 chunks in a WxStorage SQLite file): a warm load of
  MobileNet v1 0.25, weights decoded and ready to use, against ``base64.b64decode`` of the same
  stored text already in memory. Goal: at most 2x.
* ``file_storage_io`` (raw binary files): a warm load, ready to use, against reading the weight
  file and hashing it with SHA-256. Goal: at most 3x.

Run: ``python benchmarks/bench_cache.py [--model-dir DIR] [--repeat N]``.
"""

from __future__ import annotations

import argparse
import os
import base64
import hashlib
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

import tfcache_nb as tc
from tfcache_nb.errors import ModelLoadError
from tfcache_nb.experiments.sources import resolve_model_dir
from tfcache_nb.format.files import read_model_files
from tfcache_nb.io.cache_metadata import CacheMetadata


def median_seconds(fn: Callable[[], object], repeat: int) -> float:
    fn()  # warm-up: page cache, imports, SQLite statement cache
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def find_model(model_dir: str | None) -> tuple[Path | None, str]:
    """The real model to measure: --model-dir, else $TFCACHE_NB_MODEL_DIR, else ../shared/models."""
    candidates = [model_dir, os.environ.get("TFCACHE_NB_MODEL_DIR"),
                  Path(__file__).resolve().parents[2] / "shared" / "models"]
    for candidate in filter(None, candidates):
        try:
            folder = resolve_model_dir(candidate)
        except ModelLoadError:
            continue
        return folder, folder.name
    return None, "synthetic MobileNet v1 0.25 (same size as the real one)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model-dir", help="mobilenet_v1_0.25_224 folder (default: $TFCACHE_NB_MODEL_DIR, else ../shared/models)")
    parser.add_argument("--repeat", type=int, default=30, help="timed runs per measurement (median)")
    args = parser.parse_args(argv)

    folder, label = find_model(args.model_dir)
    with tempfile.TemporaryDirectory() as tmp:
        if folder is None:
            from tfcache_nb.format.synthetic import write_synthetic_mobilenet

            folder = Path(write_synthetic_mobilenet(Path(tmp) / "synthetic", alpha=0.25))
        artifacts = read_model_files(folder)
        meta = CacheMetadata(sha256=artifacts.weights_sha256())

        store = tc.WxStorage(Path(tmp) / "wx.sqlite3")
        handler = tc.local_storage_io(store, "mobilenet")
        handler.save(artifacts, metadata=meta)
        count = store.get(handler.keys.weight_data_size)
        stored_text = "".join(store.get(handler.keys.chunk(i)) for i in range(count))

        def warm_local() -> None:
            handler.load().decode_weights()

        def baseline_b64() -> None:
            base64.b64decode(stored_text)

        files = tc.file_storage_io(Path(tmp) / "usr", "mobilenet")
        files.save(artifacts, metadata=meta)

        def warm_file() -> None:
            files.load().decode_weights()

        def baseline_read_hash() -> None:
            hashlib.sha256(files.weight_path.read_bytes()).digest()

        rows = []
        for name, fn, base_name, base, goal in (
            ("local_storage_io warm load", warm_local, "b64decode of the stored text", baseline_b64, 2.0),
            ("file_storage_io warm load", warm_file, "read + SHA-256 of the weight file", baseline_read_hash, 3.0),
        ):
            t, b = median_seconds(fn, args.repeat), median_seconds(base, args.repeat)
            rows.append((name, t, base_name, b, t / b, goal))
        store.close()

    print(f"model: {label}, {len(artifacts.weight_data):,} weight bytes; median of {args.repeat} runs")
    print(f"{'measurement':30} {'ms':>8}  {'baseline':36} {'ms':>8}  {'ratio':>6}  goal")
    for name, t, base_name, b, ratio, goal in rows:
        verdict = "ok" if ratio <= goal else "MISSED"
        print(f"{name:30} {t * 1000:8.2f}  {base_name:36} {b * 1000:8.2f}  {ratio:6.2f}  <= {goal:.0f}x {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
