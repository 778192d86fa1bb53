"""Activations with TF.js's formulas; each can run in place (``out=x``) after a kernel."""

from __future__ import annotations

from typing import Callable

import numpy as np

from ._fast_numpy import clip as _clip

F32 = np.float32


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


def activate_all(name: str, y: np.ndarray) -> np.ndarray:
    """Activation ``name`` over a kernel's own output, in place (softmax over the last axis)."""
    return ACTIVATIONS[name](y, out=y)
