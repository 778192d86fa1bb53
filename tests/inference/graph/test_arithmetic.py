"""Arithmetic ops against element-by-element Python arithmetic, and against the real TF.js.

The reference computes each element with Python's own math on doubles, as TF.js's CPU
kernels do in JavaScript, then stores it the way TF.js's typed arrays do.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from graph_helpers import run_op
from tfjs_oracle import assert_same_as_tfjs, case, tfjs_run


def js_int32(v: float) -> int:
    """ECMAScript ToInt32: what an Int32Array keeps of a double."""
    if not math.isfinite(v):
        return 0
    n = int(math.trunc(v)) % 2 ** 32
    return n - 2 ** 32 if n >= 2 ** 31 else n


def reference(fn, a, b, dtype):
    """fn on each broadcast pair of Python numbers, stored as ``dtype``."""
    a, b = np.asarray(a), np.asarray(b)
    pairs = np.broadcast(a, b)
    values = [fn(float(x), float(y)) for x, y in pairs]
    if dtype == "int32":
        return np.array([js_int32(v) for v in values], np.int32).reshape(pairs.shape)
    if dtype == "bool":
        return np.array([js_int32(v) & 0xFF != 0 for v in values], np.bool_).reshape(pairs.shape)
    return np.array(values, np.float64).astype(np.float32).reshape(pairs.shape)


def js_div(x, y):
    if y == 0:
        return math.copysign(math.inf, x) if x != 0 and not math.isnan(x) else math.nan
    return x / y


def js_floor_div(x, y):
    q = js_div(x, y)
    return math.floor(q) if math.isfinite(q) else q


def js_mod(x, y):
    if y == 0 or math.isnan(x) or math.isnan(y) or math.isinf(x):
        return math.nan
    rem = math.fmod(x, y)
    if (x < 0 and y < 0) or (x >= 0 and y >= 0):
        return rem
    return math.fmod(rem + y, y)


def js_pow(x, y):
    if math.isnan(y) or (abs(x) == 1 and math.isinf(y)):
        return math.nan
    try:
        r = x ** y
    except ZeroDivisionError:
        return math.copysign(math.inf, x) if y == int(y) and int(y) % 2 else math.inf
    return math.nan if isinstance(r, complex) else r


F = np.array([[-2.5, -1.0, 0.0], [0.5, 3.0, 7.25]], np.float32)
ROW = np.array([2.0, -0.5, 4.0], np.float32)
I = np.array([[-7, -1, 0], [3, 7, 2147483647]], np.int32)
IROW = np.array([2, -2, 3], np.int32)
B = np.array([[True, False, True], [False, True, True]])

BINARY = {
    "Add": lambda x, y: x + y,
    "AddV2": lambda x, y: x + y,
    "Sub": lambda x, y: x - y,
    "Mul": lambda x, y: x * y,
    "Maximum": lambda x, y: math.nan if math.isnan(x) or math.isnan(y) else max(x, y),
    "Minimum": lambda x, y: math.nan if math.isnan(x) or math.isnan(y) else min(x, y),
    "SquaredDifference": lambda x, y: (x - y) ** 2,
    "Pow": js_pow,
    "Mod": js_mod,
    "FloorMod": js_mod,
}


@pytest.mark.parametrize("op", sorted(BINARY))
@pytest.mark.parametrize("a,b", [(F, ROW), (ROW, F), (F, np.float32(1.5)), (np.float32(-2.0), ROW)],
                         ids=["matrix-row", "row-matrix", "matrix-scalar", "scalar-row"])
def test_float_binary_ops_broadcast_like_elementwise_python(op, a, b):
    out = run_op(op, [a, b])
    assert out.dtype == np.float32 and isinstance(out, np.ndarray)
    np.testing.assert_allclose(out, reference(BINARY[op], a, b, "float32"), rtol=2e-7, equal_nan=True)


@pytest.mark.parametrize("op", sorted(BINARY))
def test_int32_binary_ops_stay_int32_and_wrap_like_an_int32array(op):
    out = run_op(op, [I, IROW])
    assert out.dtype == np.int32
    np.testing.assert_array_equal(out, reference(BINARY[op], I, IROW, "int32"))


def test_int32_overflow_wraps_modulo_2_32():
    out = run_op("Add", [np.int32([2147483647, -2147483648]), np.int32([1, -1])])
    np.testing.assert_array_equal(out, [-2147483648, 2147483647])


@pytest.mark.parametrize("op", ["RealDiv", "Div"])
def test_int32_division_is_a_floor_division_giving_int32(op):
    # TF.js's div() hands int32 / int32 to floorDiv: -7 / 2 is -4, and x / 0 is 0 in an Int32Array
    out = run_op(op, [np.int32([-7, 7, -7, 5, 0]), np.int32([2, -2, -2, 0, 0])])
    assert out.dtype == np.int32
    np.testing.assert_array_equal(out, [-4, -4, 3, 0, 0])


def test_float_division_by_zero_gives_infinities_and_nan():
    out = run_op("RealDiv", [np.float32([5, -5, 0]), np.float32([0, 0, 0])])
    assert out.dtype == np.float32
    assert out[0] == np.inf and out[1] == -np.inf and np.isnan(out[2])
    np.testing.assert_allclose(run_op("Div", [F, ROW]), reference(js_div, F, ROW, "float32"), rtol=1e-7)


def test_floor_div_gives_int32_even_for_floats():
    a = np.float32([7, -7, 7.5, -0.5, np.inf, 1])
    b = np.float32([2, 2, -2, 3, 1, 0])
    out = run_op("FloorDiv", [a, b])
    assert out.dtype == np.int32
    np.testing.assert_array_equal(out, reference(js_floor_div, a, b, "int32"))
    np.testing.assert_array_equal(out, [3, -4, -4, -1, 0, 0])


def test_mod_takes_the_divisors_sign():
    a = np.float32([5.5, -5.5, 5.5, -5.5, 4, -4])
    b = np.float32([2, 2, -2, -2, 2, 2])
    for op in ("Mod", "FloorMod"):
        np.testing.assert_array_equal(run_op(op, [a, b]), [1.5, 0.5, -0.5, -1.5, 0, 0])
    np.testing.assert_array_equal(run_op("FloorMod", [np.int32([-7, 7, 5]), np.int32([3, -3, 0])]), [2, -2, 0])


def test_div_no_nan_is_zero_wherever_the_divisor_is_zero():
    out = run_op("DivNoNan", [np.float32([[5, 0, np.nan], [6, 1, 2]]), np.float32([0, 0, 0])])
    np.testing.assert_array_equal(out, np.zeros((2, 3), np.float32))
    out = run_op("DivNoNan", [np.float32([6, 1]), np.float32([3, 0])])
    np.testing.assert_array_equal(out, [2, 0])
    assert run_op("DivNoNan", [np.int32([7, 7]), np.int32([2, 0])]).tolist() == [3, 0]


def test_pow_follows_javascript_math_pow():
    a = np.float32([-8, 2, 0, -2, 1, -1, 0])
    b = np.float32([1 / 3, -1, 0, 0.5, np.nan, np.inf, -1])
    out = run_op("Pow", [a, b])
    np.testing.assert_array_equal(out, reference(js_pow, a, b, "float32"))
    assert np.isnan(out[4]) and np.isnan(out[5]) and out[6] == np.inf  # C's pow would give 1 for 1**NaN
    np.testing.assert_array_equal(run_op("Pow", [np.int32([2, 3, -2]), np.int32([-1, 2, 3])]), [0, 9, -8])


def test_maximum_and_minimum_propagate_nan_and_make_int32_of_bools():
    out = run_op("Maximum", [np.float32([np.nan, 1, -1]), np.float32(0)])
    assert np.isnan(out[0]) and out[1:].tolist() == [1, 0]
    x = np.float32([[[[np.nan, -1.5, 2.0, np.inf, -np.inf]]]])
    for bound in (np.float32(0.5), np.full((1, 1, 1, 1), 0.5, np.float32), np.float32(np.nan)):
        for op, fn in (("Maximum", BINARY["Maximum"]), ("Minimum", BINARY["Minimum"])):
            for a, b in ((x, bound), (bound, x)):
                np.testing.assert_array_equal(run_op(op, [a, b]), reference(fn, a, b, "float32"))
    for op in ("Maximum", "Minimum"):
        out = run_op(op, [B, ~B])
        assert out.dtype == np.int32
    np.testing.assert_array_equal(run_op("Maximum", [B, ~B]), np.ones((2, 3), np.int32))


def test_bool_arithmetic_stays_bool_as_uint8_values():
    t = np.array([True, True, False, False])
    u = np.array([True, False, True, False])
    add = run_op("Add", [t, u])
    assert add.dtype == np.bool_ and add.tolist() == [True, True, True, False]  # 1 + 1 = 2 reads true
    assert run_op("Sub", [t, t]).tolist() == [False] * 4
    assert run_op("FloorDiv", [t, u]).dtype == np.int32


def test_mixed_dtypes_go_to_the_larger_one():
    assert run_op("Add", [I, F]).dtype == np.float32
    assert run_op("Mul", [I, B]).dtype == np.int32
    np.testing.assert_array_equal(run_op("Mul", [I, B]), I * B)
    assert run_op("RealDiv", [np.int32([7]), np.float32([2])]).tolist() == [3.5]


def test_rank0_operands_give_rank0_arrays():
    out = run_op("Add", [np.float32(1.5), np.float32(2)])
    assert isinstance(out, np.ndarray) and out.shape == () and out.dtype == np.float32 and out == 3.5
    out = run_op("Sub", [np.int32(3), np.int32(5)])
    assert out.shape == () and out.dtype == np.int32 and out == -2


def test_empty_tensors_broadcast_to_empty():
    out = run_op("Add", [np.zeros((0, 3), np.float32), ROW])
    assert out.shape == (0, 3) and out.dtype == np.float32
    assert run_op("FloorMod", [np.zeros((2, 0), np.int32), np.int32(3)]).shape == (2, 0)
    assert run_op("AddN", [np.zeros(0, np.float32)] * 3).shape == (0,)


def test_shapes_that_cannot_broadcast_are_a_value_error():
    with pytest.raises(ValueError):
        run_op("Add", [np.zeros((2, 3), np.float32), np.zeros(2, np.float32)])


def test_complex_adds_and_multiplies_but_does_not_divide():
    z = np.complex64([1 + 2j, -3 + 0.5j])
    assert run_op("Mul", [z, z]).tolist() == [(1 + 2j) ** 2, (-3 + 0.5j) ** 2]
    assert run_op("Add", [z, np.float32(1)]).dtype == np.complex64
    with pytest.raises(TypeError, match="complex64"):
        run_op("RealDiv", [z, z])


def test_strings_are_refused():
    with pytest.raises(TypeError, match="string"):
        run_op("Add", [np.array(["a"], object), np.array(["b"], object)])


def test_add_n_sums_in_order_and_checks_shapes_and_dtypes():
    xs = [F, F * 2, F * 3]
    np.testing.assert_array_equal(run_op("AddN", xs), F * 6)
    assert run_op("AddN", [I, I]).dtype == np.int32
    with pytest.raises(ValueError, match="shape"):
        run_op("AddN", [F, ROW])
    with pytest.raises(TypeError, match="dtype"):
        run_op("AddN", [F, I])


def test_bias_add_adds_along_channels():
    x = np.arange(2 * 3 * 4, dtype=np.float32).reshape(2, 3, 4)
    bias = np.float32([10, 20, 30, 40])
    np.testing.assert_array_equal(run_op("BiasAdd", [x, bias]), x + bias[None, None, :])
    nchw = np.float32([1, 2, 3])
    out = run_op("BiasAdd", [x, nchw], data_format="NCHW")
    np.testing.assert_array_equal(out, x + nchw[None, :, None])
    with pytest.raises(ValueError, match="bias"):
        run_op("BiasAdd", [x, bias], data_format="NCHW")


def test_every_op_as_tfjs_computes_it():
    """The same cases through TF.js 4.22's converter and CPU backend: dtypes, shapes and values."""
    f = np.float32([[-2.5, -1.0, 0.0, np.nan], [0.5, 3.0, 7.25, -0.0]])
    row = np.float32([2.0, -0.5, 0.0, 3.0])
    i = np.int32([[-7, -1, 0, 5], [3, 7, 9, -9]])
    irow = np.int32([2, -2, 3, 0])
    b = np.array([True, False, True, False])
    cases = []
    for op in ["Add", "AddV2", "BiasAdd", "Sub", "Mul", "RealDiv", "Div", "DivNoNan", "FloorDiv", "Maximum",
               "Minimum", "Pow", "SquaredDifference", "Mod", "FloorMod"]:
        cases += [(op, [f, row]), (op, [i, irow]), (op, [b, b[::-1].copy()]), (op, [i, row]),
                  (op, [np.float32(3), f]), (op, [np.zeros((0, 4), np.float32), row])]
    cases += [("AddN", [f, f, f]), ("AddN", [i, i]), ("AddN", [b, b])]
    results = tfjs_run([case(op, ins) for op, ins in cases])
    for (op, ins), theirs in zip(cases, results):
        label = f"{op}{[(x.dtype.name, x.shape) for x in ins]}"
        assert not isinstance(theirs, str), f"{label}: TF.js failed: {theirs}"
        assert_same_as_tfjs(run_op(op, ins), theirs[0], label)
