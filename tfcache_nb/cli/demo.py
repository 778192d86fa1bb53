"""``tfcache-nb demo``: what caching buys, in one command: a cold load through a simulated mobile
network, a warm load from the cache, the speed-up and the storage used against the 10 MB cap."""

from __future__ import annotations

import argparse
import sys
import tempfile

from .._html import human_seconds
from .._units import human_bytes
from ..cache.loader import load_artifacts
from ..cache.report import LoadReport
from ..experiments.serving import serve
from ..io.local_storage_io import local_storage_io
from ..storage.wx_storage import WxStorage
from .cache_notes import why_not_warm
from .progress import ProgressLine
from .sources import add_source_options, source_from_args

DEFAULT_PROFILE = "4g"
NO_PROFILE = "none"


def add_parser(sub: argparse._SubParsersAction) -> None:
    from ..netsim.profiles import PROFILES

    p = sub.add_parser("demo", help="load MobileNet cold through a simulated 4G network, then warm from the cache",
                       description="Load MobileNet into a WeChat-style storage through a simulated mobile "
                                   "network (cold), load it again from the storage (warm), and print both "
                                   "times, the speed-up and the storage used against the 10 MB cap.")
    add_source_options(p)
    p.add_argument("--profile", default=None, choices=[*sorted(PROFILES), NO_PROFILE],
                   help=f"the simulated network of the cold load (default: {DEFAULT_PROFILE}; '{NO_PROFILE}': "
                        "full speed over the loopback). It applies to a locally served model, not to "
                        "--model-url, which loads over the real network")
    p.add_argument("--storage", default=None,
                   help="SQLite file for the storage (default: a temporary file, removed afterwards)")
    p.add_argument("--no-classify", action="store_true", help="skip the top-5 for grace_hopper.jpg")
    p.set_defaults(run=run)


def storage_bar(used: int, limit: int, width: int = 30) -> str:
    """``[#######.......................] 2.36 MiB of 10 MiB (23.6%)``."""
    filled = min(width, int(round(width * used / limit))) if limit else 0
    share = f" ({100 * used / limit:.1f}%)" if limit else ""
    return f"[{'#' * filled}{'.' * (width - filled)}] {human_bytes(used)} of {human_bytes(limit)}{share}"


def _profile(args: argparse.Namespace, local: bool) -> str | None:
    if args.profile == NO_PROFILE:
        return None
    if not local:
        if args.profile:
            print(f"warning: --profile {args.profile} is ignored: a network profile applies only to a "
                  "locally served model (--model-dir), not to --model-url", file=sys.stderr)
        return None
    return args.profile or DEFAULT_PROFILE


def run(args: argparse.Namespace) -> int:
    source = source_from_args(args)
    profile = _profile(args, source.local)
    with tempfile.TemporaryDirectory(prefix="tfcache_nb_demo_") as tmp:
        store = WxStorage(args.storage or f"{tmp}/wxstorage.sqlite3", app_id="tfcache-nb-demo", user_id="demo-user")
        try:
            with serve(source, profile=profile) as served:
                print(f"model: {served.description}")
                print(f"cold load: {_network_line(profile, served.profile_applied)}")
                key, url = served.cache_key, served.url
                local_storage_io(store, key).remove()  # so the first load really is cold (False if absent)
                progress = ProgressLine("cold load")
                artifacts, cold = load_artifacts(url, cache=store, cache_key=key, on_progress=progress,
                                                 deadline=served.deadline)
                progress.close()
                again = (load_artifacts(url, cache=store, cache_key=key, deadline=served.deadline)[1]
                         if cold.saved else None)
            _print_loads(cold, again)
            info = store.info()
            held = (f", {human_bytes(cold.weight_bytes)} of weights as base64 chunks" if cold.saved
                    else ": the model is not in it")
            print(f"\nstorage: {storage_bar(info.current_size, info.limit_size)}{held}")
            if not args.no_classify:
                _classify(artifacts, cold, source.synthetic)
        finally:
            store.close()
    return 0


def _network_line(profile: str | None, applied: bool) -> str:
    if not applied:
        return "full speed over the loopback (--profile none)" if profile is None else "over the real network"
    from ..netsim.profiles import PROFILES

    p = PROFILES[profile]
    return (f"through a simulated {profile} network ({p.rtt_ms:g} ms round trips, "
            f"{p.down_kbps / 1000:g} Mbit/s; --profile none for full speed)")


def _print_loads(cold: LoadReport, again: LoadReport | None) -> None:
    rows = [("load", "source", "time", "network bytes", "storage bytes")]
    rows.append(("cold", cold.source, human_seconds(cold.total_s), human_bytes(cold.bytes_network),
                 human_bytes(cold.bytes_storage)))
    reason = why_not_warm(cold, again)
    if again is not None:  # called warm only when it came from the cache
        rows.append(("warm" if reason is None else "again", again.source, human_seconds(again.total_s),
                     human_bytes(again.bytes_network), human_bytes(again.bytes_storage)))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    print()
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
    if reason is not None:
        print(f"no warm load: {reason}")
    elif again is not None and again.total_s > 0:
        print(f"speed-up: {cold.total_s / again.total_s:,.0f}x (the warm load took "
              f"{again.total_s / cold.total_s:.1%} of the cold load's time)")


def _classify(artifacts, cold: LoadReport, synthetic: bool) -> None:
    """The top-5 from the model just loaded (no third load: a model that did not fit would
    cross the simulated network again)."""
    from ..inference.mobilenet import MobileNet
    from ..inference.model import Model
    from ..inference.samples import sample_image_path

    net = MobileNet(Model.from_artifacts(artifacts, report=cold))
    image = sample_image_path("grace_hopper.jpg")
    print(f"\ntop-5 for {image.name}" + (" (synthetic model with random weights: meaningless)" if synthetic else "") + ":")
    for p in net.classify(image, topk=5):
        print(f"  {p.probability:6.2%}  {p.class_name}")
