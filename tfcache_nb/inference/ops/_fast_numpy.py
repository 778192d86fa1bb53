"""The C functions behind ``np.clip`` and ``np.einsum``, with the public ones as fallback.

Their public wrappers are Python code costing about a microsecond per call, which a small
model's prediction pays a few dozen times. The private names may move between numpy
releases, so a missing one falls back to the public function (same results, tested).
"""

from __future__ import annotations

import numpy as np

try:
    from numpy._core import multiarray as _multiarray, umath as _umath
except ImportError:  # pragma: no cover - numpy 1.x
    from numpy.core import multiarray as _multiarray, umath as _umath

clip = getattr(_umath, "clip", np.clip)
einsum = getattr(_multiarray, "c_einsum", np.einsum)
