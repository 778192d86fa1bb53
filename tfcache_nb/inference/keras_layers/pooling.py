"""Pooling layers: max and average windows, and the global ones over height and width.

TF.js's global pooling ignores Keras's ``keepdims``: the output is always (batch, channels).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from .. import ops
from ..keras_topology import Layer
from ..keras_weights import WeightTable
from .config import Built, LayerBuilder, Shape, channels_last, need_rank, one_input, padding, positive_pair, single


def _pooling(layer: Layer, in_shapes: Sequence[Shape], table: WeightTable) -> Built:
    shape = one_input(layer, in_shapes)
    need_rank(layer, shape, 4)
    channels_last(layer)
    pool = positive_pair(layer, "pool_size", 2)
    strides = positive_pair(layer, "strides", None) if layer.config.get("strides") is not None else pool
    pad = padding(layer)
    mode = "avg" if layer.kind == "AveragePooling2D" else "max"
    out = ops.pool_output_shape(shape, pool, strides, pad)
    return (lambda x: ops.pool2d(x, pool, strides, pad, mode)), out


def _pooling1d(layer: Layer, in_shapes: Sequence[Shape], table: WeightTable) -> Built:
    """TF.js pools (steps, channels) as a 2-D window one column wide."""
    shape = one_input(layer, in_shapes)
    need_rank(layer, shape, 3)
    pool = single(layer, "pool_size", 2)
    stride = single(layer, "strides") if layer.config.get("strides") is not None else pool
    pad = padding(layer)
    mode = "avg" if layer.kind == "AveragePooling1D" else "max"
    steps, _, channels = ops.pool_output_shape((shape[0], 1, shape[1]), (pool, 1), (stride, 1), pad)
    return (lambda x: ops.pool2d(x[:, :, None], (pool, 1), (stride, 1), pad, mode)[:, :, 0]), (steps, channels)


def _global_pooling1d(layer: Layer, in_shapes: Sequence[Shape], table: WeightTable) -> Built:
    shape = one_input(layer, in_shapes)
    need_rank(layer, shape, 3)
    if layer.kind == "GlobalAveragePooling1D":
        return (lambda x: ops.mean(x, (1,))), (shape[1],)
    return (lambda x: x.max(axis=1)), (shape[1],)


def _global_pooling(layer: Layer, in_shapes: Sequence[Shape], table: WeightTable) -> Built:
    shape = one_input(layer, in_shapes)
    need_rank(layer, shape, 4)
    channels_last(layer)
    if layer.kind == "GlobalAveragePooling2D":
        return (lambda x: ops.global_avg_pool(x)), (shape[2],)
    return (lambda x: np.max(x, axis=(1, 2))), (shape[2],)


BUILDERS: dict[str, LayerBuilder] = {
    "MaxPooling2D": _pooling, "AveragePooling2D": _pooling,
    "GlobalAveragePooling2D": _global_pooling, "GlobalMaxPooling2D": _global_pooling,
    "MaxPooling1D": _pooling1d, "AveragePooling1D": _pooling1d,
    "GlobalAveragePooling1D": _global_pooling1d, "GlobalMaxPooling1D": _global_pooling1d,
}
