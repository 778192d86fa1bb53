"""The basic_math family's executors (TF.js executors/basic_math_executor).

float32 tensors run in float32 with TF.js's formulas (ops/activations.py holds the shared ones).
For int32 and bool tensors TF.js has three behaviours, kept here op by op, as its CPU backend
shows them: most ops compute in doubles and store the result back in the input's dtype
(Sign, Abs, Relu6 of int32 stay int32; Selu(-7) in int32 is -1); some compute in float32 (Exp,
Erf of int32, LeakyRelu, Prelu); and some refuse anything but float32 (Sqrt, Log, Tanh,
Sigmoid...), which here is the same TypeError. Complex tensors only have Abs/ComplexAbs,
Real and Imag.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from ...ops import activations as act
from ...ops._fast_numpy import clip
from ..registry import ExecutionContext, Executor, Params
from ..tfjs_dtypes import BOOL, COMPLEX64, FLOAT32, INT32, STRING, as_float32, dtype_of, require, store
from .arithmetic import elementwise

Fn = Callable[[np.ndarray], np.ndarray]
_F32 = np.dtype(np.float32)
_INF = np.float32(np.inf)

#: what an op does with int32 / bool tensors
KEEP = "keep"    # compute as doubles, store in the input's dtype
FLOAT = "float"  # compute in float32, give float32
REFUSE = "refuse"


def _unary(fn: Fn, ints: str = KEEP, bools: str | None = None) -> Executor:
    bools = ints if bools is None else bools

    def run(p: Params, ctx: ExecutionContext) -> np.ndarray:
        x = p.x
        if x.dtype == _F32 and x.ndim:  # the common case, kept short
            with np.errstate(all="ignore"):
                return fn(x)
        if x.ndim == 0:  # numpy ufuncs give scalars for 0-d arrays; in-place kernels need arrays
            return run_on(x.reshape(1), p.node.op).reshape(())
        return run_on(x, p.node.op)

    def run_on(x: np.ndarray, op: str) -> np.ndarray:
        kind = dtype_of(x)
        with np.errstate(all="ignore"):
            if kind == FLOAT32:
                return np.asarray(fn(as_float32(x)), np.float32)
            rule = {INT32: ints, BOOL: bools}.get(kind, REFUSE)
            if rule == REFUSE:
                raise TypeError(f"{op} needs a float32 tensor, got {kind}")
            if rule == FLOAT:
                return np.asarray(fn(x.astype(np.float32)), np.float32)
            return store(fn(x.astype(np.float64)), kind)
    return run


def sign(x: np.ndarray) -> np.ndarray:
    """-1, 0 or 1; NaN and -0 give 0 (TF.js's kernel compares, it does not copy the sign)."""
    return (x > 0).astype(x.dtype) - (x < 0).astype(x.dtype)


def rsqrt(x: np.ndarray) -> np.ndarray:
    return np.reciprocal(np.sqrt(x))


def _erf(x: np.ndarray) -> np.ndarray:
    return act.erf(x).astype(x.dtype, copy=False)


def _abs(p: Params, ctx: ExecutionContext) -> np.ndarray:
    """|x|; for complex64 the modulus, as float32 (TF.js's Abs and ComplexAbs)."""
    if dtype_of(p.x) == COMPLEX64:
        return np.abs(p.x).astype(np.float32)
    return _ABS(p, ctx)


_ABS = _unary(np.abs)


def _part(take: Fn) -> Executor:
    def run(p: Params, ctx: ExecutionContext) -> np.ndarray:
        require(p.node.op, p.x, COMPLEX64)
        return np.asarray(take(p.x), np.float32)
    return run


def _complex(p: Params, ctx: ExecutionContext) -> np.ndarray:
    real, imag = p.real, p.imag
    if real.shape != imag.shape:
        raise ValueError(f"Complex needs real and imag of one shape, got {real.shape} and {imag.shape}")
    for part in (real, imag):
        require("Complex", part, FLOAT32, INT32, BOOL)
    out = np.empty(real.shape, np.complex64)
    out.real = real
    out.imag = imag
    return out


def _predicate(test: Fn, for_ints: bool) -> Executor:
    """IsNan / IsInf / IsFinite: bool; int32 and bool tensors are always finite numbers."""
    def run(p: Params, ctx: ExecutionContext) -> np.ndarray:
        kind = dtype_of(p.x)
        if kind == STRING:
            raise TypeError(f"{p.node.op} needs a numeric tensor, got string")
        if kind in (INT32, BOOL):
            return np.full(p.x.shape, for_ints, np.bool_)
        return np.asarray(test(p.x), np.bool_)
    return run


def _clip_by_value(p: Params, ctx: ExecutionContext) -> np.ndarray:
    """``x`` clipped to [min, max]; like TF.js, each bound is the first value of its tensor."""
    lo, hi = p.clipValueMin, p.clipValueMax
    if lo > hi:
        raise ValueError(f"ClipByValue needs min <= max, got min {lo} and max {hi}")
    return _unary(lambda x: np.clip(x, lo, hi))(p, ctx)


def _leaky_relu(p: Params, ctx: ExecutionContext) -> np.ndarray:
    """``alpha * x`` below zero, ``x`` above; float32 for every input dtype, as TF.js."""
    x = as_float32(_numeric(p.node.op, p.x))
    alpha = np.float32(p.alpha)
    if 0.0 < alpha <= 1.0:  # (not 0: inf * 0 is NaN)
        return np.maximum(x, x * alpha)
    return prelu(x, alpha)


def _prelu(p: Params, ctx: ExecutionContext) -> np.ndarray:
    """``alpha * x`` below zero with ``alpha`` broadcast against ``x``; float32, as TF.js."""
    return prelu(as_float32(_numeric("Prelu", p.x)), as_float32(_numeric("Prelu", p.alpha)))


def prelu(x: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """TF.js's ``x < 0 ? alpha * x : x`` as ``max(x, 0) + alpha * min(x, 0)``: the same values
    (adding a zero changes nothing, NaN stays NaN), and 10x faster than np.where."""
    pos = clip(x, 0, _INF)
    neg = clip(x, -_INF, 0)
    with np.errstate(invalid="ignore"):  # -inf * 0 is NaN, in TF.js too
        if np.broadcast_shapes(x.shape, np.shape(alpha)) == x.shape and x.ndim:
            neg *= alpha
            neg += pos
            return neg
        return np.asarray(neg * alpha + pos, np.float32)


def _numeric(op: str, x: np.ndarray) -> np.ndarray:
    require(op, x, FLOAT32, INT32, BOOL)
    return x


def _atan2(p: Params, ctx: ExecutionContext) -> np.ndarray:
    return elementwise("Atan2", p.x, p.y, np.arctan2)


def _square(x: np.ndarray) -> np.ndarray:
    return np.multiply(x, x)


EXECUTORS: dict[str, Executor] = {
    "Abs": _abs,
    "ComplexAbs": _abs,
    "Acos": _unary(np.arccos),
    "Acosh": _unary(np.arccosh),
    "Asin": _unary(np.arcsin),
    "Asinh": _unary(np.arcsinh),
    "Atan": _unary(np.arctan),
    "Atanh": _unary(np.arctanh),
    "Atan2": _atan2,
    "Ceil": _unary(np.ceil, REFUSE),
    "ClipByValue": _clip_by_value,
    "Complex": _complex,
    "Cos": _unary(np.cos, REFUSE),
    "Cosh": _unary(np.cosh, REFUSE),
    "Elu": _unary(act.elu, REFUSE),
    "Erf": _unary(_erf, FLOAT, REFUSE),
    "Exp": _unary(np.exp, FLOAT),
    "Expm1": _unary(np.expm1),
    "Floor": _unary(np.floor, REFUSE),
    "Imag": _part(np.imag),
    "IsFinite": _predicate(np.isfinite, True),
    "IsInf": _predicate(np.isinf, False),
    "IsNan": _predicate(np.isnan, False),
    "LeakyRelu": _leaky_relu,
    "Log": _unary(np.log, REFUSE),
    "Log1p": _unary(np.log1p),
    "Neg": _unary(np.negative),
    "Prelu": _prelu,
    "Real": _part(np.real),
    "Reciprocal": _unary(np.reciprocal),
    "Relu": _unary(act.relu),
    "Relu6": _unary(act.relu6),
    "Round": _unary(np.rint),  # banker's rounding, as TF.js's kernel
    "Rsqrt": _unary(rsqrt, REFUSE),
    "Selu": _unary(act.selu),
    "Sigmoid": _unary(act.sigmoid, REFUSE),
    "Sign": _unary(sign),
    "Sin": _unary(np.sin, REFUSE),
    "Sinh": _unary(np.sinh),
    "Softplus": _unary(act.softplus),
    "Softsign": _unary(act.softsign, REFUSE),
    "Sqrt": _unary(np.sqrt, REFUSE),
    "Square": _unary(_square),
    "Tan": _unary(np.tan, REFUSE),
    "Tanh": _unary(np.tanh, REFUSE),
}
