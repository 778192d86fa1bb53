"""Activations with TF.js's formulas; each can run in place (``out=x``) after a kernel."""

from __future__ import annotations

from typing import Callable

import numpy as np

from ._fast_numpy import clip as _clip

F32 = np.float32


def relu(x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    # clip, not np.maximum(x, 0): numpy's maximum against a scalar is ~4x slower (NaN stays NaN in both)
    return _clip(x, 0, np.inf, out=out)


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


def elu(x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``x`` where ``x >= 0``, else ``exp(x) - 1`` (TF.js supports only alpha = 1)."""
    neg = np.expm1(np.minimum(x, 0))
    y = _dest(x, out)
    np.copyto(y, np.where(x >= 0, x, neg), casting="same_kind")
    return y


def select_negative_scaled(x: np.ndarray, alpha: np.ndarray | float) -> np.ndarray:
    """``x`` where ``x >= 0``, else ``alpha * x``, in ``x``'s dtype: fused LeakyRelu / Prelu as TF.js
    computes them (a select, so any alpha works, and NaN stays NaN)."""
    return np.where(x < 0, x * alpha, x).astype(x.dtype, copy=False)


def selu(x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """TF.js's selu: ``scale * x`` above zero, ``scale * alpha * (exp(x) - 1)`` below."""
    neg = np.expm1(np.minimum(x, 0)) * F32(SELU_SCALE_ALPHA)
    y = _dest(x, out)
    np.copyto(y, np.where(x < 0, neg, x * F32(SELU_SCALE)), casting="same_kind")
    return y


def softplus(x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``log(1 + exp(x))`` without overflow (TF.js switches to ``x`` or ``exp(x)`` at the extremes)."""
    return np.logaddexp(x, F32(0), out=out, dtype=x.dtype)


def softsign(x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``x / (|x| + 1)``."""
    d = np.abs(x)
    d += 1
    return np.divide(x, d, out=out)


def swish(x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``x * sigmoid(x)`` (TF.js's swish, alpha = 1)."""
    s = sigmoid(x)
    return np.multiply(s, x, out=out)


def erf(x: np.ndarray) -> np.ndarray:
    """TF.js's CPU erf: Abramowitz and Stegun 7.1.26 (error below 1.5e-7), in float64."""
    v = np.abs(x.astype(np.float64))
    t = 1.0 / (1.0 + ERF_P * v)
    poly = ((((ERF_A[4] * t + ERF_A[3]) * t + ERF_A[2]) * t + ERF_A[1]) * t + ERF_A[0]) * t
    return np.sign(x) * (1.0 - poly * np.exp(-v * v))


def gelu(x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """TF.js's gelu: the exact form ``x * (1 + erf(x / sqrt(2))) / 2`` with TF.js's erf."""
    cdf = 0.5 * (1.0 + erf(x / np.sqrt(2.0)))
    return np.multiply(x, cdf, out=_dest(x, out), casting="same_kind")


def mish(x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``x * tanh(softplus(x))``."""
    t = np.tanh(softplus(x))
    return np.multiply(x, t, out=out)


def log_softmax(x: np.ndarray, axis: int = -1, out: np.ndarray | None = None) -> np.ndarray:
    """``x - max - log(sum(exp(x - max)))``, as TF.js's logSoftmax."""
    shifted = np.subtract(x, x.max(axis=axis, keepdims=True), out=out)
    shifted -= np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
    return shifted


def _dest(x: np.ndarray, out: np.ndarray | None) -> np.ndarray:
    return np.empty_like(x) if out is None else out


SELU_SCALE = 1.0507009873554804934193349852946
SELU_SCALE_ALPHA = 1.7580993408473768599402175208123
ERF_P = 0.3275911
ERF_A = (0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429)

ACTIVATIONS: dict[str, Callable[..., np.ndarray]] = {
    "linear": linear,
    "relu": relu,
    "relu6": relu6,
    "softmax": softmax,
    "log_softmax": log_softmax,
    "sigmoid": sigmoid,
    "tanh": tanh,
    "hard_sigmoid": hard_sigmoid,
    "elu": elu,
    "selu": selu,
    "softplus": softplus,
    "softsign": softsign,
    "swish": swish,
    "gelu": gelu,
    "mish": mish,
}
#: activations that mix values along an axis: never written element by element into another buffer
AXIS_ACTIVATIONS = frozenset({"softmax", "log_softmax"})


def activate_all(name: str, y: np.ndarray) -> np.ndarray:
    """Activation ``name`` over a kernel's own output, in place (softmax over the last axis)."""
    return ACTIVATIONS[name](y, out=y)
