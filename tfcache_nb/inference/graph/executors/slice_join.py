"""The slice_join family's executors (TF.js executors/slice_join_executor)."""

from __future__ import annotations

import numpy as np  # noqa: F401

from ..registry import Executor

EXECUTORS: dict[str, Executor] = {}
