"""Layers that only move or combine arrays: reshape, flatten, concatenate, add."""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np


def reshape(x: np.ndarray, target: Sequence[int]) -> np.ndarray:
    """Reshape keeping the batch axis (Keras's Reshape ``target_shape``; -1 allowed once)."""
    return x.reshape((x.shape[0],) + tuple(int(t) for t in target))


def reshape_target(shape: Sequence[int], target: Sequence[int]) -> tuple[int, ...] | None:
    """The static shape after a reshape, or None if the element counts cannot match."""
    size = math.prod(shape)
    target = [int(t) for t in target]
    if target.count(-1) > 1:
        return None
    known = math.prod(t for t in target if t != -1)
    if -1 in target:
        if known == 0 or size % known:
            return None
        target[target.index(-1)] = size // known
    elif known != size:
        return None
    return tuple(target)


def largest_divisor_at_most(n: int, limit: int) -> int:
    """The largest divisor of ``n`` (at least 1) not above ``limit``: a size for equal chunks of ``n``."""
    return next(d for d in range(min(n, limit), 0, -1) if n % d == 0)


def flatten(x: np.ndarray) -> np.ndarray:
    return x.reshape(x.shape[0], -1)


def concat(xs: Sequence[np.ndarray], axis: int = -1) -> np.ndarray:
    return np.concatenate(xs, axis=axis)


def add(xs: Sequence[np.ndarray]) -> np.ndarray:
    """Sum of two or more arrays, with one new array."""
    out = np.add(xs[0], xs[1])
    for x in xs[2:]:
        out += x
    return out
