"""Work buffers shared by the kernels of one graph, so a model keeps one of each, not one per node.

A kernel called outside a preplanned :class:`~tfcache_nb.inference.plan.Plan` needs a padded
copy of its input (and, for im2col, the patch matrix) on every call. Fresh multi-megabyte
arrays cost a page fault per 4 KB each time; keeping one per kernel instead holds as much
memory as all of the network's activations. A ``Scratch`` keeps one growing buffer per purpose
for all the kernels of a graph, which run one at a time. A zero-bordered buffer is re-zeroed
only when a kernel with a different layout (other write positions) takes it over.
"""

from __future__ import annotations

from typing import Hashable

import numpy as np

F32 = np.float32


class Scratch:
    """One reusable float32 buffer per purpose; not for kernels running at the same time."""

    def __init__(self) -> None:
        self._buffers: dict[str, np.ndarray] = {}
        self._layouts: dict[str, Hashable] = {}

    def empty(self, purpose: str, size: int) -> np.ndarray:
        """A flat buffer of ``size`` floats with arbitrary contents."""
        buf = self._buffers.get(purpose)
        if buf is None or buf.size < size:
            buf = self._buffers[purpose] = np.empty(size, F32)
            self._layouts.pop(purpose, None)
        return buf[:size]

    def zeroed(self, purpose: str, size: int, layout: Hashable) -> np.ndarray:
        """A flat buffer of ``size`` floats that is zero wherever a caller of ``layout`` does not write.

        Callers with the same ``layout`` must write the same positions (an interior), so the
        rest stays zero between them; a new layout gets the buffer zeroed first.
        """
        buf = self._buffers.get(purpose)
        if buf is None or buf.size < size:
            buf = self._buffers[purpose] = np.zeros(size, F32)
        elif self._layouts.get(purpose) != layout:
            buf[:size] = 0
        self._layouts[purpose] = layout
        return buf[:size]

    @property
    def nbytes(self) -> int:
        return sum(b.nbytes for b in self._buffers.values())
