"""TF.js's mean, for every runtime (the graph's Mean, Keras's global average pooling).

TF.js computes ``mean(x)`` as ``sum(x / count)``: each value divided by the count in float32,
then summed by the CPU kernel in a JavaScript double and rounded once. numpy's float32 mean
(sum first, pairwise in float32, then divide) differs in the last bits on large inputs.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

F32, F64 = np.float32, np.float64


def mean(x: np.ndarray, axes: Sequence[int], keepdims: bool = False) -> np.ndarray:
    """The float32 mean over ``axes`` (non-negative, distinct) as TF.js computes it (empty: 0)."""
    axes = tuple(axes)
    count = int(np.prod([x.shape[a] for a in axes])) if axes else 1
    scaled = x.astype(F32) / F32(count) if count else x.astype(F32)
    return np.sum(scaled, axis=axes, keepdims=keepdims, dtype=F64).astype(F32)
