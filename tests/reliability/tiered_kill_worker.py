"""Loads models through a TieredCache in a loop until it is killed (test_file_tier).

Usage: python tiered_kill_worker.py STORAGE_FILE FOLDER SOURCES_DIR SEED. SOURCES_DIR holds
model folders ``<n>_<seed>``; small ones fit the local storage, large ones go to the file
tier. Each load prints ``begin <i> <key> <source>`` and ``end <i>``.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

import tfcache_nb as tc
from tfcache_nb.cache.loader import load_artifacts

KEYS = ("m0", "m1")


def main() -> None:
    path, folder, sources, seed = sys.argv[1], sys.argv[2], Path(sys.argv[3]), int(sys.argv[4])
    cache = tc.TieredCache(tc.WxStorage(path, limit_bytes=1_000_000), folder, limit_bytes=8_000_000)
    names = sorted(p.name for p in sources.iterdir())
    rng = random.Random(seed)
    print("ready", flush=True)
    i = 0
    while True:
        i += 1
        key, name = rng.choice(KEYS), rng.choice(names)
        print(f"begin {i} {key} {name}", flush=True)
        # a changed source is fetched again: revalidation is for URLs, so drop the cached copy
        tc.remove_model(cache, key) if cache.tier_of(key) else None
        load_artifacts(sources / name, cache=cache, cache_key=key)
        print(f"end {i}", flush=True)


if __name__ == "__main__":
    main()
