"""Transposed 2-D convolution (TensorFlow's Conv2DBackpropInput, Keras's Conv2DTranspose).

One matrix product gives every input pixel's contribution to its kh x kw output window
(``dy @ W^T``: (pixels, kh*kw*cout)); then each of the kh*kw taps is added into the output
through one strided slice (col2im). That is kh*kw numpy calls per prediction however large
the image, and the matrix product does all the multiply-adds.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from .padding import Padding, axis_pads, padded_output_size

F32 = np.float32


class Conv2DTranspose:
    """The gradient of a 2-D convolution with respect to its input, weights fixed at build time.

    ``kernel`` has the forward convolution's layout (kh, kw, out_channels, in_channels): the
    transposed convolution reads ``in_channels`` per pixel and writes ``out_channels``.
    ``padding`` is 'same', 'valid' or ((top, bottom), (left, right)) of the forward convolution.
    """

    def __init__(self, kernel: np.ndarray, strides: Sequence[int] = (1, 1), padding: Padding = "valid"):
        if kernel.ndim != 4:
            raise ValueError(f"the filter must have rank 4, not {kernel.ndim}")
        self.kh, self.kw, self.cout, self.cin = kernel.shape
        self.sh, self.sw = int(strides[0]), int(strides[1])
        if self.sh < 1 or self.sw < 1:
            raise ValueError(f"strides must be positive, not {tuple(strides)}")
        self.padding = padding
        # (cin, kh*kw*cout): one row per input channel, its whole output window in the columns
        self.matrix = np.ascontiguousarray(
            np.asarray(kernel, F32).transpose(3, 0, 1, 2).reshape(self.cin, self.kh * self.kw * self.cout))

    def geometry(self, out_h: int, out_w: int) -> tuple[int, int, int, int]:
        """(top pad, left pad, forward rows, forward cols) for an output of out_h x out_w."""
        spec_h, spec_w = (self.padding, self.padding) if isinstance(self.padding, str) else self.padding
        ph = axis_pads(out_h, self.kh, self.sh, 1, spec_h)
        pw = axis_pads(out_w, self.kw, self.sw, 1, spec_w)
        rows = padded_output_size(out_h, self.kh, self.sh, 1, ph)
        cols = padded_output_size(out_w, self.kw, self.sw, 1, pw)
        return ph[0], pw[0], rows, cols

    def __call__(self, dy: np.ndarray, out_hw: Sequence[int]) -> np.ndarray:
        """The (n, out_h, out_w, out_channels) result for ``dy`` of shape (n, h, w, in_channels).

        Rows and columns of ``dy`` beyond what the forward convolution of an out_h x out_w
        image produces are ignored (as TensorFlow.js does); fewer are an error.
        """
        n, h, w, c = dy.shape
        if c != self.cin:
            raise ValueError(f"the input has {c} channels; the filter expects {self.cin}")
        out_h, out_w = int(out_hw[0]), int(out_hw[1])
        if out_h < 0 or out_w < 0:
            raise ValueError(f"the output size must not be negative, not {out_h}x{out_w}")
        pt, pl, rows, cols = self.geometry(out_h, out_w)
        if h < rows or w < cols:
            raise ValueError(f"the input is {h}x{w}; a {out_h}x{out_w} output needs {rows}x{cols}")
        if h > rows or w > cols:
            dy = dy[:, :rows, :cols]
        kh, kw, sh, sw, co = self.kh, self.kw, self.sh, self.sw, self.cout
        taps = np.matmul(np.ascontiguousarray(dy, dtype=F32).reshape(n * rows * cols, c), self.matrix)
        taps = taps.reshape(n, rows, cols, kh, kw, co)
        full_h = max((rows - 1) * sh + kh, pt + out_h) if rows else pt + out_h
        full_w = max((cols - 1) * sw + kw, pl + out_w) if cols else pl + out_w
        full = np.zeros((n, full_h, full_w, co), F32)
        if rows and cols:
            for i in range(kh):
                for j in range(kw):
                    dst = full[:, i:i + (rows - 1) * sh + 1:sh, j:j + (cols - 1) * sw + 1:sw]
                    np.add(dst, taps[:, :, :, i, j], out=dst)
        return np.ascontiguousarray(full[:, pt:pt + out_h, pl:pl + out_w])
