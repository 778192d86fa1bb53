"""The graph family (Identity, Shape, Size, Rank, ...), each op against a hand-computed answer."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from graph_helpers import run_op

X = np.arange(24, dtype=np.float32).reshape(2, 3, 4)


@pytest.mark.parametrize("op", ["Identity", "Snapshot", "StopGradient", "FakeQuantWithMinMaxVars"])
def test_pass_through_ops_return_their_input(op):
    out = run_op(op, [X])
    np.testing.assert_array_equal(out, X)
    assert out.dtype == X.dtype


def test_identity_n_returns_each_input():
    a, b = run_op("IdentityN", [X, np.array([True])])
    np.testing.assert_array_equal(a, X)
    assert b.dtype == np.bool_ and b.tolist() == [True]


@pytest.mark.parametrize("value,shape,size,rank", [
    (X, [2, 3, 4], 24, 3), (np.float32(5), [], 1, 0), (np.zeros((3, 0), np.int32), [3, 0], 0, 2),
    (np.array([True, False]), [2], 2, 1)])
def test_shape_size_and_rank_are_int32(value, shape, size, rank):
    s, n, r = run_op("Shape", [value]), run_op("Size", [value]), run_op("Rank", [value])
    assert s.dtype == n.dtype == r.dtype == np.int32
    assert s.tolist() == shape and s.shape == (len(shape),)
    assert n.shape == () and int(n) == size
    assert r.shape == () and int(r) == rank


def test_shape_n_gives_one_shape_per_input():
    shapes = run_op("ShapeN", [X, np.zeros(7, np.float32), np.float32(1)])
    assert [s.tolist() for s in shapes] == [[2, 3, 4], [7], []]
    assert all(s.dtype == np.int32 for s in shapes)


def test_placeholder_with_default_returns_its_default():
    np.testing.assert_array_equal(run_op("PlaceholderWithDefault", [X]), X)


def test_no_op_has_a_value_so_its_readers_can_run():
    out = run_op("NoOp", [])
    assert out.shape == () and float(out) == 1.0


def test_print_logs_the_message_and_passes_its_input(caplog):
    with caplog.at_level(logging.WARNING):
        out = run_op("Print", [X, np.array([1, 2, 3, 4, 5], np.int32)], message="look", summarize=2)
    np.testing.assert_array_equal(out, X)
    assert "look" in caplog.text and "[1, 2]" in caplog.text and "3" not in caplog.text.split("look")[1]


def test_an_unfed_placeholder_is_an_error():
    with pytest.raises(ValueError, match="'node'"):
        run_op("Placeholder", [])
