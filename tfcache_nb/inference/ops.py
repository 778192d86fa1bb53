"""Numpy kernels (NHWC, float32) with TensorFlow's semantics, so results match TensorFlow.js.

Convolutions are built once per layer (:class:`Conv2D`, :class:`DepthwiseConv2D`) because
the work that does not depend on the pixels (weight layout, padding geometry, tiled weights)
should be paid at build time, not on every prediction. A plan goes one step further with
``bind``: per input shape, every view, scratch buffer and bias row is made once, and a
convolution's activation can write straight into the next depthwise's padded input, so a
prediction of a small model is mostly numpy kernels, not Python. The free functions are thin
wrappers for one-off use and for tests.
"""

from __future__ import annotations

import math
from typing import Callable, Sequence

import numpy as np
from numpy.lib.stride_tricks import as_strided

F32 = np.float32

# The C functions behind np.clip and np.einsum. Their public wrappers are Python code costing
# about a microsecond per call, which a small model's prediction pays a few dozen times.
try:
    from numpy._core import multiarray as _multiarray, umath as _umath
except ImportError:  # pragma: no cover - numpy 1.x
    from numpy.core import multiarray as _multiarray, umath as _umath
_clip = getattr(_umath, "clip", np.clip)
_einsum = getattr(_multiarray, "c_einsum", np.einsum)


# ---------------------------------------------------------------------------- padding rules
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
    eff = (k - 1) * dilation + 1
    return max(0, (size + pads[0] + pads[1] - eff) // stride + 1)


def zero_pad(x: np.ndarray, top: int, bottom: int, left: int, right: int) -> np.ndarray:
    """ZeroPadding2D on an NHWC batch, into one preallocated buffer."""
    n, h, w, c = x.shape
    out = np.zeros((n, h + top + bottom, w + left + right, c), dtype=x.dtype)
    out[:, top:top + h, left:left + w, :] = x
    return out


# ---------------------------------------------------------------------------- activations
def relu(x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    return np.maximum(x, 0, out=out)


def relu6(x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    return _clip(x, 0, 6, out=out)


def linear(x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    return x


def sigmoid(x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    # 1/(1+exp(-x)) overflows for very negative x; the tanh form is exact and stable.
    y = np.multiply(x, 0.5, out=out, dtype=x.dtype)
    np.tanh(y, out=y)
    y += 1
    y *= 0.5
    return y


def tanh(x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    return np.tanh(x, out=out)


def hard_sigmoid(x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """TF.js / Keras 2: ``clip(0.2 * x + 0.5, 0, 1)`` (not Keras 3's ``x / 6 + 0.5``)."""
    y = np.multiply(x, F32(0.2), out=out, dtype=x.dtype)
    y += F32(0.5)
    return np.clip(y, 0, 1, out=y)


def softmax(x: np.ndarray, axis: int = -1, out: np.ndarray | None = None) -> np.ndarray:
    """Softmax that subtracts the maximum first, so large logits cannot overflow."""
    y = np.subtract(x, x.max(axis=axis, keepdims=True), out=out)
    np.exp(y, out=y)
    y /= y.sum(axis=axis, keepdims=True)
    return y


def relu_keras(x: np.ndarray, max_value: float | None = None, negative_slope: float = 0.0,
               threshold: float = 0.0) -> np.ndarray:
    """Keras's ReLU layer: slope below ``threshold``, identity above, capped at ``max_value``."""
    if negative_slope == 0 and threshold == 0:
        y = np.maximum(x, 0)
    else:
        y = np.where(x >= threshold, x, F32(negative_slope) * (x - F32(threshold))).astype(x.dtype, copy=False)
        if negative_slope == 0:
            y = np.where(x >= threshold, x, 0).astype(x.dtype, copy=False)
    if max_value is not None:
        np.minimum(y, F32(max_value), out=y)
    return y


ACTIVATIONS: dict[str, Callable[..., np.ndarray]] = {
    "linear": linear,
    "relu": relu,
    "relu6": relu6,
    "softmax": softmax,
    "sigmoid": sigmoid,
    "tanh": tanh,
    "hard_sigmoid": hard_sigmoid,
}

#: activations that work element by element and may run in place right after a convolution
ELEMENTWISE = {"linear", "relu", "relu6", "sigmoid", "tanh", "hard_sigmoid"}


def apply_activation(name: str, x: np.ndarray, inplace: bool = False) -> np.ndarray:
    fn = ACTIVATIONS[name]
    if name == "linear":
        return x
    return fn(x, out=x if inplace else None)


# ---------------------------------------------------------------------------- batch norm folding
def batch_norm_scale_offset(gamma: np.ndarray | None, beta: np.ndarray | None, mean: np.ndarray,
                            variance: np.ndarray, epsilon: float) -> tuple[np.ndarray, np.ndarray]:
    """(scale, offset) with ``bn(x) = x * scale + offset``, computed in float64."""
    scale = 1.0 / np.sqrt(variance.astype(np.float64) + epsilon)
    if gamma is not None:
        scale = scale * gamma.astype(np.float64)
    offset = -mean.astype(np.float64) * scale
    if beta is not None:
        offset = offset + beta.astype(np.float64)
    return scale, offset


def fold_scale_offset(kernel: np.ndarray, bias: np.ndarray | None, scale: np.ndarray, offset: np.ndarray,
                      depthwise: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Fold ``y * scale + offset`` (per output channel) into a conv kernel and bias.

    Conv kernels are (kh, kw, cin, cout) and dense ones (cin, cout): the output channel is the
    last axis. Depthwise kernels are (kh, kw, c, multiplier): output channel ``c * m + j``.
    """
    scale = np.asarray(scale, dtype=np.float64)
    offset = np.asarray(offset, dtype=np.float64)
    k = kernel.astype(np.float64)
    if depthwise:
        k = k * scale.reshape(kernel.shape[2], kernel.shape[3])
    else:
        k = k * scale
    b = np.zeros(scale.shape[-1], np.float64) if bias is None else bias.astype(np.float64)
    b = b * scale + offset
    return k.astype(F32), b.astype(F32)


def fold_batch_norm(kernel: np.ndarray, bias: np.ndarray | None, gamma: np.ndarray | None,
                    beta: np.ndarray | None, mean: np.ndarray, variance: np.ndarray, epsilon: float,
                    depthwise: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Kernel and bias of ``batch_norm(conv(x))`` as one convolution."""
    scale, offset = batch_norm_scale_offset(gamma, beta, mean, variance, epsilon)
    return fold_scale_offset(kernel, bias, scale, offset, depthwise)


def batch_norm(x: np.ndarray, gamma: np.ndarray | None, beta: np.ndarray | None, mean: np.ndarray,
               variance: np.ndarray, epsilon: float) -> np.ndarray:
    """Unfolded inference batch norm over the last axis, as TF.js computes it."""
    inv = (F32(1) / np.sqrt(variance.astype(F32) + F32(epsilon))).astype(F32)
    if gamma is not None:
        inv = inv * gamma.astype(F32)
    y = (x - mean.astype(F32)) * inv
    if beta is not None:
        y = y + beta.astype(F32)
    return y.astype(F32, copy=False)


# ---------------------------------------------------------------------------- convolutions
_BIAS_RUN = 4096  # float32 elements per row of a tiled bias


def tile_bias(bias: np.ndarray) -> np.ndarray:
    """The bias repeated along one long row, for :func:`add_channel_bias`."""
    return np.tile(bias.astype(F32, copy=False), max(1, _BIAS_RUN // bias.size))


def channel_bias_views(y: np.ndarray, tiled: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """(view of ``y``, bias row) pairs whose in-place sums add the bias over ``y``'s last axis.

    Built once per buffer, so a prediction pays one ``np.add`` per pair and no reshapes. When
    a whole number of pixels makes a long enough row, the rows cover ``y`` exactly: one call.
    """
    flat = y.reshape(-1)
    c = y.shape[-1]
    per_row = _pixels_per_row(flat.size // c, max(1, _BIAS_RUN // c)) if c else 0
    if per_row * c >= _BIAS_RUN // 4:
        return [(flat.reshape(-1, per_row * c), np.tile(tiled[:c], per_row))]
    whole = flat.size - flat.size % tiled.size
    pairs = []
    if whole:
        pairs.append((flat[:whole].reshape(-1, tiled.size), tiled))
    if whole < flat.size:
        pairs.append((flat[whole:].reshape(-1, y.shape[-1]), tiled[:y.shape[-1]]))
    return pairs


def _pixels_per_row(pixels: int, limit: int) -> int:
    """The largest divisor of ``pixels`` not above ``limit``."""
    return next(d for d in range(min(pixels, limit), 0, -1) if pixels % d == 0) if pixels else 0


def activation_writer(name: str, src: np.ndarray,
                      targets: Sequence[tuple[np.ndarray, np.ndarray]] | None = None) -> Callable[[], None] | None:
    """A call applying activation ``name`` to ``src`` in place, or from source views into targets.

    ``targets`` are (source view, destination view) pairs: the next kernel's input buffer is
    filled by the activation itself, which saves a separate copy. None when there is nothing to do.
    """
    if not targets:
        if name == "linear":
            return None
        if name == "softmax":
            flat = src.reshape(-1, src.shape[-1])
            return lambda: softmax(flat, out=flat)
        fn = ACTIVATIONS[name]
        return lambda: fn(src, out=src)
    if name == "softmax":  # pragma: no cover - the plan only fuses element-wise activations
        raise ValueError("softmax cannot write into another kernel's input")
    pairs = list(targets)
    if all(min(_run_bytes(s), _run_bytes(d)) >= _LONG_RUN for s, d in pairs):
        fn = _copy_into if name == "linear" else ACTIVATIONS[name]
        if len(pairs) == 1:
            (s, d), = pairs
            return lambda: fn(s, out=d)

        def write() -> None:
            for s, d in pairs:
                fn(s, out=d)
        return write
    # short runs (a strided column split): activate in place, then copy whole pixels as raw items
    act = activation_writer(name, src)
    runs = [(as_runs(s), as_runs(d)) for s, d in pairs]

    def activate_and_copy() -> None:
        if act is not None:
            act()
        for s, d in runs:
            np.copyto(d, s)
    return activate_and_copy


_LONG_RUN = 512  # bytes: from here on numpy's element loop is as fast as it gets


def _run_bytes(a: np.ndarray) -> int:
    """Bytes in the contiguous run at the end of ``a``'s memory layout (0 if the last axis is strided)."""
    run = a.itemsize
    for size, stride in zip(a.shape[::-1], a.strides[::-1]):
        if stride != run:
            break
        run *= size
    return run if a.strides[-1] == a.itemsize else 0


def as_runs(a: np.ndarray, axes: int = 1) -> np.ndarray:
    """``a`` with its last ``axes`` axes, contiguous together, viewed as one raw item each.

    numpy's copy loop pays a few nanoseconds per inner-loop call: copying a layout of
    16-float runs float by float is about 3x slower than copying the runs as 64-byte items.
    """
    tail = a.shape[-axes:]
    step = a.itemsize
    for size, stride in zip(tail[::-1], a.strides[::-1]):
        if stride != step and size != 1:
            raise ValueError("as_runs needs contiguous trailing axes")
        step *= size
    merged = as_strided(a, shape=a.shape[:-axes] + (step // a.itemsize,), strides=a.strides[:-axes] + (a.itemsize,),
                        writeable=a.flags.writeable)
    return merged.view(np.dtype((np.void, step)))[..., 0]


def _copy_into(x: np.ndarray, out: np.ndarray) -> None:
    np.copyto(out, x)


def add_channel_bias(y: np.ndarray, tiled: np.ndarray) -> None:
    """``y += bias`` over the last axis of a C-contiguous ``y``.

    Broadcasting a bias of a few dozen channels runs numpy's inner loop over those few
    elements; adding the tiled row over long rows is about twice as fast.
    """
    flat = y.reshape(-1)
    whole = flat.size - flat.size % tiled.size
    np.add(flat[:whole].reshape(-1, tiled.size), tiled, out=flat[:whole].reshape(-1, tiled.size))
    if whole < flat.size:
        rest = flat[whole:].reshape(-1, y.shape[-1])
        np.add(rest, tiled[:y.shape[-1]], out=rest)


class Conv2D:
    """A 2-D convolution with bias and an element-wise activation, weights fixed at build time.

    1x1 stride-1 kernels are one matrix product; other kernels use an im2col built from a
    strided view of the padded input, then one matrix product.
    """

    writes_into = True  # __call__ takes ``out=``, so a plan can hand it a buffer it reuses

    def __init__(self, kernel: np.ndarray, bias: np.ndarray | None = None, strides: Sequence[int] = (1, 1),
                 padding: str | Sequence[Sequence[int]] = "valid", dilations: Sequence[int] = (1, 1),
                 activation: str = "linear"):
        self.kh, self.kw, self.cin, self.cout = kernel.shape
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
        ph = axis_pads(h, self.kh, self.sh, self.dh, self._pad_spec(0))
        pw = axis_pads(w, self.kw, self.sw, self.dw, self._pad_spec(1))
        oh = padded_output_size(h, self.kh, self.sh, self.dh, ph)
        ow = padded_output_size(w, self.kw, self.sw, self.dw, pw)
        return ph, pw, oh, ow

    def _pad_spec(self, axis: int):
        return self.padding if isinstance(self.padding, str) else self.padding[axis]

    def output_shape(self, shape: Sequence[int]) -> tuple[int, int, int]:
        """(oh, ow, cout) for an input (h, w, cin)."""
        _, _, oh, ow = self.geometry(shape[0], shape[1])
        return oh, ow, self.cout

    def __call__(self, x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """The convolution of ``x``, written into ``out`` (shape (n, oh, ow, cout)) when given."""
        n, h, w, _ = x.shape
        (pt, pb), (pl, pr), oh, ow = self.geometry(h, w)
        if self.kh == self.kw == 1 and self.sh == self.sw == 1 and pt == pb == pl == pr == 0:
            cols = x.reshape(n * h * w, self.cin)
        else:
            cols = self._im2col(x, (pt, pb, pl, pr), oh, ow)
        y = np.empty((n, oh, ow, self.cout), F32) if out is None else out
        y2 = y.reshape(n * oh * ow, self.cout)
        np.matmul(cols, self.matrix, out=y2)
        if self.bias is not None:
            add_channel_bias(y2, self.bias_rows)
        if self.activation == "softmax":
            softmax(y2, out=y2)
        else:
            apply_activation(self.activation, y2, inplace=True)
        return y

    def bind(self, shape: Sequence[int], out: np.ndarray,
             targets: Sequence[tuple[np.ndarray, np.ndarray]] | None = None) -> Callable[[np.ndarray], np.ndarray]:
        """A call for inputs of exactly ``shape`` (batch first) that writes into ``out``.

        Views, scratch buffers and bias rows are made here, once per input shape, so a
        prediction runs only the numpy kernels. ``targets`` (source views of ``out``,
        destination views) let the activation write straight into the next kernel's input.
        """
        n, h, w, _ = shape
        (pt, pb), (pl, pr), oh, ow = self.geometry(h, w)
        y2 = out.reshape(n * oh * ow, self.cout)
        matrix, cin = self.matrix, self.cin
        if self.kh == self.kw == 1 and self.sh == self.sw == 1 and pt == pb == pl == pr == 0:
            finish = _finisher(y2, self.bias_rows, self.activation, targets)

            def pointwise(x: np.ndarray) -> np.ndarray:
                np.matmul(x.reshape(-1, cin), matrix, out=y2)
                finish()
                return out
            return pointwise
        padded = np.zeros((n, h + pt + pb, w + pl + pr, cin), F32)  # the border stays zero
        interior = padded[:, pt:pt + h, pl:pl + w, :]
        s = padded.strides
        patches = as_strided(padded, shape=(n, oh, ow, self.kh, self.kw, cin),
                             strides=(s[0], s[1] * self.sh, s[2] * self.sw, s[1] * self.dh, s[2] * self.dw, s[3]),
                             writeable=False)
        cols, matrix = self._bias_columns(n * oh * ow)
        finish = _finisher(y2, None, self.activation, targets)
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
        if self._scratch_key != x.shape:
            self._scratch_key = x.shape
            self._padded = np.zeros((n, h + pt + pb, w + pl + pr, self.cin), F32)
            self._cols = np.empty((n * oh * ow, self.kh * self.kw * self.cin), F32)
        xp = self._padded
        xp[:, pt:pt + h, pl:pl + w, :] = x
        s = xp.strides
        view = as_strided(xp, shape=(n, oh, ow, self.kh, self.kw, self.cin),
                          strides=(s[0], s[1] * self.sh, s[2] * self.sw, s[1] * self.dh, s[2] * self.dw, s[3]),
                          writeable=False)
        self._cols.reshape(view.shape)[...] = view
        return self._cols


class DepthwiseConv2D:
    """Depthwise convolution: one ``einsum`` over the k*k taps of a strided view.

    The input is copied once into a zero-bordered buffer kept between calls, each padded row
    holding its columns in blocks (for stride 1, the padded row itself; for larger strides,
    one block per column tap, see ``_column_blocks``). Output pixel x of tap (i, j) then sits
    at a fixed offset from output pixel x of tap (0, 0) and every tap reads ``ow * c``
    contiguous floats, so the taps form a regular grid (row i, column block b, column step o)
    that one strided view describes. ``einsum`` multiplies and sums that grid in a single C
    loop with no temporary per tap: about 1.5x faster than a multiply and an add per tap.
    """

    def __init__(self, kernel: np.ndarray, bias: np.ndarray | None = None, strides: Sequence[int] = (1, 1),
                 padding: str | Sequence[Sequence[int]] = "valid", dilations: Sequence[int] = (1, 1),
                 activation: str = "linear"):
        kh, kw, c, m = kernel.shape
        self.kh, self.kw, self.cin, self.mult = kh, kw, c, m
        self.cout = c * m
        self.sh, self.sw = int(strides[0]), int(strides[1])
        self.dh, self.dw = int(dilations[0]), int(dilations[1])
        self.padding = padding
        self.taps = np.ascontiguousarray(kernel, dtype=F32).reshape(kh, kw, c * m)
        self.bias = None if bias is None else np.ascontiguousarray(bias, dtype=F32).reshape(c * m)
        self.bias_rows = None if bias is None else tile_bias(self.bias)
        self.activation = activation
        self._plans: dict[tuple[int, int], dict] = {}
        self._buffers: dict[tuple[int, int, int], np.ndarray] = {}

    geometry = Conv2D.geometry
    _pad_spec = Conv2D._pad_spec
    writes_into = True

    def output_shape(self, shape: Sequence[int]) -> tuple[int, int, int]:
        _, _, oh, ow = self.geometry(shape[0], shape[1])
        return oh, ow, self.cout

    def _plan(self, h: int, w: int) -> dict:
        """Buffer geometry and grid weights for an input of h x w pixels (built once per size)."""
        key = (h, w)
        plan = self._plans.get(key)
        if plan is None:
            (pt, _), (pl, _), oh, ow = self.geometry(h, w)
            c = self.cout
            offsets, places, step, n_o, wq = self._column_blocks(ow)
            hp = self.sh * (oh - 1) + (self.kh - 1) * self.dh + 1  # padded rows the taps reach
            weights = np.zeros((self.kh, len(offsets), n_o, ow * c), F32)
            for i in range(self.kh):
                for j, (b, o) in enumerate(places):
                    weights[i, b, o // step] = np.tile(self.taps[i, j], ow)
            rows = (max(0, -pt), min(h, hp - pt))  # input rows inside the padded window
            plan = dict(oh=oh, ow=ow, hp=hp, wq=wq, blocks=len(offsets), row_len=len(offsets) * wq * c, n_o=n_o,
                        o_step=step, weights=weights, pt=pt, rows=rows,
                        cols=[_phase_range(w, pl, self.sw, off, wq) for off in offsets])
            self._plans[key] = plan
        return plan

    def _column_blocks(self, ow: int) -> tuple[list[int], list[tuple[int, int]], int, int, int]:
        """How a padded row is laid out: (block offsets, (block, step) of each column tap, step, steps, wq).

        Block b holds padded columns ``sw*q + offsets[b]`` for q < wq, so column tap j of
        output pixel x reads block b at q = x + o. Stride 1 needs one block (the row itself)
        and one step per column tap. With a larger stride, one block per column phase reaches every tap
        but makes a grid of sw x steps points, some of which no tap uses (3x3 stride 2: 4
        points for 3 taps, a quarter of the einsum wasted); one block per column tap instead
        has no unused point, at the price of the producer writing kw/sw times the columns.
        """
        sw, dw = self.sw, self.dw
        phases = [((j * dw) % sw, (j * dw) // sw) for j in range(self.kw)]
        step = math.gcd(*[o for _, o in phases]) or 1
        n_o = max(o for _, o in phases) // step + 1
        if sw * n_o <= self.kw:
            return list(range(sw)), phases, step, n_o, ow + (n_o - 1) * step
        return [j * dw for j in range(self.kw)], [(j, 0) for j in range(self.kw)], 1, 1, ow

    def __call__(self, x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """The convolution of ``x``, written into ``out`` (shape (n, oh, ow, c)) when given."""
        n, h, w, _ = x.shape
        if self.mult != 1:
            x = np.repeat(x, self.mult, axis=3)  # output channel c*m + j reads input channel c
        p = self._plan(h, w)
        oh, ow, c = p["oh"], p["ow"], self.cout
        y = np.empty((n, oh, ow, c), F32) if out is None else out
        grid = self._tap_grid(self._padded(x, p), p, n)
        _einsum("zibork,ibok->zrk", grid, p["weights"], out=y.reshape(n, oh, ow * c))
        if self.bias_rows is not None:
            add_channel_bias(y, self.bias_rows)
        if self.activation == "softmax":
            softmax(y, out=y)
        else:
            apply_activation(self.activation, y, inplace=True)
        return y

    @property
    def takes_fed_input(self) -> bool:
        """Whether a producer may write this kernel's input straight into its padded buffer."""
        return self.mult == 1

    def padded_buffer(self, shape: Sequence[int]) -> np.ndarray:
        """A zero-bordered input buffer for inputs of ``shape``; its border is never written."""
        n, h, w, _ = shape
        p = self._plan(h, w)
        return np.zeros(n * p["hp"] * p["row_len"], F32)

    def input_targets(self, buf: np.ndarray, src: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        """(view of the input ``src``, view of ``buf``) pairs that together fill the buffer's interior."""
        n, h, w, _ = src.shape
        p = self._plan(h, w)
        padded = buf.reshape(n, p["hp"], p["blocks"], p["wq"], self.cout)
        i0, i1 = p["rows"]
        pairs = []
        for b, (c0, c1, k0) in enumerate(p["cols"]):
            nc = len(range(c0, c1, self.sw))
            if i1 > i0 and nc:
                pairs.append((src[:, i0:i1, c0:c1:self.sw], padded[:, i0 + p["pt"]:i1 + p["pt"], b, k0:k0 + nc]))
        return pairs

    def bind(self, shape: Sequence[int], out: np.ndarray,
             targets: Sequence[tuple[np.ndarray, np.ndarray]] | None = None,
             fed: np.ndarray | None = None) -> Callable[[np.ndarray], np.ndarray]:
        """A call for inputs of exactly ``shape`` (batch first) that writes into ``out``.

        The tap grid, output views and bias rows are made once here. ``fed`` is a
        :meth:`padded_buffer` that the producer of the input already fills (through
        :meth:`input_targets`), so the call ignores its argument and copies nothing;
        ``targets`` send the activated output into the next kernel's input, as in Conv2D.
        """
        n, h, w, _ = shape
        p = self._plan(h, w)
        oh, ow, c, m = p["oh"], p["ow"], self.cout, self.mult
        buf = self.padded_buffer(shape) if fed is None else fed
        grid = self._tap_grid(buf, p, n)
        weights = p["weights"]
        y3 = out.reshape(n, oh, ow * c)
        finish = _finisher(out, self.bias_rows, self.activation, targets)
        if fed is not None:
            def depthwise_fed(x: np.ndarray) -> np.ndarray:
                _einsum("zibork,ibok->zrk", grid, weights, out=y3)
                finish()
                return out
            return depthwise_fed

        def depthwise(x: np.ndarray) -> np.ndarray:
            if m != 1:
                x = np.repeat(x, m, axis=3)  # output channel c*m + j reads input channel c
            for src, dst in self.input_targets(buf, x):
                np.copyto(dst, src)
            _einsum("zibork,ibok->zrk", grid, weights, out=y3)
            finish()
            return out
        depthwise.buffers = (buf,)  # type: ignore[attr-defined]
        return depthwise

    def _padded(self, x: np.ndarray, p: dict) -> np.ndarray:
        """The input copied into the interior of this size's zero-bordered buffer."""
        n, c, sw = x.shape[0], self.cout, self.sw
        key = (n, x.shape[1], x.shape[2])
        buf = self._buffers.get(key)
        if buf is None:  # the border is never written, so it stays zero from here on
            buf = np.zeros(n * p["hp"] * p["row_len"], F32)
            self._buffers.clear()
            self._buffers[key] = buf
        padded = buf.reshape(n, p["hp"], p["blocks"], p["wq"], c)
        i0, i1 = p["rows"]
        for b, (c0, c1, k0) in enumerate(p["cols"]):
            nc = len(range(c0, c1, sw))
            if i1 > i0 and nc:
                padded[:, i0 + p["pt"]:i1 + p["pt"], b, k0:k0 + nc] = x[:, i0:i1, c0:c1:sw]
        return buf

    def _tap_grid(self, buf: np.ndarray, p: dict, n: int) -> np.ndarray:
        """(image, tap row, column block, column step, output row, x * c) view of the padded buffer."""
        R, c, f = p["row_len"], self.cout, buf.itemsize
        shape = (n, self.kh, p["blocks"], p["n_o"], p["oh"], p["ow"] * c)
        strides = (p["hp"] * R * f, self.dh * R * f, p["wq"] * c * f, p["o_step"] * c * f, self.sh * R * f, f)
        return as_strided(buf, shape=shape, strides=strides, writeable=False)


def _finisher(y: np.ndarray, bias_rows: np.ndarray | None, activation: str,
              targets: Sequence[tuple[np.ndarray, np.ndarray]] | None) -> Callable[[], None]:
    """The bias add and activation that follow a convolution into ``y``, as one prebuilt call."""
    bias = channel_bias_views(y, bias_rows) if bias_rows is not None else []
    act = activation_writer(activation, y, targets)
    steps = [(lambda v=v, r=r: np.add(v, r, out=v)) for v, r in bias] + ([act] if act else [])
    if len(steps) == 2:
        first, second = steps
        def finish() -> None:
            first()
            second()
        return finish
    if len(steps) == 1:
        return steps[0]

    def finish_all() -> None:
        for step in steps:
            step()
    return finish_all


def _phase_range(size: int, pad: int, stride: int, phase: int, qmax: int) -> tuple[int, int, int]:
    """Input indices ``r0:r1:stride`` at padded columns ``stride*q + phase`` (any offset), from ``q0``."""
    # padded p = stride*q + phase, input i = p - pad >= 0 -> q >= (pad - phase)/stride
    q0 = max(0, -(-(pad - phase) // stride))
    r0 = stride * q0 + phase - pad
    q_end = min(qmax, (size - 1 + pad - phase) // stride + 1) if size - 1 + pad - phase >= 0 else q0
    r1 = stride * (q_end - 1) + phase - pad + 1 if q_end > q0 else r0
    return r0, r1, q0


def conv2d(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray | None = None, strides: Sequence[int] = (1, 1),
           padding: str = "valid", dilations: Sequence[int] = (1, 1), activation: str = "linear") -> np.ndarray:
    """One-off 2-D convolution, NHWC input, (kh, kw, cin, cout) kernel."""
    return Conv2D(kernel, bias, strides, padding, dilations, activation)(np.asarray(x, F32))


def depthwise_conv2d(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray | None = None,
                     strides: Sequence[int] = (1, 1), padding: str = "valid", dilations: Sequence[int] = (1, 1),
                     activation: str = "linear") -> np.ndarray:
    """One-off depthwise convolution, (kh, kw, c, multiplier) kernel."""
    return DepthwiseConv2D(kernel, bias, strides, padding, dilations, activation)(np.asarray(x, F32))


def dense(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray | None = None, activation: str = "linear") -> np.ndarray:
    """Dense layer over the last axis."""
    y = np.matmul(x, kernel.astype(F32, copy=False))
    if bias is not None:
        y += bias
    return softmax(y) if activation == "softmax" else apply_activation(activation, y, inplace=True)


def matmul(a: np.ndarray, b: np.ndarray, transpose_a: bool = False, transpose_b: bool = False) -> np.ndarray:
    if transpose_a:
        a = np.swapaxes(a, -1, -2)
    if transpose_b:
        b = np.swapaxes(b, -1, -2)
    return np.matmul(a, b)


# ---------------------------------------------------------------------------- pooling and shapes
def pool2d(x: np.ndarray, pool: Sequence[int], strides: Sequence[int], padding: str, mode: str) -> np.ndarray:
    """Average or max pooling with TF semantics: 'same' averages only over real elements."""
    n, h, w, c = x.shape
    kh, kw = int(pool[0]), int(pool[1])
    sh, sw = int(strides[0]), int(strides[1])
    (pt, pb), (pl, pr) = axis_pads(h, kh, sh, 1, padding), axis_pads(w, kw, sw, 1, padding)
    oh = padded_output_size(h, kh, sh, 1, (pt, pb))
    ow = padded_output_size(w, kw, sw, 1, (pl, pr))
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
    h, w, c = shape
    oh = conv_output_size(h, int(pool[0]), int(strides[0]), 1, padding)
    ow = conv_output_size(w, int(pool[1]), int(strides[1]), 1, padding)
    return oh, ow, c


def avg_pool(x: np.ndarray, pool: Sequence[int], strides: Sequence[int], padding: str = "valid") -> np.ndarray:
    return pool2d(x, pool, strides, padding, "avg")


def max_pool(x: np.ndarray, pool: Sequence[int], strides: Sequence[int], padding: str = "valid") -> np.ndarray:
    return pool2d(x, pool, strides, padding, "max")


def global_avg_pool(x: np.ndarray, keepdims: bool = False) -> np.ndarray:
    return x.mean(axis=(1, 2), keepdims=keepdims, dtype=F32)


def reshape(x: np.ndarray, target: Sequence[int]) -> np.ndarray:
    """Reshape keeping the batch axis (Keras's Reshape ``target_shape``; -1 allowed once)."""
    return x.reshape((x.shape[0],) + tuple(int(t) for t in target))


def flatten(x: np.ndarray) -> np.ndarray:
    return x.reshape(x.shape[0], -1)


def concat(xs: Sequence[np.ndarray], axis: int = -1) -> np.ndarray:
    return np.concatenate(xs, axis=axis)


def add(xs: Sequence[np.ndarray]) -> np.ndarray:
    out = np.add(xs[0], xs[1])
    for x in xs[2:]:
        out += x
    return out


def reshape_target(shape: Sequence[int], target: Sequence[int]) -> tuple[int, ...] | None:
    """The static shape after a reshape, or None if the element counts cannot match."""
    size = math.prod(shape)
    target = [int(t) for t in target]
    if target.count(-1) > 1:
        return None
    known = math.prod(t for t in target if t != -1)
    if -1 in target:
        if known == 0 or size % known:
            return None
        target[target.index(-1)] = size // known
    elif known != size:
        return None
    return tuple(target)
