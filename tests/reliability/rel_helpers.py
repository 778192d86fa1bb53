"""Shared pieces of the reliability tests: small models, raw snapshots, the figures counter."""

from __future__ import annotations

import collections
import json
import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np

from tfcache_nb.format.artifacts import ModelArtifacts
from tfcache_nb.format.files import write_model_files
from tfcache_nb.format.weights import encode_weights

#: What the suite tried and found; written to docs/figures/ when TFCACHE_NB_RECORD_FIGURES=1.
FIGURES: collections.Counter = collections.Counter()

#: TFCACHE_NB_SOAK=N scales the long runs (kills, concurrency seconds, hypothesis examples).
SOAK = max(1, int(os.environ.get("TFCACHE_NB_SOAK", "1") or 1))


def make_artifacts(n_floats: int, seed: int = 0, note: str = "") -> ModelArtifacts:
    """A small layers-model-shaped artifact with ``n_floats`` float32 weights plus an int32 bias."""
    rng = np.random.default_rng(seed)
    specs, data = encode_weights([
        ("dense/kernel", rng.standard_normal(n_floats).astype("float32")),
        ("dense/bias", np.arange(16, dtype="int32") + seed),
    ])
    return ModelArtifacts(
        model_topology={"class_name": "Sequential", "config": {"name": f"m{seed}", "layers": []}},
        weight_specs=specs, weight_data=data, format="layers-model",
        generated_by="tests/reliability", user_defined_metadata={"seed": seed, "n": n_floats, "note": note})


def write_model(folder: Path, n_floats: int = 6000, seed: int = 0, shard_bytes: int = 10_000) -> Path:
    """A model folder with shards of ``shard_bytes`` (so a model has several shards)."""
    write_model_files(folder, make_artifacts(n_floats, seed), max_shard_bytes=shard_bytes)
    return folder


def raw_rows(path: Path | str) -> list[tuple]:
    """Every entry and running total in a WxStorage file, read with sqlite3 directly."""
    conn = sqlite3.connect(str(path), timeout=30)
    try:
        entries = conn.execute("SELECT 'e', app_id, user_id, key, value, size FROM entries "
                               "ORDER BY app_id, user_id, key").fetchall()
        totals = conn.execute("SELECT 'n', app_id, user_id, '', '', used FROM namespaces "
                              "ORDER BY app_id, user_id").fetchall()
    finally:
        conn.close()
    return entries + totals


def raw_exec(path: Path | str, sql: str, params: tuple = ()) -> int:
    """Run one statement on the file behind the API's back; returns the rows changed."""
    conn = sqlite3.connect(str(path), timeout=30, isolation_level=None)
    try:
        return conn.execute(sql, params).rowcount
    finally:
        conn.close()


def raw_value(path: Path | str, key: str, app_id: str = "default", user_id: str = "default") -> str:
    conn = sqlite3.connect(str(path), timeout=30)
    try:
        row = conn.execute("SELECT value FROM entries WHERE app_id=? AND user_id=? AND key=?",
                           (app_id, user_id, key)).fetchone()
    finally:
        conn.close()
    assert row is not None, f"no entry {key!r}"
    return row[0]


def one_sentence(message: str) -> bool:
    """A user-facing message: one line, not empty, not a dump, no traceback."""
    return bool(message) and "\n" not in message and "Traceback" not in message and len(message) < 600


def write_figures(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(dict(sorted(FIGURES.items())), indent=2) + "\n")


_HOLD_LOCK = textwrap.dedent("""
    import sqlite3, sys, time
    conn = sqlite3.connect(sys.argv[1], isolation_level=None)
    if sys.argv[3] == "exclusive":
        conn.execute("PRAGMA locking_mode=EXCLUSIVE")
    conn.execute("BEGIN EXCLUSIVE")
    conn.execute("INSERT INTO entries VALUES ('other', 'x', 'k', '1', 2)")
    print("locked", flush=True)
    time.sleep(float(sys.argv[2]))
    conn.execute("ROLLBACK")
""")


def hold_lock(path: Path | str, seconds: float, mode: str) -> subprocess.Popen:
    """Another process holding a SQLite file's write lock (``"normal"``: readers still read
    in WAL mode; ``"exclusive"``: nobody else reads either) for ``seconds``."""
    proc = subprocess.Popen([sys.executable, "-c", _HOLD_LOCK, str(path), str(seconds), mode],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "locked"
    return proc
