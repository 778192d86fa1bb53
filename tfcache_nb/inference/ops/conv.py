"""2-D convolution as one matrix product (a 1x1 kernel directly, others through im2col).

Weight layout and padding geometry are fixed when the kernel is built; a plan then calls
:meth:`Conv2D.bind` once per input shape, so every view and scratch buffer is made once and
a prediction runs only numpy kernels.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
from numpy.lib.stride_tricks import as_strided

from .activations import activate_all
from .epilogue import Targets, add_channel_bias, finisher, tile_bias
from .padding import Padding, window_geometry
from .runs import as_runs
from .scratch import Scratch

F32 = np.float32


class Conv2D:
    """A 2-D convolution with bias and an element-wise activation, weights fixed at build time."""

    writes_into = True  # __call__ takes ``out=``, so a plan can hand it a buffer it reuses

    def __init__(self, kernel: np.ndarray, bias: np.ndarray | None = None, strides: Sequence[int] = (1, 1),
                 padding: Padding = "valid", dilations: Sequence[int] = (1, 1), activation: str = "linear",
                 scratch: Scratch | None = None):
        self.kh, self.kw, self.cin, self.cout = kernel.shape
        self.scratch = scratch  # shared work buffers for __call__ (else this kernel keeps its own)
        self.sh, self.sw = int(strides[0]), int(strides[1])
        self.dh, self.dw = int(dilations[0]), int(dilations[1])
        self.padding = padding
        self.kernel = np.ascontiguousarray(kernel, dtype=F32)
        self.matrix = self.kernel.reshape(self.kh * self.kw * self.cin, self.cout)
        self.bias = None if bias is None else np.ascontiguousarray(bias, dtype=F32)
        self.bias_rows = None if bias is None else tile_bias(self.bias)
        self.activation = activation
        self._scratch_key: tuple[int, ...] | None = None
        self._padded = self._cols = np.empty(0, F32)

    def geometry(self, h: int, w: int) -> tuple[tuple[int, int], tuple[int, int], int, int]:
        """((top, bottom), (left, right), oh, ow) for an h x w input."""
        return window_geometry(h, w, (self.kh, self.kw), (self.sh, self.sw), (self.dh, self.dw), self.padding)

    def output_shape(self, shape: Sequence[int]) -> tuple[int, int, int]:
        """(oh, ow, cout) for an input (h, w, cin)."""
        _, _, oh, ow = self.geometry(shape[0], shape[1])
        return oh, ow, self.cout

    def _is_pointwise(self, pads: tuple[int, int, int, int]) -> bool:
        """A 1x1, stride-1, unpadded kernel: the input pixels already are the im2col rows."""
        return self.kh == self.kw == 1 and self.sh == self.sw == 1 and not any(pads)

    def __call__(self, x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """The convolution of ``x``, written into ``out`` (shape (n, oh, ow, cout)) when given."""
        n, h, w, _ = x.shape
        (pt, pb), (pl, pr), oh, ow = self.geometry(h, w)
        if self._is_pointwise((pt, pb, pl, pr)):
            cols = x.reshape(n * h * w, self.cin)
        else:
            cols = self._im2col(x, (pt, pb, pl, pr), oh, ow)
        y = np.empty((n, oh, ow, self.cout), F32) if out is None else out
        y2 = y.reshape(n * oh * ow, self.cout)
        np.matmul(cols, self.matrix, out=y2)
        if self.bias is not None:
            add_channel_bias(y2, self.bias_rows)
        activate_all(self.activation, y2)
        return y

    def bind(self, shape: Sequence[int], out: np.ndarray,
             targets: Targets | None = None) -> Callable[[np.ndarray], np.ndarray]:
        """A call for inputs of exactly ``shape`` (batch first) that writes into ``out``.

        ``targets`` (source views of ``out``, destination views) let the activation write
        straight into the next kernel's input.
        """
        n, h, w, _ = shape
        (pt, pb), (pl, pr), oh, ow = self.geometry(h, w)
        y2 = out.reshape(n * oh * ow, self.cout)
        if self._is_pointwise((pt, pb, pl, pr)):
            return self._bind_pointwise(out, y2, targets)
        return self._bind_im2col(shape, (pt, pb, pl, pr), oh, ow, out, y2, targets)

    def _bind_pointwise(self, out: np.ndarray, y2: np.ndarray, targets: Targets | None
                        ) -> Callable[[np.ndarray], np.ndarray]:
        matrix, cin = self.matrix, self.cin
        finish = finisher(y2, self.bias_rows, self.activation, targets)

        def pointwise(x: np.ndarray) -> np.ndarray:
            np.matmul(x.reshape(-1, cin), matrix, out=y2)
            finish()
            return out
        return pointwise

    def _bind_im2col(self, shape: Sequence[int], pads: tuple[int, int, int, int], oh: int, ow: int,
                     out: np.ndarray, y2: np.ndarray, targets: Targets | None) -> Callable[[np.ndarray], np.ndarray]:
        n, h, w, _ = shape
        pt, pb, pl, pr = pads
        cin = self.cin
        padded = np.zeros((n, h + pt + pb, w + pl + pr, cin), F32)  # the border stays zero
        interior = padded[:, pt:pt + h, pl:pl + w, :]
        patches = self._patches(padded, oh, ow)
        cols, matrix = self._bias_columns(n * oh * ow)
        finish = finisher(y2, None, self.activation, targets)
        cols_view = cols[:, :patches[0, 0, 0].size].reshape(patches.shape)
        if self.dw == 1:  # each tap row (kw pixels x cin) is one contiguous run of the input
            patches, cols_view = as_runs(patches, 2), as_runs(cols_view, 2)

        def im2col(x: np.ndarray) -> np.ndarray:
            np.copyto(interior, x)
            np.copyto(cols_view, patches)
            np.matmul(cols, matrix, out=y2)
            finish()
            return out
        im2col.buffers = (padded, cols)  # type: ignore[attr-defined]  # counted by Plan.retained_bytes
        return im2col

    def _patches(self, padded: np.ndarray, oh: int, ow: int) -> np.ndarray:
        """(n, oh, ow, kh, kw, cin) read-only view of the padded input: every output pixel's taps."""
        s = padded.strides
        return as_strided(padded, shape=(padded.shape[0], oh, ow, self.kh, self.kw, self.cin),
                          strides=(s[0], s[1] * self.sh, s[2] * self.sw, s[1] * self.dh, s[2] * self.dw, s[3]),
                          writeable=False)

    def _bias_columns(self, rows: int) -> tuple[np.ndarray, np.ndarray]:
        """An im2col buffer and matrix whose product already includes the bias.

        The buffer's last column holds ones (the patches never overwrite it) and the matrix's
        last row the bias, so the matrix product adds the bias instead of a separate pass.
        """
        k = self.kh * self.kw * self.cin
        if self.bias is None:
            return np.empty((rows, k), F32), self.matrix
        cols = np.empty((rows, k + 1), F32)
        cols[:, k] = 1
        return cols, np.vstack([self.matrix, self.bias[None, :]])

    def _im2col(self, x: np.ndarray, pads: tuple[int, int, int, int], oh: int, ow: int) -> np.ndarray:
        """(pixels, kh*kw*cin) patches, built in buffers kept between calls.

        Fresh multi-megabyte arrays cost a page fault per 4 KB on every prediction, more than
        the copy itself; the padded buffer's border is never written, so it stays zero.
        """
        n, h, w, _ = x.shape
        pt, pb, pl, pr = pads
        if self.scratch is not None:
            shape = (n, h + pt + pb, w + pl + pr, self.cin)
            padded = self.scratch.zeroed("conv.padded", int(np.prod(shape)), (shape, pads)).reshape(shape)
            padded[:, pt:pt + h, pl:pl + w, :] = x
            view = self._patches(padded, oh, ow)
            k = self.kh * self.kw * self.cin
            cols = self.scratch.empty("conv.cols", n * oh * ow * k).reshape(n * oh * ow, k)
            cols.reshape(view.shape)[...] = view
            return cols
        if self._scratch_key != x.shape:
            self._scratch_key = x.shape
            self._padded = np.zeros((n, h + pt + pb, w + pl + pr, self.cin), F32)
            self._cols = np.empty((n * oh * ow, self.kh * self.kw * self.cin), F32)
        self._padded[:, pt:pt + h, pl:pl + w, :] = x
        view = self._patches(self._padded, oh, ow)
        self._cols.reshape(view.shape)[...] = view
        return self._cols
