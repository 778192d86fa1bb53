"""The logical family's executors (TF.js executors/logical_executor)."""

from __future__ import annotations

import numpy as np  # noqa: F401

from ..registry import Executor

EXECUTORS: dict[str, Executor] = {}
