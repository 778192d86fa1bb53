"""Matrix products: Keras's Dense layer and TensorFlow's MatMul."""

from __future__ import annotations

import numpy as np

from .activations import activate_all

F32 = np.float32


def dense(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray | None = None, activation: str = "linear") -> np.ndarray:
    """Dense layer over the last axis."""
    y = np.matmul(x, kernel.astype(F32, copy=False))
    if bias is not None:
        y += bias
    return activate_all(activation, y)


def matmul(a: np.ndarray, b: np.ndarray, transpose_a: bool = False, transpose_b: bool = False) -> np.ndarray:
    """TensorFlow's MatMul, with its transpose flags on the last two axes."""
    if transpose_a:
        a = np.swapaxes(a, -1, -2)
    if transpose_b:
        b = np.swapaxes(b, -1, -2)
    return np.matmul(a, b)
