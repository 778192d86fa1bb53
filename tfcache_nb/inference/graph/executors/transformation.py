"""The transformation family's executors (TF.js executors/transformation_executor).

Shapes and dtypes only: casts as TF.js's CPU kernel casts (float -> int32 truncates like
``Int32Array.from``; to bool is ``x != 0``), reshapes, pads and block rearrangements.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from ...ops.padding import pad_constant
from ..registry import ExecutionContext, Executor, Params
from ..tensor_rules import normalize_axis
from ..tfjs_dtypes import INT32, store

_NUMPY = {"float32": np.float32, "int32": np.int32, "bool": np.bool_, "complex64": np.complex64}


def cast(p: Params, ctx: ExecutionContext) -> np.ndarray:
    return cast_to(np.asarray(p.x), p.dtype)


def cast_to(x: np.ndarray, dtype: str) -> np.ndarray:
    """``tf.cast(x, dtype)`` with TF.js's conversions."""
    is_string = x.dtype == object or x.dtype.kind in "US"
    if (dtype == "string") != is_string:
        raise TypeError(f"cannot cast a {x.dtype} tensor to {dtype}: only strings cast to strings")
    if dtype == "string":
        return x
    if dtype not in _NUMPY:
        raise TypeError(f"cannot cast to {dtype}")
    if x.dtype.kind == "c" and dtype != "complex64":
        x = x.real
    if dtype == "int32":
        return store(x, INT32)
    if dtype == "bool":
        return x != 0
    return x.astype(_NUMPY[dtype], copy=False)


def expand_dims(p: Params, ctx: ExecutionContext) -> np.ndarray:
    x = np.asarray(p.x)
    axis = int(p.axis)
    if not -(x.ndim + 1) <= axis <= x.ndim:
        raise ValueError(f"expand_dims axis {axis} is out of range for a tensor of rank {x.ndim}")
    return np.expand_dims(x, axis)


def squeeze(p: Params, ctx: ExecutionContext) -> np.ndarray:
    x = np.asarray(p.x)
    if not p.axis:  # no axis (or an empty list): every dimension of size 1
        return x.reshape(tuple(d for d in x.shape if d != 1))
    axes = sorted({normalize_axis(a, x.ndim) for a in p.axis})
    for a in axes:
        if x.shape[a] != 1:
            raise ValueError(f"cannot squeeze axis {a} of shape {list(x.shape)}: its size is not 1")
    return x.reshape(tuple(d for i, d in enumerate(x.shape) if i not in axes))


def reshape(p: Params, ctx: ExecutionContext) -> np.ndarray:
    x = np.asarray(p.x)
    return x.reshape(reshape_target(x.size, [int(d) for d in p.shape]))


def reshape_target(size: int, shape: list[int]) -> tuple[int, ...]:
    """The shape with its one -1 filled in so that it holds ``size`` elements."""
    if shape.count(-1) > 1 or any(d < -1 for d in shape):
        raise ValueError(f"shape {shape} may have one -1 and no other negative size")
    known = math.prod(d for d in shape if d != -1)
    if -1 in shape:
        if known == 0 or size % known:
            raise ValueError(f"cannot reshape {size} elements to {shape}")
        shape = [size // known if d == -1 else d for d in shape]
    elif known != size:
        raise ValueError(f"cannot reshape {size} elements to {shape}")
    return tuple(shape)


def ensure_shape(p: Params, ctx: ExecutionContext) -> np.ndarray:
    x = np.asarray(p.x)
    expected = p.shape if p.shape is not None else p.shape_attr
    if expected is not None:  # None: unknown rank, anything goes
        expected = [int(d) for d in expected]
        if len(expected) != x.ndim or any(e not in (-1, d) for e, d in zip(expected, x.shape)):
            raise ValueError(f"tensor of shape {list(x.shape)} is not compatible with the expected shape {expected}")
    return x


def _pairs(flat: Sequence[int], rank: int, what: str) -> list[tuple[int, int]]:
    values = [int(v) for v in flat]
    if len(values) != 2 * rank:
        raise ValueError(f"{what} {values} must hold two numbers for each of the {rank} dimensions")
    return [(values[2 * i], values[2 * i + 1]) for i in range(rank)]


def _fill_value(value: float, dtype: np.dtype):
    if dtype.kind in "iu":
        return int(store(np.array([value]), INT32)[0])
    if dtype == np.bool_:
        return bool(value)
    return value


def pad(p: Params, ctx: ExecutionContext) -> np.ndarray:
    x = np.asarray(p.x)
    if x.ndim == 0:
        raise ValueError("pad of a scalar is not defined")
    pads = _pairs(p.padding, x.ndim, "paddings")
    if any(a < 0 or b < 0 for a, b in pads):
        raise ValueError(f"paddings {pads} must not be negative")
    return pad_constant(x, pads, _fill_value(p.constant_value, x.dtype))


def mirror_pad(p: Params, ctx: ExecutionContext) -> np.ndarray:
    x = np.asarray(p.x)
    mode = str(p.mode).lower()
    if mode not in ("reflect", "symmetric"):
        raise ValueError(f"mirror pad mode must be REFLECT or SYMMETRIC, got {p.mode!r}")
    if x.ndim == 0:
        raise ValueError("mirror pad of a scalar is not defined")
    pads = _pairs(p.padding, x.ndim, "paddings")
    offset = 1 if mode == "reflect" else 0
    for dim, (a, b) in enumerate(pads):
        limit = x.shape[dim] - offset
        if not (0 <= a <= limit and 0 <= b <= limit):
            raise ValueError(f"paddings {pads[dim]} of dimension {dim} must be in [0, {limit}] "
                             f"for {mode} padding of shape {list(x.shape)}")
    return np.pad(x, pads, mode=mode)


def space_to_batch_nd(p: Params, ctx: ExecutionContext) -> np.ndarray:
    x = np.asarray(p.x)
    block = [int(b) for b in p.block_shape]
    m = len(block)
    if x.ndim < 1 + m or any(b < 1 for b in block):
        raise ValueError(f"space_to_batch: block shape {block} does not fit a tensor of rank {x.ndim}")
    pads = _pairs(p.paddings, m, "paddings")
    if any(a < 0 or b < 0 for a, b in pads):
        raise ValueError(f"paddings {pads} must not be negative")
    full = np.pad(x, [(0, 0)] + pads + [(0, 0)] * (x.ndim - 1 - m))
    spatial = full.shape[1:1 + m]
    if any(s % b for s, b in zip(spatial, block)):
        raise ValueError(f"padded spatial shape {list(spatial)} is not divisible by the block shape {block}")
    batch, rest = full.shape[0], full.shape[1 + m:]
    split = [batch]
    for s, b in zip(spatial, block):
        split += [s // b, b]
    y = full.reshape(split + list(rest))
    # (batch, s1, b1, s2, b2, ..., rest) -> (b1, b2, ..., batch, s1, s2, ..., rest)
    order = [2 + 2 * i for i in range(m)] + [0] + [1 + 2 * i for i in range(m)] + list(range(1 + 2 * m, y.ndim))
    y = y.transpose(order)
    return y.reshape([batch * math.prod(block)] + [s // b for s, b in zip(spatial, block)] + list(rest))


def batch_to_space_nd(p: Params, ctx: ExecutionContext) -> np.ndarray:
    x = np.asarray(p.x)
    block = [int(b) for b in p.block_shape]
    m = len(block)
    prod = math.prod(block)
    if x.ndim < 1 + m or any(b < 1 for b in block) or x.shape[0] % prod:
        raise ValueError(f"batch_to_space: block shape {block} does not fit a tensor of shape {list(x.shape)}")
    crops = _pairs(p.crops, m, "crops")
    batch = x.shape[0] // prod
    spatial, rest = x.shape[1:1 + m], x.shape[1 + m:]
    y = x.reshape(block + [batch] + list(spatial) + list(rest))
    # (b1, ..., bm, batch, s1, ..., sm, rest) -> (batch, s1, b1, s2, b2, ..., rest)
    order = [m]
    for i in range(m):
        order += [m + 1 + i, i]
    order += list(range(2 * m + 1, y.ndim))
    y = y.transpose(order).reshape([batch] + [s * b for s, b in zip(spatial, block)] + list(rest))
    region = [slice(None)]
    for dim, (a, b) in enumerate(crops):
        size = y.shape[1 + dim]
        if a < 0 or b < 0 or a + b > size:
            raise ValueError(f"crops {crops[dim]} do not fit the dimension of size {size}")
        region.append(slice(a, size - b))
    return y[tuple(region)]


def _block_format(p: Params, x: np.ndarray) -> tuple[int, bool, tuple[int, int, int, int]]:
    """Block size, whether the layout is NHWC, and the (n, h, w, c) sizes."""
    bs = int(p.block_size)
    fmt = str(p.data_format).upper()
    if x.ndim != 4:
        raise ValueError(f"{p.node.op} needs a 4-D tensor, got shape {list(x.shape)}")
    if bs < 2:
        raise ValueError(f"block size must be at least 2, got {bs}")
    if fmt not in ("NHWC", "NCHW"):
        raise ValueError(f"data format must be NHWC or NCHW, got {p.data_format!r}")
    n, a, b, c = x.shape
    return (bs, True, (n, a, b, c)) if fmt == "NHWC" else (bs, False, (n, b, c, a))


def depth_to_space(p: Params, ctx: ExecutionContext) -> np.ndarray:
    """Depth moves into blocks in DCR order: output (h*bs+i, w*bs+j, c) reads channel (i*bs+j)*C'+c."""
    x = np.asarray(p.x)
    bs, nhwc, (n, h, w, c) = _block_format(p, x)
    if c % (bs * bs):
        raise ValueError(f"depth {c} is not divisible by block_size**2 = {bs * bs}")
    cn = c // (bs * bs)
    if nhwc:
        y = x.reshape(n, h, w, bs, bs, cn).transpose(0, 1, 3, 2, 4, 5)
        return y.reshape(n, h * bs, w * bs, cn)
    y = x.reshape(n, bs, bs, cn, h, w).transpose(0, 3, 4, 1, 5, 2)
    return y.reshape(n, cn, h * bs, w * bs)


def space_to_depth(p: Params, ctx: ExecutionContext) -> np.ndarray:
    """DepthToSpace's inverse: each bs x bs block becomes bs*bs*C channels, (i*bs+j)*C+c."""
    x = np.asarray(p.x)
    bs, nhwc, (n, h, w, c) = _block_format(p, x)
    if h % bs or w % bs:
        raise ValueError(f"height {h} and width {w} must be divisible by the block size {bs}")
    if nhwc:
        y = x.reshape(n, h // bs, bs, w // bs, bs, c).transpose(0, 1, 3, 2, 4, 5)
        return y.reshape(n, h // bs, w // bs, bs * bs * c)
    y = x.reshape(n, c, h // bs, bs, w // bs, bs).transpose(0, 3, 5, 1, 2, 4)
    return y.reshape(n, bs * bs * c, h // bs, w // bs)


def broadcast_to(p: Params, ctx: ExecutionContext) -> np.ndarray:
    x = np.asarray(p.x)
    shape = [int(d) for d in p.shape]
    if any(d < 0 for d in shape):
        raise ValueError(f"broadcast shape {shape} has a negative size")
    if len(shape) < x.ndim:
        raise ValueError(f"cannot broadcast shape {list(x.shape)} to the shorter {shape}")
    padded = (1,) * (len(shape) - x.ndim) + x.shape
    if any(a != b and a != 1 for a, b in zip(padded, shape)):
        raise ValueError(f"cannot broadcast shape {list(x.shape)} to {shape}")
    return np.broadcast_to(x.reshape(padded), shape).copy()


def broadcast_args(p: Params, ctx: ExecutionContext) -> np.ndarray:
    s0, s1 = np.asarray(p.s0), np.asarray(p.s1)
    if s0.ndim != 1 or s1.ndim != 1:
        raise ValueError(f"broadcast_args needs two shape vectors, got ranks {s0.ndim} and {s1.ndim}")
    a, b = [int(v) for v in s0], [int(v) for v in s1]
    n = max(len(a), len(b))
    a, b = [1] * (n - len(a)) + a, [1] * (n - len(b)) + b
    out = []
    for da, db in zip(a, b):
        if da != db and da != 1 and db != 1:
            raise ValueError(f"shapes {s0.tolist()} and {s1.tolist()} cannot be broadcast together")
        out.append(db if da == 1 else da)
    return np.array(out, np.int32)


EXECUTORS: dict[str, Executor] = {
    "Cast": cast, "ExpandDims": expand_dims, "MirrorPad": mirror_pad, "Pad": pad, "PadV2": pad,
    "Reshape": reshape, "EnsureShape": ensure_shape, "Squeeze": squeeze, "SpaceToBatchND": space_to_batch_nd,
    "BatchToSpaceND": batch_to_space_nd, "DepthToSpace": depth_to_space, "SpaceToDepth": space_to_depth,
    "BroadcastTo": broadcast_to, "BroadcastArgs": broadcast_args,
}
