"""The convolution family's executors (TF.js executors/convolution_executor).

Convolutions run on the fast kernels of :mod:`tfcache_nb.inference.ops`; the prepared kernel
(weights laid out, bias and batch norm folded in) is kept in the node's state while its
filter and fused arguments are the same arrays, so a constant filter is prepared once.
Only NHWC (channels last) is supported, as the TF.js converter writes it.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from ... import ops
from ...graph_def import GraphNode
from ...ops.conv_transpose import Conv2DTranspose
from ...ops.padding import Padding
from ...ops.scratch import Scratch
from ...ops.windows import conv_nd, dilation2d, max_pool_with_argmax, pool_nd
from ..fused_ops import KERNEL_ACTIVATIONS, NO_FUSED_OPS, FusedOps, parse_fused_ops
from ..registry import ExecutionContext, Executor, Params

F32 = np.float32


# ---------------------------------------------------------------------------- attributes
def _check_format(p: Params, channels_last: str = "NHWC") -> None:
    fmt = str(p.get("data_format", channels_last) or channels_last).upper()
    if fmt != channels_last:
        raise ValueError(f"data_format {fmt} is not supported (only {channels_last})")


def _pair(values: Sequence[int], name: str, rank: int = 4) -> tuple[int, ...]:
    """The spatial entries of a [1, ..., 1] strides / dilations / ksize list."""
    if len(values) == rank:
        return tuple(int(v) for v in values[1:-1])
    if len(values) == rank - 2:
        return tuple(int(v) for v in values)
    raise ValueError(f"{name} must have {rank} values, not {list(values)}")


def _padding(p: Params) -> Padding:
    """'same', 'valid', or ((top, bottom), (left, right)) from explicit_paddings."""
    pad = str(p.pad).lower()
    if pad in ("same", "valid"):
        return pad
    if pad == "explicit":
        e = [int(v) for v in p.get("explicit_paddings", [])]
        if len(e) != 8:
            raise ValueError(f"explicit padding needs 8 explicit_paddings, not {e}")
        if min(e) < 0:
            raise ValueError(f"explicit_paddings must not be negative: {e}")
        return ((e[2], e[3]), (e[4], e[5]))
    raise ValueError(f"padding {p.pad!r} is not supported (SAME, VALID or EXPLICIT)")


def _same_or_valid(p: Params, op: str) -> str:
    pad = str(p.pad).lower()
    if pad not in ("same", "valid"):
        raise ValueError(f"{op} padding {p.pad!r} is not supported (SAME or VALID)")
    return pad


def _filter(p: Params, rank: int) -> np.ndarray:
    filt = np.asarray(p.filter)
    if filt.ndim != rank:
        raise ValueError(f"the filter must have rank {rank}, not shape {filt.shape}")
    return filt


def _as_batch(x: np.ndarray, rank: int, what: str = "x") -> tuple[np.ndarray, bool]:
    """``x`` with a batch axis (rank ``rank``), and whether one was added."""
    x = np.asarray(x)
    if x.ndim == rank - 1:
        return x[None], True
    if x.ndim != rank:
        raise ValueError(f"{what} must have rank {rank - 1} or {rank}, not shape {x.shape}")
    return x, False


def _float(x: np.ndarray) -> np.ndarray:
    return x if x.dtype == F32 else x.astype(F32)


#: the graph's kernels share their work buffers; they live in this pseudo-node's state
_SCRATCH_NODE = GraphNode("\x00kernel-scratch", "", [], {})


def _scratch(ctx: ExecutionContext) -> Scratch:
    """The work buffers shared by every kernel of the graph (its nodes run one at a time)."""
    state = ctx.state(_SCRATCH_NODE)
    scratch = state.get("scratch")
    if scratch is None:
        scratch = state["scratch"] = Scratch()
    return scratch


def _cached(ctx: ExecutionContext, p: Params, arrays: Sequence[Any], build: Callable[[], Any]) -> Any:
    """The node's prepared kernel for exactly these ``arrays`` (compared by identity), built once."""
    state = ctx.state(p.node)
    entry = state.get("kernel")
    if entry is not None and len(entry[0]) == len(arrays) and all(a is b for a, b in zip(entry[0], arrays)):
        return entry[1]
    kernel = build()
    state["kernel"] = (tuple(arrays), kernel)  # the arrays are kept, so their ids stay theirs
    return kernel


# ---------------------------------------------------------------------------- convolutions
def _conv(p: Params, ctx: ExecutionContext, x: np.ndarray, depthwise: bool, fused: bool) -> np.ndarray:
    """A (fused) convolution; attributes are read and the kernel prepared once per filter array."""
    filt = p.filter
    args = p.args if fused else ()
    kernel, fo = _cached(ctx, p, [filt, *args],
                         lambda: _build_conv(p, np.asarray(filt), list(args), depthwise, fused, _scratch(ctx)))
    x4, added = _as_batch(x, 4)
    if x4.shape[3] != kernel.cin:
        raise ValueError(f"the input has {x4.shape[3]} channels; the filter expects {kernel.cin}")
    y = kernel(np.ascontiguousarray(x4, dtype=F32))
    if fo.activation not in KERNEL_ACTIVATIONS:
        y = fo.activate(y, args)
    return y[0] if added else y


def _build_conv(p: Params, filt: np.ndarray, args: list[np.ndarray], depthwise: bool, fused: bool,
                scratch: Scratch) -> tuple[Any, FusedOps]:
    """The node's kernel (weights laid out, bias folded) and its fused activation."""
    _check_format(p)
    if filt.ndim != 4:
        raise ValueError(f"the filter must have rank 4, not shape {filt.shape}")
    strides = _pair(p.strides, "strides")
    dilations = _pair(p.dilations or [1, 1, 1, 1], "dilations")
    if min(strides) < 1 or min(dilations) < 1:
        raise ValueError(f"strides {strides} and dilations {dilations} must be positive")
    padding = _padding(p)
    fo = parse_fused_ops(p.fused_ops, int(p.num_args), len(args), p.leakyrelu_alpha) if fused else NO_FUSED_OPS
    bias = fo.bias(args)
    if bias is not None:
        bias = _channel_vector(bias, filt, depthwise, "bias")
    k = _float(filt)
    cls = ops.DepthwiseConv2D if depthwise else ops.Conv2D
    kernel_act = fo.activation if fo.activation in KERNEL_ACTIVATIONS else "linear"
    return cls(k, bias, strides, padding, dilations, kernel_act, scratch=scratch), fo


def _channel_vector(v: np.ndarray, filt: np.ndarray, depthwise: bool, name: str) -> np.ndarray:
    channels = filt.shape[2] * filt.shape[3] if depthwise else filt.shape[3]
    flat = np.asarray(v, F32).reshape(-1)
    if flat.size == 1:
        return np.full(channels, flat[0], F32)
    if flat.size != channels:
        raise ValueError(f"the {name} has {flat.size} values; the convolution has {channels} output channels")
    return flat


def conv2d(p: Params, ctx: ExecutionContext) -> np.ndarray:
    return _conv(p, ctx, p.x, depthwise=False, fused=False)


def fused_conv2d(p: Params, ctx: ExecutionContext) -> np.ndarray:
    return _conv(p, ctx, p.x, depthwise=False, fused=True)


def depthwise_conv2d(p: Params, ctx: ExecutionContext) -> np.ndarray:
    return _conv(p, ctx, p.x, depthwise=True, fused=False)


def fused_depthwise_conv2d(p: Params, ctx: ExecutionContext) -> np.ndarray:
    return _conv(p, ctx, p.x, depthwise=True, fused=True)


def conv1d(p: Params, ctx: ExecutionContext) -> np.ndarray:
    """Conv1D as a Conv2D of height 1 (NWC only; 'same' or 'valid')."""
    _check_format(p, "NWC")
    x3, added = _as_batch(p.x, 3)
    filt = _filter(p, 3)
    if filt.shape[1] != x3.shape[2]:
        raise ValueError(f"the input has {x3.shape[2]} channels; the filter expects {filt.shape[1]}")
    pad = _same_or_valid(p, "Conv1D")
    stride, dilation = int(p.stride), int(p.dilation)
    if stride < 1 or dilation < 1:
        raise ValueError(f"stride {stride} and dilation {dilation} must be positive")
    kernel = _cached(ctx, p, [filt], lambda: ops.Conv2D(_float(filt)[None], None, (1, stride), pad, (1, dilation),
                                                        scratch=_scratch(ctx)))
    y = kernel(np.ascontiguousarray(_float(x3)[:, None]))[:, 0]
    return y[0] if added else y


def conv2d_backprop_input(p: Params, ctx: ExecutionContext) -> np.ndarray:
    """The transposed convolution: ``x`` is dy, ``output_shape`` the forward input's shape."""
    _check_format(p)
    if any(int(d) != 1 for d in (p.dilations or [1])):
        raise ValueError(f"Conv2DBackpropInput with dilations {p.dilations} is not supported")
    shape = [int(v) for v in p.output_shape]
    dy, added = _as_batch(p.x, 4, "the input")
    if len(shape) != dy.ndim - int(added):
        raise ValueError(f"output_shape {shape} does not match the input of shape {np.shape(p.x)}")
    if added:
        shape = [1, *shape]
    filt = _filter(p, 4)
    if shape[3] != filt.shape[2]:
        raise ValueError(f"output_shape has {shape[3]} channels; the filter makes {filt.shape[2]}")
    if shape[0] != dy.shape[0]:
        raise ValueError(f"output_shape has batch {shape[0]}; the input has {dy.shape[0]}")
    strides, padding = _pair(p.strides, "strides"), _padding(p)
    kernel = _cached(ctx, p, [filt], lambda: Conv2DTranspose(_float(filt), strides, padding, _scratch(ctx)))
    y = kernel(dy, shape[1:3])
    return y[0] if added else y


def conv3d(p: Params, ctx: ExecutionContext) -> np.ndarray:
    _check_format(p, "NDHWC")
    x5, added = _as_batch(p.x, 5)
    y = conv_nd(_float(x5), _float(_filter(p, 5)), _pair(p.strides, "strides", 5),
                _pair(p.dilations or [1] * 5, "dilations", 5), _same_or_valid(p, "Conv3D"))
    return y[0] if added else y


def dilation_2d(p: Params, ctx: ExecutionContext) -> np.ndarray:
    x4, added = _as_batch(p.x, 4)
    y = dilation2d(x4, _filter(p, 3), _pair(p.strides, "strides"), _pair(p.rates, "rates"),
                   _same_or_valid(p, "Dilation2D"))
    return y[0] if added else y


# ---------------------------------------------------------------------------- pooling
def _pool_args(p: Params, rank: int) -> tuple[tuple[int, ...], tuple[int, ...], Padding]:
    ksize, strides = _pair(p.ksize, "ksize", rank), _pair(p.strides, "strides", rank)
    if min(ksize) < 1 or min(strides) < 1:
        raise ValueError(f"ksize {ksize} and strides {strides} must be positive")
    return ksize, strides, _same_or_valid(p, "pooling")  # TF.js's pooling refuses EXPLICIT too


def _pool(p: Params, mode: str, rank: int = 4) -> np.ndarray:
    """2-D (rank 4, NHWC: the kernel every runtime shares, max keeping the input's dtype) or
    3-D (rank 5, NDHWC: float32, no identity shortcut, as TF.js's pool3d) pooling."""
    _check_format(p, "NHWC" if rank == 4 else "NDHWC")
    x, added = _as_batch(p.x, rank)
    ksize, strides, padding = _pool_args(p, rank)
    if rank == 4:
        y = ops.pool2d(x, ksize, strides, padding, mode)
        if mode == "max" and x.dtype != F32:
            y = y.astype(x.dtype)
    else:
        y = pool_nd(x, ksize, strides, padding, mode)
    return y[0] if added else y


def avg_pool(p: Params, ctx: ExecutionContext) -> np.ndarray:
    return _pool(p, "avg")


def max_pool(p: Params, ctx: ExecutionContext) -> np.ndarray:
    return _pool(p, "max")


def avg_pool3d(p: Params, ctx: ExecutionContext) -> np.ndarray:
    return _pool(p, "avg", 5)


def max_pool3d(p: Params, ctx: ExecutionContext) -> np.ndarray:
    return _pool(p, "max", 5)


def max_pool_argmax(p: Params, ctx: ExecutionContext) -> list[np.ndarray]:
    x = np.asarray(p.x)
    if x.ndim != 4:
        raise ValueError(f"MaxPoolWithArgmax needs an input of rank 4, not shape {x.shape}")
    ksize, strides, padding = _pool_args(p, 4)
    values, indexes = max_pool_with_argmax(x, ksize, strides, padding, bool(p.include_batch_in_index))
    return [values.astype(x.dtype) if x.dtype != F32 else values, indexes]


EXECUTORS: dict[str, Executor] = {
    "AvgPool": avg_pool,
    "MaxPool": max_pool,
    "MaxPoolWithArgmax": max_pool_argmax,
    "AvgPool3D": avg_pool3d,
    "MaxPool3D": max_pool3d,
    "Conv1D": conv1d,
    "Conv2D": conv2d,
    "_FusedConv2D": fused_conv2d,
    "Conv2DBackpropInput": conv2d_backprop_input,
    "DepthwiseConv2d": depthwise_conv2d,
    "DepthwiseConv2dNative": depthwise_conv2d,
    "FusedDepthwiseConv2dNative": fused_depthwise_conv2d,
    "Conv3D": conv3d,
    "Dilation2D": dilation_2d,
}
