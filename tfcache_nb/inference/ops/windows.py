"""Sliding-window ops beyond 2-D convolution and pooling: any number of spatial axes.

Each op walks the window's taps and does one vectorised numpy step per tap over the whole
padded input (large pooling windows one axis at a time), so there is no loop over pixels.
Geometry (TensorFlow's 'same' / 'valid' rules) comes from :mod:`.padding`, channels last.
"""

from __future__ import annotations

import itertools
from typing import Sequence

import numpy as np
from numpy.lib.stride_tricks import as_strided

from .padding import Padding, axis_pads, pad_constant, padded_output_size

F32 = np.float32
#: windows of at most this many taps are pooled tap by tap; larger ones one axis at a time
_DIRECT_TAPS = 16
#: what TF.js's Dilation2D writes where no tap reaches the image (Number.MIN_SAFE_INTEGER)
DILATION_EMPTY = -(2.0 ** 53 - 1)


def window_pads(spatial: Sequence[int], kernel: Sequence[int], strides: Sequence[int], dilations: Sequence[int],
                padding: Padding) -> tuple[list[tuple[int, int]], list[int]]:
    """(before, after) pads and output size of each spatial axis."""
    pads, outs = [], []
    for axis, size in enumerate(spatial):
        spec = padding if isinstance(padding, str) else padding[axis]
        p = axis_pads(size, kernel[axis], strides[axis], dilations[axis], spec)
        pads.append(p)
        outs.append(padded_output_size(size, kernel[axis], strides[axis], dilations[axis], p))
    return pads, outs


def _padded(x: np.ndarray, pads: list[tuple[int, int]], fill: float) -> np.ndarray:
    if not any(a or b for a, b in pads):
        return x
    return pad_constant(x, [(0, 0), *pads, (0, 0)], fill)


def _tap(xp: np.ndarray, offset: Sequence[int], strides: Sequence[int], outs: Sequence[int]) -> np.ndarray:
    """The input values tap ``offset`` reads for every output position: (n, *outs, c)."""
    index = tuple(slice(o, o + (m - 1) * s + 1, s) for o, s, m in zip(offset, strides, outs))
    return xp[(slice(None), *index)]


def pool_nd(x: np.ndarray, kernel: Sequence[int], strides: Sequence[int], padding: Padding, mode: str) -> np.ndarray:
    """Max or average pooling over the spatial axes of an (n, *spatial, c) array.

    A small window runs tap by tap; a larger one is reduced one spatial axis at a time (max and
    sum both allow it), so a k x k window costs 2k numpy steps, not k*k (a 64x64 global pool
    is 128), and sums in float64. Average pooling divides by the number of real (unpadded)
    inputs in each window; max pooling skips NaN inputs like TF.js's kernel (``pixel > max``
    is false for NaN).
    """
    spatial = x.shape[1:-1]
    pads, outs = window_pads(spatial, kernel, strides, [1] * len(spatial), padding)
    if int(np.prod(kernel)) <= _DIRECT_TAPS:
        return _pool_direct(x, kernel, strides, pads, outs, mode)
    y = x.astype(np.float64 if mode == "avg" else F32, copy=False)
    count = np.ones((), np.float64)
    for axis in range(len(spatial)):
        y = _pool_axis(y, 1 + axis, kernel[axis], strides[axis], pads[axis], outs[axis], mode)
        if mode == "avg":
            real = _pool_axis(np.ones((1, spatial[axis], 1)), 1, kernel[axis], strides[axis], pads[axis],
                              outs[axis], "avg")[0, :, 0]
            count = np.multiply.outer(count, real)
    if mode == "max":
        return np.ascontiguousarray(y)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (y / count[None, ..., None]).astype(F32)


def _pool_direct(x: np.ndarray, kernel: Sequence[int], strides: Sequence[int], pads: list[tuple[int, int]],
                 outs: list[int], mode: str) -> np.ndarray:
    """Small windows: one step per tap over the padded input, in TF.js's order (row by row).

    Average pooling sums in float64 and divides once, as TF.js's kernel does in JavaScript
    numbers before it stores the float32 result.
    """
    fill = -np.inf if mode == "max" else 0.0
    xp = _padded(x.astype(F32, copy=False), pads, fill)
    taps = list(itertools.product(*(range(k) for k in kernel)))
    if mode == "max":
        acc = np.full((x.shape[0], *outs, x.shape[-1]), fill, F32)
        for offset in taps:
            np.fmax(acc, _tap(xp, offset, strides, outs), out=acc)
        return acc
    acc = np.zeros((x.shape[0], *outs, x.shape[-1]), np.float64)
    count = np.zeros(outs, np.float64)
    real = _padded(np.ones((1, *x.shape[1:-1], 1), F32), pads, 0.0)
    for offset in taps:
        np.add(acc, _tap(xp, offset, strides, outs), out=acc)
        count += _tap(real, offset, strides, outs)[0, ..., 0]
    with np.errstate(invalid="ignore", divide="ignore"):
        acc /= count[None, ..., None]
    return acc.astype(F32)


def _pool_axis(x: np.ndarray, axis: int, k: int, stride: int, pads: tuple[int, int], out: int, mode: str
               ) -> np.ndarray:
    """The window max or sum along one axis: padding is -inf (max) or 0 (sum), as if absent."""
    widths = [(0, 0)] * x.ndim
    widths[axis] = pads
    fill = -np.inf if mode == "max" else 0.0
    xp = pad_constant(x, widths, fill) if any(pads) else x
    shape = list(x.shape)
    shape[axis] = out
    acc = np.full(shape, fill, x.dtype)
    index = [slice(None)] * x.ndim
    for t in range(k):
        index[axis] = slice(t, t + (out - 1) * stride + 1, stride)
        tap = xp[tuple(index)]
        if mode == "max":
            np.fmax(acc, tap, out=acc)
        else:
            acc += tap
    return acc


def max_pool_with_argmax(x: np.ndarray, kernel: Sequence[int], strides: Sequence[int], padding: Padding,
                         include_batch_in_index: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """2-D max pooling and the flat index of each maximum, as TF.js's MaxPoolWithArgmax.

    The index is ``(y * width + x) * channels + c`` (plus ``b * height * width * channels``
    with ``include_batch_in_index``); the first maximum in row-major window order wins.
    """
    n, h, w, c = x.shape
    pads, (oh, ow) = window_pads((h, w), kernel, strides, (1, 1), padding)
    (pt, _), (pl, _) = pads
    xp = _padded(x.astype(F32, copy=False), pads, -np.inf)
    best = np.full((n, oh, ow, c), -np.inf, F32)
    where = np.full((n, oh, ow, c), -1, np.int64)
    rows = np.arange(oh)[:, None] * strides[0] - pt
    cols = np.arange(ow)[None, :] * strides[1] - pl
    chan = np.arange(c)
    batch = (np.arange(n) * (h * w * c))[:, None, None, None] if include_batch_in_index else 0
    for i in range(kernel[0]):
        for j in range(kernel[1]):
            vals = _tap(xp, (i, j), strides, (oh, ow))
            better = vals > best
            flat = ((rows + i) * w + (cols + j))[:, :, None] * c + chan
            np.copyto(best, vals, where=better)
            np.copyto(where, (batch + flat[None]), where=better)
    return best, where.astype(np.int32)


def dilation2d(x: np.ndarray, kernel: np.ndarray, strides: Sequence[int], rates: Sequence[int],
               padding: Padding) -> np.ndarray:
    """Grey-scale morphological dilation: max over the window of ``x + kernel`` per channel.

    ``kernel`` is (kh, kw, c). An output whose window holds no input pixel gets
    ``DILATION_EMPTY``, as TF.js's kernel leaves it.
    """
    n, h, w, c = x.shape
    kh, kw, kc = kernel.shape
    if kc != c:
        raise ValueError(f"the filter has {kc} channels; the input has {c}")
    pads, outs = window_pads((h, w), (kh, kw), strides, rates, padding)
    xp = _padded(x.astype(F32, copy=False), pads, -np.inf)
    out = np.full((n, *outs, c), DILATION_EMPTY, np.float64)
    k = kernel.astype(F32)
    for i in range(kh):
        for j in range(kw):
            vals = _tap(xp, (i * rates[0], j * rates[1]), strides, outs).astype(np.float64) + k[i, j]
            np.fmax(out, vals, out=out)
    return out.astype(x.dtype if x.dtype != np.float64 else F32)


def conv_nd(x: np.ndarray, kernel: np.ndarray, strides: Sequence[int], dilations: Sequence[int],
            padding: Padding) -> np.ndarray:
    """Convolution over any number of spatial axes as one matrix product (im2col through a strided view).

    ``x`` is (n, *spatial, cin), ``kernel`` (*window, cin, cout).
    """
    spatial = x.shape[1:-1]
    window = kernel.shape[:-2]
    cin, cout = kernel.shape[-2:]
    if x.shape[-1] != cin:
        raise ValueError(f"the input has {x.shape[-1]} channels; the filter expects {cin}")
    pads, outs = window_pads(spatial, window, strides, dilations, padding)
    xp = np.ascontiguousarray(_padded(x.astype(F32, copy=False), pads, 0.0))
    s = xp.strides
    d = len(spatial)
    view = as_strided(xp, shape=(x.shape[0], *outs, *window, cin),
                      strides=(s[0], *(s[1 + a] * strides[a] for a in range(d)),
                               *(s[1 + a] * dilations[a] for a in range(d)), s[-1]),
                      writeable=False)
    cols = view.reshape(-1, int(np.prod(window)) * cin)
    out = cols @ np.ascontiguousarray(kernel, F32).reshape(-1, cout)
    return out.reshape(x.shape[0], *outs, cout)
