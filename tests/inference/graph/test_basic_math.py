"""Unary math ops against Python's math module element by element, and against the real TF.js."""

from __future__ import annotations

import math

import numpy as np
import pytest

from graph_helpers import run_op
from tfjs_oracle import assert_same_as_tfjs, case, tfjs_run

SELU_SCALE = 1.0507009873554804934193349852946
SELU_ALPHA = 1.6732632423543772848170429916717


def _guard(fn):
    def safe(x):
        try:
            return fn(x)
        except (ValueError, ZeroDivisionError):
            return math.nan
        except OverflowError:
            return math.inf
    return safe


def js_sign(x):
    return 1.0 if x > 0 else (-1.0 if x < 0 else 0.0)


def js_round(x):
    base = math.floor(x) if math.isfinite(x) else x
    if not math.isfinite(x) or x - base != 0.5:
        return float(round(x)) if math.isfinite(x) else x
    return base if base % 2 == 0 else base + 1


def js_erf(x):
    # Abramowitz and Stegun 7.1.26, TF.js's CPU erf
    t = 1 / (1 + 0.3275911 * abs(x))
    poly = (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t
    return js_sign(x) * (1 - poly * math.exp(-x * x))


UNARY = {
    "Abs": abs, "Acos": math.acos, "Acosh": math.acosh, "Asin": math.asin, "Asinh": math.asinh,
    "Atan": math.atan, "Atanh": lambda x: math.copysign(math.inf, x) if abs(x) == 1 else math.atanh(x), "Ceil": math.ceil, "Cos": math.cos, "Cosh": math.cosh,
    "Elu": lambda x: x if x >= 0 else math.exp(x) - 1,
    "Erf": js_erf, "Exp": math.exp, "Expm1": math.expm1, "Floor": math.floor, "Log": lambda x: -math.inf if x == 0 else math.log(x),
    "Log1p": lambda x: -math.inf if x == -1 else math.log1p(x), "Neg": lambda x: -x,
    "Reciprocal": lambda x: math.copysign(math.inf, x) if x == 0 else 1 / x,
    "Relu": lambda x: max(x, 0.0), "Relu6": lambda x: min(max(x, 0.0), 6.0), "Round": js_round,
    "Rsqrt": lambda x: math.inf if x == 0 else 1 / math.sqrt(x),
    "Selu": lambda x: SELU_SCALE * x if x >= 0 else SELU_SCALE * SELU_ALPHA * (math.exp(x) - 1),
    "Sigmoid": lambda x: 1 / (1 + math.exp(-x)), "Sign": js_sign, "Sin": math.sin, "Sinh": math.sinh,
    "Softplus": lambda x: max(x, 0.0) + math.log1p(math.exp(-abs(x))), "Softsign": lambda x: x / (1 + abs(x)),
    "Sqrt": math.sqrt, "Square": lambda x: x * x, "Tan": math.tan, "Tanh": math.tanh,
}
X = np.float32([[-3.5, -2.5, -1.0, -0.5, -0.25, 0.0], [0.25, 0.5, 0.9, 1.5, 2.5, 4.0]])


@pytest.mark.parametrize("op", sorted(UNARY))
def test_float_unary_ops_match_python_math(op):
    out = run_op(op, [X])
    assert out.dtype == np.float32 and out.shape == X.shape
    expected = np.array([_guard(UNARY[op])(float(v)) for v in X.ravel()], np.float64).reshape(X.shape)
    np.testing.assert_allclose(out, expected.astype(np.float32), rtol=2e-6, atol=1e-7, equal_nan=True)


@pytest.mark.parametrize("op", sorted(UNARY))
def test_unary_ops_keep_rank0_and_empty_shapes(op):
    scalar = run_op(op, [np.float32(0.5)])
    assert isinstance(scalar, np.ndarray) and scalar.shape == () and scalar.dtype == np.float32
    assert run_op(op, [np.zeros((0, 3), np.float32)]).shape == (0, 3)


def test_round_is_bankers_rounding():
    x = np.float32([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 0.49999997, 2.5000002])
    np.testing.assert_array_equal(run_op("Round", [x]), [-2, -2, 0, 0, 2, 2, 0, 3])


def test_sign_of_zero_and_nan_is_zero():
    np.testing.assert_array_equal(run_op("Sign", [np.float32([np.nan, -0.0, 0.0, -np.inf, 3])]), [0, 0, 0, -1, 1])


def test_relu_and_clip_let_nan_through():
    out = run_op("Relu6", [np.float32([np.nan, 7, -1])])
    assert np.isnan(out[0]) and out[1:].tolist() == [6, 0]
    out = run_op("ClipByValue", [np.float32([1.5, -3, np.nan]), np.float32(-1), np.float32(1)])
    assert out[:2].tolist() == [1, -1] and np.isnan(out[2])


def test_softplus_is_exact_at_the_extremes():
    out = run_op("Softplus", [np.float32([-100, -20, 0, 20, 100])])
    expected = np.float32([math.exp(-100), math.exp(-20), math.log(2), 20, 100])  # exp(-100) is subnormal
    np.testing.assert_allclose(out, expected, rtol=1e-6)


# int32 and bool: TF.js computes in doubles and stores back in the input's dtype, computes in
# float32, or refuses, op by op (seen in TF.js 4.22's CPU backend)
KEEPS_DTYPE = ["Abs", "Acos", "Acosh", "Asin", "Asinh", "Atan", "Atanh", "Expm1", "Log1p", "Neg", "Reciprocal",
               "Relu", "Relu6", "Round", "Selu", "Sign", "Sinh", "Softplus", "Square"]
REFUSES_INTS = ["Ceil", "Cos", "Cosh", "Elu", "Floor", "Log", "Rsqrt", "Sigmoid", "Sin", "Sqrt", "Tan", "Tanh"]
INTS = np.int32([-7, -1, 0, 1, 3, 100000])


@pytest.mark.parametrize("op", KEEPS_DTYPE)
def test_int32_results_are_the_truncated_doubles(op):
    out = run_op(op, [INTS])
    assert out.dtype == np.int32
    expected = []
    for v in INTS.tolist():
        r = _guard(UNARY[op])(float(v))
        n = 0 if not math.isfinite(r) else int(math.trunc(r)) % 2 ** 32
        expected.append(n - 2 ** 32 if n >= 2 ** 31 else n)
    np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize("op", KEEPS_DTYPE)
def test_bool_results_stay_bool(op):
    out = run_op(op, [np.array([True, False])])
    assert out.dtype == np.bool_


@pytest.mark.parametrize("op", REFUSES_INTS)
def test_float_only_ops_refuse_int32_and_bool(op):
    for x in (INTS, np.array([True])):
        with pytest.raises(TypeError, match="float32"):
            run_op(op, [x])


def test_exp_erf_and_leaky_relu_of_ints_give_float32():
    assert run_op("Exp", [np.int32([0, 1])]).dtype == np.float32
    assert run_op("Erf", [np.int32([0, 1])]).dtype == np.float32
    out = run_op("LeakyRelu", [np.int32([-5, 5])])
    assert out.dtype == np.float32 and out.tolist() == pytest.approx([-1.0, 5.0])
    with pytest.raises(TypeError):
        run_op("Erf", [np.array([True])])


def test_leaky_relu_takes_its_alpha_with_any_sign():
    x = np.float32([-2, -0.5, 0, 3])
    np.testing.assert_allclose(run_op("LeakyRelu", [x], alpha=0.1), [-0.2, -0.05, 0, 3], rtol=1e-6)
    np.testing.assert_allclose(run_op("LeakyRelu", [x], alpha=-2.0), [4, 1, 0, 3])
    np.testing.assert_allclose(run_op("LeakyRelu", [x]), [-0.4, -0.1, 0, 3], rtol=1e-6)  # default 0.2
    edges = np.float32([np.inf, -np.inf, np.nan, -1])
    for alpha in (0.0, 0.5, 1.0, -1.0):
        expected = [alpha * v if v < 0 else v for v in edges.tolist()]
        np.testing.assert_array_equal(run_op("LeakyRelu", [edges], alpha=alpha), np.float32(expected))


def test_prelu_broadcasts_alpha_over_channels():
    x = np.arange(-6, 6, dtype=np.float32).reshape(2, 2, 3)
    alpha = np.float32([0.1, 0.2, 0.3])
    expected = np.empty_like(x)
    for idx in np.ndindex(x.shape):
        v = float(x[idx])
        expected[idx] = v if v >= 0 else float(alpha[idx[-1]]) * v
    np.testing.assert_allclose(run_op("Prelu", [x, alpha]), expected, rtol=1e-6)
    assert run_op("Prelu", [np.int32([-2, 2]), np.float32(0.5)]).tolist() == [-1, 2]


def test_prelu_with_alphas_of_any_sign_and_non_finite_inputs():
    x = np.float32([[[-2.0, 3.0, np.nan], [-np.inf, np.inf, -0.5]]])
    for alpha in (np.float32([-0.7, 1.5, 0.2]), np.float32([[[0.0, -1.0, 2.0]]]), np.float32(-3.0)):
        expected = np.empty(np.broadcast_shapes(x.shape, alpha.shape), np.float32)
        for idx in np.ndindex(expected.shape):
            v = float(x[tuple(i if n > 1 else 0 for i, n in zip(idx[-x.ndim:], x.shape))])
            a = float(np.broadcast_to(alpha, expected.shape)[idx])
            expected[idx] = a * v if v < 0 else v
        np.testing.assert_array_equal(run_op("Prelu", [x, alpha]), expected)
    wide = run_op("Prelu", [np.float32([-1, 2]), np.float32([[1], [3]])])  # alpha widens the result
    assert wide.tolist() == [[-1, 2], [-3, 2]]


def test_clip_by_value_keeps_int32_and_checks_its_bounds():
    out = run_op("ClipByValue", [INTS, np.int32(-1), np.int32(3)])
    assert out.dtype == np.int32 and out.tolist() == [-1, -1, 0, 1, 3, 3]
    with pytest.raises(ValueError, match="min"):
        run_op("ClipByValue", [INTS, np.int32(3), np.int32(-1)])


def test_atan2_broadcasts_and_follows_argument_order():
    y = np.float32([[1, -1], [0, 2]])
    x = np.float32([-1, 0.5])
    expected = [[math.atan2(1, -1), math.atan2(-1, 0.5)], [math.atan2(0, -1), math.atan2(2, 0.5)]]
    np.testing.assert_allclose(run_op("Atan2", [y, x]), expected, rtol=1e-6)
    assert run_op("Atan2", [np.int32([-7]), np.int32([2])]).tolist() == [-1]  # int32 truncates


def test_is_nan_is_inf_is_finite():
    x = np.float32([np.nan, np.inf, -np.inf, 0, -1.5])
    assert run_op("IsNan", [x]).tolist() == [True, False, False, False, False]
    assert run_op("IsInf", [x]).tolist() == [False, True, True, False, False]
    assert run_op("IsFinite", [x]).tolist() == [False, False, False, True, True]
    assert run_op("IsFinite", [INTS]).all() and not run_op("IsNan", [np.array([True])]).any()


def test_complex_numbers_build_and_take_apart():
    z = run_op("Complex", [np.float32([3, 1]), np.float32([4, -2])])
    assert z.dtype == np.complex64 and z.tolist() == [3 + 4j, 1 - 2j]
    for op in ("ComplexAbs", "Abs"):
        out = run_op(op, [z])
        assert out.dtype == np.float32
        np.testing.assert_allclose(out, [5, math.sqrt(5)], rtol=1e-6)
    assert run_op("Real", [z]).tolist() == [3, 1] and run_op("Imag", [z]).tolist() == [4, -2]
    assert run_op("Real", [z]).dtype == np.float32
    with pytest.raises(TypeError, match="complex64"):
        run_op("Real", [np.float32([1])])
    with pytest.raises(ValueError, match="shape"):
        run_op("Complex", [np.float32([1, 2]), np.float32([1])])
    with pytest.raises(TypeError):
        run_op("Exp", [z])


def test_every_op_as_tfjs_computes_it():
    """The same cases through TF.js 4.22's converter and CPU backend: dtypes, shapes and values."""
    x = np.float32([[-3.5, -2.5, -1.0, -0.5, 0.0, np.nan], [0.25, 0.5, 0.9, 1.5, 2.5, 40.0]])
    ints = np.int32([-7, -1, 0, 1, 3, 9])
    bools = np.array([True, False, True])
    cases = []
    for op in sorted(set(UNARY) - {"Softsign"}) + ["IsNan", "IsInf", "IsFinite", "LeakyRelu"]:
        cases += [(op, [x], {}), (op, [np.zeros((0, 2), np.float32)], {}), (op, [np.float32(0.75)], {})]
        if op not in REFUSES_INTS:
            cases += [(op, [ints], {})]
            if op != "Erf":
                cases += [(op, [bools], {})]
    cases += [("LeakyRelu", [x], {"alpha": 0.3}),
              ("Prelu", [x, np.float32([0.1, 0.2, 0.3, 0.4, 0.5, 0.6])], {}),
              ("Prelu", [ints, np.int32(2)], {}),
              ("ClipByValue", [x, np.float32(-1), np.float32(1.5)], {}),
              ("ClipByValue", [ints, np.int32(-1), np.int32(3)], {}),
              ("Atan2", [x, np.float32([1, -1, 0.5, 2, -3, 1])], {}),
              ("Atan2", [ints, np.int32([2])], {}),
              ("Complex", [np.float32([1, 2]), np.float32([3, -4])], {}),
              ("ComplexAbs", [np.complex64([3 + 4j, -1 + 1j])], {}),
              ("Abs", [np.complex64([3 + 4j, -1 + 1j])], {}),
              ("Real", [np.complex64([3 + 4j])], {}), ("Imag", [np.complex64([3 + 4j])], {})]
    results = tfjs_run([case(op, ins, **attrs) for op, ins, attrs in cases])
    for (op, ins, attrs), theirs in zip(cases, results):
        label = f"{op}{[(x.dtype.name, x.shape) for x in ins]}"
        assert not isinstance(theirs, str), f"{label}: TF.js failed: {theirs}"
        assert_same_as_tfjs(run_op(op, ins, **attrs), theirs[0], label, rtol=3e-6)
