"""Build a runnable plan from a Keras topology (TF.js layers model) and its decoded weights.

Everything that can go wrong with the model goes wrong here, at build time: unknown layers,
missing weights and shapes that do not fit raise :class:`ModelFormatError` naming the layer,
because shapes are propagated through the whole graph before anything runs. Batch norms
right after a convolution or dense layer are folded into its kernel, and a following
element-wise activation runs in place on the convolution's output.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from ..errors import ModelFormatError
from . import ops
from .fusion import FusedKernel, Readers, fold_followers
from .keras_topology import Layer, LayersGraph, parse_topology
from .keras_weights import WeightTable
from .ops.padding import window_geometry
from .plan import Plan, Step

F32 = np.float32
Shape = tuple[int, ...]

_CONV_LIKE = {"Conv2D", "DepthwiseConv2D", "SeparableConv2D", "Dense"}
_ACTIVATION_NAMES = {"hardSigmoid": "hard_sigmoid", "hard_sigmoid": "hard_sigmoid", None: "linear"}


# ---------------------------------------------------------------------------- config helpers
def _pair(value: Any, name: str, field: str) -> tuple[int, int]:
    if isinstance(value, (int, float)):
        return int(value), int(value)
    if isinstance(value, (list, tuple)) and len(value) == 2:
        return int(value[0]), int(value[1])
    raise ModelFormatError(f"layer '{name}' has an invalid '{field}' {value!r}.")


def _padding(cfg: Mapping[str, Any], name: str) -> str:
    padding = str(cfg.get("padding", "valid")).lower()
    if padding not in ("same", "valid"):
        raise ModelFormatError(f"layer '{name}' uses padding '{padding}'; only 'same' and 'valid' are supported.")
    return padding


def _activation(value: Any, name: str) -> str:
    if isinstance(value, Mapping):  # Keras 3 serialises {"class_name": ..., "config": {"name": ...}}
        value = (value.get("config") or {}).get("name") or value.get("class_name")
    act = _ACTIVATION_NAMES.get(value, value)
    if act not in ops.ACTIVATIONS:
        raise ModelFormatError(f"layer '{name}' uses the activation '{value}', which is not supported.")
    return act


def _check_channels_last(cfg: Mapping[str, Any], name: str) -> None:
    fmt = cfg.get("data_format") or "channels_last"
    if fmt != "channels_last":
        raise ModelFormatError(f"layer '{name}' uses data_format '{fmt}'; only channels_last is supported.")


def _need_rank(shape: Shape, rank: int, name: str, what: str) -> None:
    if len(shape) != rank:
        raise ModelFormatError(f"layer '{name}' ({what}) needs a {rank + 1}-D input, "
                               f"but gets shape {[None, *shape]}.")


# ---------------------------------------------------------------------------- building
class _Builder:
    def __init__(self, graph: LayersGraph, weights: Mapping[str, np.ndarray], keep: set[str]):
        self.graph = graph
        self.table = WeightTable(weights)
        self.shapes: dict[str, Shape] = {}
        self.steps: list[Step] = []
        self.readers = Readers(((layer.name, layer.inputs) for layer in graph.layers), set(keep) | set(graph.outputs))
        self.by_name = {layer.name: layer for layer in graph.layers}

    def build(self) -> Plan:
        shape = self.graph.input_shape[1:]
        if any(d is None for d in shape):
            raise ModelFormatError(f"the input layer '{self.graph.input_name}' has an unknown size {list(shape)}; "
                                   "a fixed input shape is needed.")
        self.shapes[self.graph.input_name] = tuple(int(d) for d in shape)
        absorbed: set[str] = set()
        for layer in self.graph.layers:
            if layer.name in absorbed:
                continue
            if layer.kind not in SUPPORTED:
                raise ModelFormatError(f"layer '{layer.name}' is a {layer.kind}, which is not supported.")
            in_shapes = []
            for src in layer.inputs:
                if src not in self.shapes:
                    raise ModelFormatError(f"layer '{layer.name}' takes its input from '{src}', which is not computed before it.")
                in_shapes.append(self.shapes[src])
            if layer.kind in _CONV_LIKE:
                absorbed |= self._conv_like(layer, in_shapes)
            else:
                self._simple(layer, in_shapes)
        return Plan(self.graph.input_name, self.steps, self.graph.outputs)

    def _emit(self, output: str, inputs: list[str], fn, op: str, shape: Shape) -> None:
        if any(d <= 0 for d in shape):
            raise ModelFormatError(f"layer '{output}' would produce an empty output of shape {[None, *shape]}.")
        self.shapes[output] = tuple(shape)
        self.steps.append(Step(output, inputs, fn, op, tuple(shape)))

    # ---- convolutions and dense layers, with batch norm and activation fused in
    def _conv_like(self, layer: Layer, in_shapes: list[Shape]) -> set[str]:
        """Emit the layer with its followers folded in; returns the names of the folded followers."""
        name, cfg = layer.name, layer.config
        if len(in_shapes) != 1:
            raise ModelFormatError(f"layer '{name}' takes one input, not {len(in_shapes)}.")
        (shape,) = in_shapes
        activation = _activation(cfg.get("activation", "linear"), name)
        if layer.kind == "Dense":
            kernel, window = self._dense_kernel(layer, shape), None
            out_shape: Shape = tuple(shape[:-1]) + (kernel.shape[1],)
        else:
            kernel, out_shape, window = self._conv_kernel(layer, shape)
        bias = self.table.get(name, "bias", (out_shape[-1],)) if cfg.get("use_bias", True) else None
        fused = FusedKernel(kernel, bias, layer.kind == "DepthwiseConv2D", name, activation)
        fold_followers(fused, self.readers, lambda f, follower: self._fold(f, follower, len(out_shape)))
        self._emit(fused.output, list(layer.inputs), _kernel_fn(fused, window), layer.kind, out_shape)
        return fused.absorbed

    def _dense_kernel(self, layer: Layer, shape: Shape) -> np.ndarray:
        if len(shape) < 1:
            raise ModelFormatError(f"layer '{layer.name}' (Dense) needs an input with at least 2 dimensions.")
        return self.table.get(layer.name, "kernel", (shape[-1], int(layer.config.get("units", 0))))

    def _conv_kernel(self, layer: Layer, shape: Shape) -> tuple[np.ndarray, Shape, _Window]:
        """(kernel, output shape, window) of a Conv2D, DepthwiseConv2D or SeparableConv2D."""
        name, cfg = layer.name, layer.config
        _need_rank(shape, 3, name, layer.kind)
        _check_channels_last(cfg, name)
        kh, kw = _pair(cfg.get("kernel_size"), name, "kernel_size")
        window = _Window(_pair(cfg.get("strides", 1), name, "strides"), _padding(cfg, name),
                         _pair(cfg.get("dilation_rate", 1), name, "dilation_rate"))
        if window.dilations != (1, 1) and window.strides != (1, 1):
            raise ModelFormatError(f"layer '{name}' combines strides {list(window.strides)} with dilation "
                                   f"{list(window.dilations)}, which TensorFlow does not allow.")
        if int(cfg.get("groups", 1) or 1) != 1:
            raise ModelFormatError(f"layer '{name}' uses grouped convolution, which is not supported.")
        cin = shape[2]
        if layer.kind == "Conv2D":
            kernel = self.table.get(name, "kernel", (kh, kw, cin, int(cfg.get("filters", 0))))
        else:
            mult = int(cfg.get("depth_multiplier", 1))
            kernel = self.table.get(name, "depthwise_kernel", (kh, kw, cin, mult))
            if layer.kind == "SeparableConv2D":  # depthwise first, then the 1x1 kernel carries bias and folding
                pre = ops.DepthwiseConv2D(kernel, None, window.strides, window.padding, window.dilations)
                kernel = self.table.get(name, "pointwise_kernel", (1, 1, cin * mult, int(cfg.get("filters", 0))))
                oh, ow, _ = pre.output_shape(shape)
                return kernel, (oh, ow, kernel.shape[3]), _Window((1, 1), "valid", (1, 1), pre)
        _, _, oh, ow = window_geometry(shape[0], shape[1], (kh, kw), window.strides, window.dilations, window.padding)
        cout = kernel.shape[2] * kernel.shape[3] if layer.kind == "DepthwiseConv2D" else kernel.shape[3]
        return kernel, (oh, ow, cout), window

    def _fold(self, fused: FusedKernel, follower: str, rank: int) -> bool:
        """Fold a batch norm right after the kernel, then one activation; False for anything else."""
        layer = self.by_name[follower]
        if layer.kind == "BatchNormalization":
            if fused.absorbed or not _bn_axis_ok(layer, rank):
                return False
            fused.fold_batch_norm(layer.name, *self.bn_params(layer, fused.channels))
            return True
        if fused.absorbed and self.by_name[fused.output].kind != "BatchNormalization":
            return False  # an activation layer already folded (a linear one leaves activation "linear")
        act = self._fusable_activation(layer)
        if act is None:
            return False
        fused.fuse_activation(layer.name, act)
        return True

    def _fusable_activation(self, layer: Layer) -> str | None:
        if layer.kind == "Activation":
            return _activation(layer.config.get("activation"), layer.name)
        if layer.kind == "ReLU":
            mv, slope, thr = _relu_params(layer)
            if slope == 0 and thr == 0 and mv in (None, 6.0):
                return "relu" if mv is None else "relu6"
        return None

    def bn_params(self, layer: Layer, channels: int):
        """(gamma, beta, mean, variance, epsilon) of a batch norm layer over ``channels``."""
        cfg = layer.config
        gamma = self.table.get(layer.name, "gamma", (channels,)) if cfg.get("scale", True) else None
        beta = self.table.get(layer.name, "beta", (channels,)) if cfg.get("center", True) else None
        mean = self.table.get(layer.name, "moving_mean", (channels,))
        var = self.table.get(layer.name, "moving_variance", (channels,))
        return gamma, beta, mean, var, float(cfg.get("epsilon", 1e-3))

    # ---- everything else: one builder per layer kind, see _SIMPLE
    def _simple(self, layer: Layer, in_shapes: list[Shape]) -> None:
        name, kind = layer.name, layer.kind
        if kind == "InputLayer":
            raise ModelFormatError(f"input layer '{name}' has inbound layers; only one input is supported.")
        if kind in _MERGES:
            if len(in_shapes) < 2:
                raise ModelFormatError(f"layer '{name}' ({kind}) needs at least two inputs.")
        elif len(in_shapes) != 1:
            raise ModelFormatError(f"layer '{name}' ({kind}) takes one input, not {len(in_shapes)}.")
        fn, out_shape = _SIMPLE[kind](self, layer, in_shapes)
        self._emit(name, list(layer.inputs), fn, kind, out_shape)


@dataclasses.dataclass
class _Window:
    """How a convolution slides, and the depthwise step before a separable convolution's 1x1 kernel."""

    strides: tuple[int, int]
    padding: str
    dilations: tuple[int, int]
    pre: ops.DepthwiseConv2D | None = None


def _kernel_fn(fused: FusedKernel, window: _Window | None) -> Callable[[np.ndarray], np.ndarray]:
    """A Dense layer (no window), a convolution, or a separable one's depthwise step then its 1x1 kernel."""
    if window is None:
        return fused.kernel_fn()
    conv = fused.kernel_fn(window.strides, window.padding, window.dilations)
    if window.pre is None:
        return conv
    pre = window.pre
    return lambda x: conv(pre(x))


def _bn_axis_ok(layer: Layer, rank: int) -> bool:
    axis = layer.config.get("axis", -1)
    if isinstance(axis, list):
        axis = axis[0] if len(axis) == 1 else None
    return axis in (-1, rank)


def _relu_params(layer: Layer) -> tuple[float | None, float, float]:
    cfg = layer.config
    mv = cfg.get("max_value")
    slope = float(cfg.get("negative_slope", 0) or 0)
    thr = float(cfg.get("threshold", 0) or 0)
    return (None if mv is None else float(mv)), slope, thr


# ---- the simple layers: (fn, output shape) from the layer and its input shapes
LayerBuilder = Callable[[_Builder, Layer, list[Shape]], tuple[Callable[..., np.ndarray], Shape]]


def _dropout(builder: _Builder, layer: Layer, in_shapes: list[Shape]):
    return (lambda x: x), in_shapes[0]


def _batch_norm(builder: _Builder, layer: Layer, in_shapes: list[Shape]):
    """A batch norm that follows no kernel: one multiply and one add."""
    shape = in_shapes[0]
    if not _bn_axis_ok(layer, len(shape)):
        raise ModelFormatError(f"layer '{layer.name}' normalises axis {layer.config.get('axis')}; "
                               "only the last axis is supported.")
    scale, offset = ops.batch_norm_scale_offset(*builder.bn_params(layer, shape[-1]))
    s32, o32 = scale.astype(F32), offset.astype(F32)

    def bn(x, s=s32, o=o32):
        y = x * s
        y += o
        return y
    return bn, shape


def _activation_layer(builder: _Builder, layer: Layer, in_shapes: list[Shape]):
    act = _activation(layer.config.get("activation"), layer.name)
    return ops.ACTIVATIONS[act], in_shapes[0]


def _relu(builder: _Builder, layer: Layer, in_shapes: list[Shape]):
    mv, slope, thr = _relu_params(layer)
    return (lambda x: ops.relu_keras(x, mv, slope, thr)), in_shapes[0]


def _zero_padding(builder: _Builder, layer: Layer, in_shapes: list[Shape]):
    name, cfg, shape = layer.name, layer.config, in_shapes[0]
    _need_rank(shape, 3, name, layer.kind)
    _check_channels_last(cfg, name)
    pad = cfg.get("padding", 1)
    if isinstance(pad, (int, float)):
        (t, b), (l, r) = (int(pad), int(pad)), (int(pad), int(pad))
    elif isinstance(pad, (list, tuple)) and len(pad) == 2 and all(isinstance(p, (int, float)) for p in pad):
        (t, b), (l, r) = (int(pad[0]), int(pad[0])), (int(pad[1]), int(pad[1]))
    else:
        (t, b), (l, r) = _pair(pad[0], name, "padding"), _pair(pad[1], name, "padding")
    return (lambda x: ops.zero_pad(x, t, b, l, r)), (shape[0] + t + b, shape[1] + l + r, shape[2])


def _global_avg_pool(builder: _Builder, layer: Layer, in_shapes: list[Shape]):
    shape = in_shapes[0]
    _need_rank(shape, 3, layer.name, layer.kind)
    _check_channels_last(layer.config, layer.name)
    keep = bool(layer.config.get("keepdims", False))
    return (lambda x: ops.global_avg_pool(x, keep)), ((1, 1, shape[2]) if keep else (shape[2],))


def _pooling(builder: _Builder, layer: Layer, in_shapes: list[Shape]):
    name, cfg, shape = layer.name, layer.config, in_shapes[0]
    _need_rank(shape, 3, name, layer.kind)
    _check_channels_last(cfg, name)
    pool = _pair(cfg.get("pool_size", 2), name, "pool_size")
    strides = _pair(cfg.get("strides") or pool, name, "strides")
    padding = _padding(cfg, name)
    mode = "avg" if layer.kind == "AveragePooling2D" else "max"
    return (lambda x: ops.pool2d(x, pool, strides, padding, mode)), ops.pool_output_shape(shape, pool, strides, padding)


def _reshape(builder: _Builder, layer: Layer, in_shapes: list[Shape]):
    shape, target = in_shapes[0], layer.config.get("target_shape")
    if not isinstance(target, (list, tuple)):
        raise ModelFormatError(f"layer '{layer.name}' (Reshape) has no 'target_shape'.")
    out = ops.reshape_target(shape, target)
    if out is None:
        raise ModelFormatError(f"layer '{layer.name}' cannot reshape {[None, *shape]} to {[None, *target]}.")
    return (lambda x: ops.reshape(x, out)), out


def _flatten(builder: _Builder, layer: Layer, in_shapes: list[Shape]):
    return ops.flatten, (math.prod(in_shapes[0]),)


def _add(builder: _Builder, layer: Layer, in_shapes: list[Shape]):
    shape = in_shapes[0]
    if any(s != shape for s in in_shapes):
        raise ModelFormatError(f"layer '{layer.name}' (Add) gets inputs of different shapes "
                               f"{[[None, *s] for s in in_shapes]}.")
    return (lambda *xs: ops.add(xs)), shape


def _concatenate(builder: _Builder, layer: Layer, in_shapes: list[Shape]):
    shape = in_shapes[0]
    axis = int(layer.config.get("axis", -1))
    rank = len(shape) + 1
    ax = axis if axis >= 0 else rank + axis
    if not 1 <= ax < rank or any(len(s) != len(shape) for s in in_shapes) or any(
            s[:ax - 1] + s[ax:] != shape[:ax - 1] + shape[ax:] for s in in_shapes):
        raise ModelFormatError(f"layer '{layer.name}' (Concatenate) cannot join shapes "
                               f"{[[None, *s] for s in in_shapes]} on axis {axis}.")
    out = list(shape)
    out[ax - 1] = sum(s[ax - 1] for s in in_shapes)
    return (lambda *xs: ops.concat(xs, ax)), tuple(out)


_SIMPLE: dict[str, LayerBuilder] = {
    "Dropout": _dropout, "BatchNormalization": _batch_norm, "Activation": _activation_layer,
    "ReLU": _relu, "ZeroPadding2D": _zero_padding, "GlobalAveragePooling2D": _global_avg_pool,
    "AveragePooling2D": _pooling, "MaxPooling2D": _pooling, "Reshape": _reshape, "Flatten": _flatten,
    "Add": _add, "Concatenate": _concatenate,
}
_MERGES = {"Add", "Concatenate"}
SUPPORTED = {"InputLayer"} | _CONV_LIKE | set(_SIMPLE)


def build_layers_plan(topology: Mapping[str, Any], weights: Mapping[str, np.ndarray],
                      keep: Sequence[str] = (), outputs: Sequence[str] | None = None) -> tuple[Plan, LayersGraph]:
    """Compile a Keras topology; ``keep`` names layers whose outputs must stay unfused."""
    graph = parse_topology(topology)
    if outputs is not None:
        known = {graph.input_name} | {layer.name for layer in graph.layers}
        for out in outputs:
            if out not in known:
                raise ModelFormatError(f"the model has no layer named '{out}'.")
        graph = dataclasses.replace(graph, outputs=list(outputs))
    plan = _Builder(graph, weights, set(keep)).build()
    return plan, graph
