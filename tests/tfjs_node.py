"""Node.js and the TensorFlow.js that tests/tfjs pins, for the cross-checks against the real TF.js.

Shared by the root conftest's ``node_bin`` / ``tfjs_dir`` fixtures and by helpers that are plain
functions (tests/inference/graph/tfjs_oracle.py). Each skips the calling test when it cannot
provide what it names.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

TFJS_DIR = Path(__file__).resolve().parent / "tfjs"


def node_executable() -> str:
    """The ``node`` executable (skips when absent)."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the TensorFlow.js cross-checks need Node.js")
    return node


def installed_tfjs_dir() -> Path:
    """tests/tfjs with @tensorflow/tfjs installed from its lock file (once, when absent; skips if it cannot be)."""
    node_executable()
    if not (TFJS_DIR / "node_modules" / "@tensorflow" / "tfjs").is_dir():
        npm = shutil.which("npm")
        if npm is None:
            pytest.skip("npm is not installed, so tests/tfjs/node_modules (TensorFlow.js) cannot be installed")
        result = subprocess.run([npm, "ci", "--prefix", str(TFJS_DIR), "--no-audit", "--no-fund", "--loglevel=error"],
                                capture_output=True, text=True, timeout=300)
        if result.returncode != 0:
            last = (result.stderr.strip().splitlines() or ["no output"])[-1]
            pytest.skip(f"`npm ci --prefix tests/tfjs` failed, so TensorFlow.js is not installed: {last}")
    return TFJS_DIR
