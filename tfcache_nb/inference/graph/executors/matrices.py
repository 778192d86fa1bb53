"""The matrices family's executors (TF.js executors/matrices_executor)."""

from __future__ import annotations

import numpy as np

from ..fused_ops import parse_fused_ops
from ..registry import ExecutionContext, Executor, Params

F32 = np.float32


def _operands(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Both operands in the result's dtype: int32 when both are int32, else float32 (as TF.js)."""
    a, b = np.asarray(a), np.asarray(b)
    if a.ndim < 2 or b.ndim < 2:
        raise ValueError(f"a matrix product needs operands of rank 2 or more, not shapes {a.shape} and {b.shape}")
    dtype = np.int32 if a.dtype == np.int32 and b.dtype == np.int32 else F32
    return a.astype(dtype, copy=False), b.astype(dtype, copy=False)


def matmul(a: np.ndarray, b: np.ndarray, transpose_a: bool, transpose_b: bool) -> np.ndarray:
    """TF.js's matMul: transposes on the last two axes, batch axes broadcast."""
    a, b = _operands(a, b)
    if transpose_a:
        a = np.swapaxes(a, -1, -2)
    if transpose_b:
        b = np.swapaxes(b, -1, -2)
    if a.shape[-1] != b.shape[-2]:
        raise ValueError(f"inner dimensions differ: {a.shape[-1]} (a) and {b.shape[-2]} (b)")
    try:
        np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    except ValueError:
        raise ValueError(f"batch dimensions {a.shape[:-2]} and {b.shape[:-2]} do not broadcast") from None
    return np.matmul(a, b)


def mat_mul(p: Params, ctx: ExecutionContext) -> np.ndarray:
    return matmul(p.a, p.b, bool(p.transpose_a), bool(p.transpose_b))


def fused_mat_mul(p: Params, ctx: ExecutionContext) -> np.ndarray:
    """MatMul + BiasAdd + an activation (TF.js's fused.matMul)."""
    args = list(p.args)
    fo = parse_fused_ops(p.fused_ops, int(p.num_args), len(args), p.leakyrelu_alpha, matmul=True)
    y = matmul(p.a, p.b, bool(p.transpose_a), bool(p.transpose_b))
    bias = fo.bias(args)
    if bias is not None:
        y = np.add(y, np.asarray(bias).astype(y.dtype, copy=False))
    return fo.activate(y, args)


def transpose(p: Params, ctx: ExecutionContext) -> np.ndarray:
    x = np.asarray(p.x)
    perm = [int(v) for v in p.perm]
    if sorted(perm) != list(range(x.ndim)):
        raise ValueError(f"perm {perm} is not a permutation of the {x.ndim} axes of shape {x.shape}")
    return np.transpose(x, perm).copy()  # a new array, as TF.js returns: never a view of the input


def einsum(p: Params, ctx: ExecutionContext) -> np.ndarray:
    """Einsum with one or two operands and an explicit output ('ab,bc->ac'), as TF.js supports."""
    equation = str(p.equation).replace(" ", "")
    xs = [np.asarray(t) for t in p.tensors]
    if equation.count("->") != 1:
        raise ValueError(f"einsum equation {equation!r} must contain exactly one '->'")
    inputs = equation.split("->")[0].split(",")
    if len(inputs) != len(xs):
        raise ValueError(f"einsum equation {equation!r} names {len(inputs)} inputs; the node has {len(xs)}")
    dtype = np.int32 if all(x.dtype == np.int32 for x in xs) else F32
    try:
        out = np.einsum(equation, *(x.astype(dtype, copy=False) for x in xs)).astype(dtype, copy=False)
    except ValueError as e:
        raise ValueError(f"einsum {equation!r} on shapes {[x.shape for x in xs]}: {e}") from None
    return out.copy() if any(np.shares_memory(out, x) for x in xs) else out  # 'ij->ji' is a view


def band_part(p: Params, ctx: ExecutionContext) -> np.ndarray:
    """Keep num_lower diagonals below and num_upper above the main one (negative: all)."""
    a = np.asarray(p.a)
    if a.ndim < 2:
        raise ValueError(f"MatrixBandPart needs a rank of 2 or more, not shape {a.shape}")
    m, n = a.shape[-2:]
    lower, upper = int(p.num_lower), int(p.num_upper)
    if lower > m or upper > n:
        raise ValueError(f"num_lower {lower} / num_upper {upper} exceed the {m}x{n} matrix")
    diff = np.arange(m)[:, None] - np.arange(n)[None, :]
    keep = ((lower < 0) | (diff <= lower)) & ((upper < 0) | (-diff <= upper))
    return np.where(keep, a, np.zeros((), a.dtype))


EXECUTORS: dict[str, Executor] = {
    "_FusedMatMul": fused_mat_mul,
    "MatMul": mat_mul,
    "BatchMatMul": mat_mul,
    "BatchMatMulV2": mat_mul,
    "Transpose": transpose,
    "Einsum": einsum,
    "MatrixBandPart": band_part,
}
