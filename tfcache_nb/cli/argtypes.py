"""argparse types shared by the commands: a bad value is a usage error naming it (exit 2)."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import TfcacheError
from ..experiments.sources import resolve_model_dir
from ..transport.urls import is_http_url


def positive_int(value: str) -> int:
    """A whole number of at least 1 (trials, top-k)."""
    try:
        n = int(value)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, not {value!r}")
    return n


def positive_float(value: str) -> float:
    """A number of seconds above 0 (a deadline)."""
    try:
        x = float(value)
    except ValueError:
        x = 0.0
    if not 0 < x < float("inf"):
        raise argparse.ArgumentTypeError(f"must be a number of seconds above 0, not {value!r}")
    return x


def port_number(value: str) -> int:
    """A TCP port, 0 meaning any free one."""
    try:
        n = int(value)
    except ValueError:
        n = -1
    if not 0 <= n <= 65535:
        raise argparse.ArgumentTypeError(f"must be a port number from 0 to 65535 (0: a free one), not {value!r}")
    return n


def http_url(value: str) -> str:
    """An http(s) URL of a model.json."""
    if not is_http_url(value):
        raise argparse.ArgumentTypeError(f"{value!r} is not an http(s) URL of a model.json")
    return value


def model_dir(value: str) -> Path:
    """A model folder (or a folder with a mobilenet_v1_0.25_224 child), checked before any work."""
    try:
        return resolve_model_dir(value)
    except TfcacheError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
