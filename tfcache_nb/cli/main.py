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
    "fit": ".fit",
    "launches": ".launches",
    "population": ".population",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tfcache-nb",
        description="Study how TensorFlow.js models are cached on the client: the WeChat "
                    "mini-program plugin's 10 MiB model cache, in Python.")
    parser.add_argument("--version", action="version", version=f"tfcache-nb {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, module in COMMANDS.items():
        importlib.import_module(module, __package__).add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)  # a usage error exits 2 with argparse's message
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    debug = bool(os.environ.get("TFCACHE_NB_DEBUG"))
    try:
        return int(args.run(args) or 0)
    except KeyboardInterrupt:
        print("tfcache-nb: interrupted", file=sys.stderr)
        return 130
    except (TfcacheError, OSError) as exc:
        if debug:
            raise
        print(f"tfcache-nb {args.command}: error: {_first_line(exc)}", file=sys.stderr)
        return 1
    except Exception as exc:  # a bug: say so on one line, the traceback on request
        if debug:
            raise
        print(f"tfcache-nb {args.command}: unexpected error: {type(exc).__name__}: {_first_line(exc)} "
              "(run with TFCACHE_NB_DEBUG=1 for the traceback)", file=sys.stderr)
        return 1


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
