"""``tfcache-nb serve FOLDER``: serve a model folder on 127.0.0.1 through a simulated network."""

from __future__ import annotations

import argparse
import threading

from .sources import resolve_model_dir


def add_parser(sub: argparse._SubParsersAction) -> None:
    from ..netsim.profiles import PROFILES

    p = sub.add_parser("serve", help="serve a model folder over a simulated mobile network",
                       description="Serve a TensorFlow.js model folder on 127.0.0.1 with a network "
                                   "profile (CORS enabled, so a browser running TensorFlow.js can load "
                                   "from it). Stop with Ctrl-C.")
    p.add_argument("folder", help="the model folder (with model.json)")
    p.add_argument("--profile", default=None, choices=sorted(PROFILES),
                   help="network profile (default: no throttling)")
    p.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default: %(default)s)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace, *, stop: threading.Event | None = None) -> int:
    from ..netsim.server import ModelServer

    folder = resolve_model_dir(args.folder)
    with ModelServer(folder, profile=args.profile, host=args.host, port=args.port) as server:
        print(f"serving {folder} at {server.url}/model.json"
              + (f" with profile {args.profile}" if args.profile else " (no throttling)"), flush=True)
        print("press Ctrl-C to stop", flush=True)
        (stop or threading.Event()).wait()
    return 0
