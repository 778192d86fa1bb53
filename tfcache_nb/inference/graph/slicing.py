"""StridedSlice geometry: which part of the input a slice spec selects, and the result's shape.

TensorFlow (and TF.js's ``slice_util.sliceInfo``, which ports it) turn the sparse spec (one
entry per ``begin``/``end``/``strides`` element, with ellipsis and new-axis entries that consume
no input dimension) into a dense spec of one range per input dimension, then clamp each range
into the dimension. Kept apart from the executor because the rules are subtle and shared by
every op that slices by such a spec; the result is plain Python ``slice`` objects, so numpy
does the copying.
"""

from __future__ import annotations

import dataclasses
from typing import Sequence

import numpy as np

_NEW_AXIS = -1
_SHRINK_AXIS = -2


@dataclasses.dataclass(frozen=True)
class SliceGeometry:
    """``x[slices].reshape(shape)`` is the strided slice of ``x``."""

    slices: tuple[slice, ...]
    shape: tuple[int, ...]

    def apply(self, x: np.ndarray) -> np.ndarray:
        return x[self.slices].reshape(self.shape)


def strided_slice_geometry(shape: Sequence[int], begin: Sequence[int], end: Sequence[int],
                           strides: Sequence[int], begin_mask: int = 0, end_mask: int = 0,
                           ellipsis_mask: int = 0, new_axis_mask: int = 0,
                           shrink_axis_mask: int = 0) -> SliceGeometry:
    """The geometry of ``StridedSlice`` on an input of ``shape``, as TensorFlow defines it.

    Raises ValueError for a malformed spec (lengths differ, two ellipses, a zero stride, a
    shrunk axis with a negative stride) and IndexError for an index out of the input.
    """
    n = len(strides)
    if len(begin) != n or len(end) != n:
        raise ValueError(f"begin, end and strides must have the same length, got {len(begin)}, "
                         f"{len(end)} and {n}")
    if ellipsis_mask & (ellipsis_mask - 1):
        raise ValueError("a strided slice may have at most one ellipsis")
    rank = len(shape)
    ellipsis_at = next((i for i in range(n) if ellipsis_mask >> i & 1), None)
    if ellipsis_at is None:  # an implicit ellipsis after the last entry
        ellipsis_at = n
        n_sparse = n + 1
    else:
        n_sparse = n
    new_after_ellipsis = sum(1 for i in range(ellipsis_at + 1, n) if new_axis_mask >> i & 1)

    # dense spec: one (begin, end, stride, begin masked, end masked, shrink) per input dim
    dense: list[tuple[int, int, int, bool, bool, bool]] = []
    final: list[int] = []  # per output entry: input dim, _NEW_AXIS or _SHRINK_AXIS
    for i in range(n_sparse):
        bit = 1 << i
        if i == ellipsis_at:
            stop = min(rank - (n_sparse - i) + 1 + new_after_ellipsis, rank)
            while len(dense) < stop:
                final.append(len(dense))
                dense.append((0, 0, 1, True, True, False))
        elif new_axis_mask & bit:
            final.append(_NEW_AXIS)
        else:
            if len(dense) == rank:
                raise IndexError(f"the slice spec indexes more dimensions than the input's {rank}")
            shrink = bool(shrink_axis_mask & bit)
            final.append(_SHRINK_AXIS if shrink else len(dense))
            dense.append((int(begin[i]), int(end[i]), int(strides[i]),
                          bool(begin_mask & bit), bool(end_mask & bit), shrink))
    if len(dense) != rank:  # only when the spec is shorter than it can be; TF fills nothing
        raise IndexError(f"the slice spec covers {len(dense)} of the input's {rank} dimensions")

    slices: list[slice] = []
    sizes: list[int] = []
    for dim, (b, e, s, b_masked, e_masked, shrink) in enumerate(dense):
        size_d = int(shape[dim])
        if s == 0:
            raise ValueError(f"strides[{dim}] must be non-zero")
        if shrink:
            if s <= 0:
                raise ValueError("a shrunk axis needs a positive stride")
            index = b + size_d if b < 0 else b
            if not 0 <= index < size_d:
                raise IndexError(f"slice index {b} of dimension {dim} is out of bounds (size {size_d})")
            slices.append(slice(index, index + 1))
            sizes.append(1)
            continue
        lo, hi = (0, size_d) if s > 0 else (-1, size_d - 1)
        b = (lo if s > 0 else hi) if b_masked else _clamp(b + size_d if b < 0 else b, lo, hi)
        e = (hi if s > 0 else lo) if e_masked else _clamp(e + size_d if e < 0 else e, lo, hi)
        interval = e - b
        if interval == 0 or (interval < 0) != (s < 0):
            slices.append(slice(0, 0))
            sizes.append(0)
        else:
            sizes.append(-(-abs(interval) // abs(s)))
            slices.append(slice(b, e if e >= 0 else None, s))
    out_shape = tuple(1 if d == _NEW_AXIS else sizes[d] for d in final if d != _SHRINK_AXIS)
    return SliceGeometry(tuple(slices), out_shape)


def _clamp(v: int, lo: int, hi: int) -> int:
    return lo if v < lo else hi if v > hi else v


def slice_bounds(shape: Sequence[int], begin: Sequence[int], size: Sequence[int]) -> tuple[slice, ...]:
    """``Slice``'s region as TF.js reads it: missing begins are 0, a size of -1 (or a missing
    size) runs to the end of the dimension; anything else outside the input is an error."""
    rank = len(shape)
    if len(begin) > rank or len(size) > rank:
        raise ValueError(f"begin {list(begin)} and size {list(size)} must not be longer than the rank {rank}")
    begin = list(begin) + [0] * (rank - len(begin))
    size = list(size) + [-1] * (rank - len(size))
    out = []
    for dim, (b, s, n) in enumerate(zip(begin, size, shape)):
        b, s = int(b), int(s)
        if b < 0:
            raise ValueError(f"slice begin[{dim}] = {b} is negative")
        if s == -1:
            s = n - b
        if s < 0 or b + s > n:
            raise ValueError(f"slice begin[{dim}] + size[{dim}] = {b} + {s} is outside the dimension of size {n}")
        out.append(slice(b, b + s))
    return tuple(out)
