"""Activation layers (TF.js's core Activation and advanced_activations), computed as TF.js does.

TF.js reads fewer fields than Keras writes: its ReLU layer applies only ``max_value`` (Keras's
``negative_slope`` and ``threshold`` are ignored), LeakyReLU reads ``alpha`` (default 0.3;
Keras 3's ``negative_slope`` is ignored), ELU refuses any alpha but 1, and Softmax without an
``axis`` normalises axis 1. The layers here do the same, so outputs match TF.js's.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from .. import ops
from ..keras_topology import Layer
from ..keras_weights import WeightTable
from .config import Built, LayerBuilder, Shape, activation, axis_index, fail, number, one_input

F32 = np.float32


def _activation(layer: Layer, in_shapes: Sequence[Shape], table: WeightTable) -> Built:
    shape = one_input(layer, in_shapes)
    fn = ops.ACTIVATIONS[activation(layer, layer.config.get("activation"))]
    return (lambda x: fn(x)), shape


def relu_layer_activation(layer: Layer) -> str | None:
    """'relu' or 'relu6' when a ReLU layer is one of those (TF.js ignores the slope and threshold)."""
    cap = layer.config.get("max_value")
    if cap is None:
        return "relu"
    return "relu6" if cap == 6 else None


def _relu(layer: Layer, in_shapes: Sequence[Shape], table: WeightTable) -> Built:
    shape = one_input(layer, in_shapes)
    cap = layer.config.get("max_value")
    if cap is None:
        return ops.relu, shape
    cap = number(layer, "max_value", 0)
    if cap < 0:
        raise fail(layer, f"has a negative max_value {cap}.")
    return (lambda x: np.clip(x, 0, F32(cap))), shape


def _leaky_relu(layer: Layer, in_shapes: Sequence[Shape], table: WeightTable) -> Built:
    shape = one_input(layer, in_shapes)
    alpha = F32(number(layer, "alpha", 0.3))
    return (lambda x: np.where(x < 0, x * alpha, x)), shape


def _prelu(layer: Layer, in_shapes: Sequence[Shape], table: WeightTable) -> Built:
    """x where x >= 0, alpha * x below; alpha has the input's shape, 1 along ``shared_axes``."""
    shape = one_input(layer, in_shapes)
    shared = layer.config.get("shared_axes")
    shared = [] if shared is None else [shared] if isinstance(shared, int) else list(shared)
    alpha_shape = list(shape)
    for axis in shared:
        alpha_shape[axis_index(layer, axis, len(shape), "shared_axes")] = 1
    alpha = table.get(layer.name, "alpha", alpha_shape)
    return (lambda x: np.where(x < 0, x * alpha, x)), shape


def _elu(layer: Layer, in_shapes: Sequence[Shape], table: WeightTable) -> Built:
    shape = one_input(layer, in_shapes)
    if number(layer, "alpha", 1.0) != 1.0:
        raise fail(layer, f"has alpha {layer.config['alpha']}; TF.js's ELU layer supports only alpha = 1.")
    return ops.ACTIVATIONS["elu"], shape


def _thresholded_relu(layer: Layer, in_shapes: Sequence[Shape], table: WeightTable) -> Built:
    shape = one_input(layer, in_shapes)
    theta = F32(number(layer, "theta", 1.0))
    return (lambda x: x * (x > theta).astype(F32)), shape


def _softmax(layer: Layer, in_shapes: Sequence[Shape], table: WeightTable) -> Built:
    shape = one_input(layer, in_shapes)
    axis = layer.config.get("axis", 1)
    axes = axis if isinstance(axis, list) and len(axis) > 1 else [axis]
    idx = tuple(1 + axis_index(layer, a, len(shape)) for a in axes)
    if len(idx) == 1:
        return (lambda x: ops.softmax(x, axis=idx[0])), shape

    def softmax_over_axes(x: np.ndarray) -> np.ndarray:  # TF.js: exp(x - logSumExp(x, axes))
        top = x.max(axis=idx, keepdims=True)
        lse = np.log(np.exp(x - top).sum(axis=idx, keepdims=True)) + top
        return np.exp(x - lse)
    return softmax_over_axes, shape


BUILDERS: dict[str, LayerBuilder] = {
    "Activation": _activation, "ReLU": _relu, "LeakyReLU": _leaky_relu, "PReLU": _prelu, "ELU": _elu,
    "ThresholdedReLU": _thresholded_relu, "Softmax": _softmax,
}
