"""Small rules TF.js applies to every tensor argument: axes, integer indices, dtypes.

Shared by the shape-moving families (slice_join, transformation, dynamic, evaluation), so that
a negative axis, a float index tensor or an int64 leaking out of numpy is handled one way.
"""

from __future__ import annotations

from typing import Iterable

import numpy as np

#: numpy dtypes TF.js has (string tensors are object arrays)
TFJS_DTYPES = (np.dtype(np.float32), np.dtype(np.int32), np.dtype(np.bool_), np.dtype(np.complex64),
               np.dtype(object))


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
        return js_int32(a).astype(np.int64)
    if a.dtype.kind not in "iub":
        raise TypeError(f"indices must be numbers, got {a.dtype}")
    return a.astype(np.int64, copy=False)


def js_int32(x: np.ndarray) -> np.ndarray:
    """Numbers as JavaScript's ``Int32Array.from`` stores them: truncated toward zero, NaN and
    the infinities to 0, values outside int32 wrapped modulo 2**32."""
    a = np.asarray(x)
    if a.dtype.kind in "iu":
        return a.astype(np.int32) if a.dtype.itemsize <= 4 else _wrap(a.astype(np.int64))
    if a.dtype.kind == "b":
        return a.astype(np.int32)
    f = np.asarray(a, np.float64)
    if f.size == 0 or (np.all(np.isfinite(f)) and f.min() > -2 ** 31 - 1 and f.max() < 2 ** 31):
        return np.trunc(f).astype(np.int32)
    t = np.trunc(np.where(np.isfinite(f), f, 0.0))
    return _wrap(np.fmod(t, 2.0 ** 32).astype(np.int64))


def _wrap(v: np.ndarray) -> np.ndarray:
    return ((v + 2 ** 31) % 2 ** 32 - 2 ** 31).astype(np.int32)


def as_tfjs_dtype(a: np.ndarray) -> np.ndarray:
    """``a`` in the TF.js dtype of its kind (int64 -> int32, float64 -> float32), unchanged if it is one."""
    a = np.asarray(a)
    if a.dtype in TFJS_DTYPES:
        return a
    kind = a.dtype.kind
    if kind in "iu":
        return a.astype(np.int32)
    if kind == "f":
        return a.astype(np.float32)
    if kind == "c":
        return a.astype(np.complex64)
    if kind in "US":
        return a.astype(object)
    raise TypeError(f"no TF.js dtype for {a.dtype}")
