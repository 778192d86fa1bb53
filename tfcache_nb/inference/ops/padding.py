"""TensorFlow's padding rules ('same', 'valid', explicit) and the output sizes they give."""

from __future__ import annotations

from typing import Sequence

import numpy as np

Padding = str | Sequence[Sequence[int]]  # 'same', 'valid' or ((top, bottom), (left, right))


def pad_constant(x: np.ndarray, widths: Sequence[tuple[int, int]], value: object = 0) -> np.ndarray:
    """``np.pad(x, widths, constant_values=value)`` without np.pad's generic per-call work (tens of
    microseconds, paid by every Pad and padded pooling of a graph): the borders are filled, then
    ``x`` is copied in."""
    shape = tuple(n + a + b for n, (a, b) in zip(x.shape, widths))
    out = np.empty(shape, x.dtype)
    whole = [slice(None)] * x.ndim
    for axis, (a, b) in enumerate(widths):
        if a:
            out[(*whole[:axis], slice(0, a))] = value
        if b:
            out[(*whole[:axis], slice(shape[axis] - b, shape[axis]))] = value
    out[tuple(slice(a, a + n) for n, (a, _) in zip(x.shape, widths))] = x
    return out


def conv_output_size(size: int, k: int, stride: int, dilation: int, padding: str) -> int:
    """Output length along one axis for TensorFlow's 'same' / 'valid' padding."""
    if padding == "same":
        return -(-size // stride)
    eff = (k - 1) * dilation + 1
    return max(0, (size - eff) // stride + 1)


def same_pads(size: int, k: int, stride: int, dilation: int = 1) -> tuple[int, int]:
    """TensorFlow's 'same' padding (before, after): the extra one goes after."""
    out = -(-size // stride)
    total = max((out - 1) * stride + (k - 1) * dilation + 1 - size, 0)
    return total // 2, total - total // 2


def axis_pads(size: int, k: int, stride: int, dilation: int, padding: str | Sequence[int]) -> tuple[int, int]:
    """(before, after) for 'same', 'valid' or explicit (before, after) padding."""
    if isinstance(padding, str):
        return same_pads(size, k, stride, dilation) if padding == "same" else (0, 0)
    return int(padding[0]), int(padding[1])


def padded_output_size(size: int, k: int, stride: int, dilation: int, pads: tuple[int, int]) -> int:
    """Output length along one axis once ``pads`` (before, after) are added."""
    eff = (k - 1) * dilation + 1
    return max(0, (size + pads[0] + pads[1] - eff) // stride + 1)


def window_geometry(h: int, w: int, kernel: tuple[int, int], strides: tuple[int, int],
                    dilations: tuple[int, int], padding: Padding
                    ) -> tuple[tuple[int, int], tuple[int, int], int, int]:
    """((top, bottom), (left, right), oh, ow) of a sliding window over an h x w input."""
    spec_h, spec_w = (padding, padding) if isinstance(padding, str) else (padding[0], padding[1])
    ph = axis_pads(h, kernel[0], strides[0], dilations[0], spec_h)
    pw = axis_pads(w, kernel[1], strides[1], dilations[1], spec_w)
    oh = padded_output_size(h, kernel[0], strides[0], dilations[0], ph)
    ow = padded_output_size(w, kernel[1], strides[1], dilations[1], pw)
    return ph, pw, oh, ow


def zero_pad(x: np.ndarray, top: int, bottom: int, left: int, right: int) -> np.ndarray:
    """ZeroPadding2D on an NHWC batch, into one preallocated buffer."""
    n, h, w, c = x.shape
    out = np.zeros((n, h + top + bottom, w + left + right, c), dtype=x.dtype)
    out[:, top:top + h, left:left + w, :] = x
    return out
