"""The creation family's executors (TF.js executors/creation_executor).

Range and LinSpace build their values as TF.js's CPU kernels do, each from the one before
(``v[i] = v[i-1] + step`` in float32), so they drift exactly as TF.js's do; Range keeps TF.js's
quirks (``Range(5, 0, 1)`` counts down; a fractional step in int32 is truncated at each step).

The random ops (RandomUniform, RandomUniformInt, RandomStandardNormal, TruncatedNormal,
Multinomial) draw from numpy's generator: the distributions are TF's, but the values cannot be
TF.js's (TF.js ignores the seed of RandomUniform and draws from Math.random), so a model that
uses them will never match TF.js's outputs value for value. With a nonzero seed or seed2 a node
repeats the same sequence from one model load to the next; each run draws new values.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from ..registry import ExecutionContext, Executor, Params
from ..tfjs_dtypes import BOOL, FLOAT32, INT32, NUMPY, STRING, dtype_of, require, store

MAX_ELEMENTS = 2 ** 31 - 1


def shape_of(op: str, dims: Sequence[float]) -> tuple[int, ...]:
    """A shape given as numbers: whole, non-negative, and not absurdly large."""
    shape = tuple(int(d) for d in dims)
    if any(d < 0 or d != float(v) for d, v in zip(shape, dims)):
        raise ValueError(f"{op} needs a shape of non-negative whole numbers, got {list(dims)}")
    if math.prod(shape) > MAX_ELEMENTS:
        raise ValueError(f"{op}: shape {list(shape)} has more than {MAX_ELEMENTS} elements")
    return shape


def _scalar(value: float, dtype: str) -> np.ndarray:
    """One value as TF.js stores it in a tensor of ``dtype`` (2.7 in int32 is 2, 0.5 in bool false)."""
    if dtype == STRING:
        raise TypeError("a string tensor cannot be filled with a number")
    if dtype == FLOAT32:
        return np.float32(value)
    return store(np.float64(value), dtype)


def _fill(p: Params, ctx: ExecutionContext) -> np.ndarray:
    return np.full(shape_of("Fill", p.shape), _scalar(p.value, p.dtype), NUMPY[p.dtype])


def _constant(value: float) -> Executor:
    def run(p: Params, ctx: ExecutionContext) -> np.ndarray:
        return np.full(shape_of(p.node.op, p.shape), _scalar(value, p.dtype), NUMPY[p.dtype])
    return run


def _like(value: int) -> Executor:
    def run(p: Params, ctx: ExecutionContext) -> np.ndarray:
        if dtype_of(p.x) == STRING:
            raise TypeError(f"{p.node.op} needs a numeric tensor, got string")
        return np.full(p.x.shape, value, p.x.dtype)
    return run


def _accumulate(first: float, step: float, n: int) -> np.ndarray:
    """``v[0] = first, v[i] = float32(v[i-1] + step)``, TF.js's loop (``step`` a float32 value)."""
    values = np.full(n, np.float32(step), np.float32)
    if n:
        values[0] = first
    return np.add.accumulate(values, dtype=np.float32)


def _linspace(p: Params, ctx: ExecutionContext) -> np.ndarray:
    num = int(p.num)
    if num <= 0 or num != p.num:
        raise ValueError(f"LinSpace needs a positive whole number of values, got {p.num}")
    if num > MAX_ELEMENTS:
        raise ValueError(f"LinSpace: {num} values are too many")
    step = (p.stop - p.start) / (num - 1) if num > 1 else 0.0
    if np.float32(step) == step:
        return _accumulate(p.start, step, num)
    # a step finer than float32: TF.js adds the double to each float32 value, one after the other
    values = np.empty(num, np.float32)
    v = np.float32(p.start)
    for i in range(num):
        values[i] = v
        v = np.float32(float(v) + step)
    return values


def _range(p: Params, ctx: ExecutionContext) -> np.ndarray:
    """TF.js's rangeImpl, quirks included; int32 ranges truncate at each step as an Int32Array does."""
    start, stop, step, dtype = p.start, p.stop, p.step, p.dtype
    if dtype not in (FLOAT32, INT32):
        raise TypeError(f"Range makes float32 or int32 tensors, not {dtype}")
    if step == 0:
        raise ValueError("Range cannot have a step of zero")
    if start == stop or (start < stop and step < 0) or (stop < start and step > 1):
        return np.zeros(0, NUMPY[dtype])
    count = abs(math.ceil((stop - start) / step))
    if count > MAX_ELEMENTS:
        raise ValueError(f"Range({start}, {stop}, {step}) has too many values")
    if stop < start and step == 1:
        step = -1
    if dtype == FLOAT32:
        return _accumulate(start, step, count)
    if type(start) is int and type(step) is int and -2 ** 31 <= start < 2 ** 31:
        first = start  # (whole numbers in int32's range: no rounding or wrapping to do)
    else:
        first = int(store(np.float64(start), INT32))
    if float(step).is_integer():
        last = first + (count - 1) * int(step)
        if -2 ** 31 <= min(first, last) and max(first, last) < 2 ** 31:
            return np.arange(first, last + (1 if step > 0 else -1), int(step), dtype=np.int32)
        return store(first + np.arange(count, dtype=np.float64) * step, INT32)  # wraps as an Int32Array
    values = np.empty(count, np.int32)  # a fractional step: each value truncated before the next
    v = first
    for i in range(count):
        values[i] = v
        v = int(store(np.float64(v + step), INT32))
    return values


def _one_hot(p: Params, ctx: ExecutionContext) -> np.ndarray:
    """``onValue`` at each index along a new axis of ``depth`` (last by default), ``offValue`` elsewhere."""
    indices = p.indices
    require("OneHot", indices, INT32, BOOL)
    depth, axis = int(p.depth), int(p.axis)
    if depth < 0:
        raise ValueError(f"OneHot needs a depth of at least 0, got {depth}")
    if not -1 <= axis <= indices.ndim:
        raise ValueError(f"OneHot: axis {axis} is out of range for indices of rank {indices.ndim}")
    hot = indices.astype(np.int64)[..., None] == np.arange(depth)
    out = np.where(hot, _scalar(p.onValue, p.dtype), _scalar(p.offValue, p.dtype)).astype(NUMPY[p.dtype])
    return out if axis == -1 else np.moveaxis(out, -1, axis)


def _generator(p: Params, ctx: ExecutionContext) -> np.random.Generator:
    """The node's own generator, seeded by (seed, seed2) when either is set, kept across runs."""
    state = ctx.state(p.node)
    if "rng" not in state:
        seeds = [int(p.seed), int(p.seed2)]
        state["rng"] = np.random.default_rng(seeds if any(seeds) else None)
    return state["rng"]


def _real_dtype(op: str, dtype: str) -> np.dtype:
    if dtype != FLOAT32:
        raise TypeError(f"{op} makes float32 tensors, not {dtype}")
    return NUMPY[dtype]


def _random_uniform(p: Params, ctx: ExecutionContext) -> np.ndarray:
    shape = shape_of("RandomUniform", p.shape)
    lo, hi = float(p.minval), float(p.maxval)
    values = _generator(p, ctx).uniform(lo, hi, shape)
    if p.dtype == INT32:
        return np.floor(values).astype(np.int32)
    return values.astype(_real_dtype("RandomUniform", p.dtype))


def _random_uniform_int(p: Params, ctx: ExecutionContext) -> np.ndarray:
    lo = p.minval if p.minval is not None else p.minvalAttr
    hi = p.maxval if p.maxval is not None else p.maxvalAttr
    if lo is None or hi is None:
        raise ValueError("RandomUniformInt needs minval and maxval")
    if int(lo) >= int(hi):
        raise ValueError(f"RandomUniformInt needs minval < maxval, got {lo} and {hi}")
    shape = shape_of("RandomUniformInt", p.shape)
    return _generator(p, ctx).integers(int(lo), int(hi), shape).astype(np.int32)


def _random_normal(p: Params, ctx: ExecutionContext) -> np.ndarray:
    shape = shape_of("RandomStandardNormal", p.shape)
    return _generator(p, ctx).standard_normal(shape).astype(_real_dtype("RandomStandardNormal", p.dtype))


def _truncated_normal(p: Params, ctx: ExecutionContext) -> np.ndarray:
    """Normal values, those farther than two deviations from the mean drawn again."""
    shape = shape_of("TruncatedNormal", p.shape)
    rng = _generator(p, ctx)
    values = rng.standard_normal(shape)
    far = np.abs(values) > 2
    while far.any():
        values[far] = rng.standard_normal(int(far.sum()))
        far = np.abs(values) > 2
    return (values * float(p.stdDev) + float(p.mean)).astype(_real_dtype("TruncatedNormal", p.dtype))


def _multinomial(p: Params, ctx: ExecutionContext) -> np.ndarray:
    """``numSamples`` class indices per row of logits (rank 1 or 2), drawn by their softmax."""
    logits = p.logits
    require("Multinomial", logits, FLOAT32, INT32)
    if logits.ndim not in (1, 2) or logits.shape[-1] == 0:
        raise ValueError(f"Multinomial needs logits of shape [classes] or [batch, classes], got {logits.shape}")
    samples = int(p.numSamples)
    if samples < 0:
        raise ValueError(f"Multinomial needs a non-negative number of samples, got {samples}")
    rows = np.atleast_2d(logits).astype(np.float64)
    probs = np.exp(rows - rows.max(axis=1, keepdims=True))
    cdf = np.cumsum(probs, axis=1)
    cdf /= cdf[:, -1:]
    draws = _generator(p, ctx).random((rows.shape[0], samples))
    picks = np.stack([np.searchsorted(c, d, side="right") for c, d in zip(cdf, draws)]) if samples else \
        np.zeros((rows.shape[0], 0), np.int64)
    picks = np.minimum(picks, rows.shape[1] - 1).astype(np.int32)
    return picks[0] if logits.ndim == 1 else picks


EXECUTORS: dict[str, Executor] = {
    "Fill": _fill,
    "LinSpace": _linspace,
    "OneHot": _one_hot,
    "Ones": _constant(1),
    "OnesLike": _like(1),
    "Zeros": _constant(0),
    "ZerosLike": _like(0),
    "Range": _range,
    "RandomStandardNormal": _random_normal,
    "RandomUniform": _random_uniform,
    "RandomUniformInt": _random_uniform_int,
    "TruncatedNormal": _truncated_normal,
    "Multinomial": _multinomial,
}
