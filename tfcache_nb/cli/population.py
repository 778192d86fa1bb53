"""``tfcache-nb population``: what a cache strategy does for a whole population of users, computed,
and optionally checked against a few users run for real."""

from __future__ import annotations

import argparse

from ..errors import InvalidArgumentError
from .argtypes import positive_int
from .output import Say, checked_plot_path
from .experiment_args import json_text, launch_numbers, mib_amount, model_source, network_mix
from .launches import strategy_names
from .sources import RULE


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "population", help="launch times, cache hits, bytes and stale launches of many users, per strategy",
        description="Compute, per cache strategy, the launches of a population of users (each with a "
                    "network drawn from --mix and some of the app's own data in the same 10 MiB "
                    "storage) while new model versions are published: launch-time percentiles, share "
                    "from cache, bytes per user and stale launches (tfcache_nb.simulate_population). "
                    "Network times come from the latency model, local times are measured on this machine "
                    "first. --validate N then runs the first N users for real on a local server and "
                    "compares: with the local times as computed, and held out (each user's launches "
                    "computed with local times measured on the other users of the sample).")
    p.add_argument("source", nargs="?", metavar="SOURCE", help=f"a model folder or model.json path ({RULE})")
    p.add_argument("--users", type=positive_int, default=100_000, help="users computed (default: %(default)s)")
    p.add_argument("--mix", default=None, metavar="PROFILE=SHARE,...",
                   help="networks of the users, e.g. 4g=0.35,wifi=0.45,fast-3g=0.15,slow-3g=0.05 (the default; "
                        "illustrative, not measured); shares are normalised")
    p.add_argument("--launches", type=positive_int, default=20, help="launches per user (default: %(default)s)")
    p.add_argument("--updates", default="5,12", metavar="N,N",
                   help="a new version is published just before these launches, numbered from 0 "
                        "('none': never) (default: %(default)s)")
    p.add_argument("--other-data-mib", default="0", metavar="MIB|LOW,HIGH",
                   help="the app's own data in the 10 MiB storage, in MiB: one amount for everyone or a "
                        "range drawn per user (default: %(default)s)")
    p.add_argument("--strategy", dest="strategies", action="append", choices=strategy_names(), metavar="NAME",
                   help=f"cache strategy, repeatable: {', '.join(strategy_names())} (default: cacheFirst, "
                        "latest, latest with max_age 24 h, versioned, networkOnly)")
    p.add_argument("--validate", type=positive_int, default=None, metavar="N",
                   help="also run the first N users (at least 2) for real and compare them with the computation")
    p.add_argument("--concurrency", type=positive_int, default=5, metavar="N",
                   help="real users run at once with --validate (default: %(default)s)")
    p.add_argument("--seed", type=int, default=0, help="seed of the users' draws (default: %(default)s)")
    p.add_argument("--plot", metavar="PNG", help="write the population plot (with the validated sample, "
                                                  "held out, when --validate is given) to this image file")
    p.add_argument("--json", action="store_true", help="print one JSON document (settings, summary per "
                                                        "strategy, validation) on stdout instead of the tables")
    p.add_argument("--no-progress", action="store_true", help="do not show the steps and real users done on stderr")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import tfcache_nb as tc

    # checked before any work: measuring local times and running real users take a while
    plot_path = checked_plot_path(args.plot) if args.plot else None
    updates = launch_numbers(args.updates)
    other = mib_amount(args.other_data_mib, "--other-data-mib", allow_range=True)
    mix = network_mix(args.mix) if args.mix is not None else None
    if args.validate is not None and args.validate > args.users:
        raise InvalidArgumentError(f"--validate {args.validate}: the population has only {args.users} users "
                                   "(--users) to run for real.")
    if args.validate == 1:
        raise InvalidArgumentError("--validate 1: the held-out comparison computes each user's launches with "
                                   "local times measured on the others, so it needs at least 2 users.")
    say = Say(to_stderr=args.json)
    progress = Say(to_stderr=True) if not args.no_progress else (lambda text: None)
    source = model_source(args.source, say)
    options = {"strategies": args.strategies} if args.strategies else {}
    progress("population: measuring local times (reading, saving, checking the cache) on this machine...")
    population = tc.simulate_population(source, args.users, network_mix=mix, launches=args.launches,
                                        updates=updates, other_data_bytes=other, seed=args.seed, **options)
    sample = held_out = None
    if args.validate:
        sample = population.run_sample(args.validate, concurrency=args.concurrency, progress=not args.no_progress)
        held_out = sample.held_out()
    if plot_path is not None:
        tc.plot_population(population, held_out).savefig(plot_path, dpi=120)
    if args.json:
        doc = {"settings": {"users": population.users, "launches": population.schedule.launches,
                            "updates": list(population.schedule.updates), "model": population.model.name,
                            "download_bytes": population.model.download_bytes,
                            "stored_bytes": population.model.stored_bytes, "seed": population.seed,
                            "network_mix": {p.name or "custom": float(s)
                                            for p, s in zip(population.profiles, population.shares)},
                            "computed_in_s": population.elapsed_s},
               "summary": population.summary(), "validation": None,
               "written": {"plot": str(plot_path)} if plot_path is not None else {}}
        if sample is not None:
            doc["validation"] = {"users": sample.n, "elapsed_s": sample.elapsed_s,
                                 "as_computed": {"strategies": sample.compare(), "kinds": sample.compare_kinds()},
                                 "held_out": {"local_times_from": held_out.local_from,
                                              "strategies": held_out.compare(), "kinds": held_out.compare_kinds()}}
        print(json_text(doc))
        return 0
    say(str(population.table()))
    if sample is not None:
        for comparison in (sample, held_out):
            say("")
            say(str(comparison.table()))
            say("")
            say(str(comparison.kinds_table()))
    if plot_path is not None:
        say(f"wrote the plot to {plot_path}")
    return 0


__all__ = ["add_parser", "run"]
