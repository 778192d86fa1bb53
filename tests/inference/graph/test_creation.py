"""Creation ops against hand-written loops and cases, and against the real TF.js."""

from __future__ import annotations

import math

import numpy as np
import pytest

from graph_helpers import DType, run_op
from tfcache_nb.inference.graph.registry import ExecutionContext
from tfjs_oracle import assert_same_as_tfjs, case, tfjs_run

SHAPE = np.int32([2, 3])


def test_fill_stores_the_value_as_its_dtype_does():
    out = run_op("Fill", [SHAPE, np.float32(2.7)], T=DType("float32"))
    assert out.dtype == np.float32 and out.shape == (2, 3) and (out == np.float32(2.7)).all()
    assert run_op("Fill", [SHAPE, np.float32(-2.7)], T=DType("int32")).tolist() == [[-2] * 3] * 2
    assert not run_op("Fill", [np.int32([2]), np.float32(0.5)], T=DType("bool")).any()  # 0.5 in a Uint8Array is 0
    assert run_op("Fill", [np.int32([0, 4]), np.float32(1)]).shape == (0, 4)
    assert run_op("Fill", [np.zeros(0, np.int32), np.float32(5)]).shape == ()
    with pytest.raises(ValueError, match="non-negative"):
        run_op("Fill", [np.int32([-1, 2]), np.float32(1)])


@pytest.mark.parametrize("op,value", [("Ones", 1), ("Zeros", 0)])
def test_ones_and_zeros(op, value):
    out = run_op(op, [SHAPE], T=DType("int32"))
    assert out.dtype == np.int32 and out.tolist() == [[value] * 3] * 2
    assert run_op(op, [SHAPE]).dtype == np.float32
    assert run_op(op, [np.int32([2])], T=DType("bool")).tolist() == [bool(value)] * 2


@pytest.mark.parametrize("op,value", [("OnesLike", 1), ("ZerosLike", 0)])
def test_like_ops_keep_shape_and_dtype(op, value):
    for x in (np.float32([[1.5, -2]]), np.int32([7, 8, 9]), np.array([True, False]), np.complex64([1 + 2j]),
              np.zeros((0, 2), np.float32), np.float32(3)):
        out = run_op(op, [x])
        assert out.dtype == x.dtype and out.shape == x.shape
        assert (out == value).all()


def range_loop(start, stop, step, dtype):
    """TF.js's rangeImpl written out: v[i] = v[i-1] + step, stored in a typed array each time."""
    if start == stop or (start < stop and step < 0) or (stop < start and step > 1):
        return []
    n = abs(math.ceil((stop - start) / step))
    if stop < start and step == 1:
        step = -1
    keep = (lambda v: float(np.float32(v))) if dtype == "float32" else (lambda v: float(math.trunc(v)))
    values = [keep(start)]
    for _ in range(n - 1):
        values.append(keep(values[-1] + step))
    return values


@pytest.mark.parametrize("start,stop,step,dtype", [
    (0, 5, 1, "int32"), (5, 0, -2, "int32"), (0, 10, 3, "int32"), (5, 0, 1, "int32"), (3, 3, 1, "int32"),
    (0, 5, -1, "int32"), (-3, 2, 0.5, "int32"), (0.5, 3.7, 1, "int32"),
    (0, 1, 0.1, "float32"), (0, 1, 0.3, "float32"), (10, -5, -0.7, "float32"), (1, 0, 0.25, "float32"),
])
def test_range_follows_tfjs_accumulating_loop(start, stop, step, dtype):
    np_dtype = np.float32 if isinstance(start, float) or isinstance(step, float) or dtype == "float32" else np.int32
    ins = [np.array(v, np_dtype) for v in (start, stop, step)]
    out = run_op("Range", ins, Tidx=DType(dtype))
    assert out.dtype == np.dtype(dtype) and out.ndim == 1
    expected = range_loop(*(float(x) for x in ins), dtype)
    assert out.tolist() == pytest.approx(expected, abs=0)


def test_range_refuses_a_zero_step():
    with pytest.raises(ValueError, match="step"):
        run_op("Range", [np.int32(0), np.int32(3), np.int32(0)], Tidx=DType("int32"))


def test_linspace():
    out = run_op("LinSpace", [np.float32(0), np.float32(1), np.int32(5)])
    assert out.dtype == np.float32 and out.tolist() == [0, 0.25, 0.5, 0.75, 1]
    out = run_op("LinSpace", [np.float32(0), np.float32(1), np.int32(4)])
    values, v = [], 0.0
    for _ in range(4):  # TF.js adds the double step to each float32 value in turn
        values.append(v)
        v = float(np.float32(v + 1 / 3))
    assert out.tolist() == values
    assert run_op("LinSpace", [np.float32(3), np.float32(1), np.int32(1)]).tolist() == [3]
    with pytest.raises(ValueError, match="positive"):
        run_op("LinSpace", [np.float32(0), np.float32(1), np.int32(0)])


def test_one_hot_puts_on_value_at_each_index():
    indices = np.int32([[0, 2], [-1, 5]])
    out = run_op("OneHot", [indices, np.int32(3), np.float32(5), np.float32(-1)], T=DType("float32"), axis=-1)
    expected = np.full((2, 2, 3), -1, np.float32)
    for idx in np.ndindex(indices.shape):
        if 0 <= indices[idx] < 3:
            expected[idx + (indices[idx],)] = 5
    np.testing.assert_array_equal(out, expected)
    assert out.dtype == np.float32


def test_one_hot_defaults_and_axis():
    out = run_op("OneHot", [np.int32([1, 0]), np.int32(2)])
    assert out.dtype == np.int32 and out.tolist() == [[0, 1], [1, 0]]
    out = run_op("OneHot", [np.int32([0, 2]), np.int32(3), np.float32(1), np.float32(0)],
                 T=DType("float32"), axis=0)
    assert out.shape == (3, 2) and out.tolist() == [[1, 0], [0, 0], [0, 1]]
    with pytest.raises(TypeError, match="int32"):
        run_op("OneHot", [np.float32([0.5]), np.int32(3)])
    with pytest.raises(ValueError, match="axis"):
        run_op("OneHot", [np.int32([0]), np.int32(3)], axis=3)


def test_random_ops_have_their_distributions_shapes_and_dtypes():
    shape = np.int32([200, 50])
    u = run_op("RandomUniform", [shape], minval=-2.0, maxval=3.0, dtype=DType("float32"), seed=1)
    assert u.dtype == np.float32 and u.shape == (200, 50) and u.min() >= -2 and u.max() < 3
    assert abs(u.mean() - 0.5) < 0.1
    n = run_op("RandomStandardNormal", [shape], dtype=DType("float32"), seed=2)
    assert n.dtype == np.float32 and abs(n.mean()) < 0.05 and abs(n.std() - 1) < 0.05
    t = run_op("TruncatedNormal", [shape], means=1.0, stddev=0.5, dtype=DType("float32"), seed=3)
    assert t.min() >= 0 and t.max() <= 2 and abs(t.mean() - 1) < 0.05
    k = run_op("RandomUniformInt", [shape, np.int32(-3), np.int32(4)], seed=4)
    assert k.dtype == np.int32 and set(np.unique(k).tolist()) == set(range(-3, 4))
    m = run_op("Multinomial", [np.float32([[0, 0, 50], [50, 0, 0]]), np.int32(6)], seed=5)
    assert m.dtype == np.int32 and m.tolist() == [[2] * 6, [0] * 6]


def test_a_seeded_random_node_repeats_its_sequence_and_moves_on_between_runs():
    def draws(ctx):
        return [run_op("RandomUniform", [np.int32([4])], ctx, dtype=DType("float32"), seed=7) for _ in range(2)]
    first, second = draws(ExecutionContext()), draws(ExecutionContext())
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[1], second[1])
    assert not np.array_equal(first[0], first[1])


def test_every_op_as_tfjs_computes_it():
    """The deterministic ops through TF.js 4.22's converter and CPU backend."""
    cases = [
        ("Fill", [SHAPE, np.float32(2.7)], {"T": DType("int32")}),
        ("Fill", [SHAPE, np.float32(2.7)], {"T": DType("float32")}),
        ("Fill", [np.int32([2]), np.float32(0.5)], {"T": DType("bool")}),
        ("LinSpace", [np.float32(0), np.float32(1), np.int32(7)], {}),
        ("LinSpace", [np.float32(-3), np.float32(10), np.int32(1)], {}),
        ("OneHot", [np.int32([[0, 2], [-1, 5]]), np.int32(3), np.float32(5), np.float32(-1)], {"T": DType("float32")}),
        ("OneHot", [np.int32([1, 0]), np.int32(2), np.int32(1), np.int32(0)], {"T": DType("int32")}),
        ("Ones", [SHAPE], {"T": DType("int32")}), ("Zeros", [SHAPE], {"T": DType("float32")}),
        ("OnesLike", [np.array([True, False])], {}), ("ZerosLike", [np.int32([[1, 2]])], {}),
        ("OnesLike", [np.complex64([1 + 2j])], {}),
    ]
    for start, stop, step, dtype in [(0, 5, 1, "int32"), (5, 0, -2, "int32"), (5, 0, 1, "int32"),
                                     (0.5, 3.7, 1, "int32"), (0, 1, 0.1, "float32"), (10, -5, -0.7, "float32"),
                                     (1, 0, 0.25, "float32"), (3, 3, 1, "float32")]:
        np_dtype = np.float32 if dtype == "float32" or isinstance(start, float) else np.int32
        cases.append(("Range", [np.array(v, np_dtype) for v in (start, stop, step)], {"Tidx": DType(dtype)}))
    results = tfjs_run([case(op, ins, **attrs) for op, ins, attrs in cases])
    for (op, ins, attrs), theirs in zip(cases, results):
        label = f"{op}{[x.tolist() for x in ins]}"
        assert not isinstance(theirs, str), f"{label}: TF.js failed: {theirs}"
        assert_same_as_tfjs(run_op(op, ins, **attrs), theirs[0], label, rtol=0, atol=0)
