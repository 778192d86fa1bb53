"""The slice_join family's executors (TF.js executors/slice_join_executor).

Semantics are TF.js's (tfjs-core ops, tfjs-backend-cpu kernels); where TF.js would read memory
it should not (an index past one dimension that still lands inside the tensor), these raise
instead. One deliberate difference: SplitV with the -1 size first works as in TensorFlow
(TF.js's sum of the known sizes miscounts it and refuses the split).
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from ..registry import ExecutionContext, Executor, Params
from ..slicing import slice_bounds, strided_slice_geometry
from ..tensor_rules import int_indices, normalize_axes, normalize_axis


def concat(p: Params, ctx: ExecutionContext) -> np.ndarray:
    tensors = [np.asarray(t) for t in p.tensors[:int(p.n)]]
    if not tensors:
        raise ValueError("concat needs at least one tensor")
    first = tensors[0]
    if first.ndim == 0:
        raise ValueError("concat of scalars is not defined; pack them instead")
    axis = normalize_axis(p.axis, first.ndim)
    if len(tensors) == 1:
        return first.copy()
    for t in tensors[1:]:
        if t.ndim != first.ndim or any(a != b for i, (a, b) in enumerate(zip(t.shape, first.shape)) if i != axis):
            raise ValueError(f"concat along axis {axis}: shapes {[list(t.shape) for t in tensors]} do not match")
    # the output takes the first tensor's dtype, as TF.js's kernel writes into that typed array
    return np.concatenate([t.astype(first.dtype, copy=False) for t in tensors], axis=axis)


def gather_v2(p: Params, ctx: ExecutionContext) -> np.ndarray:
    return gather(np.asarray(p.x), p.indices, int(p.axis), int(p.batch_dims))


def gather_v1(p: Params, ctx: ExecutionContext) -> np.ndarray:
    return gather(np.asarray(p.x), p.indices, 0, 0)


def gather(x: np.ndarray, indices: np.ndarray, axis: int, batch_dims: int) -> np.ndarray:
    """``tf.gather(x, indices, axis, batchDims)``: indices must lie in ``[0, x.shape[axis])``."""
    idx = int_indices(indices)
    axis = normalize_axis(axis, max(x.ndim, 1))
    if x.ndim == 0:
        raise ValueError("gather needs a tensor of rank 1 or more")
    if batch_dims < 0:
        if batch_dims < -idx.ndim:
            raise ValueError(f"batch_dims {batch_dims} is out of range for indices of rank {idx.ndim}")
        batch_dims += idx.ndim
    if batch_dims > idx.ndim or batch_dims > x.ndim or axis < batch_dims:
        raise ValueError(f"batch_dims {batch_dims} must be <= axis {axis} and the ranks of x and indices")
    if x.shape[:batch_dims] != idx.shape[:batch_dims]:
        raise ValueError(f"the first {batch_dims} dims of x {list(x.shape)} and indices {list(idx.shape)} differ")
    size = x.shape[axis]
    if idx.size and (idx.min() < 0 or idx.max() >= size):
        bad = idx[(idx < 0) | (idx >= size)].flat[0]
        raise IndexError(f"gather index {bad} is not in [0, {size - 1}]")
    if batch_dims == 0:
        return np.take(x, idx, axis=axis)
    batch = math.prod(x.shape[:batch_dims])
    outer = x.shape[batch_dims:axis]
    inner = x.shape[axis + 1:]
    xb = x.reshape((batch, math.prod(outer), size, math.prod(inner)))
    ib = idx.reshape((batch, -1)) if batch else idx.reshape((0, math.prod(idx.shape[batch_dims:])))
    # advanced indices split by a slice go first: (batch, n, outer, inner)
    picked = xb[np.arange(batch)[:, None], :, ib]
    out = picked.transpose(0, 2, 1, 3)
    return out.reshape(x.shape[:batch_dims] + outer + idx.shape[batch_dims:] + inner)


def reverse_v1(p: Params, ctx: ExecutionContext) -> np.ndarray:
    x = np.asarray(p.x)
    axes = [i for i, flag in enumerate(p.dims) if flag]
    return _reverse(x, axes)


def reverse_v2(p: Params, ctx: ExecutionContext) -> np.ndarray:
    x = np.asarray(p.x)
    return _reverse(x, p.axis)


def _reverse(x: np.ndarray, axes: Sequence[int]) -> np.ndarray:
    if x.ndim == 0 or not len(axes):
        return x
    return np.flip(x, axis=tuple(normalize_axes(axes, x.ndim)))


def slice_op(p: Params, ctx: ExecutionContext) -> np.ndarray:
    x = np.asarray(p.x)
    return x[slice_bounds(x.shape, p.begin, p.size)]


def strided_slice(p: Params, ctx: ExecutionContext) -> np.ndarray:
    x = np.asarray(p.x)
    key = (x.shape, tuple(p.begin), tuple(p.end), tuple(p.strides))
    state = ctx.state(p.node)
    geometry = state.get(key)
    if geometry is None:
        geometry = strided_slice_geometry(x.shape, p.begin, p.end, p.strides, int(p.begin_mask), int(p.end_mask),
                                          int(p.ellipsis_mask), int(p.new_axis_mask), int(p.shrink_axis_mask))
        if len(state) > 16:  # a graph whose slice changes every run: keep the cache small
            state.clear()
        state[key] = geometry
    return geometry.apply(x)


def pack(p: Params, ctx: ExecutionContext) -> np.ndarray:
    tensors = [np.asarray(t) for t in p.tensors]
    if not tensors:
        raise ValueError("pack needs at least one tensor")
    shape = tensors[0].shape
    squeezed = tuple(d for d in shape if d != 1)
    same = []
    for t in tensors:
        if t.shape != shape:
            # TF.js's executor accepts shapes that differ only by dims of size 1
            if tuple(d for d in t.shape if d != 1) != squeezed:
                raise ValueError(f"pack: shapes {[list(t.shape) for t in tensors]} do not match")
            t = t.reshape(shape)
        same.append(t.astype(tensors[0].dtype, copy=False))
    axis = int(p.axis)
    rank = len(shape)
    if not -(rank + 1) <= axis <= rank:
        raise ValueError(f"pack axis {axis} is out of range for tensors of rank {rank}")
    return np.stack(same, axis=axis)


def unpack(p: Params, ctx: ExecutionContext) -> list[np.ndarray]:
    x = np.asarray(p.tensor)
    if x.ndim == 0:
        raise ValueError("unpack needs a tensor of rank 1 or more")
    axis = normalize_axis(p.axis, x.ndim)
    return list(np.moveaxis(x, axis, 0))


def tile(p: Params, ctx: ExecutionContext) -> np.ndarray:
    x = np.asarray(p.x)
    reps = [int(r) for r in p.reps]
    if len(reps) != x.ndim:
        raise ValueError(f"tile: {len(reps)} multiples for a tensor of rank {x.ndim}")
    if any(r < 0 for r in reps):
        raise ValueError(f"tile multiples {reps} must not be negative")
    return np.tile(x, reps) if reps else x.copy()


def split(p: Params, ctx: ExecutionContext) -> list[np.ndarray]:
    x = np.asarray(p.x)
    axis = normalize_axis(p.axis, x.ndim)
    num = int(p.num_split)
    if num <= 0 or x.shape[axis] % num:
        raise ValueError(f"split: {num} splits do not evenly divide the dimension of size {x.shape[axis]}")
    return np.split(x, num, axis=axis)


def split_v(p: Params, ctx: ExecutionContext) -> list[np.ndarray]:
    x = np.asarray(p.x)
    axis = normalize_axis(p.axis, x.ndim)
    sizes = [int(s) for s in p.size_splits]
    dim = x.shape[axis]
    if sizes.count(-1) > 1 or any(s < -1 for s in sizes):
        raise ValueError(f"split sizes {sizes} may have one -1 and no other negative size")
    if -1 in sizes:
        sizes[sizes.index(-1)] = dim - sum(s for s in sizes if s > 0)
    if sum(sizes) != dim or any(s < 0 for s in sizes):
        raise ValueError(f"split sizes {list(p.size_splits)} do not add up to the dimension of size {dim}")
    return np.split(x, np.cumsum(sizes)[:-1].tolist(), axis=axis)


def _scatter_geometry(indices: np.ndarray, shape: Sequence[int]) -> tuple[np.ndarray, int]:
    """Flat row numbers of each index (rows of ``prod(shape[depth:])`` elements) and the depth.

    Index tensors of rank 1 are read as one index per element, as TF.js does."""
    idx = int_indices(indices)
    if idx.ndim < 1:
        raise ValueError("indices must have rank 1 or more")
    depth = idx.shape[-1] if idx.ndim > 1 else 1
    if depth > len(shape):
        raise ValueError(f"indices of depth {depth} for a shape of rank {len(shape)}")
    rows = idx.reshape(-1, depth) if idx.size else np.zeros((0, depth), np.int64)
    dims = np.asarray(shape[:depth], np.int64)
    bad = (rows < 0) | (rows >= dims)
    if bad.any():
        at = np.argwhere(bad)[0][0]
        raise IndexError(f"index {rows[at].tolist()} does not index into shape {list(shape)}")
    flat = np.ravel_multi_index(tuple(rows.T), tuple(int(d) for d in dims)) if depth else np.zeros(len(rows), np.int64)
    return flat, depth


def _updates_rows(updates: np.ndarray, indices: np.ndarray, shape: Sequence[int], depth: int) -> np.ndarray:
    batch = indices.shape[:-1] if indices.ndim > 1 else indices.shape
    expected = tuple(batch) + tuple(int(d) for d in shape[depth:])
    if updates.shape != expected:
        raise ValueError(f"updates of shape {list(updates.shape)} must have shape {list(expected)} "
                         f"(indices {list(indices.shape)}, output {list(shape)})")
    return updates.reshape(-1, math.prod(shape[depth:]))


def scatter_nd(p: Params, ctx: ExecutionContext) -> np.ndarray:
    """``tf.scatterND``: updates at duplicate indices add up."""
    indices, updates = np.asarray(p.indices), np.asarray(p.updates)
    shape = [int(d) for d in p.shape]
    if not shape or any(d < 0 for d in shape):
        raise ValueError(f"scatter shape {shape} must have rank 1 or more and no negative size")
    flat, depth = _scatter_geometry(indices, shape)
    rows = _updates_rows(updates, indices, shape, depth)
    out = np.zeros((math.prod(shape[:depth]), math.prod(shape[depth:])), updates.dtype)
    if updates.dtype == np.bool_:
        np.logical_or.at(out, flat, rows)
    else:
        np.add.at(out, flat, rows)
    return out.reshape(shape)


def _last_wins(flat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Of repeated targets keep the last write (TF.js writes in order): (targets, source rows)."""
    rev = flat[::-1]
    targets, first_in_rev = np.unique(rev, return_index=True)
    return targets, len(flat) - 1 - first_in_rev


def tensor_scatter_update(p: Params, ctx: ExecutionContext) -> np.ndarray:
    tensor, indices, updates = np.asarray(p.tensor), np.asarray(p.indices), np.asarray(p.updates)
    if tensor.ndim == 0:
        raise ValueError("tensor_scatter_update needs a tensor of rank 1 or more")
    flat, depth = _scatter_geometry(indices, tensor.shape)
    rows = _updates_rows(updates, indices, tensor.shape, depth)
    out = tensor.reshape(math.prod(tensor.shape[:depth]), -1).copy() if tensor.size else tensor.copy()
    if flat.size and tensor.size:
        targets, sources = _last_wins(flat)
        out[targets] = rows[sources].astype(tensor.dtype, copy=False)
    return out.reshape(tensor.shape)


def sparse_to_dense(p: Params, ctx: ExecutionContext) -> np.ndarray:
    indices, values = np.asarray(p.sparse_indices), np.asarray(p.sparse_values)
    shape = [int(d) for d in p.output_shape]
    if any(d < 0 for d in shape):
        raise ValueError(f"output shape {shape} has a negative size")
    if indices.ndim > 2:
        raise ValueError(f"sparse indices must be a scalar, vector or matrix, got shape {list(indices.shape)}")
    n = indices.shape[0] if indices.ndim > 0 else 1
    depth = indices.shape[1] if indices.ndim > 1 else 1
    if len(shape) != depth:
        raise ValueError(f"output shape {shape} must have {depth} elements")
    if not (values.ndim == 0 or (values.ndim == 1 and values.size == n)):
        raise ValueError(f"sparse values of shape {list(values.shape)} should be [] or [{n}]")
    default = np.asarray(p.default_value).astype(values.dtype).reshape(-1)
    if default.size == 0:
        raise ValueError("default value is empty")
    out = np.full(math.prod(shape), default[0], values.dtype)
    idx = int_indices(indices).reshape(n, depth)
    if n and out.size:
        flat, _ = _scatter_geometry(idx, shape)
        vals = np.broadcast_to(values.reshape(-1), (n,)) if values.ndim == 0 else values
        targets, sources = _last_wins(flat)
        out[targets] = vals[sources]
    elif n and not out.size:
        raise IndexError(f"sparse indices index into the empty shape {shape}")
    return out.reshape(shape)


def gather_nd(p: Params, ctx: ExecutionContext) -> np.ndarray:
    x = np.asarray(p.x)
    idx = int_indices(p.indices)
    if x.ndim < 1 or idx.ndim < 1:
        raise ValueError("gather_nd needs x and indices of rank 1 or more")
    depth = idx.shape[-1]
    if depth > x.ndim:
        raise ValueError(f"index depth {depth} is more than the rank {x.ndim} of x")
    if x.size == 0:
        raise ValueError(f"gather_nd from an empty tensor of shape {list(x.shape)}")
    batch = idx.shape[:-1]
    if depth == 0:
        return np.broadcast_to(x, batch + x.shape).copy()
    rows = idx.reshape(-1, depth)
    bad = (rows < 0) | (rows >= np.asarray(x.shape[:depth]))
    if bad.any():
        raise IndexError(f"index {rows[np.argwhere(bad)[0][0]].tolist()} does not index into {list(x.shape)}")
    picked = x[tuple(rows.T)]
    return picked.reshape(batch + x.shape[depth:])


EXECUTORS: dict[str, Executor] = {
    "ConcatV2": concat, "Concat": concat, "GatherV2": gather_v2, "Gather": gather_v1,
    "Reverse": reverse_v1, "ReverseV2": reverse_v2, "Slice": slice_op, "StridedSlice": strided_slice,
    "Pack": pack, "Unpack": unpack, "Tile": tile, "Split": split, "SplitV": split_v,
    "ScatterNd": scatter_nd, "GatherNd": gather_nd, "SparseToDense": sparse_to_dense,
    "TensorScatterUpdate": tensor_scatter_update,
}
