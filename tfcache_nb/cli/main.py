"""``tfcache-nb``: the command line. Each sub-command lives in its own module.

Errors print one line on stderr and exit non-zero, never a traceback
(set ``TFCACHE_NB_DEBUG=1`` to see one).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from typing import Sequence

from .. import __version__
from ..errors import TfcacheError

#: sub-command -> module defining ``add_parser(subparsers)`` and ``run(args) -> int``
COMMANDS = {
    "demo": ".demo",
    "classify": ".classify",
    "bench": ".bench",
    "serve": ".serve",
    "storage": ".storage_cmd",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tfcache-nb",
        description="Study how TensorFlow.js models are cached on the client: the WeChat "
                    "mini-program plugin's 10 MB model cache, in Python.")
    parser.add_argument("--version", action="version", version=f"tfcache-nb {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, module in COMMANDS.items():
        importlib.import_module(module, __package__).add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    try:
        return int(args.run(args) or 0)
    except KeyboardInterrupt:
        print("tfcache-nb: interrupted", file=sys.stderr)
        return 130
    except (TfcacheError, OSError, ValueError) as exc:
        if os.environ.get("TFCACHE_NB_DEBUG"):
            raise
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        print(f"tfcache-nb {args.command}: error: {message}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
