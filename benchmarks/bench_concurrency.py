"""Benchmark: concurrent trials against the same trials one after another, in one run.

Three measurements, each a ratio against a baseline taken in the same run:

1. **Done-when sweep**: 3 profiles (wifi, 4g, fast-3g) x 3 trials of MobileNet v1 0.25 with
   ``concurrency=9``. Goal: wall time <= 1.3x its slowest load + a few seconds, and every
   cold load's network phase within 5% of the latency model (``network_over_expected``).
2. **Large sweep**: every preset profile x 3 trials with as many users at once as trials.
   Its sequential time is estimated from its own records (the sum of every load's time,
   which leaves out the few milliseconds between loads, so the speed-up is understated).
3. **Sequential baseline**: wifi, 4g and fast-3g, 1 trial each, one after another. It checks
   the estimate (its wall time against the sum of its loads) and gives the CPU-bound phases
   (saving, reading and decoding from SQLite) alone, to see how much they inflate when 9 or
   24 users share the machine's cores.

Run: ``python benchmarks/bench_concurrency.py [--model-dir DIR] [--quick]`` (``--quick`` skips
the large sweep). About 1.5 minutes.
"""

from __future__ import annotations

import argparse
import statistics
import time

import tfcache_nb as tc
from tfcache_nb.experiments.progress import about

SWEEP_PROFILES = ("wifi", "4g", "fast-3g")
CPU_PHASES = (("cold", "phase_save_s", "save (cold)"), ("warm", "phase_storage_read_s", "SQLite read (warm)"),
              ("warm", "phase_decode_s", "decode (warm)"), ("warm", "total_s", "warm load"))


def timed(source, profiles, trials: int, concurrency: int):
    t0 = time.monotonic()
    results = tc.run_experiment(source, list(profiles), trials=trials, concurrency=concurrency,
                                storages=("wx",))
    return results, time.monotonic() - t0


def cold_records(results) -> list[dict]:
    return [r for r in results.records if r["kind"] == "cold"]


def spread(results) -> tuple[float, float]:
    ratios = [r["network_over_expected"] for r in cold_records(results)]
    return min(ratios), max(ratios)


def median_max(results, kind: str, column: str) -> tuple[float, float]:
    values = [r[column] for r in results.records if r["kind"] == kind]
    return statistics.median(values), max(values)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model-dir", help="a model folder (default: the model-finding rule)")
    ap.add_argument("--quick", action="store_true", help="skip the large sweep")
    args = ap.parse_args()
    source = tc.ModelSource.from_folder(args.model_dir) if args.model_dir else tc.find_model()
    print(f"model: {source.label}; {len(tc.PROFILES)} preset profiles; machine: "
          f"{__import__('os').cpu_count()} cores")

    timed(source, ["lte"], 1, 1)  # warm-up: first-use costs (imports, SQLite schema) go here
    # 3. the sequential baseline first: it runs alone on the machine
    base, base_wall = timed(source, SWEEP_PROFILES, 1, 1)
    base_sum = sum(r["total_s"] for r in base.records)
    lo, hi = spread(base)
    print(f"\nsequential baseline ({len(SWEEP_PROFILES)} trials, one at a time): wall {base_wall:.1f} s, "
          f"sum of its loads {base_sum:.1f} s (estimate / wall = {base_sum / base_wall:.3f}); "
          f"network/expected {lo:.3f}-{hi:.3f}")

    # 1. the done-when sweep
    sweep, wall = timed(source, SWEEP_PROFILES, 3, 9)
    slowest = max(r["total_s"] for r in sweep.records)
    lo, hi = spread(sweep)
    seq = sum(r["total_s"] for r in sweep.records)
    goal = wall <= 1.3 * slowest + 3.0 and lo >= 0.95 and hi <= 1.05
    print(f"\ndone-when sweep: {len(SWEEP_PROFILES)} profiles x 3 trials, concurrency=9")
    print(f"  wall {wall:.1f} s; slowest load {slowest:.1f} s; wall / slowest = {wall / slowest:.3f} "
          f"(goal <= 1.3, + a few s); sequential (sum of loads) {seq:.1f} s: {seq / wall:.1f}x faster")
    print(f"  network/expected of the 9 cold loads: {lo:.3f}-{hi:.3f} (goal 0.95-1.05)")
    for profile in SWEEP_PROFILES:
        ratios = [f"{r['network_over_expected']:.3f}" for r in cold_records(sweep) if r["profile"] == profile]
        print(f"    {profile:8s} {' '.join(ratios)}")
    print(f"  {'MET' if goal else 'NOT MET'}")

    runs = [("sequential", base), ("9 at once", sweep)]
    if not args.quick:
        # 2. the large sweep
        profiles = list(tc.PROFILES)
        users = len(profiles) * 3
        big, big_wall = timed(source, profiles, 3, users)
        big_seq = sum(r["total_s"] for r in big.records)
        lo, hi = spread(big)
        print(f"\nlarge sweep: {len(profiles)} profiles x 3 trials, concurrency={users}")
        print(f"  wall {about(big_wall)}; sequential (sum of loads) {about(big_seq)}: "
              f"{big_seq / big_wall:.1f}x faster; slowest load "
              f"{max(r['total_s'] for r in big.records):.1f} s; network/expected {lo:.3f}-{hi:.3f}")
        worst = max(cold_records(big), key=lambda r: r["network_over_expected"])
        print(f"  worst network/expected: {worst['profile']} trial {worst['trial']} "
              f"({worst['network_over_expected']:.3f})")
        runs.append((f"{users} at once", big))

    print("\nCPU-bound phases, median / max ms (how much they inflate when users share the cores):")
    print(f"  {'phase':20s} " + " ".join(f"{name:>24s}" for name, _ in runs))
    for kind, column, label in CPU_PHASES:
        values = [median_max(r, kind, column) for _, r in runs]
        base_median = values[0][0]
        cells = [f"{values[0][0] * 1000:.1f} / {values[0][1] * 1000:.1f}"] + [
            f"{m * 1000:.1f} / {x * 1000:.1f} ({m / base_median:.1f}x)" if base_median else
            f"{m * 1000:.1f} / {x * 1000:.1f}" for m, x in values[1:]]
        print(f"  {label:20s} " + " ".join(f"{c:>24s}" for c in cells))
    return 0 if goal else 1


if __name__ == "__main__":
    raise SystemExit(main())
