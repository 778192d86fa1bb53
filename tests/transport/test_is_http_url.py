"""is_http_url: the one test of "is this an http(s) URL" that the router, loader, CLI and runner share."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from tfcache_nb.cli.argtypes import http_url
from tfcache_nb.transport.urls import is_http_url


@pytest.mark.parametrize("value, expected", [
    ("http://h/model.json", True), ("https://h/m.json", True), ("HTTPS://H/m.json", True),
    ("hTtP://", True), ("ftp://h/m.json", False), ("file:///m.json", False), (" http://h", False),
    ("http:/h", False), ("", False), ("models/m", False), (None, False), (b"http://h", False),
    (Path("http://h"), False), (42, False),
])
def test_is_http_url(value, expected):
    assert is_http_url(value) is expected


def test_the_cli_argument_type_uses_it():
    assert http_url("Https://h/m.json") == "Https://h/m.json"
    with pytest.raises(argparse.ArgumentTypeError, match="not an http"):
        http_url("ftp://h/m.json")
