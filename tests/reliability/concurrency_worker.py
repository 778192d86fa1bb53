"""One of several processes sharing a storage file (test_concurrency): loads, saves, evicts, removes.

Usage: python concurrency_worker.py CONFIG_JSON. Runs random operations for ``seconds`` and
prints one JSON line of counts at the end; anything unexpected is recorded in ``errors``.
"""

from __future__ import annotations

import json
import random
import sys
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import requests  # noqa: E402

import tfcache_nb as tc  # noqa: E402
from rel_helpers import make_artifacts  # noqa: E402


def main() -> None:
    cfg = json.loads(sys.argv[1])
    store = tc.WxStorage(cfg["path"], app_id=cfg["app_id"], user_id=cfg["user_id"],
                         limit_bytes=cfg["limit"])
    session = requests.Session()
    session.trust_env = False
    rng = random.Random(cfg["seed"])
    expected: dict[str, set[str]] = {}
    for url in cfg["urls"]:
        art, _ = tc.load_artifacts(url, session=session)
        expected[url] = {art.weights_sha256(), art.quantize("uint8").weights_sha256()}
    counts = {"operations": 0, "loads": 0, "from_cache": 0, "from_network": 0, "saved": 0,
              "evicted": 0, "not_saved": 0, "damaged_reads": 0, "direct_saves": 0, "removes": 0,
              "already_gone": 0, "user_writes": 0, "quota_refusals": 0, "errors": [],
              "damaged_reasons": []}
    deadline = time.monotonic() + cfg["seconds"]
    while time.monotonic() < deadline:
        counts["operations"] += 1
        roll = rng.random()
        try:
            if roll < 0.55:
                url = rng.choice(cfg["urls"])
                art, report = tc.load_artifacts(url, cache=store, session=session,
                                                quantize=rng.choice([None, None, "uint8"]))
                counts["loads"] += 1
                if art.weights_sha256() not in expected[url]:
                    counts["errors"].append(f"wrong model for {url} from {report.source}")
                counts["from_" + report.source] += 1
                counts["saved"] += report.saved
                counts["evicted"] += len(report.evicted)
                counts["not_saved"] += report.source == "network" and not report.saved
                if report.cache_miss_reason and "damaged" in report.cache_miss_reason:
                    counts["damaged_reads"] += 1
                    counts["damaged_reasons"].append(report.cache_miss_reason)
            elif roll < 0.65:
                art = make_artifacts(rng.choice([2_000, 15_000]), rng.randrange(100))
                try:
                    tc.local_storage_io(store, f"own-{cfg['seed']}-{rng.randrange(3)}").save(art)
                    counts["direct_saves"] += 1
                except tc.StorageQuotaError:
                    counts["quota_refusals"] += 1
            elif roll < 0.8:
                models = list(tc.list_models(store))
                if models:
                    try:
                        tc.remove_model(store, rng.choice(models))
                        counts["removes"] += 1
                    except tc.ModelLoadError:
                        counts["already_gone"] += 1  # another process removed it first
            else:
                key = f"user-{cfg['seed']}-{rng.randrange(5)}"
                try:
                    if rng.random() < 0.7:
                        store.set(key, {"n": rng.randrange(10**6), "pad": "x" * rng.randrange(2000)})
                    else:
                        store.remove(key)
                    counts["user_writes"] += 1
                except tc.StorageQuotaError:
                    counts["quota_refusals"] += 1
            if store.used_bytes > cfg["limit"]:
                counts["errors"].append(f"namespace over its cap: {store.used_bytes}")
        except Exception:  # anything else is a failure of the guarantees: report it
            counts["errors"].append(traceback.format_exc(limit=3)[-600:])
    store.close()
    print(json.dumps(counts), flush=True)


if __name__ == "__main__":
    main()
