"""Saves and removes models in a loop, logging each step, until it is killed (test_kill_during_save).

Usage: python kill_worker.py STORAGE_FILE SEED LIMIT_BYTES. Each operation prints
``begin <i> save <key> <n> <seed>`` or ``begin <i> rm <key>`` before it starts and
``end <i> <outcome>`` once it returned, so the parent knows what was in flight when it
sent SIGKILL.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import tfcache_nb as tc  # noqa: E402
from rel_helpers import make_artifacts  # noqa: E402
from tfcache_nb.io.cache_metadata import CacheMetadata  # noqa: E402

#: float32 counts: 4 KB, 240 KB, 640 KB (two chunks) and 1.2 MB (two chunks) of weights
SIZES = (1_000, 60_000, 160_000, 300_000)
KEYS = ("m0", "m1", "m2")


def main() -> None:
    path, seed, limit = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    store = tc.WxStorage(path, app_id="kill", user_id="u", limit_bytes=limit)
    rng = random.Random(seed)
    print("ready", flush=True)
    i = 0
    while True:
        i += 1
        key = rng.choice(KEYS)
        if rng.random() < 0.1:
            print(f"begin {i} rm {key}", flush=True)
            done = tc.local_storage_io(store, key).remove()
            print(f"end {i} {'ok' if done else 'missing'}", flush=True)
            continue
        n, s = rng.choice(SIZES), rng.randrange(1_000_000)
        art = make_artifacts(n, s)
        meta = CacheMetadata(sha256=art.weights_sha256(), source=f"gen:{n}:{s}",
                             weight_data_bytes=len(art.weight_data))
        print(f"begin {i} save {key} {n} {s}", flush=True)
        try:
            tc.local_storage_io(store, key).save(art, metadata=meta)
            outcome = "ok"
        except tc.StorageQuotaError:
            outcome = "quota"
        print(f"end {i} {outcome}", flush=True)


if __name__ == "__main__":
    main()
