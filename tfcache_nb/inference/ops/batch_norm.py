"""Inference batch norm, and its folding into the kernel and bias of the layer before it.

Folding is done in float64 so the folded float32 weights round once, as close to
TensorFlow.js's unfolded result as float32 allows.
"""

from __future__ import annotations

import numpy as np

F32 = np.float32


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
    k = k * (scale.reshape(kernel.shape[2], kernel.shape[3]) if depthwise else scale)
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
    """Unfolded inference batch norm over the last axis, as TF.js's CPU kernel computes it:
    ``offset + (x - mean) * scale / sqrt(variance + epsilon)`` in double precision, rounded to
    float32 once. The parameters broadcast along the last axis (one value or one per channel)."""
    x64 = np.asarray(x).astype(np.float64)
    y = x64 - np.asarray(mean, np.float32).astype(np.float64)
    if gamma is not None:
        y *= np.asarray(gamma, np.float32).astype(np.float64)
    y /= np.sqrt(np.asarray(variance, np.float32).astype(np.float64) + epsilon)
    # TF.js adds an offset of 0 when there is none, which turns -0.0 into +0.0
    y += 0.0 if beta is None else np.asarray(beta, np.float32).astype(np.float64)
    return y.astype(F32)
