"""Benchmark: simulate_population's speed, and its agreement with users run for real.

1. Speed, as a ratio against a baseline in the same run: the same rules replayed one user at
   a time in a Python loop (on a subset, scaled to the full population). Goal: 100,000 users
   x 20 launches x 5 strategies in under 10 s on a 2-core machine. Printed, never asserted.
2. Agreement (``--validate N``): the first N users of a population run for real through
   ModelServer (each on their own simulated link and SQLite file, ``--concurrency`` at a time),
   their median launch time against the computed one for the same users. Goal: within 10%.
   Two computations are compared: one whose local times were sampled beforehand, while
   ``--concurrency`` - 1 other users download and save over their links (the load the real
   sample runs under; the speed run samples them with the machine to itself), and one whose
   local times come from the sample's other users in the same run (``PopulationSample.held_out``:
   two groups of users, each computed with the other group's measured reads and saves).

Run: ``python benchmarks/bench_population.py [--model-dir DIR] [--users 100000] [--validate 30]
[--concurrency 6] [--plot PNG]``.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

import tfcache_nb as tc
from tfcache_nb.experiments.population import _simulate

#: networks for the real sample: 4G and broadband as in the presets, so network time dominates
VALIDATION_MIX = {"4g": 0.5, "wifi": 0.5}


def one_user_at_a_time(pop: tc.PopulationResults, users: int) -> float:
    """Seconds to replay ``users`` users one by one with the same rules (the baseline): the
    same per-user inputs (``pop.inputs``) and the same launch rules, one user per call."""
    start = time.perf_counter()
    rng = np.random.default_rng(pop.seed)
    for i in range(users):
        u = pop.inputs.subset(np.array([i]))
        for strategy in pop.strategies:
            _simulate(strategy, pop.schedule, u, pop.local, pop.model.download_bytes, rng)
    return time.perf_counter() - start


def spread_line(local: tc.LocalTimes, what: str) -> str:
    """5th / 50th / 95th percentiles of each sampled local time, in ms."""
    parts = [f"{part[:-2]} {'/'.join(f'{1000 * v:.0f}' for v in local.spread(part))}"
             for part in ("read_s", "save_s", "nosave_s", "check_overhead_s", "check_local_s")]
    return f"{what} (ms, 5th/50th/95th percentile): " + ", ".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model-dir", help="model folder (default: the toolkit's rule, tc.find_model)")
    parser.add_argument("--users", type=int, default=100_000, help="population size (default 100000)")
    parser.add_argument("--validate", type=int, default=0, metavar="N", help="run the first N users for real")
    parser.add_argument("--concurrency", type=int, default=6, help="real users at once; the validation's local times are sampled "
                        "under the same number (default 6)")
    parser.add_argument("--launches", type=int, default=20)
    parser.add_argument("--plot", help="write the population plot (with the real sample) to this PNG")
    parser.add_argument("--csv", help="write the real sample's launches to this CSV")
    args = parser.parse_args(argv)
    try:
        source = tc.find_model(model_dir=args.model_dir, say=lambda s: print(s, file=sys.stderr))
        updates = [args.launches // 4, (3 * args.launches) // 5]
        started = time.perf_counter()
        local = tc.LocalTimes.measure(source.folder)
        measure_s = time.perf_counter() - started
        started = time.perf_counter()
        pop = tc.simulate_population(source, users=args.users, launches=args.launches, updates=updates,
                                     other_data_bytes=(0, 10 * 2 ** 20), local=local, seed=0)
        total_s = time.perf_counter() - started
        subset = min(2000, args.users)
        baseline = one_user_at_a_time(pop, subset) * args.users / subset
        print(f"simulate_population: {args.users:,} users x {args.launches} launches x {len(pop.strategies)} "
              f"strategies in {total_s:.2f} s (the arrays {pop.elapsed_s:.2f} s); local times sampled "
              f"in {measure_s:.2f} s")
        print(f"baseline, one user at a time: {baseline:.1f} s (from {subset:,} users); "
              f"vectorised is {baseline / total_s:.0f}x faster")
        print(pop)
        print(spread_line(local, "local times, the machine to itself"))
        if args.validate:
            if args.concurrency > 1:
                local = tc.LocalTimes.measure(source.folder, concurrency=args.concurrency,
                                              others_on=list(VALIDATION_MIX))
                print(spread_line(local, f"local times, while {args.concurrency - 1} users load over their links"))
            val = tc.simulate_population(source, users=args.users, network_mix=VALIDATION_MIX,
                                         launches=args.launches, updates=updates, other_data_bytes=(0, 10 * 2 ** 20),
                                         strategies=["cacheFirst", "latest", "versioned"], local=local, seed=0)
            sample = val.run_sample(args.validate, concurrency=args.concurrency, progress=True)
            print(sample)
            print(sample.kinds_table())
            held = sample.held_out()
            print(spread_line(tc.LocalTimes.from_launches(sample.records, fallback=local),
                              "local times of the sample's own launches"))
            print(held)
            print(held.kinds_table())
            if args.csv:
                import csv

                with open(args.csv, "w", newline="") as fh:
                    writer = csv.DictWriter(fh, fieldnames=list(sample.records[0]))
                    writer.writeheader()
                    writer.writerows(sample.records)
                print(f"wrote {len(sample.records)} measured launches to {args.csv}")
            if args.plot:
                from tfcache_nb.viz.charts import figure_png as to_png

                with open(args.plot, "wb") as fh:
                    fh.write(to_png(tc.plot_population(val, held)))
                print(f"wrote the plot to {args.plot}")
    except tc.TfcacheError as exc:
        print(f"bench_population: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
