"""``tfcache-nb launches``: many launches, hours apart, while new model versions are published."""

from __future__ import annotations

import argparse

from .argtypes import positive_int
from .output import Say, checked_output_path, checked_plot_path
from .experiment_args import json_text, launch_numbers, mib_amount, model_source
from .sources import RULE


def strategy_names() -> list[str]:
    """The strategies a launch sequence can compare (cacheOnly fails every launch from an empty cache)."""
    from ..cache.strategy import STRATEGIES

    return [s for s in STRATEGIES if s != "cacheOnly"] + ["versioned"]


def add_parser(sub: argparse._SubParsersAction) -> None:
    from ..netsim.profiles import PROFILES

    p = sub.add_parser(
        "launches", help="replay launches hours apart while new model versions are published, per cache strategy",
        description="Run a series of launches of the model per cache strategy, for real: a local server "
                    "paced by a network profile publishes a new version of the model before the given "
                    "launches, and every launch loads the model into a WeChat-style storage (the hours "
                    "between launches are simulated, not waited). Prints per strategy the stale launches "
                    "(an older version than the server's), downloads, 304 checks, launches from the cache "
                    "alone, bytes over the network and launch times (tfcache_nb.run_launches).")
    p.add_argument("source", nargs="?", metavar="SOURCE", help=f"a model folder or model.json path ({RULE})")
    p.add_argument("--strategy", dest="strategies", action="append", choices=strategy_names(), metavar="NAME",
                   help=f"cache strategy, repeatable: {', '.join(strategy_names())} (default: cacheFirst, "
                        "latest, latest with max_age 24 h, versioned, networkOnly)")
    p.add_argument("--launches", type=positive_int, default=20, help="launches per strategy (default: %(default)s)")
    p.add_argument("--updates", default="5,12", metavar="N,N",
                   help="a new version is published just before these launches, numbered from 0 "
                        "('none': never) (default: %(default)s)")
    p.add_argument("--profile", default="4g", choices=sorted(PROFILES), metavar="NAME",
                   help=f"network profile: {', '.join(sorted(PROFILES))} (default: %(default)s)")
    p.add_argument("--hours-between", type=float, default=8.0, metavar="H",
                   help="simulated hours between launches (default: %(default)s)")
    p.add_argument("--other-data-mib", default="0", metavar="MIB",
                   help="the app's own data already in the 10 MiB storage, in MiB (default: %(default)s)")
    p.add_argument("--seed", type=int, default=0, help="jitter seed (default: %(default)s)")
    p.add_argument("--plot", metavar="PNG", help="write the launches plot to this image file")
    p.add_argument("--csv", metavar="FILE", help="write one row per launch to this CSV file")
    p.add_argument("--json", action="store_true", help="print one JSON document (settings, summary per "
                                                        "strategy, every launch) on stdout instead of the table")
    p.add_argument("--no-progress", action="store_true", help="do not show the launches done on stderr")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import tfcache_nb as tc

    # checked before the run: a typo must not cost the launches
    csv_path = checked_output_path(args.csv, "--csv") if args.csv else None
    plot_path = checked_plot_path(args.plot) if args.plot else None
    updates = launch_numbers(args.updates)
    other = int(mib_amount(args.other_data_mib, "--other-data-mib"))
    say = Say(to_stderr=args.json)
    source = model_source(args.source, say)
    options = {"strategies": args.strategies} if args.strategies else {}
    results = tc.run_launches(source, **options, launches=args.launches, updates=updates, profile=args.profile,
                              hours_between=args.hours_between, other_data_bytes=other, seed=args.seed,
                              progress=not args.no_progress)
    written = {}
    if csv_path is not None:
        written["csv"] = str(results.to_csv(csv_path))
    if plot_path is not None:
        tc.plot_launches(results).savefig(plot_path, dpi=120)
        written["plot"] = str(plot_path)
    if args.json:
        print(json_text({"settings": results.meta, "summary": results.summary(), "launches": results.records,
                         "written": written}))
        return 0
    say(str(results.table()))
    if "csv" in written:
        say(f"wrote {len(results.records)} launches to {csv_path}")
    if "plot" in written:
        say(f"wrote the plot to {plot_path}")
    return 0


__all__ = ["add_parser", "run", "strategy_names"]
