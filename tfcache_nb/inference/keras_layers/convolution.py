"""Conv2DTranspose and Conv1D, as TF.js's layers compute them.

TF.js sizes the output ``input * stride`` ('same') or ``input * stride + max(kernel - stride, 0)``
('valid') and calls conv2dTranspose with neither ``output_padding`` nor ``dilation_rate``,
which it ignores; so does this layer. The convolutions TF.js runs forward (Conv2D,
DepthwiseConv2D, SeparableConv2D, Dense) are built with their followers folded in, in
:mod:`..layers_model`.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from .. import ops
from ..keras_topology import Layer
from ..keras_weights import WeightTable
from ..ops.conv_transpose import Conv2DTranspose
from ..ops.padding import conv_output_size
from .config import (Built, LayerBuilder, Shape, activation, channels_last, count, fail, need_rank, one_input,
                     padding, positive_pair, single)


def deconv_length(size: int, stride: int, kernel: int, pad: str) -> int:
    """TF.js's deconvLength: the output size of a transposed convolution along one axis."""
    return size * stride + (max(kernel - stride, 0) if pad == "valid" else 0)


def _conv1d(layer: Layer, in_shapes: Sequence[Shape], table: WeightTable) -> Built:
    """A 1-D convolution over (steps, channels): TF.js's conv1d, run as a 2-D convolution one row high."""
    shape = one_input(layer, in_shapes)
    need_rank(layer, shape, 3)
    channels_last(layer)
    k, stride, dilation = single(layer, "kernel_size"), single(layer, "strides", 1), single(layer, "dilation_rate", 1)
    if stride != 1 and dilation != 1:
        raise fail(layer, f"combines stride {stride} with dilation {dilation}, which TF.js does not allow.")
    pad = padding(layer)
    filters = count(layer, "filters")
    kernel = table.get(layer.name, "kernel", (k, shape[1], filters))
    bias = table.get(layer.name, "bias", (filters,)) if layer.config.get("use_bias", True) else None
    conv = ops.Conv2D(kernel[None], bias, (1, stride), pad, (1, dilation),
                      activation(layer, layer.config.get("activation")))
    steps = conv_output_size(shape[0], k, stride, dilation, pad)
    if steps < 1:
        raise fail(layer, f"needs at least {(k - 1) * dilation + 1} steps, but gets {shape[0]}.")
    return (lambda x: conv(x[:, None])[:, 0]), (steps, filters)


def _conv_transpose(layer: Layer, in_shapes: Sequence[Shape], table: WeightTable) -> Built:
    shape = one_input(layer, in_shapes)
    need_rank(layer, shape, 4)
    channels_last(layer)
    cfg = layer.config
    kh, kw = positive_pair(layer, "kernel_size")
    sh, sw = positive_pair(layer, "strides", 1)
    pad = padding(layer)
    filters = count(layer, "filters")
    kernel = table.get(layer.name, "kernel", (kh, kw, filters, shape[2]))
    bias = table.get(layer.name, "bias", (filters,)) if cfg.get("use_bias", True) else None
    act = ops.ACTIVATIONS[activation(layer, cfg.get("activation"))]
    out_hw = (deconv_length(shape[0], sh, kh, pad), deconv_length(shape[1], sw, kw, pad))
    conv = Conv2DTranspose(kernel, (sh, sw), pad)

    def conv_transpose(x: np.ndarray) -> np.ndarray:
        y = conv(x, out_hw)
        if bias is not None:
            y += bias
        return act(y)
    return conv_transpose, (*out_hw, filters)


BUILDERS: dict[str, LayerBuilder] = {"Conv2DTranspose": _conv_transpose, "Conv1D": _conv1d}
