"""Build a runnable plan from a Keras topology (TF.js layers model) and its decoded weights.

Everything that can go wrong with the model goes wrong here, at build time: unknown layers,
missing weights and shapes that do not fit raise :class:`ModelFormatError` naming the layer,
because shapes are propagated through the whole graph before anything runs. Batch norms
right after a convolution or dense layer are folded into its kernel, and a following
element-wise activation runs in place on the convolution's output.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from ..errors import ModelFormatError
from . import ops
from .fusion import FusedKernel, Readers, fold_followers
from .keras_layers import BUILDERS
from .keras_layers.activations import relu_layer_activation
from .keras_layers.config import (Shape, activation, channels_last, count, fail, need_rank, one_input, padding,
                                  positive_pair)
from .keras_layers.normalization import bn_axis, bn_params
from .keras_topology import Layer, LayersGraph, parse_topology
from .keras_weights import WeightTable
from .ops.activations import AXIS_ACTIVATIONS
from .ops.padding import window_geometry
from .plan import Plan, Step

F32 = np.float32

_CONV_LIKE = {"Conv2D", "DepthwiseConv2D", "SeparableConv2D", "Dense"}


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
                raise fail(layer, "is a layer class that tfcache_nb cannot run.")
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
        shape = one_input(layer, in_shapes)
        act = activation(layer, cfg.get("activation"))
        if layer.kind == "Dense":
            kernel, window = self._dense_kernel(layer, shape), None
            out_shape: Shape = tuple(shape[:-1]) + (kernel.shape[1],)
        else:
            kernel, out_shape, window = self._conv_kernel(layer, shape)
        bias = self.table.get(name, "bias", (out_shape[-1],)) if cfg.get("use_bias", True) else None
        depthwise = layer.kind == "DepthwiseConv2D"
        if act in AXIS_ACTIVATIONS - {"softmax"} and window is not None:
            # a plan may write a convolution's activation element by element into the next
            # kernel's input, so an activation along an axis runs as a step of its own
            fused = FusedKernel(kernel, bias, depthwise, name + "/before_activation")
            self._emit(fused.output, list(layer.inputs), _kernel_fn(fused, window), layer.kind, out_shape)
            self._emit(name, [fused.output], ops.ACTIVATIONS[act], "Activation", out_shape)
            return set()
        fused = FusedKernel(kernel, bias, depthwise, name, act)
        fold_followers(fused, self.readers, lambda f, follower: self._fold(f, follower, len(out_shape)))
        self._emit(fused.output, list(layer.inputs), _kernel_fn(fused, window), layer.kind, out_shape)
        return fused.absorbed

    def _dense_kernel(self, layer: Layer, shape: Shape) -> np.ndarray:
        if len(shape) < 1:
            raise fail(layer, "needs an input with at least 2 dimensions.")
        return self.table.get(layer.name, "kernel", (shape[-1], count(layer, "units")))

    def _conv_kernel(self, layer: Layer, shape: Shape) -> tuple[np.ndarray, Shape, _Window]:
        """(kernel, output shape, window) of a Conv2D, DepthwiseConv2D or SeparableConv2D.

        TF.js's DepthwiseConv2D layer ignores ``dilation_rate`` (it passes none to the op), so
        this one does too; Conv2D and SeparableConv2D dilate.
        """
        name, cfg = layer.name, layer.config
        need_rank(layer, shape, 4)
        channels_last(layer)
        kh, kw = positive_pair(layer, "kernel_size")
        dilation = (1, 1) if layer.kind == "DepthwiseConv2D" else positive_pair(layer, "dilation_rate", 1)
        window = _Window(positive_pair(layer, "strides", 1), padding(layer), dilation)
        if window.dilations != (1, 1) and window.strides != (1, 1):
            raise fail(layer, f"combines strides {list(window.strides)} with dilation {list(window.dilations)}, "
                              "which TensorFlow does not allow.")
        if int(cfg.get("groups", 1) or 1) != 1:
            raise fail(layer, "uses grouped convolution, which is not supported.")
        cin = shape[2]
        if layer.kind == "Conv2D":
            kernel = self.table.get(name, "kernel", (kh, kw, cin, count(layer, "filters")))
        else:
            mult = count(layer, "depth_multiplier", 1)
            kernel = self.table.get(name, "depthwise_kernel", (kh, kw, cin, mult))
            if layer.kind == "SeparableConv2D":  # depthwise first, then the 1x1 kernel carries bias and folding
                pre = ops.DepthwiseConv2D(kernel, None, window.strides, window.padding, window.dilations)
                kernel = self.table.get(name, "pointwise_kernel", (1, 1, cin * mult, count(layer, "filters")))
                oh, ow, _ = pre.output_shape(shape)
                return kernel, (oh, ow, kernel.shape[3]), _Window((1, 1), "valid", (1, 1), pre)
        _, _, oh, ow = window_geometry(shape[0], shape[1], (kh, kw), window.strides, window.dilations, window.padding)
        cout = kernel.shape[2] * kernel.shape[3] if layer.kind == "DepthwiseConv2D" else kernel.shape[3]
        return kernel, (oh, ow, cout), window

    def _fold(self, fused: FusedKernel, follower: str, rank: int) -> bool:
        """Fold a batch norm right after the kernel, then one activation; False for anything else."""
        layer = self.by_name[follower]
        if layer.kind == "BatchNormalization":
            if fused.absorbed or not _bn_on_last_axis(layer, rank):
                return False
            fused.fold_batch_norm(layer.name, *bn_params(layer, self.table, fused.channels))
            return True
        if fused.absorbed and self.by_name[fused.output].kind != "BatchNormalization":
            return False  # an activation layer already folded (a linear one leaves activation "linear")
        act = self._fusable_activation(layer)
        if act is None:
            return False
        fused.fuse_activation(layer.name, act)
        return True

    def _fusable_activation(self, layer: Layer) -> str | None:
        """The activation a layer applies, when it can run on a kernel's output in place."""
        if layer.kind == "Activation":
            act = activation(layer, layer.config.get("activation"))
            return None if act in AXIS_ACTIVATIONS - {"softmax"} else act
        if layer.kind == "ReLU":
            return relu_layer_activation(layer)
        return None

    # ---- every other layer: one builder table per family (keras_layers)
    def _simple(self, layer: Layer, in_shapes: list[Shape]) -> None:
        if layer.kind == "InputLayer":
            raise fail(layer, "has inbound layers; only models with one input are supported.")
        fn, out_shape = BUILDERS[layer.kind](layer, in_shapes, self.table)
        self._emit(layer.name, list(layer.inputs), fn, layer.kind, out_shape)


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


def _bn_on_last_axis(layer: Layer, rank: int) -> bool:
    """Whether a batch norm normalises the last axis, the one a kernel's bias runs along."""
    return bn_axis(layer, rank) == rank - 1


SUPPORTED = {"InputLayer"} | _CONV_LIKE | set(BUILDERS)


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
