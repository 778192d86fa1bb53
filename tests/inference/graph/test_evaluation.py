"""evaluation ops (TopKV2, Unique, UniqueV2, LowerBound, UpperBound) against Python loops and the
real TF.js."""

import bisect

import numpy as np
import pytest

from graph_helpers import run_op
from tfjs_oracle import assert_same_as_tfjs, case, tfjs_run

RNG = np.random.default_rng(7)


def topk_reference(row, k):
    """The k largest with their indices: larger value first, the lower index on ties."""
    order = sorted(range(len(row)), key=lambda i: (-row[i], i))[:k]
    return [row[i] for i in order], order


@pytest.mark.parametrize("shape,k", [((10,), 3), ((3, 50), 7), ((2, 3, 5000), 20), ((4, 6), 6), ((5,), 0)])
def test_top_k_sorted_with_ties_against_sorting(shape, k):
    x = RNG.integers(-5, 5, shape).astype(np.float32)  # many ties
    values, indices = run_op("TopKV2", [x, np.array(k, np.int32)], sorted=True)
    assert values.shape == indices.shape == shape[:-1] + (k,)
    assert values.dtype == np.float32 and indices.dtype == np.int32
    for pos in np.ndindex(*shape[:-1]):
        want_v, want_i = topk_reference(x[pos].tolist(), k)
        assert values[pos].tolist() == want_v and indices[pos].tolist() == want_i


def test_top_k_of_int32_keeps_dtype():
    x = np.array([[3, -2 ** 31, 7, 7]], np.int32)
    values, indices = run_op("TopKV2", [x, np.array(3)], sorted=True)
    assert values.dtype == np.int32 and values.tolist() == [[7, 7, 3]] and indices.tolist() == [[2, 3, 0]]


def test_top_k_unsorted_selects_the_same_set():
    x = RNG.standard_normal((3, 2000)).astype(np.float32)
    x[:, ::5] = 0.5
    values, indices = run_op("TopKV2", [x, np.array(40)], sorted=False)
    for r in range(3):
        want_v, want_i = topk_reference(x[r].tolist(), 40)
        assert sorted(indices[r].tolist()) == sorted(want_i)
        np.testing.assert_array_equal(values[r], x[r, indices[r]])
    # k equal to the size: nothing is selected, so the input order stays
    values, indices = run_op("TopKV2", [np.array([1.0, 3.0, 2.0], np.float32), np.array(3)], sorted=False)
    assert indices.tolist() == [0, 1, 2]


def test_top_k_bad_k():
    with pytest.raises(ValueError, match="must be in"):
        run_op("TopKV2", [np.zeros(3, np.float32), np.array(4)], sorted=True)
    with pytest.raises(ValueError, match="rank 1"):
        run_op("TopKV2", [np.array(1.0, np.float32), np.array(1)], sorted=True)


def unique_reference(items):
    firsts, inverse = [], []
    for item in items:
        if item not in firsts:
            firsts.append(item)
        inverse.append(firsts.index(item))
    return firsts, inverse


def test_unique_in_order_of_first_appearance():
    for dtype in (np.int32, np.float32, np.bool_):
        x = RNG.integers(0, 4, 30).astype(dtype)
        values, idx = run_op("Unique", [x])
        want_v, want_i = unique_reference(x.tolist())
        assert values.dtype == dtype and idx.dtype == np.int32
        assert values.tolist() == want_v and idx.tolist() == want_i
    values, idx = run_op("Unique", [np.array(["b", "a", "b"], dtype=object)])
    assert values.tolist() == ["b", "a"] and idx.tolist() == [0, 1, 0]
    values, idx = run_op("Unique", [np.zeros(0, np.float32)])
    assert values.shape == (0,) and idx.shape == (0,)


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_unique_v2_along_an_axis(axis):
    x = RNG.integers(0, 2, (4, 6, 2)).astype(np.int32)
    ax = axis % 3
    values, idx = run_op("UniqueV2", [x, np.array(axis, np.int32)])
    slices = [np.take(x, i, axis=ax).tolist() for i in range(x.shape[ax])]
    want_v, want_i = unique_reference(slices)
    assert idx.tolist() == want_i
    assert [np.take(values, i, axis=ax).tolist() for i in range(values.shape[ax])] == want_v
    with pytest.raises(ValueError, match="rank 1"):
        run_op("UniqueV2", [np.array(1), np.array(0)])


def test_lower_and_upper_bound_against_bisect():
    seq = np.sort(RNG.integers(0, 10, (3, 12)), axis=1).astype(np.float32)
    vals = RNG.integers(-1, 12, (3, 7)).astype(np.float32)
    lo = run_op("LowerBound", [seq, vals])
    hi = run_op("UpperBound", [seq, vals])
    assert lo.dtype == hi.dtype == np.int32 and lo.shape == vals.shape
    for r in range(3):
        assert lo[r].tolist() == [bisect.bisect_left(seq[r].tolist(), v) for v in vals[r].tolist()]
        assert hi[r].tolist() == [bisect.bisect_right(seq[r].tolist(), v) for v in vals[r].tolist()]
    # one sequence for a 1-D value list, and an empty sequence
    assert run_op("LowerBound", [np.array([1, 3, 5], np.int32), np.array([0, 3, 6], np.int32)]).tolist() == [0, 1, 3]
    assert run_op("UpperBound", [np.zeros((1, 0), np.float32), np.array([[2.0]], np.float32)]).tolist() == [[0]]
    with pytest.raises(ValueError, match="must match"):
        run_op("LowerBound", [seq, vals[:2]])


def test_evaluation_ops_match_tfjs():
    x = RNG.integers(-20, 20, (2, 1500)).astype(np.float32)  # ties, and a row long enough for Floyd-Rivest
    unsorted_seq = np.array([[5, 1, 4, 2, 8, 3]], np.float32)
    probes = np.array([[0, 2, 4, 9]], np.float32)
    inputs = [
        ("TopKV2", [x, np.array(37, np.int32)], 2, {"sorted": False}),
        ("TopKV2", [x, np.array(37, np.int32)], 2, {"sorted": True}),
        ("TopKV2", [x[:, :700], np.array(650, np.int32)], 2, {"sorted": False}),
        ("Unique", [np.array([3, 1, 3, 2, 1, 7], np.int32)], 2, {}),
        ("Unique", [np.array([0.0, -0.0, np.nan, 1, np.nan, 0], np.float32)], 2, {}),  # one NaN, -0 is 0
        ("UniqueV2", [np.array([[0.0, np.nan], [-0.0, np.nan], [1, 2]], np.float32), np.array(0, np.int32)], 2, {}),
        ("UniqueV2", [np.array([[1, 2], [1, 2], [0, 2]], np.float32), np.array(0, np.int32)], 2, {}),
        ("LowerBound", [unsorted_seq, probes], 1, {}),
        ("UpperBound", [unsorted_seq, probes], 1, {}),
    ]
    results = tfjs_run([case(op, xs, outputs=n, **attrs) for op, xs, n, attrs in inputs])
    for (op, xs, n, attrs), theirs in zip(inputs, results):
        assert not isinstance(theirs, str), f"{op}: {theirs}"
        mine = run_op(op, xs, **attrs)
        mine = mine if isinstance(mine, list) else [mine]
        for m, t in zip(mine, theirs):
            assert_same_as_tfjs(m, t, f"{op} {attrs}")
