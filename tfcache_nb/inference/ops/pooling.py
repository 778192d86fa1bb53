"""Average and max pooling with TensorFlow's semantics: 'same' averages only over real pixels."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from .mean import mean
from .padding import Padding, conv_output_size
from .windows import pool_nd, window_pads

F32 = np.float32


def pool2d(x: np.ndarray, pool: Sequence[int], strides: Sequence[int], padding: Padding, mode: str) -> np.ndarray:
    """Pooling of an NHWC batch as TF.js's CPU kernels (``mode`` 'avg' or 'max'), for every
    runtime: a 1x1 window whose output has the input's shape is the identity (NaN stays), otherwise max
    pooling skips NaN and average pooling divides by the real (unpadded) inputs of each window.
    Float32 out (a max pool's caller casts back to the input's dtype where TF.js keeps it)."""
    kernel, steps = (int(pool[0]), int(pool[1])), (int(strides[0]), int(strides[1]))
    if kernel == (1, 1) and tuple(window_pads(x.shape[1:3], kernel, steps, (1, 1), padding)[1]) == x.shape[1:3]:
        return x.astype(F32)  # whatever the strides (a copy: TF.js returns a new tensor)
    return pool_nd(x, kernel, steps, padding, mode)


def pool_output_shape(shape: Sequence[int], pool: Sequence[int], strides: Sequence[int], padding: str) -> tuple[int, int, int]:
    """(oh, ow, c) of pooling an (h, w, c) input."""
    h, w, c = shape
    oh = conv_output_size(h, int(pool[0]), int(strides[0]), 1, padding)
    ow = conv_output_size(w, int(pool[1]), int(strides[1]), 1, padding)
    return oh, ow, c


def global_avg_pool(x: np.ndarray, keepdims: bool = False) -> np.ndarray:
    """Mean over the spatial axes of an NHWC batch (TF.js's mean: Keras's GlobalAveragePooling2D)."""
    return mean(x, (1, 2), keepdims)
