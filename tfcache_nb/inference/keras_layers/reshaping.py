"""Layers that move values without computing new ones: reshape, flatten, permute, repeat, crop, pad, upsample.

Also the layers that only act while training (dropout and noise), which pass their input
through at inference, in TF.js as in Keras.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from .. import ops
from ..keras_topology import Layer
from ..keras_weights import WeightTable
from ..ops.resize import resize_bilinear, resize_nearest
from .config import Built, LayerBuilder, Shape, camel, channels_last, count, fail, identity, need_rank, one_input, pair


def _reshape(layer: Layer, in_shapes: Sequence[Shape], table: WeightTable) -> Built:
    shape, target = one_input(layer, in_shapes), layer.config.get("target_shape")
    if not isinstance(target, (list, tuple)) or not all(t is None or isinstance(t, int) for t in target):
        raise fail(layer, f"has an invalid 'target_shape' {target!r}.")
    target = [-1 if t is None or t < 0 else t for t in target]  # TF.js: null or negative is the unknown one
    out = ops.reshape_target(shape, target)
    if out is None:
        raise fail(layer, f"cannot reshape {[None, *shape]} to {[None, *target]}.")
    return (lambda x: ops.reshape(x, out)), out


def _flatten(layer: Layer, in_shapes: Sequence[Shape], table: WeightTable) -> Built:
    shape = one_input(layer, in_shapes)
    if len(shape) < 2:
        raise fail(layer, f"needs an input of at least 3 dimensions, not {[None, *shape]}.")
    out = (math.prod(shape),)
    if camel(str(layer.config.get("data_format") or "channels_last")) == "channelsFirst":
        order = (0, *range(2, len(shape) + 1), 1)  # TF.js moves the channels last before flattening
        return (lambda x: np.transpose(x, order).reshape(x.shape[0], -1)), out
    return ops.flatten, out


def _permute(layer: Layer, in_shapes: Sequence[Shape], table: WeightTable) -> Built:
    shape, dims = one_input(layer, in_shapes), layer.config.get("dims")
    if not isinstance(dims, (list, tuple)) or sorted(dims) != list(range(1, len(shape) + 1)):
        raise fail(layer, f"has 'dims' {dims!r}, which is not a permutation of the axes 1..{len(shape)} "
                          f"of its input {[None, *shape]}.")
    order = (0, *dims)
    return (lambda x: np.transpose(x, order)), tuple(shape[d - 1] for d in dims)


def _repeat_vector(layer: Layer, in_shapes: Sequence[Shape], table: WeightTable) -> Built:
    shape = one_input(layer, in_shapes)
    need_rank(layer, shape, 2)
    n = count(layer, "n")
    return (lambda x: np.repeat(x[:, None, :], n, axis=1)), (n, shape[0])


def _two_sided(layer: Layer, field: str, default: Any) -> tuple[tuple[int, int], tuple[int, int]]:
    """((top, bottom), (left, right)) from one number, [rows, cols] or [[top, bottom], [left, right]]."""
    value = layer.config.get(field, default)
    if isinstance(value, (list, tuple)) and len(value) == 2 and all(isinstance(v, (list, tuple)) for v in value):
        rows, cols = (pair(Layer(layer.name, layer.kind, {field: v}, []), field) for v in value)
    else:
        rows, cols = ((v, v) for v in pair(layer, field, default))
    if min(*rows, *cols) < 0:
        raise fail(layer, f"has a negative '{field}' {value!r}.")
    return rows, cols


def _cropping(layer: Layer, in_shapes: Sequence[Shape], table: WeightTable) -> Built:
    shape = one_input(layer, in_shapes)
    need_rank(layer, shape, 4)
    channels_last(layer)
    (t, b), (le, r) = _two_sided(layer, "cropping", 0)
    h, w, c = shape
    if t + b >= h or le + r >= w:
        raise fail(layer, f"crops {[[t, b], [le, r]]} from an input of shape {[None, *shape]}, leaving nothing.")
    return (lambda x: x[:, t:h - b, le:w - r]), (h - t - b, w - le - r, c)


def _zero_padding(layer: Layer, in_shapes: Sequence[Shape], table: WeightTable) -> Built:
    shape = one_input(layer, in_shapes)
    need_rank(layer, shape, 4)
    channels_last(layer)
    (t, b), (le, r) = _two_sided(layer, "padding", 1)
    return (lambda x: ops.zero_pad(x, t, b, le, r)), (shape[0] + t + b, shape[1] + le + r, shape[2])


def _upsampling(layer: Layer, in_shapes: Sequence[Shape], table: WeightTable) -> Built:
    """TF.js resizes to size x input with ResizeNearestNeighbor or ResizeBilinear (no corner alignment)."""
    shape = one_input(layer, in_shapes)
    need_rank(layer, shape, 4)
    channels_last(layer)
    fh, fw = pair(layer, "size", [2, 2])
    if min(fh, fw) < 1:
        raise fail(layer, f"has a 'size' {[fh, fw]} below 1.")
    mode = str(layer.config.get("interpolation") or "nearest")
    if mode not in ("nearest", "bilinear"):
        raise fail(layer, f"uses interpolation '{mode}'; TF.js has only 'nearest' and 'bilinear'.")
    size = (shape[0] * fh, shape[1] * fw)
    resize = resize_nearest if mode == "nearest" else resize_bilinear
    return (lambda x: resize(x, size)), (*size, shape[2])


def _passthrough(layer: Layer, in_shapes: Sequence[Shape], table: WeightTable) -> Built:
    return identity, one_input(layer, in_shapes)


BUILDERS: dict[str, LayerBuilder] = {
    "Reshape": _reshape, "Flatten": _flatten, "Permute": _permute, "RepeatVector": _repeat_vector,
    "Cropping2D": _cropping, "ZeroPadding2D": _zero_padding, "UpSampling2D": _upsampling,
    # training-only layers: the identity at inference
    "Dropout": _passthrough, "SpatialDropout1D": _passthrough, "SpatialDropout2D": _passthrough,
    "GaussianNoise": _passthrough, "GaussianDropout": _passthrough, "AlphaDropout": _passthrough,
    "ActivityRegularization": _passthrough,
}
