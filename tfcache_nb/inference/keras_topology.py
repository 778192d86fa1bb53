"""The Keras topology of a TF.js layers model: its layers, their inputs and the model's input.

Both forms that exist are read: a converted Keras model keeps the config under
``modelTopology.model_config``, a model saved by TF.js itself puts it at the top of
``modelTopology``; Sequential and functional (Model / Functional) configs, Keras 2 and
Keras 3 inbound nodes. A model used as a layer of another (Teachable Machine's exports: a
Sequential of a truncated MobileNet and a Dense head) is inlined: its layers join the outer
graph, reading what the nested model read. A malformed topology raises
:class:`ModelFormatError` naming the layer.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Mapping

from ..errors import ModelFormatError

_MODEL_CLASSES = ("Sequential", "Model", "Functional")
_ALIASES = {"Convolution2D": "Conv2D", "AvgPool2D": "AveragePooling2D", "MaxPool2D": "MaxPooling2D",
            "GlobalAvgPool2D": "GlobalAveragePooling2D", "SeparableConvolution2D": "SeparableConv2D"}


@dataclasses.dataclass
class Layer:
    name: str
    kind: str
    config: dict[str, Any]
    inputs: list[str]


@dataclasses.dataclass
class LayersGraph:
    """The parsed topology: layers in topological order, the input and output layer names."""

    layers: list[Layer]
    input_name: str
    input_shape: tuple[int | None, ...]
    outputs: list[str]


def model_config(topology: Mapping[str, Any]) -> tuple[str, Any]:
    """(class_name, config) of the model, for converted-Keras and TF.js-saved topologies."""
    if not isinstance(topology, Mapping):
        raise ModelFormatError("the layers model has no 'modelTopology' object.")
    node = topology.get("model_config", topology)
    if not isinstance(node, Mapping) or "class_name" not in node:
        raise ModelFormatError("the model topology has no 'class_name' (expected Sequential, Model or Functional).")
    return str(node["class_name"]), node.get("config")


def parse_topology(topology: Mapping[str, Any]) -> LayersGraph:
    """The layers in an order where each comes after its inputs."""
    class_name, config = model_config(topology)
    if class_name == "Sequential":
        return _inline_nested(_parse_sequential(config))
    if class_name in ("Model", "Functional"):
        return _inline_nested(_parse_functional(config))
    raise ModelFormatError(f"the model class '{class_name}' is not supported (expected Sequential, Model or Functional).")


def _nested(layer: Layer) -> LayersGraph:
    """The graph of a model used as a layer."""
    return parse_topology({"class_name": layer.kind, "config": layer.config})


def _inline_nested(graph: LayersGraph) -> LayersGraph:
    """``graph`` with every nested model replaced by its own layers (recursively, by parse_topology)."""
    if not any(layer.kind in _MODEL_CLASSES for layer in graph.layers):
        return graph
    names = {graph.input_name} | {layer.name for layer in graph.layers}
    alias: dict[str, str] = {}  # a nested model's name -> the inner layer that computes its output
    layers: list[Layer] = []
    for layer in graph.layers:
        inputs = [alias.get(src, src) for src in layer.inputs]
        if layer.kind not in _MODEL_CLASSES:
            layers.append(dataclasses.replace(layer, inputs=inputs))
            continue
        inner = _nested(layer)
        if len(inputs) != 1 or len(inner.outputs) != 1:
            raise ModelFormatError(f"layer '{layer.name}' is a nested {layer.kind} with {len(inputs)} inputs and "
                                   f"{len(inner.outputs)} outputs; only one of each is supported.")
        for sub in inner.layers:
            if sub.name in names:
                raise ModelFormatError(f"the nested model '{layer.name}' has a layer '{sub.name}', a name the "
                                       "model already uses.")
            names.add(sub.name)
            layers.append(dataclasses.replace(sub, inputs=[inputs[0] if src == inner.input_name else src
                                                           for src in sub.inputs]))
        out = inner.outputs[0]
        alias[layer.name] = inputs[0] if out == inner.input_name else out
    outputs = [alias.get(out, out) for out in graph.outputs]
    return LayersGraph(layers, graph.input_name, graph.input_shape, outputs)


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
    layers: list[Layer] = []
    input_name, input_shape = None, None
    prev = None
    for i, raw in enumerate(raw_layers):
        if not isinstance(raw, Mapping):
            raise ModelFormatError(f"layer #{i} of the Sequential model is not an object.")
        name, kind = _layer_name(raw, i), None
        kind = _kind(raw, name)
        cfg = dict(raw.get("config") or {})
        if prev is None:
            input_shape = _nested(Layer(name, kind, cfg, [])).input_shape if kind in _MODEL_CLASSES else \
                _input_shape(cfg, name)
            if input_shape is None:
                raise ModelFormatError(f"the first layer '{name}' of the Sequential model has no input shape.")
            if kind == "InputLayer":
                input_name = name
                prev = name
                continue
            input_name = name + "_input"
            prev = input_name
        layers.append(Layer(name, kind, cfg, [prev]))
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
    by_name: dict[str, Layer] = {}
    order: list[str] = []
    for i, raw in enumerate(config["layers"]):
        if not isinstance(raw, Mapping):
            raise ModelFormatError(f"layer #{i} of the model is not an object.")
        name = _layer_name(raw, i)
        if name in by_name:
            raise ModelFormatError(f"the model has two layers named '{name}'.")
        by_name[name] = Layer(name, _kind(raw, name), dict(raw.get("config") or {}), _inbound_names(raw, name))
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
    ordered: list[Layer] = []
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
