"""The arithmetic family's executors (TF.js executors/arithmetic_executor).

Binary ops broadcast as numpy does (TF.js's rules are the same) and follow TF.js's dtypes:
both operands go to the larger dtype (bool < int32 < float32 < complex64), and the CPU kernel's
JavaScript-double result is stored in it. Hence TF.js's surprises, kept on purpose: int32 / int32
(RealDiv, Div) is a floor division giving int32; FloorDiv always gives int32, even of floats;
Mod and FloorMod both take the divisor's sign; Maximum and Minimum of bools give int32; a
division by zero in int32 gives 0. Complex numbers only add, subtract and multiply.
int32 +, -, * wrap modulo 2**32 as TF.js's Int32Array does; a product beyond 2**53, which
TF.js rounds as a double before wrapping, wraps exactly here.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from ...ops._fast_numpy import clip
from ..registry import ExecutionContext, Executor, Params
from ..tfjs_dtypes import COMPLEX64, FLOAT32, INT32, as_float32, dtype_of, store, upcast

Kernel = Callable[[np.ndarray, np.ndarray], np.ndarray]
_F32 = np.dtype(np.float32)
_I32 = np.dtype(np.int32)
_INF = np.float32(np.inf)


def elementwise(op: str, a: np.ndarray, b: np.ndarray, kernel: Kernel, *, complex_ok: bool = False,
                doubles: bool = False, result: str | None = None, int32_wraps: bool = False) -> np.ndarray:
    """``kernel(a, b)`` in the dtype TF.js computes it in, stored in the result's dtype.

    float32 runs in float32 (numpy's float32 +, -, *, / round exactly as TF.js's double then
    float32 does) unless ``doubles`` asks for TF.js's double arithmetic; int32 and bool run as
    doubles and are stored as TF.js's typed arrays store them, except that ``int32_wraps`` kernels
    (+, -, *, max, min: numpy's int32 wraps modulo 2**32 as an Int32Array stores) run in int32.
    ``result`` overrides the dtype.
    """
    if a.dtype == b.dtype and result is None and (a.dtype == _F32 and not doubles or a.dtype == _I32 and int32_wraps):
        with np.errstate(all="ignore"):  # the common cases, kept short
            out = kernel(a, b)
        return out if type(out) is np.ndarray else np.asarray(out, a.dtype)
    dtype = upcast(op, a, b)
    with np.errstate(all="ignore"):
        if dtype == COMPLEX64:
            if not complex_ok:
                raise TypeError(f"{op} does not support complex64 tensors (nor does TF.js)")
            return np.asarray(kernel(a.astype(np.complex64, copy=False), b.astype(np.complex64, copy=False)),
                              np.complex64)
        if dtype == FLOAT32 and not doubles and result in (None, FLOAT32):
            return np.asarray(kernel(as_float32(a), as_float32(b)), np.float32)
        return store(kernel(a.astype(np.float64, copy=False), b.astype(np.float64, copy=False)), result or dtype)


def _binary(kernel: Kernel, **options) -> Executor:
    def run(p: Params, ctx: ExecutionContext) -> np.ndarray:
        return elementwise(p.node.op, p.a, p.b, kernel, **options)
    return run


def floor_div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.floor(np.divide(a, b))


def _div(p: Params, ctx: ExecutionContext) -> np.ndarray:
    """TF.js's div: a floor division when both operands are int32 (or int32 and bool)."""
    if upcast(p.node.op, p.a, p.b) == INT32:
        return elementwise(p.node.op, p.a, p.b, floor_div)
    return elementwise(p.node.op, p.a, p.b, np.divide)


def _div_no_nan(p: Params, ctx: ExecutionContext) -> np.ndarray:
    quotient = _div(p, ctx)
    return np.asarray(np.where(p.b == 0, quotient.dtype.type(0), quotient), quotient.dtype)


def js_mod(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """TF.js's mod kernel: the remainder takes the divisor's sign (decided by the operands' signs)."""
    rem = np.fmod(a, b)
    return np.where((a < 0) == (b < 0), rem, np.fmod(rem + b, b))


def js_pow(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``Math.pow``: unlike C's pow, 1 ** NaN and (-1) ** ±Infinity are NaN."""
    r = np.power(a, b)
    if not np.isfinite(b).all():
        odd = ~np.isfinite(b) & (np.abs(a) == 1)
        if odd.any():
            r = np.where(odd, np.nan, r).astype(r.dtype, copy=False)
    return r


def _squared_difference(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    d = np.subtract(a, b)
    return np.multiply(d, d, out=d) if isinstance(d, np.ndarray) and d.ndim else d * d


def _max_min(kernel: Kernel, upper: bool) -> Executor:
    def run(p: Params, ctx: ExecutionContext) -> np.ndarray:
        a, b = p.a, p.b
        if a.dtype == _F32 and b.dtype == _F32:
            if b.size == 1 and b.ndim <= a.ndim and a.ndim:
                return _clip_at(a, b, upper)
            if a.size == 1 and a.ndim <= b.ndim and b.ndim:
                return _clip_at(b, a, upper)
        both_bool = a.dtype == np.bool_ and b.dtype == np.bool_  # TF.js casts bools to int32 first
        return elementwise(p.node.op, a, b, kernel, result=INT32 if both_bool else None, int32_wraps=True)
    return run


def _clip_at(x: np.ndarray, bound: np.ndarray, upper: bool) -> np.ndarray:
    """max(x, bound) (or min) against one value, as a clip: numpy's maximum with a scalar is ~5x slower."""
    v = bound.reshape(())
    if np.isnan(v):
        return np.full(x.shape, np.nan, np.float32)  # Math.max / Math.min with NaN
    return clip(x, v, _INF) if upper else clip(x, -_INF, v)


def _bias_add(p: Params, ctx: ExecutionContext) -> np.ndarray:
    """The bias along the channels: the last axis (NHWC), or axis 1 for NCHW (which TF.js ignores)."""
    a, b = p.a, p.b
    if str(p.dataFormat).startswith("NC") and a.ndim > 2:
        if b.ndim != 1 or b.shape[0] != a.shape[1]:
            raise ValueError(f"BiasAdd ({p.dataFormat}) needs a bias of {a.shape[1]} values, got shape {b.shape}")
        b = b.reshape((-1,) + (1,) * (a.ndim - 2))
    return elementwise("BiasAdd", a, b, np.add, int32_wraps=True)


def _add_n(p: Params, ctx: ExecutionContext) -> np.ndarray:
    """The sum of same-shape, same-dtype tensors, added one after the other as TF.js does."""
    tensors = p.tensors
    if not tensors:
        raise ValueError("AddN needs at least one tensor")
    first = tensors[0]
    for t in tensors[1:]:
        if t.shape != first.shape:
            raise ValueError(f"AddN needs tensors of one shape, got {first.shape} and {t.shape}")
        if dtype_of(t) != dtype_of(first):
            raise TypeError(f"AddN needs tensors of one dtype, got {dtype_of(first)} and {dtype_of(t)}")
    total = tensors[0]
    for t in tensors[1:]:
        total = elementwise("AddN", total, t, np.add, int32_wraps=True)
    return np.array(total, copy=True) if len(tensors) == 1 else total


EXECUTORS: dict[str, Executor] = {
    "Add": _binary(np.add, complex_ok=True, int32_wraps=True),
    "AddV2": _binary(np.add, complex_ok=True, int32_wraps=True),
    "AddN": _add_n,
    "BiasAdd": _bias_add,
    "Sub": _binary(np.subtract, complex_ok=True, int32_wraps=True),
    "Mul": _binary(np.multiply, complex_ok=True, int32_wraps=True),
    "RealDiv": _div,
    "Div": _div,
    "DivNoNan": _div_no_nan,
    "FloorDiv": _binary(floor_div, result=INT32),
    "Maximum": _max_min(np.maximum, upper=True),
    "Minimum": _max_min(np.minimum, upper=False),
    "Pow": _binary(js_pow),
    "SquaredDifference": _binary(_squared_difference),
    "Mod": _binary(js_mod, doubles=True),
    "FloorMod": _binary(js_mod, doubles=True),
}
