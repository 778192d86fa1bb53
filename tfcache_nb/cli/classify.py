"""``tfcache-nb classify IMAGE...``: MobileNet's ImageNet top-k for each image, in pure numpy."""

from __future__ import annotations

import argparse

from ..storage.wx_storage import WxStorage
from .sources import add_source_options, model_source


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("classify", help="print MobileNet's top-k ImageNet classes for images",
                       description="Classify images with MobileNet (loaded through the cache: the first "
                                   "run fetches it, later runs read it from storage).")
    p.add_argument("images", nargs="+", metavar="IMAGE", help="image files (JPEG, PNG, ...)")
    add_source_options(p)
    p.add_argument("--topk", type=int, default=5, help="how many classes to print (default: %(default)s)")
    p.add_argument("--path", default=None, help="SQLite storage file (default: the user's cache folder)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..inference.mobilenet import MobileNet

    if args.topk < 1:
        raise ValueError("--topk must be at least 1.")
    store = WxStorage(args.path, app_id="tfcache-nb-cli", user_id="default")
    try:
        with model_source(args) as (url, description):
            net = MobileNet.load(url, cache=store)
            report = net.model.report
            if report is not None:
                print(f"model: {description} ({report.source}, {report.total_s * 1000:.0f} ms)")
            if "synthetic" in description:
                print("warning: synthetic model with random weights: these predictions mean nothing")
            results = net.classify_batch(args.images, topk=args.topk)
            for image, preds in zip(args.images, results):
                print(image)
                for p in preds:
                    print(f"  {p.probability:6.2%}  {p.class_name}  (#{p.index})")
    finally:
        store.close()
    return 0
