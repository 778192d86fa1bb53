"""``tfcache-nb demo``: the plugin's pattern in one command: a cold load, a warm load, the numbers."""

from __future__ import annotations

import argparse
import sys
import tempfile

from .._html import human_bytes, human_seconds
from ..cache.loader import load_artifacts
from ..experiments.sources import serve
from ..io.local_storage_io import local_storage_io
from ..storage.wx_storage import WxStorage
from .progress import ProgressLine
from .sources import add_source_options, source_from_args


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="load MobileNet cold, then warm from the cache, and compare",
                       description="Load MobileNet from the network into a WeChat-style storage (cold), "
                                   "load it again from the storage (warm), and print the times, bytes "
                                   "and the storage used against the 10 MB cap.")
    add_source_options(p)
    from ..netsim.profiles import PROFILES

    p.add_argument("--profile", default=None, choices=sorted(PROFILES),
                   help="simulate this network; applies only to a locally served model (--model-dir, "
                        "$TFCACHE_NB_MODEL_DIR or the synthetic one), not to --model-url "
                        "(default: none, full speed)")
    p.add_argument("--storage", default=None,
                   help="SQLite file for the storage (default: a temporary file, removed afterwards)")
    p.add_argument("--no-classify", action="store_true", help="skip the top-5 for grace_hopper.jpg")
    p.set_defaults(run=run)


def storage_bar(used: int, limit: int, width: int = 40) -> str:
    filled = min(width, int(round(width * used / limit))) if limit else 0
    return f"[{'#' * filled}{'.' * (width - filled)}] {human_bytes(used)} of {human_bytes(limit)} ({100 * used / limit:.1f}%)"


def run(args: argparse.Namespace) -> int:
    if args.profile and args.model_url:
        print(f"warning: --profile {args.profile} is ignored: a network profile applies only to a "
              "locally served model (--model-dir), not to --model-url", file=sys.stderr)
    source = source_from_args(args)
    with tempfile.TemporaryDirectory(prefix="tfcache_nb_demo_") as tmp:
        path = args.storage or f"{tmp}/wxstorage.sqlite3"
        store = WxStorage(path, app_id="tfcache-nb-demo", user_id="demo-user")
        try:
            with serve(source, profile=args.profile if source.local else None) as served:
                print(f"model: {served.description}" + (f" through a simulated {args.profile} network"
                                                        if served.profile_applied else ""))
                key = served.cache_key
                url = served.url
                local_storage_io(store, key).remove()  # so the first load really is cold (False if absent)
                progress = ProgressLine("cold load")
                _, cold = load_artifacts(url, cache=store, cache_key=key, on_progress=progress)
                progress.close()
                _, warm = load_artifacts(url, cache=store, cache_key=key)
                _print_table(cold, warm)
                if not cold.saved:
                    print(f"note: the model was not cached: {cold.save_error}")
                info = store.info()
                print(f"\nstorage [{store.app_id} / {store.user_id}]: {storage_bar(info.current_size, info.limit_size)}")
                print(f"  {len(info.keys)} keys; weights {human_bytes(cold.weight_bytes)} raw, "
                      f"{human_bytes(warm.bytes_storage)} in storage as base64 chunks")
                if not args.no_classify:
                    _classify(url, store, key, source.synthetic)
        finally:
            store.close()
    return 0


def _print_table(cold, warm) -> None:
    rows = [("load", "source", "time", "network bytes", "storage bytes")]
    for name, r in (("cold", cold), ("warm", warm)):
        rows.append((name, r.source, human_seconds(r.total_s), human_bytes(r.bytes_network),
                     human_bytes(r.bytes_storage)))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    print()
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)))
    if warm.total_s > 0:
        print(f"speed-up: the warm load took {warm.total_s / cold.total_s:.1%} of the cold load's time "
              f"({cold.total_s / warm.total_s:.1f}x faster)")


def _classify(url: str, store: WxStorage, key: str, synthetic: bool) -> None:
    from ..inference.mobilenet import MobileNet
    from ..inference.samples import sample_image_path

    net = MobileNet.load(url, cache=store, cache_key=key)
    image = sample_image_path("grace_hopper.jpg")
    print(f"\ntop-5 for {image.name}" + (" (synthetic model: meaningless)" if synthetic else "") + ":")
    for p in net.classify(image, topk=5):
        print(f"  {p.probability:6.2%}  {p.class_name}")
