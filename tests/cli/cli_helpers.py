"""Running the command line as a user does: a subprocess, without the variables that change it."""

from __future__ import annotations

import os
import subprocess
import sys

EXE = [sys.executable, "-m", "tfcache_nb.cli.main"]


def run_cli(*args: str) -> subprocess.CompletedProcess:
    """``tfcache-nb ARGS`` with $TFCACHE_NB_DEBUG and $TFCACHE_NB_MODEL_DIR unset (each test says what it loads)."""
    env = {k: v for k, v in os.environ.items() if k not in ("TFCACHE_NB_DEBUG", "TFCACHE_NB_MODEL_DIR")}
    return subprocess.run([*EXE, *args], capture_output=True, text=True, timeout=120, env=env)
