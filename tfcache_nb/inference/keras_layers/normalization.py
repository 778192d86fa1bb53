"""Batch and layer normalization at inference: ``(x - mean) / sqrt(variance + eps) * gamma + beta``.

Batch norm uses the moving statistics; layer norm the mean and variance of each sample over
its axes. Rescaling (``x * scale + offset``) lives here too.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from .. import ops
from ..keras_topology import Layer
from ..keras_weights import WeightTable
from .config import Built, LayerBuilder, Shape, axis_index, fail, one_input

F32 = np.float32


def bn_axis(layer: Layer, rank: int) -> int:
    """The normalised axis as an index into the batch-less shape (TF.js reads ``[a]`` as ``a``)."""
    return axis_index(layer, layer.config.get("axis", -1), rank)


def bn_params(layer: Layer, table: WeightTable, channels: int,
              ) -> tuple[np.ndarray | None, np.ndarray | None, np.ndarray, np.ndarray, float]:
    """(gamma, beta, mean, variance, epsilon) of a batch norm layer over ``channels``."""
    cfg = layer.config
    gamma = table.get(layer.name, "gamma", (channels,)) if cfg.get("scale", True) else None
    beta = table.get(layer.name, "beta", (channels,)) if cfg.get("center", True) else None
    mean = table.get(layer.name, "moving_mean", (channels,))
    var = table.get(layer.name, "moving_variance", (channels,))
    return gamma, beta, mean, var, float(cfg.get("epsilon", 1e-3))


def _batch_norm(layer: Layer, in_shapes: Sequence[Shape], table: WeightTable) -> Built:
    """A batch norm that no kernel absorbed, as TF.js's CPU kernel computes it: in double
    precision, rounded to float32 once (:func:`ops.batch_norm`, as the graph runtime's).

    That kernel walks the flattened input and takes the parameters in turn (element i uses
    parameter i mod n): along the last axis that is the usual batch norm; along any other
    axis (the parameters reshaped to broadcast, as TF.js's layer does) it is not what Keras
    or TF.js's WebGL backend compute, but it is what TF.js's CPU backend returns, and this
    runtime matches that backend.
    """
    shape = one_input(layer, in_shapes)
    if len(shape) + 1 > 4:
        raise fail(layer, f"gets a {len(shape) + 1}-D input; TF.js normalises inputs of rank 2 to 4 only.")
    n = shape[bn_axis(layer, len(shape))]
    gamma, beta, mean, var, eps = bn_params(layer, table, n)

    def bn(x: np.ndarray) -> np.ndarray:  # rows of n: element i meets parameter i mod n
        return ops.batch_norm(x.reshape(-1, n), gamma, beta, mean, var, eps).reshape(x.shape)
    return bn, shape


def _layer_norm(layer: Layer, in_shapes: Sequence[Shape], table: WeightTable) -> Built:
    """Each sample normalised over ``axis`` (population variance, as tf.moments), then scaled and shifted."""
    shape = one_input(layer, in_shapes)
    if not 2 <= len(shape) + 1 <= 4:
        raise fail(layer, f"gets a {len(shape) + 1}-D input; TF.js normalises inputs of rank 2 to 4 only.")
    axis = layer.config.get("axis", -1)
    axes = sorted({axis_index(layer, a, len(shape)) for a in (axis if isinstance(axis, list) else [axis])})
    along = [shape[a] if a in axes else 1 for a in range(len(shape))]
    params = [shape[a] for a in axes]
    cfg = layer.config
    gamma = table.get(layer.name, "gamma", params).reshape(along) if cfg.get("scale", True) else None
    beta = table.get(layer.name, "beta", params).reshape(along) if cfg.get("center", True) else None
    eps = float(cfg.get("epsilon", 1e-3))
    over = tuple(a + 1 for a in axes)

    def layer_norm(x: np.ndarray) -> np.ndarray:
        x64 = x.astype(np.float64)
        mean = x64.mean(axis=over, keepdims=True)
        var = np.square(x64 - mean).mean(axis=over, keepdims=True)
        y = (x64 - mean) / np.sqrt(var + eps)
        if gamma is not None:
            y *= gamma
        if beta is not None:
            y += beta
        return y.astype(F32)
    return layer_norm, shape


def _rescaling(layer: Layer, in_shapes: Sequence[Shape], table: WeightTable) -> Built:
    shape = one_input(layer, in_shapes)
    try:
        scale = np.asarray(layer.config.get("scale", 1.0), F32)
        offset = np.asarray(layer.config.get("offset") or 0.0, F32)
        out = np.broadcast_shapes(shape, scale.shape, offset.shape)
    except (TypeError, ValueError):
        raise fail(layer, f"has a scale {layer.config.get('scale')!r} or offset {layer.config.get('offset')!r} "
                          f"that does not fit its input {[None, *shape]}.") from None
    if tuple(out) != tuple(shape):
        raise fail(layer, f"has a scale or offset that would change the shape {[None, *shape]}.")
    return (lambda x: x * scale + offset), shape


BUILDERS: dict[str, LayerBuilder] = {"BatchNormalization": _batch_norm, "LayerNormalization": _layer_norm,
                                     "Rescaling": _rescaling}
