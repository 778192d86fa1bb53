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
from typing import Any, Mapping, Sequence

import numpy as np

from ..errors import ModelFormatError
from . import ops
from .plan import Plan, Step

F32 = np.float32
Shape = tuple[int, ...]

SUPPORTED = {
    "InputLayer", "Conv2D", "DepthwiseConv2D", "SeparableConv2D", "BatchNormalization", "Activation",
    "ReLU", "ZeroPadding2D", "GlobalAveragePooling2D", "AveragePooling2D", "MaxPooling2D", "Reshape",
    "Flatten", "Dropout", "Dense", "Add", "Concatenate",
}
_ALIASES = {"Convolution2D": "Conv2D", "AvgPool2D": "AveragePooling2D", "MaxPool2D": "MaxPooling2D",
            "GlobalAvgPool2D": "GlobalAveragePooling2D", "SeparableConvolution2D": "SeparableConv2D"}
_CONV_LIKE = {"Conv2D", "DepthwiseConv2D", "SeparableConv2D", "Dense"}
_ACTIVATION_NAMES = {"hardSigmoid": "hard_sigmoid", "hard_sigmoid": "hard_sigmoid", None: "linear"}


@dataclasses.dataclass
class _Layer:
    name: str
    kind: str
    config: dict[str, Any]
    inputs: list[str]


@dataclasses.dataclass
class LayersGraph:
    """The parsed topology: layers in topological order, the input and output layer names."""

    layers: list[_Layer]
    input_name: str
    input_shape: tuple[int | None, ...]
    outputs: list[str]


# ---------------------------------------------------------------------------- topology parsing
def model_config(topology: Mapping[str, Any]) -> tuple[str, Any]:
    """(class_name, config) of the model, for converted-Keras and TF.js-saved topologies."""
    if not isinstance(topology, Mapping):
        raise ModelFormatError("the layers model has no 'modelTopology' object.")
    node = topology.get("model_config", topology)
    if not isinstance(node, Mapping) or "class_name" not in node:
        raise ModelFormatError("the model topology has no 'class_name' (expected Sequential, Model or Functional).")
    return str(node["class_name"]), node.get("config")


def parse_topology(topology: Mapping[str, Any]) -> LayersGraph:
    class_name, config = model_config(topology)
    if class_name == "Sequential":
        return _parse_sequential(config)
    if class_name in ("Model", "Functional"):
        return _parse_functional(config)
    raise ModelFormatError(f"the model class '{class_name}' is not supported (expected Sequential, Model or Functional).")


def _layer_name(raw: Mapping[str, Any], index: int) -> str:
    name = raw.get("name") or (raw.get("config") or {}).get("name")
    if not isinstance(name, str) or not name:
        raise ModelFormatError(f"layer #{index} of the model topology has no name.")
    return name


def _kind(raw: Mapping[str, Any], name: str) -> str:
    kind = raw.get("class_name")
    if not isinstance(kind, str):
        raise ModelFormatError(f"layer '{name}' has no 'class_name'.")
    return _ALIASES.get(kind, kind)


def _input_shape(config: Mapping[str, Any], name: str) -> tuple[int | None, ...] | None:
    shape = config.get("batch_input_shape") or config.get("batch_shape")
    if shape is None and config.get("input_shape") is not None:
        shape = [None, *config["input_shape"]]
    if shape is None:
        return None
    if not isinstance(shape, (list, tuple)) or len(shape) < 2:
        raise ModelFormatError(f"layer '{name}' has an invalid input shape {shape!r}.")
    return tuple(None if d is None else int(d) for d in shape)


def _parse_sequential(config: Any) -> LayersGraph:
    raw_layers = config.get("layers") if isinstance(config, Mapping) else config
    if not isinstance(raw_layers, list) or not raw_layers:
        raise ModelFormatError("the Sequential model has no layers.")
    layers: list[_Layer] = []
    input_name, input_shape = None, None
    prev = None
    for i, raw in enumerate(raw_layers):
        if not isinstance(raw, Mapping):
            raise ModelFormatError(f"layer #{i} of the Sequential model is not an object.")
        name, kind = _layer_name(raw, i), None
        kind = _kind(raw, name)
        cfg = dict(raw.get("config") or {})
        if prev is None:
            input_shape = _input_shape(cfg, name)
            if input_shape is None:
                raise ModelFormatError(f"the first layer '{name}' of the Sequential model has no input shape.")
            if kind == "InputLayer":
                input_name = name
                prev = name
                continue
            input_name = name + "_input"
            prev = input_name
        layers.append(_Layer(name, kind, cfg, [prev]))
        prev = name
    return LayersGraph(layers, input_name, input_shape, [prev])


def _inbound_names(raw: Mapping[str, Any], name: str) -> list[str]:
    nodes = raw.get("inbound_nodes") or []
    if not nodes:
        return []
    if len(nodes) > 1:
        raise ModelFormatError(f"layer '{name}' is called more than once (shared layers are not supported).")
    node = nodes[0]
    names: list[str] = []
    if isinstance(node, Mapping):  # Keras 3: {"args": [keras tensors...], "kwargs": {}}
        def collect(obj: Any) -> None:
            if isinstance(obj, Mapping):
                history = (obj.get("config") or {}).get("keras_history") if obj.get("class_name") == "__keras_tensor__" else None
                if history:
                    names.append(str(history[0]))
                else:
                    for v in obj.values():
                        collect(v)
            elif isinstance(obj, list):
                for v in obj:
                    collect(v)
        collect(node.get("args", []))
    elif isinstance(node, list):
        for entry in node:
            if not isinstance(entry, (list, tuple)) or not entry:
                raise ModelFormatError(f"layer '{name}' has an invalid inbound node {entry!r}.")
            if len(entry) > 2 and int(entry[1]) != 0:
                raise ModelFormatError(f"layer '{name}' uses a second call of layer '{entry[0]}' (not supported).")
            names.append(str(entry[0]))
    else:
        raise ModelFormatError(f"layer '{name}' has invalid inbound nodes.")
    return names


def _io_names(entries: Any, field: str) -> list[str]:
    if not isinstance(entries, list) or not entries:
        raise ModelFormatError(f"the model config has no '{field}'.")
    if isinstance(entries[0], str):  # a single [name, 0, 0]
        entries = [entries]
    return [str(e[0]) for e in entries]


def _parse_functional(config: Any) -> LayersGraph:
    if not isinstance(config, Mapping) or not isinstance(config.get("layers"), list):
        raise ModelFormatError("the functional model config has no 'layers' list.")
    by_name: dict[str, _Layer] = {}
    order: list[str] = []
    for i, raw in enumerate(config["layers"]):
        if not isinstance(raw, Mapping):
            raise ModelFormatError(f"layer #{i} of the model is not an object.")
        name = _layer_name(raw, i)
        if name in by_name:
            raise ModelFormatError(f"the model has two layers named '{name}'.")
        by_name[name] = _Layer(name, _kind(raw, name), dict(raw.get("config") or {}), _inbound_names(raw, name))
        order.append(name)
    inputs = _io_names(config.get("input_layers"), "input_layers")
    outputs = _io_names(config.get("output_layers"), "output_layers")
    if len(inputs) != 1:
        raise ModelFormatError(f"the model has {len(inputs)} inputs; only models with one input are supported.")
    input_name = inputs[0]
    if input_name not in by_name or by_name[input_name].kind != "InputLayer":
        raise ModelFormatError(f"the model input '{input_name}' is not an InputLayer.")
    input_shape = _input_shape(by_name[input_name].config, input_name)
    if input_shape is None:
        raise ModelFormatError(f"the input layer '{input_name}' has no 'batch_input_shape'.")
    for out in outputs:
        if out not in by_name:
            raise ModelFormatError(f"the model output '{out}' is not one of its layers.")
    # topological order (depth first from the outputs), so a layer runs after its inputs
    ordered: list[_Layer] = []
    state: dict[str, int] = {}

    def visit(name: str, user: str) -> None:
        if name not in by_name:
            raise ModelFormatError(f"layer '{user}' takes its input from '{name}', which is not a layer of the model.")
        if state.get(name) == 2:
            return
        if state.get(name) == 1:
            raise ModelFormatError(f"the model graph has a cycle through layer '{name}'.")
        state[name] = 1
        for src in by_name[name].inputs:
            visit(src, name)
        state[name] = 2
        if name != input_name:
            layer = by_name[name]
            if layer.kind == "InputLayer":
                raise ModelFormatError(f"the model has a second input layer '{name}'; only one input is supported.")
            if not layer.inputs:
                raise ModelFormatError(f"layer '{name}' has no inbound nodes.")
            ordered.append(layer)

    for out in outputs:
        visit(out, "the model outputs")
    return LayersGraph(ordered, input_name, input_shape, outputs)


# ---------------------------------------------------------------------------- weights
class WeightTable:
    """Weights by layer and short name, with or without name scopes (``model/conv1/kernel``)."""

    def __init__(self, weights: Mapping[str, np.ndarray]):
        self.weights = weights
        self.by_suffix: dict[tuple[str, str], list[str]] = {}
        for full in weights:
            parts = full.split("/")
            clean = parts[-1].split(":")[0]
            for i in range(len(parts) - 1):
                self.by_suffix.setdefault((parts[i], clean), []).append(full)
        self.used: set[str] = set()

    def get(self, layer: str, short: str, shape: Sequence[int] | None, required: bool = True) -> np.ndarray | None:
        full = layer + "/" + short
        names = [full] if full in self.weights else self.by_suffix.get((layer, short), [])
        if layer.count("/") == 0 and len(names) > 1:
            # keep only names where the layer is the segment just before the weight name
            names = [n for n in names if n.split("/")[-2] == layer] or names
        if not names:
            if required:
                raise ModelFormatError(f"layer '{layer}' needs the weight '{full}', which is not in the weights manifest.")
            return None
        if len(names) > 1:
            raise ModelFormatError(f"layer '{layer}' weight '{short}' matches several weights: {', '.join(sorted(names))}.")
        value = self.weights[names[0]]
        if not isinstance(value, np.ndarray) or value.dtype.kind not in "fiu":
            raise ModelFormatError(f"weight '{names[0]}' of layer '{layer}' is not numeric.")
        if shape is not None and tuple(value.shape) != tuple(shape):
            raise ModelFormatError(f"weight '{names[0]}' of layer '{layer}' has shape {list(value.shape)}, "
                                   f"but the layer needs {list(shape)}.")
        self.used.add(names[0])
        return value.astype(F32, copy=False)


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
        self.keep = set(keep) | set(graph.outputs)
        self.shapes: dict[str, Shape] = {}
        self.steps: list[Step] = []
        self.consumers: dict[str, list[str]] = {}
        for layer in graph.layers:
            for src in layer.inputs:
                self.consumers.setdefault(src, []).append(layer.name)
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

    def _single_consumer(self, name: str) -> _Layer | None:
        users = self.consumers.get(name, [])
        if len(users) != 1 or name in self.keep:
            return None
        return self.by_name[users[0]]

    # ---- convolutions and dense layers, with batch norm and activation fused in
    def _conv_like(self, layer: _Layer, in_shapes: list[Shape]) -> set[str]:
        name, cfg = layer.name, layer.config
        if len(in_shapes) != 1:
            raise ModelFormatError(f"layer '{name}' takes one input, not {len(in_shapes)}.")
        (shape,) = in_shapes
        activation = _activation(cfg.get("activation", "linear"), name)
        use_bias = bool(cfg.get("use_bias", True))
        absorbed: set[str] = set()
        pre: tuple[ops.DepthwiseConv2D, Shape] | None = None
        if layer.kind == "Dense":
            if len(shape) < 1:
                raise ModelFormatError(f"layer '{name}' (Dense) needs an input with at least 2 dimensions.")
            units = int(cfg.get("units", 0))
            kernel = self.table.get(name, "kernel", (shape[-1], units))
            out_shape: Shape = tuple(shape[:-1]) + (units,)
            depthwise = False
        else:
            _need_rank(shape, 3, name, layer.kind)
            _check_channels_last(cfg, name)
            kh, kw = _pair(cfg.get("kernel_size"), name, "kernel_size")
            strides = _pair(cfg.get("strides", 1), name, "strides")
            dil = _pair(cfg.get("dilation_rate", 1), name, "dilation_rate")
            padding = _padding(cfg, name)
            if dil != (1, 1) and strides != (1, 1):
                raise ModelFormatError(f"layer '{name}' combines strides {list(strides)} with dilation {list(dil)}, "
                                       "which TensorFlow does not allow.")
            if int(cfg.get("groups", 1) or 1) != 1:
                raise ModelFormatError(f"layer '{name}' uses grouped convolution, which is not supported.")
            cin = shape[2]
            if layer.kind == "Conv2D":
                filters = int(cfg.get("filters", 0))
                kernel = self.table.get(name, "kernel", (kh, kw, cin, filters))
                depthwise = False
            else:
                mult = int(cfg.get("depth_multiplier", 1))
                dkernel = self.table.get(name, "depthwise_kernel", (kh, kw, cin, mult))
                depthwise = layer.kind == "DepthwiseConv2D"
                if depthwise:
                    kernel = dkernel
                else:
                    filters = int(cfg.get("filters", 0))
                    kernel = self.table.get(name, "pointwise_kernel", (1, 1, cin * mult, filters))
                    pre_op = ops.DepthwiseConv2D(dkernel, None, strides, padding, dil)
                    pre = (pre_op, pre_op.output_shape(shape))
                    strides, dil, padding = (1, 1), (1, 1), "valid"
            conv_in = pre[1] if pre else shape
            oh, ow, _ = ops.Conv2D(np.zeros((kh if not pre else 1, kw if not pre else 1, 1, 1), F32),
                                   None, strides, padding, dil).output_shape(conv_in)
            out_shape = (oh, ow, kernel.shape[2] * kernel.shape[3] if depthwise else kernel.shape[3])
        cout = out_shape[-1]
        bias = self.table.get(name, "bias", (cout,)) if use_bias else None
        out_name = name
        # fold a following batch norm, then run a following activation in place
        nxt = self._single_consumer(out_name) if activation == "linear" else None
        if nxt is not None and nxt.kind == "BatchNormalization" and self._bn_axis_ok(nxt, len(out_shape)):
            gamma, beta, mean, var, eps = self._bn_params(nxt, cout)
            kernel, bias = ops.fold_batch_norm(kernel, bias, gamma, beta, mean, var, eps, depthwise=depthwise)
            absorbed.add(nxt.name)
            out_name = nxt.name
            nxt = self._single_consumer(out_name)
        if activation == "linear" and nxt is not None:
            fused = self._fusable_activation(nxt)
            if fused is not None:
                activation = fused
                absorbed.add(nxt.name)
                out_name = nxt.name
        if layer.kind == "Dense":
            k, b, act = kernel, bias, activation
            fn = lambda x, k=k, b=b, act=act: ops.dense(x, k, b, act)
        elif pre is not None:
            pre_op = pre[0]
            conv = ops.Conv2D(kernel, bias, (1, 1), "valid", (1, 1), activation)
            fn = lambda x, d=pre_op, c=conv: c(d(x))
        elif depthwise:
            fn = ops.DepthwiseConv2D(kernel, bias, strides, padding, dil, activation)
        else:
            fn = ops.Conv2D(kernel, bias, strides, padding, dil, activation)
        self._emit(out_name, list(layer.inputs), fn, layer.kind, out_shape)
        return absorbed

    def _fusable_activation(self, layer: _Layer) -> str | None:
        if layer.kind == "Activation":
            act = _activation(layer.config.get("activation"), layer.name)
            return act
        if layer.kind == "ReLU":
            mv, slope, thr = self._relu_params(layer)
            if slope == 0 and thr == 0 and mv in (None, 6.0):
                return "relu" if mv is None else "relu6"
        return None

    @staticmethod
    def _relu_params(layer: _Layer) -> tuple[float | None, float, float]:
        cfg = layer.config
        mv = cfg.get("max_value")
        slope = float(cfg.get("negative_slope", 0) or 0)
        thr = float(cfg.get("threshold", 0) or 0)
        return (None if mv is None else float(mv)), slope, thr

    def _bn_axis_ok(self, layer: _Layer, rank: int) -> bool:
        axis = layer.config.get("axis", -1)
        if isinstance(axis, list):
            axis = axis[0] if len(axis) == 1 else None
        return axis in (-1, rank)

    def _bn_params(self, layer: _Layer, channels: int):
        cfg = layer.config
        gamma = self.table.get(layer.name, "gamma", (channels,)) if cfg.get("scale", True) else None
        beta = self.table.get(layer.name, "beta", (channels,)) if cfg.get("center", True) else None
        mean = self.table.get(layer.name, "moving_mean", (channels,))
        var = self.table.get(layer.name, "moving_variance", (channels,))
        return gamma, beta, mean, var, float(cfg.get("epsilon", 1e-3))

    # ---- everything else
    def _simple(self, layer: _Layer, in_shapes: list[Shape]) -> None:
        name, cfg, kind = layer.name, layer.config, layer.kind
        inputs = list(layer.inputs)
        if kind == "InputLayer":
            raise ModelFormatError(f"input layer '{name}' has inbound layers; only one input is supported.")
        if kind in ("Add", "Concatenate"):
            if len(in_shapes) < 2:
                raise ModelFormatError(f"layer '{name}' ({kind}) needs at least two inputs.")
        elif len(in_shapes) != 1:
            raise ModelFormatError(f"layer '{name}' ({kind}) takes one input, not {len(in_shapes)}.")
        shape = in_shapes[0]
        if kind == "Dropout":
            self._emit(name, inputs, lambda x: x, kind, shape)
        elif kind == "BatchNormalization":
            if not self._bn_axis_ok(layer, len(shape)):
                raise ModelFormatError(f"layer '{name}' normalises axis {cfg.get('axis')}; only the last axis is supported.")
            gamma, beta, mean, var, eps = self._bn_params(layer, shape[-1])
            scale, offset = ops.batch_norm_scale_offset(gamma, beta, mean, var, eps)
            s32, o32 = scale.astype(F32), offset.astype(F32)

            def bn(x, s=s32, o=o32):
                y = x * s
                y += o
                return y
            self._emit(name, inputs, bn, kind, shape)
        elif kind == "Activation":
            act = _activation(cfg.get("activation"), name)
            fn = ops.softmax if act == "softmax" else (lambda x, f=ops.ACTIVATIONS[act]: f(x))
            self._emit(name, inputs, fn, kind, shape)
        elif kind == "ReLU":
            mv, slope, thr = self._relu_params(layer)
            self._emit(name, inputs, lambda x: ops.relu_keras(x, mv, slope, thr), kind, shape)
        elif kind == "ZeroPadding2D":
            _need_rank(shape, 3, name, kind)
            _check_channels_last(cfg, name)
            pad = cfg.get("padding", 1)
            if isinstance(pad, (int, float)):
                (t, b), (l, r) = (int(pad), int(pad)), (int(pad), int(pad))
            elif isinstance(pad, (list, tuple)) and len(pad) == 2 and all(isinstance(p, (int, float)) for p in pad):
                (t, b), (l, r) = (int(pad[0]), int(pad[0])), (int(pad[1]), int(pad[1]))
            else:
                (t, b), (l, r) = _pair(pad[0], name, "padding"), _pair(pad[1], name, "padding")
            self._emit(name, inputs, lambda x: ops.zero_pad(x, t, b, l, r), kind,
                       (shape[0] + t + b, shape[1] + l + r, shape[2]))
        elif kind == "GlobalAveragePooling2D":
            _need_rank(shape, 3, name, kind)
            _check_channels_last(cfg, name)
            keep = bool(cfg.get("keepdims", False))
            self._emit(name, inputs, lambda x: ops.global_avg_pool(x, keep), kind,
                       (1, 1, shape[2]) if keep else (shape[2],))
        elif kind in ("AveragePooling2D", "MaxPooling2D"):
            _need_rank(shape, 3, name, kind)
            _check_channels_last(cfg, name)
            pool = _pair(cfg.get("pool_size", 2), name, "pool_size")
            strides = _pair(cfg.get("strides") or pool, name, "strides")
            padding = _padding(cfg, name)
            mode = "avg" if kind == "AveragePooling2D" else "max"
            self._emit(name, inputs, lambda x: ops.pool2d(x, pool, strides, padding, mode), kind,
                       ops.pool_output_shape(shape, pool, strides, padding))
        elif kind == "Reshape":
            target = cfg.get("target_shape")
            if not isinstance(target, (list, tuple)):
                raise ModelFormatError(f"layer '{name}' (Reshape) has no 'target_shape'.")
            out = ops.reshape_target(shape, target)
            if out is None:
                raise ModelFormatError(f"layer '{name}' cannot reshape {[None, *shape]} to {[None, *target]}.")
            self._emit(name, inputs, lambda x, t=out: ops.reshape(x, t), kind, out)
        elif kind == "Flatten":
            self._emit(name, inputs, ops.flatten, kind, (math.prod(shape),))
        elif kind == "Add":
            if any(s != shape for s in in_shapes):
                raise ModelFormatError(f"layer '{name}' (Add) gets inputs of different shapes "
                                       f"{[[None, *s] for s in in_shapes]}.")
            self._emit(name, inputs, lambda *xs: ops.add(xs), kind, shape)
        elif kind == "Concatenate":
            axis = int(cfg.get("axis", -1))
            rank = len(shape) + 1
            ax = axis if axis >= 0 else rank + axis
            if not 1 <= ax < rank or any(len(s) != len(shape) for s in in_shapes) or any(
                    s[:ax - 1] + s[ax:] != shape[:ax - 1] + shape[ax:] for s in in_shapes):
                raise ModelFormatError(f"layer '{name}' (Concatenate) cannot join shapes "
                                       f"{[[None, *s] for s in in_shapes]} on axis {axis}.")
            out = list(shape)
            out[ax - 1] = sum(s[ax - 1] for s in in_shapes)
            self._emit(name, inputs, lambda *xs: ops.concat(xs, ax), kind, tuple(out))
        else:  # pragma: no cover - SUPPORTED and this chain list the same kinds
            raise ModelFormatError(f"layer '{name}' is a {kind}, which is not supported.")


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
