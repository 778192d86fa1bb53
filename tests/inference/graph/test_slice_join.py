"""slice_join ops against independent computations: numpy basic indexing built from the masks,
direct loops over indices, and hand-computed cases."""

import itertools

import numpy as np
import pytest

from graph_helpers import run_op

RNG = np.random.default_rng(10)


def i32(*v):
    return np.array(v, np.int32)


# ---------------------------------------------------------------- StridedSlice

def numpy_index(begin, end, strides, begin_mask, end_mask, ellipsis_mask, new_axis_mask, shrink_mask):
    """The Python index a strided slice spec stands for, built entry by entry from the masks."""
    index = []
    for i, (b, e, s) in enumerate(zip(begin, end, strides)):
        if ellipsis_mask >> i & 1:
            index.append(Ellipsis)
        elif new_axis_mask >> i & 1:
            index.append(None)
        elif shrink_mask >> i & 1:
            index.append(int(b))
        else:
            index.append(slice(None if begin_mask >> i & 1 else int(b), None if end_mask >> i & 1 else int(e), int(s)))
    return tuple(index)


def tf_strided_reference(x, begin, end, strides, **masks):
    """TensorFlow's strided slice as numpy indexing, or None where TensorFlow refuses the spec
    (an index out of range, too many indices, a shrunk axis with a negative stride)."""
    m = {k: masks.get(k, 0) for k in ("begin_mask", "end_mask", "ellipsis_mask", "new_axis_mask", "shrink_axis_mask")}
    index = numpy_index(begin, end, strides, m["begin_mask"], m["end_mask"], m["ellipsis_mask"], m["new_axis_mask"],
                        m["shrink_axis_mask"])
    if any(isinstance(v, int) and strides[i] < 0 for i, v in enumerate(index)):
        return None
    try:
        return x[index]
    except IndexError:
        return None


def strided(x, begin, end, strides, **masks):
    return run_op("StridedSlice", [x, i32(*begin), i32(*end), i32(*strides)], **masks)


@pytest.mark.parametrize("index,spec", [
    # (numpy index written by hand, (begin, end, strides, masks))
    ((slice(1, -1),), ([1], [-1], [1], {})),
    ((slice(None, None, -1),), ([0], [0], [-1], {"begin_mask": 1, "end_mask": 1})),
    ((Ellipsis, 0), ([0, 0], [0, 1], [1, 1], {"ellipsis_mask": 1, "shrink_axis_mask": 2})),
    ((None, slice(0, 2), Ellipsis, None), ([0, 0, 0, 0], [1, 2, 0, 1], [1, 1, 1, 1],
                                          {"new_axis_mask": 9, "ellipsis_mask": 4})),
    ((-1, slice(None, None, 2)), ([-1, 0], [0, 0], [1, 2], {"shrink_axis_mask": 1, "end_mask": 2})),
    ((slice(-100, 100), slice(10, -10, -1)), ([-100, 10], [100, -10], [1, -1], {})),
    ((slice(3, 1),), ([3], [1], [1], {})),  # begin past end: empty
    ((slice(1, 3), slice(None, None, -2), 1), ([1, 0, 1], [3, 0, 2], [1, -2, 1],
                                              {"begin_mask": 2, "end_mask": 2, "shrink_axis_mask": 4})),
])
def test_strided_slice_hand_cases(index, spec):
    x = np.arange(4 * 5 * 6, dtype=np.float32).reshape(4, 5, 6)
    begin, end, stride, masks = spec
    got = strided(x, begin, end, stride, **masks)
    want = x[index]
    assert got.shape == want.shape and got.dtype == np.float32
    np.testing.assert_array_equal(got, want)


def test_strided_slice_random_specs_match_numpy_indexing():
    shapes = [(5,), (4, 6), (3, 4, 5), (2, 3, 1, 4), (0, 3), (3, 0, 2)]
    checked = 0
    for trial in range(1500):
        shape = shapes[trial % len(shapes)]
        x = np.arange(int(np.prod(shape)), dtype=np.int32).reshape(shape)
        n = int(RNG.integers(1, len(shape) + 3))
        begin = RNG.integers(-8, 9, n)
        end = RNG.integers(-8, 9, n)
        strides = RNG.choice([-3, -2, -1, 1, 2, 3], n)
        masks = {name: int(RNG.integers(0, 1 << n)) for name in ("begin_mask", "end_mask")}
        masks["new_axis_mask"] = int(RNG.integers(0, 1 << n)) if RNG.random() < 0.4 else 0
        masks["shrink_axis_mask"] = int(RNG.integers(0, 1 << n)) if RNG.random() < 0.4 else 0
        masks["ellipsis_mask"] = (1 << int(RNG.integers(0, n))) if RNG.random() < 0.4 else 0
        want = tf_strided_reference(x, begin, end, strides, **masks)
        if want is None:
            with pytest.raises((IndexError, ValueError)):
                strided(x, begin, end, strides, **masks)
            continue
        got = strided(x, begin, end, strides, **masks)
        assert got.shape == want.shape, (shape, begin, end, strides, masks)
        np.testing.assert_array_equal(got, want)
        checked += 1
    assert checked > 700  # most random specs are valid ones


def test_strided_slice_keeps_bool_and_int_dtypes_and_caches_per_shape():
    from tfcache_nb.inference.graph.registry import ExecutionContext
    ctx = ExecutionContext()
    x = np.array([[True, False, True], [False, False, True]])
    got = run_op("StridedSlice", [x, i32(0, 1), i32(2, 3), i32(1, 1)], ctx=ctx)
    assert got.dtype == np.bool_ and got.tolist() == [[False, True], [False, True]]
    y = np.arange(12, dtype=np.int32).reshape(3, 4)  # another shape through the same context
    got = run_op("StridedSlice", [y, i32(0, 1), i32(2, 3), i32(1, 1)], ctx=ctx)
    assert got.dtype == np.int32 and got.tolist() == [[1, 2], [5, 6]]


def test_strided_slice_errors():
    x = np.zeros((2, 3), np.float32)
    with pytest.raises(ValueError, match="non-zero"):
        strided(x, [0], [1], [0])
    with pytest.raises(ValueError, match="ellipsis"):
        strided(x, [0, 0], [1, 1], [1, 1], ellipsis_mask=3)
    with pytest.raises(IndexError, match="out of bounds"):
        strided(x, [5], [6], [1], shrink_axis_mask=1)
    with pytest.raises(ValueError, match="same length"):
        run_op("StridedSlice", [x, i32(0, 0), i32(1), i32(1, 1)])


# ---------------------------------------------------------------- Slice

def test_slice_with_minus_one_and_short_begin():
    x = np.arange(60, dtype=np.float32).reshape(3, 4, 5)
    np.testing.assert_array_equal(run_op("Slice", [x, i32(1, 2, 0), i32(-1, 2, 3)]), x[1:, 2:4, 0:3])
    np.testing.assert_array_equal(run_op("Slice", [x, i32(1), i32(1)]), x[1:2])
    assert run_op("Slice", [x, i32(0, 0, 0), i32(0, 4, 5)]).shape == (0, 4, 5)
    with pytest.raises(ValueError, match="outside"):
        run_op("Slice", [x, i32(2, 0, 0), i32(2, 1, 1)])
    with pytest.raises(ValueError, match="negative"):
        run_op("Slice", [x, i32(-1, 0, 0), i32(1, 1, 1)])


# ---------------------------------------------------------------- Concat, Pack, Unpack, Tile, Split

def test_concat_v2_and_concat_with_negative_axis_and_n():
    a = np.ones((2, 3), np.float32)
    b = np.full((2, 1), 2, np.float32)
    c = np.full((2, 2), 3, np.float32)
    got = run_op("ConcatV2", [a, b, c, np.array(-1, np.int32)], N=3)
    want = np.array([[1, 1, 1, 2, 3, 3]] * 2, np.float32)
    np.testing.assert_array_equal(got, want)
    assert got.dtype == np.float32
    # Concat: the axis comes first; N limits the tensors read
    got = run_op("Concat", [np.array(1, np.int32), a, b, c], N=2)
    np.testing.assert_array_equal(got, want[:, :4])
    # empty parts and int32
    e = np.zeros((0, 3), np.int32)
    got = run_op("ConcatV2", [e, np.arange(6, dtype=np.int32).reshape(2, 3), np.array(0)], N=2)
    assert got.dtype == np.int32 and got.shape == (2, 3)
    with pytest.raises(ValueError, match="do not match"):
        run_op("ConcatV2", [a, np.ones((3, 1), np.float32), np.array(1)], N=2)


def test_pack_unpack_and_reshape_of_squeezable_shapes():
    xs = [np.full((2, 3), i, np.int32) for i in range(4)]
    got = run_op("Pack", xs, axis=-1)
    assert got.shape == (2, 3, 4) and got.dtype == np.int32
    for i in range(4):
        assert (got[..., i] == i).all()
    # TF.js reshapes inputs whose shapes differ only by 1s to the first's
    got = run_op("Pack", [np.ones((1, 3), np.float32), np.zeros((3,), np.float32)])
    assert got.shape == (2, 1, 3) and got[1].sum() == 0
    scalars = run_op("Pack", [np.array(1, np.int32), np.array(5, np.int32)])
    assert scalars.tolist() == [1, 5] and scalars.dtype == np.int32
    with pytest.raises(ValueError, match="do not match"):
        run_op("Pack", [np.ones((2, 3)), np.ones((3, 2))])
    parts = run_op("Unpack", [got], axis=-1)
    assert len(parts) == 3 and all(p.shape == (2, 1) for p in parts)
    assert [p.tolist() for p in run_op("Unpack", [np.array([[1, 2], [3, 4]])], axis=1)] == [[1, 3], [2, 4]]


def test_tile_against_loops():
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    got = run_op("Tile", [x, i32(2, 3)])
    assert got.shape == (4, 9)
    for i, j in itertools.product(range(4), range(9)):
        assert got[i, j] == x[i % 2, j % 3]
    assert run_op("Tile", [x, i32(0, 1)]).shape == (0, 3)
    with pytest.raises(ValueError, match="rank"):
        run_op("Tile", [x, i32(2)])


def test_split_and_split_v_with_one_unknown_size():
    x = np.arange(24, dtype=np.float32).reshape(2, 12)
    parts = run_op("Split", [np.array(-1, np.int32), x], num_split=3)
    assert [p.tolist() for p in parts] == [x[:, 0:4].tolist(), x[:, 4:8].tolist(), x[:, 8:12].tolist()]
    with pytest.raises(ValueError, match="evenly"):
        run_op("Split", [np.array(1), x], num_split=5)
    for sizes, cuts in [((2, -1, 3), (2, 9)), ((-1, 5), (7,)), ((12,), ())]:
        parts = run_op("SplitV", [x, i32(*sizes), np.array(1, np.int32)])
        want = np.split(x, cuts, axis=1)
        assert len(parts) == len(want)
        for p, w in zip(parts, want):
            np.testing.assert_array_equal(p, w)
    with pytest.raises(ValueError, match="one -1"):
        run_op("SplitV", [x, i32(-1, -1), np.array(1)])
    with pytest.raises(ValueError, match="add up"):
        run_op("SplitV", [x, i32(5, 5), np.array(1)])


# ---------------------------------------------------------------- Reverse

def test_reverse_v1_and_v2():
    x = np.arange(24, dtype=np.int32).reshape(2, 3, 4)
    np.testing.assert_array_equal(run_op("ReverseV2", [x, i32(-1, 0)]), x[::-1, :, ::-1])
    np.testing.assert_array_equal(run_op("ReverseV2", [x, np.zeros(0, np.int32)]), x)
    np.testing.assert_array_equal(run_op("Reverse", [x, np.array([False, True, False])]), x[:, ::-1])
    with pytest.raises(ValueError, match="out of range"):
        run_op("ReverseV2", [x, i32(3)])


# ---------------------------------------------------------------- Gather family

@pytest.mark.parametrize("axis,batch_dims", [(0, 0), (1, 0), (-1, 0), (1, 1), (2, 1), (2, 2), (2, -1)])
def test_gather_v2_against_loops(axis, batch_dims):
    x = RNG.standard_normal((2, 3, 4)).astype(np.float32)
    ax = axis % 3
    bd = batch_dims % 2 if batch_dims < 0 else batch_dims
    idx_shape = x.shape[:bd] + (2, 3)[: 2 - bd] if bd else (2, 3)
    idx = RNG.integers(0, x.shape[ax], idx_shape).astype(np.int32)
    got = run_op("GatherV2", [x, idx, np.array(axis, np.int32)], batch_dims=batch_dims)
    want_shape = x.shape[:ax] + idx.shape[bd:] + x.shape[ax + 1:]
    assert got.shape == want_shape and got.dtype == np.float32
    for out_pos in itertools.product(*[range(d) for d in want_shape]):
        batch = out_pos[:bd]
        before = out_pos[bd:ax]
        at = out_pos[ax:ax + idx.ndim - bd]
        after = out_pos[ax + idx.ndim - bd:]
        source = batch + before + (idx[batch + at],) + after
        assert got[out_pos] == x[source]


def test_gather_v1_float_indices_and_errors():
    x = np.array([[1, 2], [3, 4], [5, 6]], np.int32)
    got = run_op("Gather", [x, np.array([2.0, 0.0], np.float32)])
    assert got.dtype == np.int32 and got.tolist() == [[5, 6], [1, 2]]
    with pytest.raises(IndexError, match="not in"):
        run_op("GatherV2", [x, i32(3), np.array(0)])
    with pytest.raises(IndexError, match="not in"):
        run_op("GatherV2", [x, i32(-1), np.array(0)])
    assert run_op("GatherV2", [x, np.zeros((0,), np.int32), np.array(1)]).shape == (3, 0)


def test_gather_nd_against_loops():
    x = RNG.standard_normal((3, 4, 5)).astype(np.float32)
    for depth in (1, 2, 3):
        idx = np.stack([RNG.integers(0, x.shape[d], (2, 3)) for d in range(depth)], axis=-1).astype(np.int32)
        got = run_op("GatherNd", [x, idx])
        assert got.shape == (2, 3) + x.shape[depth:]
        for i, j in itertools.product(range(2), range(3)):
            np.testing.assert_array_equal(got[i, j], x[tuple(idx[i, j])])
    with pytest.raises(IndexError, match="does not index"):
        run_op("GatherNd", [x, i32(0, 4)])
    with pytest.raises(ValueError, match="depth"):
        run_op("GatherNd", [x, i32(0, 0, 0, 0)])


# ---------------------------------------------------------------- Scatter family

def test_scatter_nd_adds_duplicates():
    indices = np.array([[0, 1], [2, 0], [0, 1]], np.int32)
    updates = np.array([[1, 2], [3, 4], [10, 20]], np.float32)  # one row of shape[2:] per index
    shape = i32(3, 2, 2)
    got = run_op("ScatterNd", [indices, updates, shape])
    want = np.zeros((3, 2, 2), np.float32)
    for k in range(3):
        want[tuple(indices[k])] += updates[k]
    np.testing.assert_array_equal(got, want)
    assert got.dtype == np.float32
    # rank-1 indices: one index per element (TF.js reads them as [n, 1])
    got = run_op("ScatterNd", [i32(4, 3, 1, 7, 1), np.arange(5, dtype=np.int32), i32(8)])
    assert got.dtype == np.int32 and got.tolist() == [0, 6, 0, 1, 0, 0, 0, 3]
    with pytest.raises(IndexError, match="does not index"):
        run_op("ScatterNd", [np.array([[3, 0]], np.int32), np.ones((1, 2), np.float32), shape])
    with pytest.raises(ValueError, match="updates of shape"):
        run_op("ScatterNd", [indices, np.ones((3, 3), np.float32), shape])


def test_tensor_scatter_update_last_write_wins():
    tensor = np.arange(12, dtype=np.float32).reshape(4, 3)
    indices = np.array([[1], [3], [1]], np.int32)
    updates = np.array([[-1, -1, -1], [-2, -2, -2], [-3, -3, -3]], np.float32)
    got = run_op("TensorScatterUpdate", [tensor, indices, updates])
    want = tensor.copy()
    for k in range(3):
        want[indices[k, 0]] = updates[k]
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(tensor, np.arange(12, dtype=np.float32).reshape(4, 3))  # input untouched
    got = run_op("TensorScatterUpdate", [tensor, np.array([[0, 2], [3, 0]], np.int32), np.array([7, 8], np.float32)])
    assert got[0, 2] == 7 and got[3, 0] == 8 and got.sum() == tensor.sum() - 2 - 9 + 15


def test_sparse_to_dense():
    got = run_op("SparseToDense", [np.array([[0, 1], [2, 3]], np.int32), i32(3, 4),
                                   np.array([5, 6], np.float32), np.array(-1, np.float32)])
    want = np.full((3, 4), -1, np.float32)
    want[0, 1], want[2, 3] = 5, 6
    np.testing.assert_array_equal(got, want)
    # rank-1 indices, a scalar value for all, default cast to the values' dtype
    got = run_op("SparseToDense", [i32(1, 3), i32(5), np.array(True), np.array(False)])
    assert got.dtype == np.bool_ and got.tolist() == [False, True, False, True, False]
    got = run_op("SparseToDense", [i32(0, 2), i32(4), np.array([1, 2], np.int32), np.array(9.7, np.float32)])
    assert got.dtype == np.int32 and got.tolist() == [1, 9, 2, 9]
    with pytest.raises(ValueError, match="should be"):
        run_op("SparseToDense", [i32(0, 2), i32(4), np.array([1, 2, 3], np.int32), np.array(0, np.int32)])
    with pytest.raises(IndexError):
        run_op("SparseToDense", [i32(0, 4), i32(4), np.array([1, 2], np.int32), np.array(0, np.int32)])


# ---------------------------------------------------------------- the real TF.js

def random_strided_spec(rng, rank):
    n = int(rng.integers(1, rank + 3))
    spec = {"begin": rng.integers(-6, 7, n), "end": rng.integers(-6, 7, n), "strides": rng.choice([-2, -1, 1, 2, 3], n)}
    masks = {"begin_mask": int(rng.integers(0, 1 << n)), "end_mask": int(rng.integers(0, 1 << n))}
    if rng.random() < 0.4:
        masks["new_axis_mask"] = int(rng.integers(0, 1 << n))
    if rng.random() < 0.4:
        masks["shrink_axis_mask"] = int(rng.integers(0, 1 << n))
    if rng.random() < 0.4:
        masks["ellipsis_mask"] = 1 << int(rng.integers(0, n))
    return spec, masks


def test_strided_slice_matches_tfjs_on_random_specs():
    from tfjs_oracle import assert_same_as_tfjs, case, tfjs_run
    rng = np.random.default_rng(11)
    shapes = [(5,), (4, 6), (3, 4, 5), (2, 3, 1, 4)]
    cases, inputs = [], []
    for trial in range(300):
        shape = shapes[trial % len(shapes)]
        x = np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)
        spec, masks = random_strided_spec(rng, len(shape))
        xs = [x, spec["begin"].astype(np.int32), spec["end"].astype(np.int32), spec["strides"].astype(np.int32)]
        cases.append(case("StridedSlice", xs, **masks))
        inputs.append((xs, masks))
    compared = tfjs_failed = 0
    for (xs, masks), theirs in zip(inputs, tfjs_run(cases)):
        try:
            mine = run_op("StridedSlice", xs, **masks)
        except (ValueError, IndexError):
            mine = None
        index = numpy_index(*xs[1:], *(masks.get(k, 0) for k in ("begin_mask", "end_mask", "ellipsis_mask",
                                                                 "new_axis_mask", "shrink_axis_mask")))
        shrunk_with_stride = any(isinstance(v, int) and xs[3][i] != 1 for i, v in enumerate(index))
        if isinstance(theirs, str) or shrunk_with_stride:
            # TF.js refuses some valid specs (its contiguous-slice shortcut fails on an empty range)
            # or returns a malformed tensor, and its general path reads the wrong elements for a
            # shrunk axis with a stride other than 1: there TensorFlow's answer (numpy's indexing)
            # is the reference
            want = tf_strided_reference(*xs, **masks)
            if want is None:
                assert mine is None, (xs[1:], masks, theirs)
            else:
                assert mine is not None and mine.shape == want.shape, (xs[1:], masks, theirs)
                np.testing.assert_array_equal(mine, want)
            tfjs_failed += 1
            continue
        assert mine is not None, (xs[1:], masks)
        assert_same_as_tfjs(mine, theirs[0], f"{[a.tolist() for a in xs[1:]]} {masks}")
        compared += 1
    assert compared > 150  # most specs are compared with TF.js itself


def test_slice_join_ops_match_tfjs():
    from tfjs_oracle import assert_same_as_tfjs, case, tfjs_run
    rng = np.random.default_rng(12)
    x = rng.standard_normal((2, 3, 4)).astype(np.float32)
    xi = rng.integers(-9, 9, (4, 3)).astype(np.int32)
    ops = [
        ("ConcatV2", [x, x[:, :1], np.array(1, np.int32)], 1, {"N": 2}),
        ("Concat", [np.array(-1, np.int32), xi, xi], 1, {"N": 2}),
        ("GatherV2", [x, np.array([[2, 0], [1, 1]], np.int32), np.array(2, np.int32)], 1, {"batch_dims": 1}),
        ("GatherV2", [xi, np.array([3, 0, 3], np.int32), np.array(-2, np.int32)], 1, {"batch_dims": 0}),
        ("Gather", [xi, np.array([1, 1], np.int32)], 1, {}),
        ("GatherNd", [x, np.array([[1, 2], [0, 0]], np.int32)], 1, {}),
        ("ReverseV2", [x, np.array([0, -1], np.int32)], 1, {}),
        ("Slice", [x, np.array([1, 0, 1], np.int32), np.array([-1, 2, -1], np.int32)], 1, {}),
        ("Pack", [xi, xi + 1, xi + 2], 1, {"axis": -1}),
        ("Unpack", [x], 3, {"axis": 1}),
        ("Tile", [xi, np.array([2, 3], np.int32)], 1, {}),
        ("Split", [np.array(2, np.int32), x], 2, {"num_split": 2}),
        ("SplitV", [x, np.array([1, -1], np.int32), np.array(2, np.int32)], 2, {}),
        ("ScatterNd", [np.array([[0, 1], [2, 2], [0, 1]], np.int32), np.array([1, 2, 3], np.float32),
                       np.array([3, 3], np.int32)], 1, {}),
        ("TensorScatterUpdate", [xi, np.array([[1], [3]], np.int32), np.array([[7, 7, 7], [8, 8, 8]], np.int32)], 1, {}),
        ("SparseToDense", [np.array([[0, 1], [2, 0]], np.int32), np.array([3, 2], np.int32),
                           np.array([4.5, 5.5], np.float32), np.array(-1, np.float32)], 1, {}),
    ]
    results = tfjs_run([case(op, xs, outputs=n, **attrs) for op, xs, n, attrs in ops])
    for (op, xs, n, attrs), theirs in zip(ops, results):
        assert not isinstance(theirs, str), f"{op}: {theirs}"
        mine = run_op(op, xs, **attrs)
        mine = mine if isinstance(mine, list) else [mine]
        assert len(mine) == len(theirs) == n, op
        for m, t in zip(mine, theirs):
            assert_same_as_tfjs(m, t, op)


def test_empty_tensors_and_bool_inputs_flow_through():
    empty = np.zeros((0, 3), np.float32)
    assert run_op("ConcatV2", [empty, empty, np.array(0)], N=2).shape == (0, 3)
    assert run_op("Pack", [empty, empty], axis=1).shape == (0, 2, 3)
    assert run_op("Unpack", [empty], axis=0) == []
    assert [p.shape for p in run_op("Unpack", [empty], axis=1)] == [(0,)] * 3
    assert run_op("Tile", [empty, i32(5, 2)]).shape == (0, 6)
    assert run_op("GatherV2", [empty, i32(2, 0), np.array(1)]).shape == (0, 2)
    assert run_op("ReverseV2", [empty, i32(0)]).shape == (0, 3)
    assert [p.shape for p in run_op("SplitV", [empty, i32(1, 2), np.array(1)])] == [(0, 1), (0, 2)]
    assert run_op("ScatterNd", [np.zeros((0, 1), np.int32), np.zeros((0, 3), np.float32), i32(4, 3)]).sum() == 0
    flags = np.array([[True, False], [False, True]])
    for op, xs, attrs in [("Tile", [flags, i32(1, 2)], {}), ("ReverseV2", [flags, i32(1)], {}),
                          ("GatherV2", [flags, i32(1), np.array(0)], {}), ("Pack", [flags, flags], {"axis": 0}),
                          ("ConcatV2", [flags, flags, np.array(-1)], {"N": 2}),
                          ("GatherNd", [flags, np.array([[1, 1]], np.int32)], {})]:
        assert run_op(op, xs, **attrs).dtype == np.bool_, op
