"""The evaluation family's executors (TF.js executors/evaluation_executor): TopKV2, Unique and
the sorted-sequence searches, with TF.js's orderings of ties."""

from __future__ import annotations

import math

import numpy as np

from ..registry import ExecutionContext, Executor, Params
from ..tensor_rules import normalize_axis


def top_k(p: Params, ctx: ExecutionContext) -> list[np.ndarray]:
    values, indices = top_k_values(np.asarray(p.x), int(p.k), bool(p.sorted))
    return [values, indices]


def top_k_values(x: np.ndarray, k: int, sorted_: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """The k largest along the last axis and their indices (int32), as TF.js's topKImpl.

    Sorted: by value, equal values by the lower index. Unsorted: TF.js's Floyd-Rivest selection
    leaves the k in an order of its own, reproduced by running the same selection.
    """
    if x.ndim == 0:
        raise ValueError("top_k needs a tensor of rank 1 or more")
    n = x.shape[-1]
    if not 0 <= k <= n:
        raise ValueError(f"k = {k} must be in [0, {n}] (the last dimension)")
    rows = x.reshape(-1, n)
    key = -(rows.astype(np.int64) if x.dtype.kind in "iub" else rows.astype(np.float64))
    if sorted_:
        order = _smallest_k(key, k)
    elif k == n:
        order = np.broadcast_to(np.arange(n), rows.shape)  # no selection: the input order
    else:
        order = np.array([_selected_order(row, k) for row in key], np.int64).reshape(len(rows), k)
    values = np.take_along_axis(rows, order, axis=1)
    return values.reshape(x.shape[:-1] + (k,)), order.astype(np.int32).reshape(x.shape[:-1] + (k,))


def _smallest_k(key: np.ndarray, k: int) -> np.ndarray:
    """Per row, the positions of the k smallest keys, ascending, ties by position."""
    batch, n = key.shape
    if k == 0 or n == 0:
        return np.zeros((batch, k), np.int64)
    if n <= 4096 or 4 * k >= n or batch > 64:
        return np.argsort(key, axis=1, kind="stable")[:, :k]
    out = np.empty((batch, k), np.int64)
    for r, row in enumerate(key):
        kth = np.partition(row, k - 1)[k - 1]
        candidates = np.nonzero(row <= kth)[0]  # every tie with the k-th value, in index order
        out[r] = candidates[np.argsort(row[candidates], kind="stable")[:k]]
    return out


def _selected_order(key: np.ndarray, k: int) -> list[int]:
    """The order TF.js's ``select`` (Floyd-Rivest) leaves the first k (key, index) pairs in."""
    arr = list(zip(key.tolist(), range(len(key))))
    _floyd_rivest(arr, k, 0, len(arr) - 1)
    return [index for _, index in arr[:k]]


def _floyd_rivest(arr: list, k: int, left: int, right: int) -> None:
    while right > left:
        if right - left > 600:
            n = right - left + 1
            i = k - left + 1
            z = math.log(n)
            s = 0.5 * math.exp(2 * z / 3)
            sd = 0.5 * math.sqrt(z * s * (n - s) / n) * _sign(i - n / 2)
            new_left = max(left, math.floor(k - i * s / n + sd))
            new_right = min(right, math.floor(k + (n - i) * s / n + sd))
            _floyd_rivest(arr, k, new_left, new_right)
        t = arr[k]
        i, j = left, right
        arr[left], arr[k] = arr[k], arr[left]
        if arr[right] > t:
            arr[left], arr[right] = arr[right], arr[left]
        while i < j:
            arr[i], arr[j] = arr[j], arr[i]
            i += 1
            j -= 1
            while arr[i] < t:
                i += 1
            while arr[j] > t:
                j -= 1
        if arr[left] == t:
            arr[left], arr[j] = arr[j], arr[left]
        else:
            j += 1
            arr[j], arr[right] = arr[right], arr[j]
        if j <= k:
            left = j + 1
        if k <= j:
            right = j - 1


def _sign(v: float) -> int:
    return (v > 0) - (v < 0)


def unique(p: Params, ctx: ExecutionContext) -> list[np.ndarray]:
    values, indices = unique_values(np.asarray(p.x), 0)
    return [values, indices]


def unique_v2(p: Params, ctx: ExecutionContext) -> list[np.ndarray]:
    values, indices = unique_values(np.asarray(p.x), int(p.axis))
    return [values, indices]


def unique_values(x: np.ndarray, axis: int) -> tuple[np.ndarray, np.ndarray]:
    """Distinct slices along ``axis`` in order of first appearance, and for each input slice
    the position of its value (int32)."""
    if x.ndim == 0:
        raise ValueError("unique needs a tensor of rank 1 or more")
    axis = normalize_axis(axis, x.ndim)
    moved = np.moveaxis(x, axis, 0)
    count = moved.shape[0]
    if count == 0:
        return x.copy(), np.zeros(0, np.int32)
    rows = moved.reshape(count, -1)
    if rows.shape[1] == 0:  # slices without elements are all equal
        first, inverse = np.array([0]), np.zeros(count, np.int64)
    elif rows.dtype == object:
        seen: dict = {}
        inverse = np.array([seen.setdefault(tuple(r), len(seen)) for r in rows.tolist()], np.int64)
        first = np.array([inverse.tolist().index(i) for i in range(len(seen))], np.int64)
        return np.moveaxis(moved[first], 0, axis), inverse.astype(np.int32)
    else:
        if rows.dtype.kind == "f":  # TF.js keys by the printed number: one NaN, and -0 is 0
            canon = np.where(np.isnan(rows), np.nan, rows).astype(rows.dtype) + rows.dtype.type(0)
            rows = np.ascontiguousarray(canon).view(f"u{rows.dtype.itemsize}")
        _, first_sorted, inverse_sorted = np.unique(rows, axis=0, return_index=True, return_inverse=True)
        inverse_sorted = inverse_sorted.reshape(-1)
        order = np.argsort(first_sorted, kind="stable")  # sorted-unique id -> appearance rank
        rank = np.empty_like(order)
        rank[order] = np.arange(len(order))
        first, inverse = first_sorted[order], rank[inverse_sorted]
    return np.moveaxis(moved[first], 0, axis), inverse.astype(np.int32)


def lower_bound(p: Params, ctx: ExecutionContext) -> np.ndarray:
    return search_sorted(np.asarray(p.sorted_sequence), np.asarray(p.search_values), "left")


def upper_bound(p: Params, ctx: ExecutionContext) -> np.ndarray:
    return search_sorted(np.asarray(p.sorted_sequence), np.asarray(p.search_values), "right")


def search_sorted(seq: np.ndarray, values: np.ndarray, side: str) -> np.ndarray:
    """TF.js's searchSorted: per row of the last axis, the binary search's insertion point of
    each value (its very steps, so an unsorted row gives what TF.js gives)."""
    if seq.ndim < 1 or values.ndim < 1:
        raise ValueError("sorted sequence and values must have rank 1 or more")
    m = seq.shape[-1]
    table = seq.reshape(math.prod(seq.shape[:-1]), m)
    vals = values.reshape(math.prod(values.shape[:-1]), values.shape[-1])
    if seq.ndim < 2 and table.shape[0] != vals.shape[0]:
        raise ValueError("sorted sequence must be at least 2-D when values have several rows")
    if table.shape[0] != vals.shape[0]:
        raise ValueError(f"leading dimensions of the sorted sequence {list(seq.shape)} and values "
                         f"{list(values.shape)} must match")
    left = np.zeros(vals.shape, np.int64)
    right = np.full(vals.shape, m, np.int64)
    row = np.arange(vals.shape[0])[:, None]
    active = left < right
    while active.any():
        mid = (left + right) // 2
        probe = table[row, np.minimum(mid, max(m - 1, 0))] if m else vals
        go_right = (probe < vals) if side == "left" else (probe <= vals)
        left = np.where(active & go_right, mid + 1, left)
        right = np.where(active & ~go_right, mid, right)
        active = left < right
    return right.astype(np.int32).reshape(values.shape)


EXECUTORS: dict[str, Executor] = {
    "LowerBound": lower_bound, "TopKV2": top_k, "UpperBound": upper_bound, "Unique": unique,
    "UniqueV2": unique_v2,
}
