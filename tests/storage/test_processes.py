"""WxStorage between processes: a file locked by another process, and concurrent writers."""

from __future__ import annotations

import multiprocessing
import random
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

import tfcache_nb as tc

LIMIT = 30_000
MAX_VALUE = 6_000

_HOLD_LOCK = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN EXCLUSIVE")
conn.execute("INSERT INTO entries VALUES ('default', 'default', 'held', '1', 5)")
conn.execute("UPDATE namespaces SET used = used + 5")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
conn.execute("COMMIT")
"""


def _hold_lock(path: Path, seconds: float) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", _HOLD_LOCK, str(path), str(seconds)],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "locked"
    return proc


def test_file_locked_by_another_process(tmp_path, snapshot):
    path = tmp_path / "s.sqlite3"
    impatient = tc.WxStorage(path, timeout=0.2)
    impatient.set("a", 1)
    before = snapshot(impatient)
    proc = _hold_lock(path, 1.0)
    try:
        start = time.monotonic()
        with pytest.raises(tc.StorageError, match="locked by another process") as err:
            impatient.set("b", 2)
        waited = time.monotonic() - start
        assert 0.15 <= waited < 0.9     # the 0.2 s timeout was honoured
        assert not isinstance(err.value, tc.StorageQuotaError)
        assert snapshot(impatient) == before   # WAL: reads still work while locked

        patient = tc.WxStorage(path, timeout=5)
        patient.set("b", 2)             # waits for the holder's COMMIT
        assert time.monotonic() - start >= 0.8
        assert patient.keys() == ["a", "held", "b"]
        assert patient.used_bytes == 2 + 5 + 2
        patient.close()
    finally:
        assert proc.wait(timeout=10) == 0
    impatient.close()


def test_opening_a_file_locked_before_wal(tmp_path):
    # a rollback-journal database held exclusively: even reading must wait, then fail clearly
    path = tmp_path / "plain.sqlite3"
    raw = sqlite3.connect(path, isolation_level=None)
    raw.execute("CREATE TABLE entries(app_id, user_id, key, value, size)")
    raw.execute("CREATE TABLE namespaces(app_id, user_id, used)")
    raw.close()
    proc = _hold_lock(path, 1.0)
    try:
        with pytest.raises(tc.StorageError, match="locked by another process"):
            tc.WxStorage(path, timeout=0.2)
    finally:
        assert proc.wait(timeout=10) == 0


def _worker(args: tuple[str, int, float]) -> dict:
    """Random sets, removes and updates in one namespace; reports anything unexpected."""
    path, seed, seconds = args
    rng = random.Random(seed)
    result = {"ops": 0, "quota": 0, "errors": [], "over": []}
    store = tc.WxStorage(path, limit_bytes=LIMIT, max_value_bytes=MAX_VALUE, timeout=30)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        key = f"k{rng.randrange(12)}"
        op = rng.random()
        try:
            if op < 0.55:
                store.set(key, "é" * rng.randrange(MAX_VALUE // 2 - 1))
            elif op < 0.75:
                store.remove(key)
            else:
                store.update({f"k{rng.randrange(12)}": list(range(rng.randrange(800)))},
                             remove_keys=[key])
            result["ops"] += 1
        except tc.StorageQuotaError:
            result["quota"] += 1
        except Exception as exc:  # reported to the parent
            result["errors"].append(f"{type(exc).__name__}: {exc}")
        used = store.used_bytes
        if used > LIMIT:
            result["over"].append(used)
    store.close()
    return result


def test_concurrent_processes_respect_the_quota(tmp_path):
    path = tmp_path / "shared.sqlite3"
    tc.WxStorage(path).close()          # create the file (and WAL mode) once
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    ctx = multiprocessing.get_context(method)
    with ctx.Pool(4) as pool:
        results = pool.map(_worker, [(str(path), seed, 1.5) for seed in range(4)])
    assert [r["errors"] for r in results] == [[]] * 4
    assert [r["over"] for r in results] == [[]] * 4
    assert all(r["ops"] > 0 for r in results)
    assert sum(r["quota"] for r in results) > 0   # the quota was really contended
    with tc.WxStorage(path, limit_bytes=LIMIT) as store:
        assert store.used_bytes == store.recount() <= LIMIT
        assert store.used_bytes == sum(store.entry_sizes().values())
        store.check()


def _write_from_child(store, conn) -> None:
    try:
        store.set("child", [1, 2])
        conn.send(store.get("parent"))
    except Exception as exc:  # reported to the parent
        conn.send(f"{type(exc).__name__}: {exc}")


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="needs fork")
def test_store_inherited_through_fork_reopens_its_file(tmp_path):
    store = tc.WxStorage(tmp_path / "s.sqlite3")
    store.set("parent", "p")
    ctx = multiprocessing.get_context("fork")
    ours, theirs = ctx.Pipe()
    child = ctx.Process(target=_write_from_child, args=(store, theirs))
    child.start()
    assert ours.recv() == "p"
    child.join(10)
    assert child.exitcode == 0
    assert store.get("child") == [1, 2] and store.used_bytes == store.recount()
    store.set("after", 1)               # the parent's own connection is unharmed
    store.check()
    store.close()
