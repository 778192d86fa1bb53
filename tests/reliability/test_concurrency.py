"""Several processes share one storage file: no error, no damaged entry, no namespace over its cap.

Four processes (two per namespace) load small models from a local ModelServer through the
cache (some quantized), save models directly, remove models and write their own keys, for a
few seconds, with a limit small enough that eviction happens all the time. Afterwards the
file passes SQLite's quick_check, every namespace's running total equals a recount, no
namespace is over its cap, and every model left loads and passes its SHA-256 check.
``TFCACHE_NB_SOAK=N`` runs N times longer.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import tfcache_nb as tc
from rel_helpers import SOAK, write_model

WORKER = Path(__file__).resolve().parent / "concurrency_worker.py"
LIMIT = 800_000
PROCESSES = 4
SECONDS = 4.0


@pytest.mark.soak
def test_processes_sharing_one_file(tmp_path, figures):
    root = tmp_path / "site"
    sizes = {"m1": 20_000, "m2": 30_000, "m3": 45_000, "m4": 60_000}  # 80 KB to 240 KB of weights
    for seed, (name, n) in enumerate(sizes.items()):
        write_model(root / name, n_floats=n, seed=seed, shard_bytes=64_000)
    path = tmp_path / "shared.sqlite3"
    tc.WxStorage(path).close()  # create the file once, before the race
    namespaces = [("conc", "u1"), ("conc", "u2")]
    with tc.ModelServer(root) as server:
        urls = [f"{server.url}/{name}/model.json" for name in sizes]
        procs = []
        for i in range(PROCESSES):
            app, user = namespaces[i % 2]
            cfg = {"path": str(path), "app_id": app, "user_id": user, "limit": LIMIT, "seed": i,
                   "urls": urls, "seconds": SECONDS * SOAK}
            procs.append(subprocess.Popen([sys.executable, str(WORKER), json.dumps(cfg)],
                                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
        results = []
        for proc in procs:
            out, err = proc.communicate(timeout=120 + SECONDS * SOAK)
            assert proc.returncode == 0, err[-2000:]
            results.append(json.loads(out.strip().splitlines()[-1]))

    errors = [e for r in results for e in r["errors"]]
    assert errors == [], errors[:3]
    total = {k: sum(r[k] for r in results) for k in results[0] if k not in ("errors", "damaged_reasons")}
    damaged = [e for r in results for e in r["damaged_reasons"]]
    assert damaged == [], damaged[:3]  # nothing is damaged, and no race makes a sound entry look so
    assert total["evicted"] > 0 and total["from_cache"] > 0 and total["removes"] > 0

    base = tc.WxStorage(path, limit_bytes=LIMIT)
    try:
        base.check()  # the whole file: quick_check, and every namespace's total equals a recount
        for app, user in namespaces:
            store = base.for_namespace(app, user)
            assert store.used_bytes == store.recount() <= LIMIT
            for key in tc.list_models(store):
                tc.local_storage_io(store, key).load(verify=True)
    finally:
        base.close()

    figures["concurrency_processes"] += PROCESSES
    figures["concurrency_namespaces"] += len(namespaces)
    figures["concurrency_seconds"] += SECONDS * SOAK
    figures["concurrency_operations"] += total["operations"]
    figures["concurrency_loads"] += total["loads"]
    figures["concurrency_evictions"] += total["evicted"]
    figures["concurrency_removes"] += total["removes"]
    figures["concurrency_quota_refusals"] += total["quota_refusals"]
    figures["concurrency_damaged_reads_during_races"] += total["damaged_reads"]
    figures["concurrency_errors"] += len(errors)
