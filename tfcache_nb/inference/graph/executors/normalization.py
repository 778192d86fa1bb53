"""The normalization family's executors (TF.js executors/normalization_executor)."""

from __future__ import annotations

import numpy as np

from ... import ops
from ..registry import ExecutionContext, Executor, Params
from .reduction import reduce_axes

F32, F64 = np.float32, np.float64


def euclidean_norm(p: Params, ctx: ExecutionContext) -> np.ndarray:
    """sqrt(sum(x^2)) over the axes (no axes: |x|); squares in float32, the sum in float64."""
    x = np.asarray(p.x)
    if x.dtype == object or x.dtype == np.bool_:
        raise TypeError(f"EuclideanNorm needs a numeric tensor, not {x.dtype}")
    axes = reduce_axes(p.axis, x.ndim)
    sq = np.square(x.astype(F32))
    return np.sqrt(np.sum(sq, axis=axes, keepdims=bool(p.keep_dims), dtype=F64)).astype(F32)


def _channel(v: np.ndarray, channels: int, name: str) -> np.ndarray:
    flat = np.asarray(v).reshape(-1)
    if flat.size not in (1, channels):
        raise ValueError(f"the {name} has {flat.size} values; the input has {channels} channels")
    return flat


def fused_batch_norm(p: Params, ctx: ExecutionContext) -> np.ndarray:
    """Inference batch norm over the last axis (``ops.batch_norm``, the kernel every runtime shares)."""
    fmt = str(p.data_format or "NHWC").upper()
    if fmt not in ("NHWC", "NDHWC"):
        raise ValueError(f"data_format {fmt} is not supported (only channels last)")
    x = np.asarray(p.x)
    if x.ndim == 0:
        raise ValueError("FusedBatchNorm needs a tensor of rank 1 or more, not a scalar")
    c = x.shape[-1]
    scale, offset = _channel(p.scale, c, "scale"), _channel(p.offset, c, "offset")
    mean, var = _channel(p.mean, c, "mean"), _channel(p.variance, c, "variance")
    return ops.batch_norm(x, scale, offset, mean, var, float(p.epsilon))


def lrn(p: Params, ctx: ExecutionContext) -> np.ndarray:
    """Local response normalisation across channels: x * (bias + alpha * sum(x^2 over 2r+1 channels))^-beta."""
    x = np.asarray(p.x)
    if x.ndim not in (3, 4):
        raise ValueError(f"LRN needs a tensor of rank 3 or 4, not shape {x.shape}")
    r = int(p.depth_radius)
    if r < 0:
        raise ValueError(f"depth_radius must not be negative, not {r}")
    x64 = x.astype(F32).astype(F64)
    sq = x64 * x64
    c = x.shape[-1]
    total = np.zeros_like(sq)
    for d in range(-r, r + 1):  # window offsets in order, so each sum adds in TF.js's order
        lo, hi = max(0, -d), min(c, c - d)
        if hi > lo:
            total[..., lo:hi] += sq[..., lo + d:hi + d]
    return (x64 * np.power(float(p.bias) + float(p.alpha) * total, -float(p.beta))).astype(F32)


def _last_axis_input(p: Params, op: str) -> np.ndarray | None:
    """The float32 input of a softmax over the last axis, or None when it is empty."""
    x = np.asarray(p.x)
    if x.ndim == 0:
        raise ValueError(f"{op} needs a tensor of rank 1 or more, not a scalar")
    return x.astype(F32, copy=False) if x.size else None


def softmax(p: Params, ctx: ExecutionContext) -> np.ndarray:
    x = _last_axis_input(p, "Softmax")
    return np.zeros(np.shape(p.x), F32) if x is None else ops.softmax(x, axis=-1)


def log_softmax(p: Params, ctx: ExecutionContext) -> np.ndarray:
    """x - max - log(sum(exp(x - max))) over the last axis (the sum in float64)."""
    x = _last_axis_input(p, "LogSoftmax")
    if x is None:
        return np.zeros(np.shape(p.x), F32)
    shifted = x - x.max(axis=-1, keepdims=True)
    total = np.sum(np.exp(shifted), axis=-1, keepdims=True, dtype=F64).astype(F32)
    return shifted - np.log(total)


EXECUTORS: dict[str, Executor] = {
    "EuclideanNorm": euclidean_norm,
    "FusedBatchNorm": fused_batch_norm,
    "FusedBatchNormV2": fused_batch_norm,
    "FusedBatchNormV3": fused_batch_norm,
    "LRN": lrn,
    "Softmax": softmax,
    "LogSoftmax": log_softmax,
}
