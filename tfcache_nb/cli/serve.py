"""``tfcache-nb serve FOLDER``: serve a model folder over HTTP through a simulated network."""

from __future__ import annotations

import argparse
import threading

from ..experiments.sources import resolve_model_dir
from .argtypes import port_number

#: addresses that listen on every interface, where the printed URL must say so
ALL_INTERFACES = ("", "0.0.0.0", "::", "[::]")


def add_parser(sub: argparse._SubParsersAction) -> None:
    from ..netsim.profiles import PROFILES

    p = sub.add_parser("serve", help="serve a model folder over a simulated mobile network",
                       description="Serve a TensorFlow.js model folder over HTTP (127.0.0.1 by default) "
                                   "with a network profile (CORS enabled, so a browser running "
                                   "TensorFlow.js can load from it). Stop with Ctrl-C.")
    p.add_argument("folder", help="the model folder (with model.json)")
    p.add_argument("--profile", default=None, choices=sorted(PROFILES),
                   help="network profile (default: no throttling)")
    p.add_argument("--port", type=port_number, default=0, help="port, 0-65535 (default: 0, a free one)")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to bind; 0.0.0.0 listens on all interfaces (default: %(default)s)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace, *, stop: threading.Event | None = None) -> int:
    from ..netsim.server import ModelServer

    folder = resolve_model_dir(args.folder)
    try:
        with ModelServer(folder, profile=args.profile, host=args.host, port=args.port) as server:
            print(f"serving {folder} at {server.url}/model.json"
                  + (f" with profile {args.profile}" if args.profile else " (no throttling)"), flush=True)
            if args.host in ALL_INTERFACES:
                print(f"note: listening on all interfaces ({args.host or '0.0.0.0'}:{server.port}); from this "
                      f"machine use {server.url}/model.json, from others this machine's address", flush=True)
            print("press Ctrl-C to stop", flush=True)
            (stop or threading.Event()).wait()
    except KeyboardInterrupt:  # the documented way to stop: not an error
        print("stopped", flush=True)
    return 0
