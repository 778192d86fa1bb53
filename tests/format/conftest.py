"""Fixtures of the format tests: real Node.js and TensorFlow.js, when installed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

TFJS_DIR = Path(__file__).resolve().parent.parent / "tfjs"


@pytest.fixture(scope="session")
def node_bin() -> str:
    """The ``node`` executable (skips when absent)."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the TensorFlow.js cross-checks need Node.js")
    return node


@pytest.fixture(scope="session")
def tfjs_dir(node_bin: str) -> Path:
    """tests/tfjs with @tensorflow/tfjs installed (skips when absent)."""
    if not (TFJS_DIR / "node_modules" / "@tensorflow" / "tfjs").is_dir():
        pytest.skip("tests/tfjs/node_modules is absent: run `npm ci --prefix tests/tfjs` to install TensorFlow.js")
    return TFJS_DIR
