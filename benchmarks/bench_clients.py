"""Benchmark: the toolkit's cold and warm loads against the real TensorFlow.js in Chromium.

Both clients load MobileNet v1 0.25 (the model ``tc.find_model()`` picks: the embedded one
when no other is around) through the same throttled ``ModelServer`` on the same seeded
profiles (4G and fast 3G by default), cold from the network and warm from their own caches:
the toolkit's WxStorage, TensorFlow.js's IndexedDB and localStorage. Goal: cold medians of
both clients within 15% of each other and of the latency model.

Run: ``python benchmarks/bench_clients.py [--trials N] [--profile NAME ...] [--plot PNG]``.
Needs the ``[browser]`` extra, Debian's chromium and npm (or $TFCACHE_NB_TFJS).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import tfcache_nb as tc

GOAL = 0.15


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=5)
    parser.add_argument("--profile", dest="profiles", action="append", choices=sorted(tc.PROFILES))
    parser.add_argument("--plot", metavar="PNG", help="write the side-by-side plot here")
    parser.add_argument("--csv", metavar="FILE", help="write every load here")
    args = parser.parse_args(argv)
    profiles = args.profiles or ["4g", "fast-3g"]
    source = tc.find_model()
    print(f"model: {source.name}; profiles {', '.join(profiles)}; {args.trials} trials per "
          f"client and storage, one trial at a time", flush=True)
    start = time.monotonic()
    results = tc.run_experiment(source, profiles, clients=["tfcache_nb", "tfjs-chromium"],
                                storages=["wx", "indexeddb", "localstorage"], trials=args.trials,
                                progress=True)
    wall = time.monotonic() - start
    print(f"\n{results.meta.get('tfjs')}; wall time {wall:.0f} s\n")
    print(results.table(wide=True))
    print()
    print(agreement(results))
    if args.csv:
        results.to_csv(args.csv)
    if args.plot:
        results.plot().savefig(args.plot, dpi=110)
        print(f"wrote {args.plot}")
    return 0


def agreement(results) -> str:
    """Per profile: each client's cold median (total, and its network phase) over the latency
    model's expectation, and the browser's over the toolkit's."""
    lines = [f"{'profile':<8} {'client / storage':<28} {'cold median':>11} {'network':>9} "
             f"{'expected':>9} {'cold/exp':>8} {'net/exp':>8} {'cold/toolkit':>12}"]
    verdict = []
    for profile in results.meta["profiles"]:
        rows = [r for r in results.records if r["profile"] == profile and r["kind"] == "cold"]
        groups: dict[tuple[str, str], list[dict]] = {}
        for r in rows:
            groups.setdefault((r["client"], r["storage"]), []).append(r)
        expected = rows[0]["expected_s"]
        toolkit = statistics.median(r["total_s"] for r in groups[("tfcache_nb", "wx")])
        for (client, storage), recs in groups.items():
            cold = statistics.median(r["total_s"] for r in recs)
            net = statistics.median(r["phase_network_s"] for r in recs)
            lines.append(f"{profile:<8} {client + ' / ' + storage:<28} {cold:>10.2f}s {net:>8.2f}s "
                         f"{expected:>8.2f}s {cold / expected:>8.3f} {net / expected:>8.3f} "
                         f"{cold / toolkit:>12.3f}")
            verdict.append(abs(cold / expected - 1) <= GOAL and abs(cold / toolkit - 1) <= GOAL)
    lines.append(f"goal (every cold median within {GOAL:.0%} of the latency model and of the "
                 f"toolkit's): {'met' if all(verdict) else 'NOT met'}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
