"""``tfcache-nb bench``: cold (network) against warm (cache) loads over simulated networks."""

from __future__ import annotations

import argparse
import contextlib
import os
import tempfile
from pathlib import Path
from typing import Iterator

from ..errors import TfcacheError
from .sources import resolve_model_dir

DEFAULT_PROFILES = ("wifi", "4g", "fast-3g")


class BenchError(TfcacheError):
    """A bench option that cannot be used (an output file that cannot be written, ...)."""


def _model_dir(value: str) -> Path:
    try:
        return resolve_model_dir(value)
    except TfcacheError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _model_url(value: str) -> str:
    if not value.lower().startswith(("http://", "https://")):
        raise argparse.ArgumentTypeError(f"{value!r} is not an http(s) URL of a model.json")
    return value


def _positive(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, not {value!r}")
    return n


def add_parser(sub: argparse._SubParsersAction) -> None:
    from ..experiments.runner import STORAGE_KINDS
    from ..netsim.profiles import PROFILES

    p = sub.add_parser(
        "bench", help="time cold (network) against warm (cache) loads over simulated networks",
        description="For each model and network profile, load the model cold (removed from the "
                    "cache first, so it comes over a simulated network served on 127.0.0.1) and "
                    "then warm (from the cache), several times, and print the summary: median, "
                    "5th/95th percentiles, mean with a 95%% interval, the speed-up and the "
                    "latency model's expected cold time. Models given as URLs are loaded over "
                    "the real network (no profile applied).")
    p.add_argument("--model-dir", dest="sources", action="append", type=_model_dir, metavar="DIR",
                   help="a model folder, served locally with each profile (repeatable; default: "
                        "$TFCACHE_NB_MODEL_DIR, else a synthetic MobileNet)")
    p.add_argument("--model-url", dest="sources", action="append", type=_model_url, metavar="URL",
                   help="a model.json URL loaded directly, without a simulated profile (repeatable)")
    p.add_argument("--profile", dest="profiles", action="append", choices=sorted(PROFILES),
                   metavar="NAME", help=f"network profile, repeatable: {', '.join(sorted(PROFILES))} "
                                        f"(default: {', '.join(DEFAULT_PROFILES)})")
    p.add_argument("--trials", type=_positive, default=3, help="trials per model, profile and storage "
                                                               "(default: %(default)s)")
    p.add_argument("--storage", dest="storages", action="append", choices=STORAGE_KINDS,
                   help="storage kind, repeatable: wx (SQLite file), memory (WxStorage ':memory:'), "
                        "file (the plugin's file storage) (default: wx)")
    p.add_argument("--seed", type=int, default=0, help="jitter seed (default: %(default)s)")
    p.add_argument("--quantize", choices=("uint8", "uint16", "float16", "auto"), default=None,
                   help="store a quantized copy in the cache")
    p.add_argument("--csv", metavar="FILE", help="write one row per load to this CSV file")
    p.add_argument("--plot", metavar="PNG", help="write the cold-against-warm plot to this PNG file")
    p.add_argument("--no-progress", action="store_true", help="do not draw the progress line")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..experiments.runner import run_experiment

    for out in (args.csv, args.plot):
        if out and not Path(out).expanduser().resolve().parent.is_dir():
            raise BenchError(f"cannot write {out}: its folder does not exist.")
    profiles = args.profiles or list(DEFAULT_PROFILES)
    with _sources(args.sources) as (sources, note):
        if note:
            print(note)
        names = ", ".join(s.name if isinstance(s, Path) else s for s in sources)
        print(f"bench: {names}; profiles {', '.join(profiles)}; storage "
              f"{', '.join(args.storages or ['wx'])}; {args.trials} trials each", flush=True)
        results = run_experiment(sources, profiles, storages=args.storages or ["wx"],
                                 trials=args.trials, seed=args.seed, quantize=args.quantize,
                                 progress=not args.no_progress)
    print()
    print(results.summary_table())
    print("\nspeed-up = cold median / warm median; network/expected = the cold loads' network "
          "phase over the latency model's expectation.")
    if args.csv:
        path = results.to_csv(Path(args.csv).expanduser())
        print(f"wrote {len(results.records)} loads to {path}")
    if args.plot:
        fig = results.plot()
        fig.savefig(Path(args.plot).expanduser(), dpi=120)
        print(f"wrote the plot to {args.plot}")
    return 0


@contextlib.contextmanager
def _sources(given: list | None) -> Iterator[tuple[list, str | None]]:
    """The models to bench: those given, else $TFCACHE_NB_MODEL_DIR, else a synthetic MobileNet."""
    if given:
        yield given, None
        return
    env = os.environ.get("TFCACHE_NB_MODEL_DIR")
    if env:
        yield [resolve_model_dir(env)], f"model from $TFCACHE_NB_MODEL_DIR: {env}"
        return
    from ..format.synthetic import write_synthetic_mobilenet

    with tempfile.TemporaryDirectory(prefix="tfcache_nb_bench_") as tmp:
        folder = write_synthetic_mobilenet(Path(tmp) / "synthetic_mobilenet_v1_0.25_224", alpha=0.25)
        yield [Path(folder)], ("no model given: using a synthetic MobileNet v1 0.25 (random weights: "
                               "its predictions mean nothing; only its size, the real model's, "
                               "matters here).")


__all__ = ["add_parser", "run", "BenchError", "DEFAULT_PROFILES"]
