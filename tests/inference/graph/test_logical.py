"""Comparison, logical and select ops against element-by-element Python, and against the real TF.js."""

from __future__ import annotations

import operator

import numpy as np
import pytest

from graph_helpers import run_op
from tfjs_oracle import assert_same_as_tfjs, case, tfjs_run

COMPARE = {"Equal": operator.eq, "NotEqual": operator.ne, "Greater": operator.gt, "GreaterEqual": operator.ge,
           "Less": operator.lt, "LessEqual": operator.le}
F = np.float32([[-1.5, 0.0, 2.0], [np.nan, 3.0, -0.0]])
ROW = np.float32([0.0, 3.0, 2.0])


def reference(fn, a, b):
    pairs = np.broadcast(np.asarray(a), np.asarray(b))
    return np.array([fn(x, y) for x, y in pairs], np.bool_).reshape(pairs.shape)


@pytest.mark.parametrize("op", sorted(COMPARE))
@pytest.mark.parametrize("a,b", [(F, ROW), (ROW, F), (F, np.float32(0)), (np.int32([[1, 2, 3]]), np.float32([2.5])),
                                 (np.int32([-1, 0, 5]), np.int32(0))],
                         ids=["matrix-row", "row-matrix", "matrix-scalar", "int-float", "int-scalar"])
def test_comparisons_broadcast_and_give_bool(op, a, b):
    out = run_op(op, [a, b])
    assert out.dtype == np.bool_
    np.testing.assert_array_equal(out, reference(lambda x, y: COMPARE[op](float(x), float(y)), a, b))


def test_comparisons_of_bools_and_empty_and_rank0():
    t = np.array([True, False])
    assert run_op("Less", [t, np.array(True)]).tolist() == [False, True]
    assert run_op("Equal", [np.zeros((0, 2), np.float32), ROW[:2]]).shape == (0, 2)
    out = run_op("Greater", [np.float32(2), np.float32(1)])
    assert out.shape == () and out.dtype == np.bool_ and bool(out)


def test_strings_compare_for_equality_only():
    s = np.array(["a", "b"], object)
    assert run_op("Equal", [s, np.array(["a", "c"], object)]).tolist() == [True, False]
    assert run_op("NotEqual", [s, np.array("a", object)]).tolist() == [False, True]
    with pytest.raises(TypeError):
        run_op("Less", [s, s])
    with pytest.raises(TypeError):
        run_op("Equal", [s, np.float32([1, 2])])
    with pytest.raises(TypeError, match="complex64"):
        run_op("Equal", [np.complex64([1]), np.complex64([1])])


LOGICAL = {"LogicalAnd": operator.and_, "LogicalOr": operator.or_}


@pytest.mark.parametrize("op", sorted(LOGICAL))
def test_logical_ops_broadcast_bools(op):
    a = np.array([[True, False], [False, True]])
    b = np.array([True, False])
    out = run_op(op, [a, b])
    assert out.dtype == np.bool_
    np.testing.assert_array_equal(out, reference(lambda x, y: LOGICAL[op](bool(x), bool(y)), a, b))
    with pytest.raises(TypeError, match="bool"):
        run_op(op, [np.int32([1]), b])


def test_logical_not():
    assert run_op("LogicalNot", [np.array([True, False])]).tolist() == [False, True]
    assert run_op("LogicalNot", [np.zeros(0, np.bool_)]).shape == (0,)
    with pytest.raises(TypeError, match="bool"):
        run_op("LogicalNot", [np.float32([1])])


@pytest.mark.parametrize("op", ["Select", "SelectV2"])
def test_select_broadcasts_condition_and_both_branches(op):
    cond = np.array([True, False, True])
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    out = run_op(op, [cond, a, np.float32(-1)])
    expected = np.array([[a[i, j] if cond[j] else -1 for j in range(3)] for i in range(2)], np.float32)
    np.testing.assert_array_equal(out, expected)
    assert out.dtype == np.float32
    out = run_op(op, [np.array(False), np.int32([1, 2]), np.int32([3, 4])])
    assert out.dtype == np.int32 and out.tolist() == [3, 4]


def test_select_mixes_dtypes_to_the_larger_one_and_keeps_strings():
    out = run_op("SelectV2", [np.array([True, False]), np.int32([1, 2]), np.float32([0.5, 0.5])])
    assert out.dtype == np.float32 and out.tolist() == [1.0, 0.5]
    out = run_op("SelectV2", [np.array([True, False]), np.array(["x", "y"], object), np.array(["p", "q"], object)])
    assert out.tolist() == ["x", "q"]


def test_select_with_a_rank1_condition_picks_rows_when_it_cannot_broadcast():
    # TensorFlow's Select: a vector condition matching the first dimension chooses whole rows
    cond = np.array([True, False])
    a = np.ones((2, 3), np.float32)
    b = np.zeros((2, 3), np.float32)
    np.testing.assert_array_equal(run_op("Select", [cond, a, b]), [[1, 1, 1], [0, 0, 0]])
    with pytest.raises(ValueError, match="broadcast"):
        run_op("SelectV2", [cond, a, b])  # SelectV2 only broadcasts
    with pytest.raises(ValueError, match="broadcast"):
        run_op("Select", [np.array([True, False, True, False]), a, b])


def test_select_needs_a_bool_condition():
    with pytest.raises(TypeError, match="bool"):
        run_op("Select", [np.int32([1, 0]), np.float32([1, 2]), np.float32([3, 4])])


def test_bitwise_and():
    a = np.int32([12, -1, 7, 0])
    b = np.int32([10, 5, -8, 3])
    out = run_op("BitwiseAnd", [a, b])
    assert out.dtype == np.int32
    assert out.tolist() == [x & y for x, y in zip(a.tolist(), b.tolist())]
    assert run_op("BitwiseAnd", [np.array([True, True]), np.array([True, False])]).tolist() == [True, False]
    with pytest.raises(TypeError):
        run_op("BitwiseAnd", [np.float32([1]), np.int32([1])])


def test_every_op_as_tfjs_computes_it():
    """The same cases through TF.js 4.22's converter and CPU backend: dtypes, shapes and values."""
    i = np.int32([[-1, 0, 5], [2, 2, 9]])
    b = np.array([[True, False, True], [False, False, True]])
    cases = []
    for op in sorted(COMPARE):
        cases += [(op, [F, ROW]), (op, [i, np.float32(2)]), (op, [b, np.array([True, False, False])]),
                  (op, [np.zeros((0, 3), np.float32), ROW])]
    cases += [("Equal", [np.array(["a", "b"], object), np.array(["a", "c"], object)])]
    for op in ("LogicalAnd", "LogicalOr"):
        cases += [(op, [b, np.array([True, False, True])]), (op, [b, np.array(False)])]
    cases += [("LogicalNot", [b])]
    for op in ("Select", "SelectV2"):
        cases += [(op, [np.array([True, False, True]), F, np.float32(-1)]), (op, [b, i, np.float32(0.5)]),
                  (op, [np.array(True), i, i])]
    results = tfjs_run([case(op, ins) for op, ins in cases])
    for (op, ins), theirs in zip(cases, results):
        label = f"{op}{[(x.dtype.name, x.shape) for x in ins]}"
        assert not isinstance(theirs, str), f"{label}: TF.js failed: {theirs}"
        assert_same_as_tfjs(run_op(op, ins), theirs[0], label)
