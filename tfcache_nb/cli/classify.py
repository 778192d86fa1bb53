"""``tfcache-nb classify IMAGE...``: MobileNet's ImageNet top-k for each image, in pure numpy."""

from __future__ import annotations

import argparse
import functools
import json
import os
import sys

from ..errors import TfcacheError
from ..experiments.serving import serve
from ..storage.wx_storage import WxStorage
from .argtypes import positive_int
from .cache_notes import not_saved_reason
from .sources import add_source_options, source_from_args


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("classify", help="print MobileNet's top-k ImageNet classes for images",
                       description="Classify images with MobileNet, loaded through the cache: the first "
                                   "run fetches it and saves it in the storage, later runs read it from "
                                   "there. A bad image is reported on one line and the others are "
                                   "still classified (the exit status is then 1).")
    p.add_argument("images", nargs="+", metavar="IMAGE", help="image files (JPEG, PNG, ...)")
    add_source_options(p)
    p.add_argument("--topk", type=positive_int, default=5, help="how many classes to print (default: %(default)s)")
    p.add_argument("--path", default=None,
                   help="SQLite storage file (default: the user's cache folder or $TFCACHE_NB_HOME)")
    p.add_argument("--app-id", default="default", help="mini-program id (default: %(default)s, as for storage)")
    p.add_argument("--user-id", default="default", help="WeChat user id (default: %(default)s, as for storage)")
    p.add_argument("--quantize", choices=("uint8", "uint16", "float16", "auto"), default=None,
                   help="store a quantized copy in the cache (a model too big for 10 MB then fits)")
    p.add_argument("--json", action="store_true",
                   help="print one JSON document on stdout (the model, the load, each image's classes)")
    p.set_defaults(run=run)


def check_image(path: str) -> str | None:
    """Why ``path`` cannot be classified, or None when it decodes as an image."""
    from ..inference.images import load_image

    if os.path.isdir(path):
        return f"{path} is a folder, not an image."
    try:
        load_image(path)
    except TfcacheError as exc:
        return str(exc)
    except OSError as exc:
        return f"cannot read {path}: {exc.strerror or exc}."
    return None


def run(args: argparse.Namespace) -> int:
    from ..inference.mobilenet import MobileNet

    # with --json, stdout carries the JSON document alone: every other line goes to stderr
    say = functools.partial(print, file=sys.stderr) if args.json else print
    good, errors = [], []
    for image in args.images:  # before the model: a typo must not cost a 2 MB download
        problem = check_image(image)
        if problem is None:
            good.append(image)
        else:
            errors.append({"image": image, "error": problem})
            print(f"tfcache-nb classify: error: {problem}", file=sys.stderr, flush=True)
    if not good:
        if args.json:
            print(json.dumps({"model": None, "load": None, "results": [], "errors": errors}, indent=2))
        return 1
    source = source_from_args(args, say=say)
    store = WxStorage(args.path, app_id=args.app_id, user_id=args.user_id)
    try:
        with serve(source) as served:
            net = MobileNet.load(served.url, cache=store, cache_key=served.cache_key, quantize=args.quantize,
                                 **{"deadline": served.deadline, **source.load_options})
        report = net.model.report
        say(f"model: {served.description} ({report.source}, {report.total_s * 1000:.0f} ms; "
            f"cache key {served.cache_key} in [{store.app_id} / {store.user_id}])")
        unsaved = not_saved_reason(report)
        if unsaved is not None:
            hint = "" if args.quantize else "; --quantize auto stores a smaller copy that fits"
            say(f"note: {unsaved}; every run downloads it again{hint}")
        if source.synthetic:
            say("warning: synthetic model with random weights: these predictions mean nothing")
        results = []
        for image in good:
            try:
                preds = net.classify(image, topk=args.topk)
            except TfcacheError as exc:  # changed or vanished since the check
                errors.append({"image": image, "error": str(exc)})
                print(f"tfcache-nb classify: error: {exc}", file=sys.stderr, flush=True)
                continue
            results.append({"image": image, "predictions": [
                {"index": p.index, "class_name": p.class_name, "probability": p.probability} for p in preds]})
            if not args.json:
                print(image)
                for p in preds:
                    print(f"  {p.probability:6.2%}  {p.class_name}  (#{p.index})")
        if args.json:
            print(json.dumps(_document(source, served, report, store, unsaved, results, errors), indent=2))
    finally:
        store.close()
    return 1 if errors else 0


def _document(source, served, report, store, unsaved, results, errors) -> dict:
    return {
        "model": {"name": source.name, "kind": source.kind, "synthetic": source.synthetic,
                  "description": served.description, "cache_key": served.cache_key},
        "load": {"source": report.source, "total_s": report.total_s, "bytes_network": report.bytes_network,
                 "bytes_storage": report.bytes_storage, "saved": report.saved, "not_cached": unsaved,
                 "quantization": report.quantization, "namespace": [store.app_id, store.user_id]},
        "results": results,
        "errors": errors,
    }
