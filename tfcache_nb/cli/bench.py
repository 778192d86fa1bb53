"""``tfcache-nb bench``: cold (network) against warm (cache) loads over simulated networks."""

from __future__ import annotations

import argparse
import json
import textwrap
from pathlib import Path

from ..errors import TfcacheError
from ..experiments.results import TEXT_WIDTH
from ..experiments.sources import ModelSource, describe, find_model
from .argtypes import http_url, model_dir, positive_float, positive_int
from .sources import RULE
from .output import Say, checked_output_path, checked_plot_path

DEFAULT_PROFILES = ("wifi", "4g", "fast-3g")


class BenchError(TfcacheError):
    """A bench option that cannot be used (an output file that cannot be written, ...)."""


def add_parser(sub: argparse._SubParsersAction) -> None:
    from ..experiments.clients import CLIENTS
    from ..experiments.runner import BROWSER_STORAGES, STORAGE_KINDS
    from ..netsim.profiles import PROFILES

    p = sub.add_parser(
        "bench", help="time cold (network) against warm (cache) loads over simulated networks",
        description="For each model and network profile, load the model cold (removed from the "
                    "cache first, so it comes over a simulated network served on 127.0.0.1) and "
                    "then warm (from the cache), several times, and print the summary: cold and "
                    "warm medians, the speed-up and the measured network time over the latency "
                    "model's expectation (--wide adds percentiles, means with a 95% interval and "
                    "bytes). While it runs, stderr shows trials done, running and left and the time "
                    "left that the latency model expects. --concurrency N runs N simulated users "
                    "at once. Every load has a deadline (--deadline), so none hangs on a stuck "
                    "server. Models given as URLs are loaded over the real network (no profile "
                    "applied).")
    p.add_argument("--model-dir", dest="sources", action="append", type=model_dir, metavar="DIR",
                   help=f"a model folder, served locally with each profile (repeatable; {RULE})")
    p.add_argument("--model-url", dest="sources", action="append", type=http_url, metavar="URL",
                   help="a model.json URL loaded directly, without a simulated profile (repeatable)")
    p.add_argument("--profile", dest="profiles", action="append", choices=sorted(PROFILES),
                   metavar="NAME", help=f"network profile, repeatable: {', '.join(sorted(PROFILES))} "
                                        f"(default: {', '.join(DEFAULT_PROFILES)})")
    p.add_argument("--trials", type=positive_int, default=3, help="trials per model, profile and storage "
                                                               "(default: %(default)s)")
    p.add_argument("--storage", dest="storages", action="append", choices=STORAGE_KINDS + BROWSER_STORAGES,
                   help="storage kind, repeatable: wx (SQLite file), memory (WxStorage ':memory:'), "
                        "file (the plugin's file storage) (default: wx); for the tfjs-chromium "
                        "client, TensorFlow.js's indexeddb or localstorage (default: indexeddb)")
    p.add_argument("--client", dest="clients", action="append", choices=CLIENTS,
                   help="who loads the model, repeatable: tfcache_nb (this toolkit) or tfjs-chromium "
                        "(the real TensorFlow.js 4.22.0 in headless Chromium: pip install "
                        "'tfcache_nb[browser]', apt-get install chromium, npm for the first run) "
                        "(default: tfcache_nb)")
    p.add_argument("--concurrency", type=positive_int, default=1, metavar="N",
                   help="run up to N trials at once, each an independent simulated user with its own "
                        "simulated link and storage, so the run takes about as long as its slowest "
                        "trials (default: %(default)s, one after another)")
    p.add_argument("--deadline", type=positive_float, default=None, metavar="SECONDS",
                   help="stop any load that takes longer (default: 3x what the latency model expects "
                        "for it plus 30 s; 300 s for a URL)")
    p.add_argument("--seed", type=int, default=0, help="jitter seed (default: %(default)s)")
    p.add_argument("--quantize", choices=("uint8", "uint16", "float16", "auto"), default=None,
                   help="store a quantized copy in the cache")
    p.add_argument("--csv", metavar="FILE", help="write one row per load to this CSV file")
    p.add_argument("--plot", metavar="PNG", help="write the cold-against-warm plot to this image file "
                                                  "(.png when it has no suffix; any format matplotlib writes)")
    p.add_argument("--wide", action="store_true", help="the full table: percentiles, means with "
                                                        "their 95%% intervals, expected time, bytes")
    p.add_argument("--json", action="store_true", help="print one JSON document (settings, summary "
                                                        "rows, warnings) on stdout instead of the table")
    p.add_argument("--no-progress", action="store_true", help="do not show the progress (trials done "
                                                               "and left, expected time left) on stderr")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..experiments.runner import client_storages, run_experiment

    # checked before the run, which can take minutes: a bad path must not waste them
    csv_path = checked_output_path(args.csv, "--csv") if args.csv else None
    plot_path = checked_plot_path(args.plot) if args.plot else None
    profiles = args.profiles or list(DEFAULT_PROFILES)
    sources, note = _sources(args.sources)
    say = Say(to_stderr=args.json)
    if note:
        say(note)
    names = ", ".join(s.name for s in sources)
    trials = f"{args.trials} trial{'s' if args.trials != 1 else ''} each"
    if args.concurrency > 1:
        trials += f", up to {args.concurrency} at once"
    clients = args.clients or ["tfcache_nb"]
    storages = args.storages or ["wx"]  # a client given none of its own uses its default
    say(f"bench: {names}; profiles {', '.join(profiles)}; "
        f"{storages_said(client_storages(clients, storages))}; {trials}")
    results = run_experiment(sources, profiles, storages=storages, clients=clients,
                             trials=args.trials, seed=args.seed, quantize=args.quantize,
                             progress=not args.no_progress, concurrency=args.concurrency,
                             deadline=args.deadline)
    written = {}
    if csv_path is not None:
        results.to_csv(csv_path)
        written["csv"] = str(csv_path)
    if plot_path is not None:
        fig = results.plot()
        fig.savefig(plot_path, dpi=120)
        written["plot"] = str(plot_path)
    if args.json:
        print(json.dumps({**results.to_dict(), "written": written}, indent=2, default=str))
        return 0
    say("")
    say(results.summary_table(wide=args.wide))
    say("")
    say(textwrap.fill("speed-up = cold median / warm median; network/expected = the cold loads' "
                      "network phase over the latency model's expectation"
                      + ("." if args.wide else "; --wide (and --csv) for every figure."),
                      width=TEXT_WIDTH - 1))
    if "csv" in written:
        say(f"wrote {len(results.records)} loads to {csv_path}")
    if "plot" in written:
        say(f"wrote the plot to {plot_path}")
    return 0


def storages_said(used: dict[str, list[str]]) -> str:
    """The storages each client really uses, as the settings line says them: ``storage wx``
    for the toolkit alone, else ``clients tfcache_nb (storage file), tfjs-chromium (storage
    indexeddb)`` (TensorFlow.js in Chromium never uses the toolkit's storages)."""
    if list(used) == ["tfcache_nb"]:
        return f"storage {', '.join(used['tfcache_nb'])}"
    return "client" + ("s " if len(used) > 1 else " ") + ", ".join(
        f"{client} (storage {', '.join(kinds)})" for client, kinds in used.items())


def _sources(given: list | None) -> tuple[list[ModelSource], str | None]:
    """The models to bench: those given, else the one the model-finding rule picks."""
    if given:
        return [ModelSource.from_folder(s) if isinstance(s, Path) else ModelSource.from_url(s)
                for s in given], None
    source = find_model()  # the one rule: $TFCACHE_NB_MODEL_DIR, ../shared/models, the embedded model
    return [source], f"no model given: {describe(source)}"


__all__ = ["add_parser", "run", "storages_said", "BenchError", "DEFAULT_PROFILES"]
