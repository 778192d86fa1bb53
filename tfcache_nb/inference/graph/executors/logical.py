"""The logical family's executors (TF.js executors/logical_executor).

Comparisons broadcast, compare the operands' values exactly (an int32 against a float32 as
numbers) and give bool; strings compare only for (in)equality, complex numbers not at all,
as in TF.js. The logical ops and Select's condition take bool tensors only.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from ..registry import ExecutionContext, Executor, Params
from ..tfjs_dtypes import BOOL, COMPLEX64, INT32, NUMPY, STRING, dtype_of, require, upcast


def _compare(test: Callable[[np.ndarray, np.ndarray], np.ndarray], strings: bool = False) -> Executor:
    def run(p: Params, ctx: ExecutionContext) -> np.ndarray:
        kinds = {dtype_of(p.a), dtype_of(p.b)}
        if STRING in kinds:
            if not (strings and kinds == {STRING}):
                raise TypeError(f"{p.node.op} cannot compare {' and '.join(sorted(kinds))} tensors")
        elif upcast(p.node.op, p.a, p.b) == COMPLEX64:
            raise TypeError(f"{p.node.op} does not support complex64 tensors (nor does TF.js)")
        return np.asarray(test(p.a, p.b), np.bool_)
    return run


def _logical(test: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> Executor:
    def run(p: Params, ctx: ExecutionContext) -> np.ndarray:
        require(p.node.op, p.a, BOOL)
        require(p.node.op, p.b, BOOL)
        return np.asarray(test(p.a, p.b), np.bool_)
    return run


def _logical_not(p: Params, ctx: ExecutionContext) -> np.ndarray:
    require("LogicalNot", p.a, BOOL)
    return np.asarray(np.logical_not(p.a), np.bool_)


def _select(p: Params, ctx: ExecutionContext) -> np.ndarray:
    """``a`` where ``condition``, else ``b``, all three broadcast; the result in the larger dtype.

    For Select (not SelectV2) a rank-1 condition that cannot broadcast but matches ``a``'s first
    dimension picks whole rows, as TensorFlow defines it (TF.js 4.22 refuses that case).
    """
    cond, a, b = p.condition, p.a, p.b
    require(p.node.op, cond, BOOL)
    kinds = {dtype_of(a), dtype_of(b)}
    dtype = kinds.pop() if len(kinds) == 1 else upcast(p.node.op, a, b)
    try:
        np.broadcast_shapes(cond.shape, a.shape, b.shape)
    except ValueError:
        if not (p.node.op == "Select" and cond.ndim == 1 and a.ndim > 1 and cond.shape[0] == a.shape[0]):
            raise ValueError(f"{p.node.op}: condition {cond.shape}, a {a.shape} and b {b.shape} "
                             "cannot be broadcast together") from None
        cond = cond.reshape(cond.shape + (1,) * (a.ndim - 1))
    return np.asarray(np.where(cond, a, b), NUMPY[dtype])


def _bitwise_and(p: Params, ctx: ExecutionContext) -> np.ndarray:
    for x in (p.a, p.b):
        require("BitwiseAnd", x, INT32, BOOL)
    dtype = upcast("BitwiseAnd", p.a, p.b)
    return np.asarray(np.bitwise_and(p.a.astype(NUMPY[dtype], copy=False), p.b.astype(NUMPY[dtype], copy=False)),
                      NUMPY[dtype])


EXECUTORS: dict[str, Executor] = {
    "Equal": _compare(np.equal, strings=True),
    "NotEqual": _compare(np.not_equal, strings=True),
    "Greater": _compare(np.greater),
    "GreaterEqual": _compare(np.greater_equal),
    "Less": _compare(np.less),
    "LessEqual": _compare(np.less_equal),
    "LogicalAnd": _logical(np.logical_and),
    "LogicalOr": _logical(np.logical_or),
    "LogicalNot": _logical_not,
    "Select": _select,
    "SelectV2": _select,
    "BitwiseAnd": _bitwise_and,
}
