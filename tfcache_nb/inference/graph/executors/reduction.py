"""The reduction family's executors (TF.js executors/reduction_executor).

Dtypes as TF.js: Sum and Prod of int32 or bool are int32, Mean is float32, Max/Min keep the
input's dtype, All/Any are bool, ArgMax/ArgMin int32. Float sums and products accumulate in
float64 and round once, as the JavaScript kernels do with their double accumulator.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from ...ops.mean import mean
from ..registry import ExecutionContext, Executor, Params

F32, F64, I32 = np.float32, np.float64, np.int32


def reduce_axes(axes: Sequence[int], rank: int) -> tuple[int, ...]:
    """Axes as non-negative ints, checked against the rank (a negative axis counts from the end)."""
    out = []
    for a in axes:
        a = int(a)
        if not -max(rank, 1) <= a < max(rank, 1):
            raise ValueError(f"axis {a} is out of range for rank {rank}")
        a = a % rank if rank else 0
        if a in out:
            raise ValueError(f"axis {a} is repeated in {list(axes)}")
        out.append(a)
    return tuple(sorted(out)) if rank else ()


def _numeric(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x)
    if x.dtype == object:
        raise TypeError("cannot reduce a string tensor")
    return x


def _sum_like(x: np.ndarray, axes: tuple[int, ...], keep: bool, fn) -> np.ndarray:
    if x.dtype == np.bool_ or x.dtype.kind in "iu":
        return fn(x, axis=axes, keepdims=keep, dtype=np.int64).astype(I32)
    return fn(x, axis=axes, keepdims=keep, dtype=F64).astype(F32)


def sum_op(p: Params, ctx: ExecutionContext) -> np.ndarray:
    x = _numeric(p.x)
    return _sum_like(x, reduce_axes(p.axis, x.ndim), bool(p.keep_dims), np.sum)


def prod_op(p: Params, ctx: ExecutionContext) -> np.ndarray:
    x = _numeric(p.x)
    return _sum_like(x, reduce_axes(p.axis, x.ndim), bool(p.keep_dims), np.prod)


def mean_op(p: Params, ctx: ExecutionContext) -> np.ndarray:
    """TF.js's mean (``ops.mean``, shared with Keras's global average pooling)."""
    x = _numeric(p.x)
    return mean(x, reduce_axes(p.axis, x.ndim), bool(p.keep_dims))


def _extreme(p: Params, fn) -> np.ndarray:
    x = _numeric(p.x)
    axes = reduce_axes(p.axis, x.ndim)
    if x.dtype not in (F32, I32, np.bool_):
        x = x.astype(F32)
    if x.size == 0 and any(x.shape[a] == 0 for a in axes):
        shape = [1 if a in axes else d for a, d in enumerate(x.shape)] if p.keep_dims else \
            [d for a, d in enumerate(x.shape) if a not in axes]
        return np.full(shape, np.nan if x.dtype == F32 else 0, x.dtype)  # TF.js reads past the end
    return fn(x, axis=axes, keepdims=bool(p.keep_dims))


def max_op(p: Params, ctx: ExecutionContext) -> np.ndarray:
    return _extreme(p, np.max)


def min_op(p: Params, ctx: ExecutionContext) -> np.ndarray:
    return _extreme(p, np.min)


def all_op(p: Params, ctx: ExecutionContext) -> np.ndarray:
    x = np.asarray(p.x).astype(np.bool_)
    return np.all(x, axis=reduce_axes(p.axis, x.ndim), keepdims=bool(p.keep_dims))


def any_op(p: Params, ctx: ExecutionContext) -> np.ndarray:
    x = np.asarray(p.x).astype(np.bool_)
    return np.any(x, axis=reduce_axes(p.axis, x.ndim), keepdims=bool(p.keep_dims))


def _arg(p: Params, largest: bool) -> np.ndarray:
    """Index of the first maximum (minimum); NaN is skipped unless it comes first, as TF.js compares."""
    x = _numeric(p.x)
    if x.ndim == 0:
        raise ValueError("ArgMax/ArgMin need a tensor of rank 1 or more, not a scalar")
    axis, = reduce_axes([p.axis], x.ndim)
    if x.shape[axis] == 0:
        return np.zeros(x.shape[:axis] + x.shape[axis + 1:], I32)
    if x.dtype == np.bool_:
        x = x.astype(I32)
    if x.dtype.kind == "f":
        nan = np.isnan(x)
        if nan.any():
            first_nan = np.take(nan, [0], axis=axis)
            x = np.where(nan, -np.inf if largest else np.inf, x)
            idx = np.argmax(x, axis=axis) if largest else np.argmin(x, axis=axis)
            return np.where(np.squeeze(first_nan, axis), 0, idx).astype(I32)
    return (np.argmax(x, axis=axis) if largest else np.argmin(x, axis=axis)).astype(I32)


def argmax_op(p: Params, ctx: ExecutionContext) -> np.ndarray:
    return _arg(p, True)


def argmin_op(p: Params, ctx: ExecutionContext) -> np.ndarray:
    return _arg(p, False)


def _cumulative(p: Params, fn, identity: int) -> np.ndarray:
    """Cumsum / Cumprod along one axis, optionally exclusive and / or reversed (float32 steps, as TF.js)."""
    x = _numeric(p.x)
    if x.ndim == 0:
        raise ValueError("a cumulative op needs a tensor of rank 1 or more, not a scalar")
    axis, = reduce_axes([p.axis], x.ndim)
    dtype = F32 if x.dtype.kind == "f" else I32
    x = x.astype(dtype, copy=False)
    if x.size == 0:
        return np.zeros(x.shape, dtype)
    if p.reverse:
        x = np.flip(x, axis)
    y = fn(x, axis=axis, dtype=dtype)
    if p.exclusive:
        first = np.full_like(np.take(y, [0], axis=axis), identity)
        y = np.concatenate([first, np.delete(y, -1, axis=axis)], axis=axis)
    if p.reverse:
        y = np.flip(y, axis)
    return np.ascontiguousarray(y)


def cumsum_op(p: Params, ctx: ExecutionContext) -> np.ndarray:
    return _cumulative(p, np.cumsum, 0)


def cumprod_op(p: Params, ctx: ExecutionContext) -> np.ndarray:
    return _cumulative(p, np.cumprod, 1)


def _bincount_rows(x: np.ndarray, size: int, weights: np.ndarray, binary: bool) -> np.ndarray:
    """One histogram of ``size`` bins per row of the 2-D ``x``, in the weights' dtype."""
    if size < 0:
        raise ValueError(f"size must not be negative, not {size}")
    if weights.size not in (0, x.size):
        raise ValueError(f"weights must have the shape of x {x.shape} or be empty, not {weights.shape}")
    if (x < 0).any():
        raise ValueError("bincount input must not be negative")
    dtype = I32 if weights.dtype.kind in "iub" else F32
    out = np.zeros((x.shape[0], size), dtype)
    rows = np.broadcast_to(np.arange(x.shape[0])[:, None], x.shape)
    keep = x < size
    if binary:
        out[rows[keep], x[keep]] = 1
    else:
        w = np.ones(x.shape, dtype) if weights.size == 0 else weights.reshape(x.shape).astype(dtype)
        np.add.at(out, (rows[keep], x[keep]), w[keep])  # in input order, one float32 rounding per add
    return out


def bincount_op(p: Params, ctx: ExecutionContext) -> np.ndarray:
    x = np.asarray(p.x).astype(np.int64)
    if x.ndim != 1:
        raise ValueError(f"Bincount needs a 1-D input, not shape {x.shape}")
    return _bincount_rows(x[None], int(p.size), np.asarray(p.weights), False)[0]


def dense_bincount_op(p: Params, ctx: ExecutionContext) -> np.ndarray:
    x = np.asarray(p.x).astype(np.int64)
    if x.ndim == 1:  # TF.js ignores binary_output for a 1-D input
        return _bincount_rows(x[None], int(p.size), np.asarray(p.weights), False)[0]
    if x.ndim != 2:
        raise ValueError(f"DenseBincount needs a 1-D or 2-D input, not shape {x.shape}")
    return _bincount_rows(x, int(p.size), np.asarray(p.weights), bool(p.binary_output))


EXECUTORS: dict[str, Executor] = {
    "Bincount": bincount_op,
    "DenseBincount": dense_bincount_op,
    "Max": max_op,
    "Mean": mean_op,
    "Min": min_op,
    "Sum": sum_op,
    "All": all_op,
    "Any": any_op,
    "ArgMax": argmax_op,
    "ArgMin": argmin_op,
    "Prod": prod_op,
    "Cumprod": cumprod_op,
    "Cumsum": cumsum_op,
}
