"""Reduction-family ops: dtypes as TF.js, keep_dims, negative and empty axes, ties and NaN, cumulative ops, bincounts."""

import itertools

import numpy as np
import pytest

from graph_helpers import run_op

RNG = np.random.default_rng(13)
F32, I32 = np.float32, np.int32


def reduce_loop(x, axes, keep, fn):
    """Group the elements by their kept coordinates and reduce each group with ``fn`` (Python)."""
    axes = sorted(a % x.ndim for a in axes)
    out_shape = [1 if a in axes else d for a, d in enumerate(x.shape)]
    groups = {}
    for idx in itertools.product(*(range(d) for d in x.shape)):
        key = tuple(0 if a in axes else i for a, i in enumerate(idx))
        groups.setdefault(key, []).append(x[idx].item())
    out = np.zeros(out_shape, object)
    for key in itertools.product(*(range(d) for d in out_shape)):
        out[key] = fn(groups.get(key, []))
    return out if keep else out.reshape([d for a, d in enumerate(x.shape) if a not in axes])


AXES = [([1], False), ([-1], True), ([0, -1], False), ([], False), ([2, 0, 1], True)]
FNS = {"Sum": sum, "Prod": lambda v: float(np.prod(v, dtype=float)), "Max": max, "Min": min,
       "Mean": lambda v: sum(v) / len(v), "All": all, "Any": any}


@pytest.mark.parametrize("axes,keep", AXES)
@pytest.mark.parametrize("op", list(FNS))
def test_float_reductions(op, axes, keep):
    x = RNG.standard_normal((2, 3, 4)).astype(F32)
    got = run_op(op, [x, np.array(axes, I32)], keep_dims=keep)
    want = reduce_loop(x if op not in ("All", "Any") else x > 0, axes, keep, FNS[op])
    assert got.shape == want.shape
    if op in ("All", "Any"):
        assert got.dtype == np.bool_
        np.testing.assert_array_equal(run_op(op, [x > 0, np.array(axes, I32)], keep_dims=keep), want.astype(bool))
    else:
        assert got.dtype == F32
        np.testing.assert_allclose(got, want.astype(float), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("op,dtype", [("Sum", I32), ("Prod", I32), ("Max", I32), ("Min", I32), ("Mean", F32)])
def test_int32_and_bool_reductions_keep_tfjs_dtypes(op, dtype):
    x = RNG.integers(-5, 6, (3, 4)).astype(I32)
    got = run_op(op, [x, np.array([-1], I32)])
    assert got.dtype == dtype
    np.testing.assert_allclose(got, reduce_loop(x, [-1], False, FNS[op]).astype(float), rtol=1e-6)
    b = x > 0
    if op in ("Sum", "Prod"):
        got = run_op(op, [b, np.array([0], I32)])
        assert got.dtype == I32
        np.testing.assert_array_equal(got, reduce_loop(b.astype(int), [0], False, FNS[op]).astype(int))


def test_reductions_of_scalars_and_empty_tensors():
    assert run_op("Sum", [np.float32(2.5), np.array([], I32)]).item() == 2.5
    empty = np.zeros((0, 3), F32)
    np.testing.assert_array_equal(run_op("Sum", [empty, np.array([0])]), [0, 0, 0])
    np.testing.assert_array_equal(run_op("Mean", [empty, np.array([0])]), [0, 0, 0])  # TF.js: each/0 then summed
    assert np.isnan(run_op("Max", [empty, np.array([0])])).all()
    assert run_op("Sum", [empty, np.array([1])], keep_dims=True).shape == (0, 1)
    with pytest.raises(ValueError, match="out of range"):
        run_op("Sum", [empty, np.array([2])])
    with pytest.raises(ValueError, match="repeated"):
        run_op("Sum", [empty, np.array([1, -1])])


def test_mean_divides_first_like_tfjs():
    # TF.js divides each value by the count in float32, then sums: here that differs from sum / count
    x = np.array([1.0490012168884277, -5.356693744659424, 3.615950584411621], F32)
    thirds = [float(F32(v / F32(3))) for v in x]
    assert run_op("Mean", [x, np.array([0])]).item() == F32(sum(thirds))
    assert F32(sum(thirds)) != F32(sum(float(v) for v in x) / 3)


@pytest.mark.parametrize("op,pick", [("ArgMax", max), ("ArgMin", min)])
def test_argmax_argmin_first_index_of_ties_negative_axes(op, pick):
    x = RNG.integers(0, 3, (4, 5, 3)).astype(F32)  # many ties
    for axis in (0, 1, -1):
        got = run_op(op, [x, np.array(axis, I32)])
        assert got.dtype == I32
        moved = np.moveaxis(x, axis, -1)
        for idx in itertools.product(*(range(d) for d in moved.shape[:-1])):
            row = list(moved[idx])
            assert got[idx] == row.index(pick(row))
    assert run_op(op, [np.array([True, False, True]), np.array(0)]).item() == (0 if op == "ArgMax" else 1)
    with pytest.raises(ValueError, match="scalar"):
        run_op(op, [np.float32(1), np.array(0)])


def test_argmax_nan_rules_of_tfjs():
    x = np.array([[1, np.nan, 3, 2], [np.nan, 5, 9, 1]], F32)
    np.testing.assert_array_equal(run_op("ArgMax", [x, np.array(1)]), [2, 0])
    np.testing.assert_array_equal(run_op("ArgMin", [x, np.array(1)]), [0, 0])


def cumulative_loop(x, axis, exclusive, reverse, mul):
    out = np.zeros(x.shape, x.dtype)
    moved_in, moved_out = np.moveaxis(x, axis, -1), np.moveaxis(out, axis, -1)
    n = x.shape[axis]
    for idx in itertools.product(*(range(d) for d in moved_in.shape[:-1])):
        order = range(n - 1, -1, -1) if reverse else range(n)
        acc = x.dtype.type(1 if mul else 0)
        for j in order:
            if exclusive:
                moved_out[idx + (j,)] = acc
                acc = acc * moved_in[idx + (j,)] if mul else acc + moved_in[idx + (j,)]
            else:
                acc = acc * moved_in[idx + (j,)] if mul else acc + moved_in[idx + (j,)]
                moved_out[idx + (j,)] = acc
    return out


@pytest.mark.parametrize("exclusive,reverse", list(itertools.product([False, True], repeat=2)))
@pytest.mark.parametrize("op", ["Cumsum", "Cumprod"])
def test_cumulative_ops_against_loops(op, exclusive, reverse):
    x = (RNG.standard_normal((3, 4)) * 0.9 + 1).astype(F32)
    for axis in (0, 1, -1):
        got = run_op(op, [x, np.array(axis, I32)], exclusive=exclusive, reverse=reverse)
        assert got.dtype == F32
        np.testing.assert_array_equal(got, cumulative_loop(x, axis % 2, exclusive, reverse, op == "Cumprod"))
    xi = RNG.integers(-3, 4, (5,)).astype(I32)
    got = run_op(op, [xi, np.array(0)], exclusive=exclusive, reverse=reverse)
    assert got.dtype == I32
    np.testing.assert_array_equal(got, cumulative_loop(xi, 0, exclusive, reverse, op == "Cumprod"))
    assert run_op("Cumsum", [np.array([True, True]), np.array(0)]).dtype == I32


def test_bincount_and_dense_bincount():
    x = np.array([1, 1, 4, 0, 9, 2], I32)
    w = np.array([0.5, 0.25, 1, 2, 7, 3], F32)
    np.testing.assert_array_equal(run_op("Bincount", [x, np.array(5), np.array([], F32)]), [1, 2, 1, 0, 1])
    got = run_op("Bincount", [x, np.array(5), w])
    assert got.dtype == F32
    np.testing.assert_array_equal(got, [2, 0.75, 3, 0, 1])
    assert run_op("Bincount", [x, np.array(3), np.array([], I32)]).dtype == I32
    x2 = np.array([[1, 2, 2], [0, 3, 0]], I32)
    w2 = np.array([[1, 2, 3], [4, 5, 6]], I32)
    np.testing.assert_array_equal(run_op("DenseBincount", [x2, np.array(4), w2]), [[0, 1, 5, 0], [10, 0, 0, 5]])
    np.testing.assert_array_equal(run_op("DenseBincount", [x2, np.array(4), w2], binary_output=True),
                                  [[0, 1, 1, 0], [1, 0, 0, 1]])
    # TF.js ignores binary_output for a 1-D input
    np.testing.assert_array_equal(run_op("DenseBincount", [x, np.array(3), np.array([], F32)], binary_output=True),
                                  [1, 2, 1])
    with pytest.raises(ValueError, match="negative"):
        run_op("Bincount", [np.array([-1], I32), np.array(3), np.array([], F32)])
    with pytest.raises(ValueError, match="weights"):
        run_op("Bincount", [x, np.array(3), np.ones(2, F32)])


def test_reduction_ops_match_tfjs():
    from tfjs_oracle import check_against_tfjs

    x = RNG.standard_normal((2, 3, 4)).astype(F32)
    xi = RNG.integers(-5, 6, (3, 4)).astype(I32)
    ties = RNG.integers(0, 3, (4, 5)).astype(F32)
    ops = []
    for op in ("Sum", "Mean", "Max", "Min", "Prod"):
        ops.append((op, [x, np.array([0, -1], I32)], dict(keep_dims=True)))
        ops.append((op, [xi, np.array([1], I32)], {}))
    ops += [
        ("Sum", [xi > 0, np.array([0], I32)], {}),
        ("All", [x > -1, np.array([1], I32)], {}),
        ("Any", [x > 1, np.array([-1], I32)], dict(keep_dims=True)),
        ("ArgMax", [ties, np.array(1, I32)], {}),
        ("ArgMin", [ties, np.array(-2, I32)], {}),
        ("ArgMax", [xi, np.array(0, I32)], {}),
        ("Cumsum", [x, np.array(1, I32)], dict(exclusive=True, reverse=True)),
        ("Cumsum", [xi, np.array(1, I32)], {}),  # TF.js breaks on a negative axis here (shape [null, 3])
        ("Cumprod", [x, np.array(2, I32)], dict(exclusive=False, reverse=True)),
        ("Bincount", [np.array([1, 1, 4, 0, 9, 2], I32), np.array(5, I32), np.array([.5, .25, 1, 2, 7, 3], F32)], {}),
        ("DenseBincount", [np.array([[1, 2, 2], [0, 3, 0]], I32), np.array(4, I32), np.array([], F32)],
         dict(binary_output=True)),
    ]
    check_against_tfjs(ops, rtol=1e-6, atol=1e-6)


def test_cumulative_ops_of_empty_tensors():
    for op in ("Cumsum", "Cumprod"):
        got = run_op(op, [np.zeros((0, 3), F32), np.array(0)], exclusive=True, reverse=True)
        assert got.shape == (0, 3) and got.dtype == F32
