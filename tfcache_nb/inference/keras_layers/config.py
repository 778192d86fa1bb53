"""Reading Keras layer configs as TF.js does, with one ModelFormatError naming the layer for bad values.

TF.js turns every string of a config into camelCase before it looks it up ('hard_sigmoid'
becomes 'hardSigmoid', 'gelu_new' becomes the unknown 'geluNew'), ignores fields it does not
know and fills defaults of its own; the readers here follow it, so a layer computes what it
computes in TF.js.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from ...errors import ModelFormatError
from ..keras_topology import Layer
from ..keras_weights import WeightTable

Shape = tuple[int, ...]  # a layer output's shape without the batch axis
Kernel = Callable[..., np.ndarray]
#: a layer builder returns the call computing the layer (batch first) and its output shape
Built = tuple[Kernel, Shape]
LayerBuilder = Callable[[Layer, Sequence[Shape], WeightTable], Built]

#: TF.js's activation identifiers (after its camelCase conversion) -> ops.ACTIVATIONS names
_TFJS_ACTIVATIONS = {
    "linear": "linear", "relu": "relu", "relu6": "relu6", "elu": "elu", "selu": "selu", "sigmoid": "sigmoid",
    "hardSigmoid": "hard_sigmoid", "softplus": "softplus", "softsign": "softsign", "tanh": "tanh",
    "softmax": "softmax", "logSoftmax": "log_softmax", "swish": "swish", "gelu": "gelu", "mish": "mish",
    "silu": "swish",  # Keras 3 writes swish as silu; TF.js 4.22 does not know the name, the function is the same
}


def fail(layer: Layer, problem: str) -> ModelFormatError:
    """The error for a layer whose config or inputs cannot be run: names the layer and its class."""
    return ModelFormatError(f"layer '{layer.name}' ({layer.kind}) {problem}")


def camel(text: str) -> str:
    """TF.js's toCamelCase of a config string."""
    return re.sub(r"_+(\w|$)", lambda m: m.group(1).upper(), text) if "_" in text and len(text) > 1 else text


def activation(layer: Layer, value: Any) -> str:
    """The ops.ACTIVATIONS name of an ``activation`` config value (None is linear, as in TF.js)."""
    if isinstance(value, Mapping):  # Keras 3 serialises {"class_name": ..., "config": {"name": ...}}
        value = (value.get("config") or {}).get("name") or value.get("class_name")
    if value is None:
        return "linear"
    act = _TFJS_ACTIVATIONS.get(camel(str(value))) if isinstance(value, str) else None
    if act is None:
        raise fail(layer, f"uses the activation '{value}', which TF.js does not have.")
    return act


def pair(layer: Layer, field: str, default: Any = None) -> tuple[int, int]:
    """A 2-D size field: one integer for both axes, or two."""
    value = layer.config.get(field, default)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = [value, value]
    if isinstance(value, (list, tuple)) and len(value) == 2 and all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and int(v) == v for v in value):
        return int(value[0]), int(value[1])
    raise fail(layer, f"has an invalid '{field}' {value!r}.")


def count(layer: Layer, field: str, default: Any = None) -> int:
    """A positive integer field (filters, units, depth_multiplier, n)."""
    value = layer.config.get(field, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise fail(layer, f"has an invalid '{field}' {value!r}.")
    return value


def single(layer: Layer, field: str, default: Any = None) -> int:
    """A positive 1-D size field: one integer, or a list of one."""
    value = layer.config.get(field, default)
    if isinstance(value, (list, tuple)) and len(value) == 1:
        value = value[0]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or int(value) != value or value < 1:
        raise fail(layer, f"has an invalid '{field}' {layer.config.get(field, default)!r}.")
    return int(value)


def positive_pair(layer: Layer, field: str, default: Any = None) -> tuple[int, int]:
    value = pair(layer, field, default)
    if min(value) < 1:
        raise fail(layer, f"has a '{field}' {list(value)} below 1.")
    return value


def padding(layer: Layer) -> str:
    """'same' or 'valid' (TF.js's 2-D layers know no other)."""
    value = str(layer.config.get("padding", "valid")).lower()
    if value not in ("same", "valid"):
        raise fail(layer, f"uses padding '{value}'; only 'same' and 'valid' are supported.")
    return value


def channels_last(layer: Layer) -> None:
    fmt = layer.config.get("data_format") or "channels_last"
    if camel(str(fmt)) != "channelsLast":
        raise fail(layer, f"uses data_format '{fmt}'; only channels_last is supported.")


def need_rank(layer: Layer, shape: Shape, rank: int) -> None:
    """Check the input's rank (``rank`` counts the batch axis, as Keras does)."""
    if len(shape) + 1 != rank:
        raise fail(layer, f"needs a {rank}-D input, but gets shape {[None, *shape]}.")


def one_input(layer: Layer, in_shapes: Sequence[Shape]) -> Shape:
    if len(in_shapes) != 1:
        raise fail(layer, f"takes one input, not {len(in_shapes)}.")
    return in_shapes[0]


def number(layer: Layer, field: str, default: float) -> float:
    value = layer.config.get(field)
    if value is None:
        return float(default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value):
        raise fail(layer, f"has an invalid '{field}' {value!r}.")
    return float(value)


def axis_index(layer: Layer, axis: Any, rank: int, field: str = "axis") -> int:
    """A Keras axis (batch axis is 0, negative from the end) as an index into a batch-less shape."""
    if isinstance(axis, list) and len(axis) == 1:  # TF.js reads [a] as a
        axis = axis[0]
    if isinstance(axis, bool) or not isinstance(axis, int) or not -rank - 1 <= axis <= rank or axis in (0, -rank - 1):
        raise fail(layer, f"has '{field}' {axis!r}, which is not an axis of its {rank + 1}-D input.")
    return (axis if axis > 0 else axis + rank + 1) - 1


def identity(x: np.ndarray) -> np.ndarray:
    return x


