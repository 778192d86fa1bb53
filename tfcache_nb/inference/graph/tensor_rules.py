"""Small rules TF.js applies to tensor arguments: axes and integer indices.

Shared by the shape-moving families (slice_join, transformation, dynamic, evaluation), so that
a negative axis or a float index tensor is handled one way.
"""

from __future__ import annotations

from typing import Iterable

import numpy as np

from .tfjs_dtypes import INT32, store


def normalize_axis(axis: int, rank: int, what: str = "axis") -> int:
    """``axis`` in ``[0, rank)``, counting negative axes from the end (TF.js's parseAxisParam)."""
    axis = int(axis)
    if not -rank <= axis < rank:
        raise ValueError(f"{what} {axis} is out of range for a tensor of rank {rank}")
    return axis + rank if axis < 0 else axis


def normalize_axes(axes: Iterable[int], rank: int) -> list[int]:
    return [normalize_axis(a, rank) for a in axes]


def int_indices(indices: np.ndarray) -> np.ndarray:
    """An index tensor as int64 for numpy; float indices truncate as TF.js's cast to int32 does."""
    a = np.asarray(indices)
    if a.dtype.kind == "f":
        return store(a, INT32).astype(np.int64)
    if a.dtype.kind not in "iub":
        raise TypeError(f"indices must be numbers, got {a.dtype}")
    return a.astype(np.int64, copy=False)
