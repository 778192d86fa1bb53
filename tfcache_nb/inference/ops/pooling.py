"""Average and max pooling with TensorFlow's semantics: 'same' averages only over real pixels."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from .padding import conv_output_size, window_geometry

F32 = np.float32


def pool2d(x: np.ndarray, pool: Sequence[int], strides: Sequence[int], padding: str, mode: str) -> np.ndarray:
    """Pooling of an NHWC batch; ``mode`` is 'avg' or 'max'."""
    n, h, w, c = x.shape
    kh, kw = int(pool[0]), int(pool[1])
    sh, sw = int(strides[0]), int(strides[1])
    (pt, pb), (pl, pr), oh, ow = window_geometry(h, w, (kh, kw), (sh, sw), (1, 1), padding)
    fill = -np.inf if mode == "max" else 0.0
    xp = np.full((n, h + pt + pb, w + pl + pr, c), fill, F32)
    xp[:, pt:pt + h, pl:pl + w] = x
    out = None
    for i in range(kh):
        for j in range(kw):
            s = xp[:, i:i + (oh - 1) * sh + 1:sh, j:j + (ow - 1) * sw + 1:sw]
            if out is None:
                out = s.copy()
            elif mode == "max":
                np.maximum(out, s, out=out)
            else:
                out += s
    if mode == "max":
        return out
    ones = np.zeros((h + pt + pb, w + pl + pr), F32)
    ones[pt:pt + h, pl:pl + w] = 1
    count = np.zeros((oh, ow), F32)
    for i in range(kh):
        for j in range(kw):
            count += ones[i:i + (oh - 1) * sh + 1:sh, j:j + (ow - 1) * sw + 1:sw]
    out /= count[None, :, :, None]
    return out


def pool_output_shape(shape: Sequence[int], pool: Sequence[int], strides: Sequence[int], padding: str) -> tuple[int, int, int]:
    """(oh, ow, c) of pooling an (h, w, c) input."""
    h, w, c = shape
    oh = conv_output_size(h, int(pool[0]), int(strides[0]), 1, padding)
    ow = conv_output_size(w, int(pool[1]), int(strides[1]), 1, padding)
    return oh, ow, c


def global_avg_pool(x: np.ndarray, keepdims: bool = False) -> np.ndarray:
    """Mean over the spatial axes of an NHWC batch."""
    return x.mean(axis=(1, 2), keepdims=keepdims, dtype=F32)
