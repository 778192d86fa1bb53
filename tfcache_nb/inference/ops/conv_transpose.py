"""Transposed 2-D convolution (TensorFlow's Conv2DBackpropInput, Keras's Conv2DTranspose).

Sub-pixel form: the output pixels of one phase (row % stride, col % stride) receive only the
taps of that phase, and those taps form a small kernel that slides over the input with stride
1. So the op is stride*stride ordinary convolutions (each one im2col matrix product through
:class:`~.conv.Conv2D`) whose outputs interleave into the result: every output pixel is
written once, only rows and columns that survive the padding crop are computed, and there is
no per-pixel Python loop.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from .conv import Conv2D
from .padding import Padding, axis_pads, padded_output_size
from .scratch import Scratch

F32 = np.float32


class Conv2DTranspose:
    """The gradient of a 2-D convolution with respect to its input, weights fixed at build time.

    ``kernel`` has the forward convolution's layout (kh, kw, out_channels, in_channels): the
    transposed convolution reads ``in_channels`` per pixel and writes ``out_channels``.
    ``padding`` is 'same', 'valid' or ((top, bottom), (left, right)) of the forward convolution.
    """

    def __init__(self, kernel: np.ndarray, strides: Sequence[int] = (1, 1), padding: Padding = "valid",
                 scratch: Scratch | None = None):
        if kernel.ndim != 4:
            raise ValueError(f"the filter must have rank 4, not {kernel.ndim}")
        self.kh, self.kw, self.cout, self.cin = kernel.shape
        self.sh, self.sw = int(strides[0]), int(strides[1])
        if self.sh < 1 or self.sw < 1:
            raise ValueError(f"strides must be positive, not {tuple(strides)}")
        self.padding = padding
        self.scratch = scratch
        k = np.asarray(kernel, F32)
        # phase (a, b): taps a, a+sh, ... and b, b+sw, ..., flipped, channels swapped: a stride-1 kernel
        self.phases: dict[tuple[int, int], Conv2D | None] = {}
        for a in range(self.sh):
            for b in range(self.sw):
                sub = k[a::self.sh, b::self.sw][::-1, ::-1].transpose(0, 1, 3, 2)
                self.phases[a, b] = Conv2D(np.ascontiguousarray(sub), scratch=scratch) if sub.size else None

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
        out = np.empty((n, out_h, out_w, self.cout), F32)
        if out.size == 0:
            return out
        # full-output row R = sh*q + a comes from input rows q - m (m < taps of phase a); pad dy so
        # that every q the crop keeps reads real rows or zeros
        mh, mw = -(-self.kh // self.sh), -(-self.kw // self.sw)
        qh, qw = (pt + out_h - 1) // self.sh + 1, (pl + out_w - 1) // self.sw + 1
        shape = (n, mh - 1 + max(rows, qh), mw - 1 + max(cols, qw), c)
        if self.scratch is None:
            padded = np.zeros(shape, F32)
        else:
            layout = (shape, mh, mw, rows, cols)
            padded = self.scratch.zeroed("conv_transpose.padded", int(np.prod(shape)), layout).reshape(shape)
        padded[:, mh - 1:mh - 1 + rows, mw - 1:mw - 1 + cols] = dy[:, :rows, :cols]
        for (a, b), conv in self.phases.items():
            r0, c0 = _first(pt, a, self.sh), _first(pl, b, self.sw)  # first kept q of this phase
            if r0 * self.sh + a - pt >= out_h or c0 * self.sw + b - pl >= out_w:
                continue
            dst = out[:, r0 * self.sh + a - pt::self.sh, c0 * self.sw + b - pl::self.sw]
            if conv is None:
                dst[...] = 0
                continue
            th, tw = conv.kh, conv.kw  # taps of this phase: rows q - th + 1 .. q of dy
            top, left = r0 + mh - th, c0 + mw - tw
            src = padded[:, top:top + dst.shape[1] + th - 1, left:left + dst.shape[2] + tw - 1]
            dst[...] = conv(np.ascontiguousarray(src))
        return out


def _first(pad: int, phase: int, stride: int) -> int:
    """The first q with stride*q + phase >= pad (output pixels before the pad are cropped)."""
    return max(0, -(-(pad - phase) // stride))
