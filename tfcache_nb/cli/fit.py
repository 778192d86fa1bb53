"""``tfcache-nb fit SOURCE``: will the model fit WeChat's 10 MB, in which form, at what cost."""

from __future__ import annotations

import argparse
import json
import math
import os
from typing import Any

from ..errors import InvalidArgumentError


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("fit", help="which forms of a model fit WeChat's 10 MB local storage, at what cost",
                       description="Size the model as it is and as float16, uint16 and uint8 exactly as "
                                   "WeChat's local storage would hold it (base64 included), and measure "
                                   "what each form costs: drift of the outputs against the model as it "
                                   "is, top-1 agreement for classifiers, warm load time. Drift is "
                                   "measured on matplotlib's sample photographs unless --image is given; "
                                   "a model the toolkit cannot run gets sizes only, and the reason.")
    p.add_argument("source", metavar="SOURCE", help="a model folder, a model.json path or an http(s) URL")
    p.add_argument("--image", action="append", default=None, metavar="FILE",
                   help="an image to measure drift on (repeat for several)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--no-measure", action="store_true", help="sizes only: do not run the model or time loads")
    p.add_argument("--no-progress", action="store_true", help="do not show the step under way on stderr "
                                                               "(fetching, sizing and measuring each form)")
    p.set_defaults(run=run)


def _json_safe(value: Any) -> Any:
    if isinstance(value, float) and math.isinf(value):
        return "inf"
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    return value


def run(args: argparse.Namespace) -> int:
    from ..experiments.fit import fit_report

    if args.image and args.no_measure:
        raise InvalidArgumentError("--image gives the inputs the drift is measured on; with --no-measure nothing "
                                   "is run, so drop one of them.")
    for image in args.image or []:  # before the model: a typo must not cost a download
        if not os.path.isfile(image):
            raise InvalidArgumentError(f"the image file '{image}' does not exist.")
    report = fit_report(args.source, inputs=args.image, measure=not args.no_measure,
                        progress=not args.no_progress)
    if args.json:
        print(json.dumps(_json_safe(report.to_dict()), indent=2))
    else:
        print(report)
        print(f"({report.elapsed_s:.1f} s)")
    return 0
