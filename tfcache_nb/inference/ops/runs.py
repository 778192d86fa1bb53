"""Views that make numpy copy long contiguous runs instead of a few floats per inner loop.

numpy's copy and add loops pay a few nanoseconds per inner-loop call, so a layout of
16-float runs costs about 3x more, float by float, than the same bytes moved as 64-byte
items; the helpers here find and build such views once, at bind time.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

LONG_RUN = 512  # bytes: from here on numpy's element loop is as fast as it gets


def run_bytes(a: np.ndarray) -> int:
    """Bytes in the contiguous run at the end of ``a``'s memory layout (0 if the last axis is strided)."""
    run = a.itemsize
    for size, stride in zip(a.shape[::-1], a.strides[::-1]):
        if stride != run:
            break
        run *= size
    return run if a.strides[-1] == a.itemsize else 0


def as_runs(a: np.ndarray, axes: int = 1) -> np.ndarray:
    """``a`` with its last ``axes`` axes, contiguous together, viewed as one raw item each."""
    tail = a.shape[-axes:]
    step = a.itemsize
    for size, stride in zip(tail[::-1], a.strides[::-1]):
        if stride != step and size != 1:
            raise ValueError("as_runs needs contiguous trailing axes")
        step *= size
    merged = as_strided(a, shape=a.shape[:-axes] + (step // a.itemsize,), strides=a.strides[:-axes] + (a.itemsize,),
                        writeable=a.flags.writeable)
    return merged.view(np.dtype((np.void, step)))[..., 0]
