"""transformation ops against independent computations: element loops, hand cases, numpy
written another way."""

import itertools

import numpy as np
import pytest

from tfcache_nb.errors import ModelFormatError

from graph_helpers import DType, run_op


def i32(*v):
    return np.array(v, np.int32)


# ---------------------------------------------------------------- Cast

def js_to_int32(v: float) -> int:
    """JavaScript's ToInt32, one number at a time."""
    if v != v or v in (float("inf"), float("-inf")):
        return 0
    n = int(v)  # truncates toward zero
    n %= 2 ** 32
    return n - 2 ** 32 if n >= 2 ** 31 else n


def test_cast_float_to_int32_truncates_and_wraps_like_javascript():
    x = np.array([1.7, -1.7, 0.5, -0.5, 2.5, np.nan, np.inf, -np.inf, 3e9, -3e9, 2 ** 31, 1e20], np.float32)
    got = run_op("Cast", [x], DstT=DType("int32"))
    assert got.dtype == np.int32
    assert got.tolist() == [js_to_int32(float(v)) for v in x]


def test_cast_to_and_from_bool_and_float():
    x = np.array([0.0, -0.0, 0.1, -3, np.nan], np.float32)
    got = run_op("Cast", [x], DstT=DType("bool"))
    assert got.dtype == np.bool_ and got.tolist() == [False, False, True, True, True]
    b = np.array([True, False, True])
    assert run_op("Cast", [b], DstT=DType("float32")).tolist() == [1.0, 0.0, 1.0]
    assert run_op("Cast", [b], DstT=DType("float32")).dtype == np.float32
    assert run_op("Cast", [b], DstT=DType("int32")).dtype == np.int32
    ints = np.array([-2, 0, 7], np.int32)
    assert run_op("Cast", [ints], DstT=DType("float32")).dtype == np.float32
    assert run_op("Cast", [ints], DstT=DType("bool")).tolist() == [True, False, True]
    # int64 graphs become int32 (as TF.js maps DT_INT64)
    assert run_op("Cast", [np.array([1.9], np.float32)], DstT=DType("int64")).dtype == np.int32
    c = run_op("Cast", [np.array([1.5], np.float32)], DstT=DType("complex64"))
    assert c.dtype == np.complex64 and c[0] == 1.5
    with pytest.raises(TypeError, match="strings"):
        run_op("Cast", [np.array(["a"], dtype=object)], DstT=DType("float32"))


def test_cast_of_an_empty_tensor():
    got = run_op("Cast", [np.zeros((0, 3), np.float32)], DstT=DType("int32"))
    assert got.shape == (0, 3) and got.dtype == np.int32


# ---------------------------------------------------------------- ExpandDims, Squeeze, Reshape, EnsureShape

@pytest.mark.parametrize("axis,shape", [(0, (1, 2, 3)), (2, (2, 3, 1)), (-1, (2, 3, 1)), (-3, (1, 2, 3)), (1, (2, 1, 3))])
def test_expand_dims(axis, shape):
    x = np.arange(6, dtype=np.int32).reshape(2, 3)
    got = run_op("ExpandDims", [x, np.array(axis, np.int32)])
    assert got.shape == shape and got.dtype == np.int32
    assert got.ravel().tolist() == list(range(6))


def test_expand_dims_out_of_range():
    with pytest.raises(ValueError, match="out of range"):
        run_op("ExpandDims", [np.zeros((2, 3)), np.array(3, np.int32)])


def test_squeeze_all_or_named_axes_by_either_attribute_name():
    x = np.zeros((1, 2, 1, 3, 1), np.float32)
    assert run_op("Squeeze", [x]).shape == (2, 3)
    assert run_op("Squeeze", [x], squeeze_dims=[]).shape == (2, 3)
    assert run_op("Squeeze", [x], squeeze_dims=[0, -1]).shape == (2, 1, 3)
    assert run_op("Squeeze", [x], axis=[2]).shape == (1, 2, 3, 1)
    with pytest.raises(ValueError, match="not 1"):
        run_op("Squeeze", [x], axis=[1])


def test_reshape_with_one_unknown_size():
    x = np.arange(24, dtype=np.float32)
    assert run_op("Reshape", [x, i32(2, -1, 3)]).shape == (2, 4, 3)
    assert run_op("Reshape", [x, i32(24)]).shape == (24,)
    assert run_op("Reshape", [np.array([5.0], np.float32), np.zeros(0, np.int32)]).shape == ()
    assert run_op("Reshape", [np.zeros((0, 4)), i32(0, 2, 2)]).shape == (0, 2, 2)
    for bad in ([5, -1], [-1, -1], [2, 3]):
        with pytest.raises(ValueError, match="reshape|one -1"):
            run_op("Reshape", [x, i32(*bad)])
    with pytest.raises(ValueError):
        run_op("Reshape", [np.zeros((0, 4)), i32(-1, 0)])  # nothing to infer from


def test_ensure_shape_from_input_or_attribute():
    x = np.zeros((2, 3), np.float32)
    assert run_op("EnsureShape", [x, i32(2, -1)]) is x
    with pytest.raises(ValueError, match="not compatible"):
        run_op("EnsureShape", [x, i32(3, 2)])
    from graph_helpers import make_node
    from tfcache_nb.inference.graph.executors import ALL_EXECUTORS
    from tfcache_nb.inference.graph.op_table import op_table
    from tfcache_nb.inference.graph.params import resolve
    from tfcache_nb.inference.graph.registry import ExecutionContext
    node = make_node("EnsureShape", 1)
    node.attr["shape"] = {"shape": {"dim": [{"size": "-1"}, {"size": "3"}]}}
    p = resolve(node, op_table()["EnsureShape"], [x])
    assert ALL_EXECUTORS["EnsureShape"](p, ExecutionContext()) is x
    node.attr["shape"] = {"shape": {"dim": [{"size": "4"}]}}
    with pytest.raises(ValueError, match="not compatible"):
        ALL_EXECUTORS["EnsureShape"](resolve(node, op_table()["EnsureShape"], [x]), ExecutionContext())


# ---------------------------------------------------------------- Pad, PadV2, MirrorPad

def padded_by_loop(x, pads, value):
    out_shape = [d + a + b for d, (a, b) in zip(x.shape, pads)]
    out = np.full(out_shape, value, x.dtype)
    for pos in itertools.product(*[range(d) for d in x.shape]):
        out[tuple(p + a for p, (a, _) in zip(pos, pads))] = x[pos]
    return out


def test_pad_and_pad_v2():
    x = np.arange(6, dtype=np.float32).reshape(2, 3) + 1
    pads = [(1, 0), (2, 1)]
    got = run_op("Pad", [x, np.array(pads, np.int32)])
    np.testing.assert_array_equal(got, padded_by_loop(x, pads, 0))
    got = run_op("PadV2", [x, np.array(pads, np.int32), np.array(-7.5, np.float32)])
    np.testing.assert_array_equal(got, padded_by_loop(x, pads, -7.5))
    assert got.dtype == np.float32
    xi = np.arange(4, dtype=np.int32)
    got = run_op("PadV2", [xi, np.array([[2, 1]], np.int32), np.array(9.9, np.float32)])
    assert got.dtype == np.int32 and got.tolist() == [9, 9, 0, 1, 2, 3, 9]
    with pytest.raises(ValueError, match="two numbers"):
        run_op("Pad", [x, np.array([[1, 1]], np.int32)])
    with pytest.raises(ValueError, match="scalar"):
        run_op("Pad", [np.array(1.0, np.float32), np.zeros((0, 2), np.int32)])


def mirror_source(i, n, mode):
    if mode == "REFLECT":  # edge not repeated: ... 2 1 | 0 1 2 | 1 0 ...
        return -i if i < 0 else (2 * (n - 1) - i if i >= n else i)
    return -i - 1 if i < 0 else (2 * n - 1 - i if i >= n else i)  # edge repeated


@pytest.mark.parametrize("mode", ["REFLECT", "SYMMETRIC", "reflect"])
def test_mirror_pad_against_index_rule(mode):
    x = np.arange(12, dtype=np.float32).reshape(3, 4)
    pads = [(2, 1), (1, 3)] if mode.upper() == "SYMMETRIC" else [(2, 1), (3, 2)]
    got = run_op("MirrorPad", [x, np.array(pads, np.int32)], mode=mode)
    assert got.shape == (3 + sum(pads[0]), 4 + sum(pads[1]))
    for r, c in itertools.product(range(got.shape[0]), range(got.shape[1])):
        src = (mirror_source(r - pads[0][0], 3, mode.upper()), mirror_source(c - pads[1][0], 4, mode.upper()))
        assert got[r, c] == x[src], (r, c)


def test_mirror_pad_limits():
    x = np.zeros((3, 4), np.float32)
    with pytest.raises(ValueError, match="must be in"):
        run_op("MirrorPad", [x, np.array([[3, 0], [0, 0]], np.int32)], mode="REFLECT")
    assert run_op("MirrorPad", [x, np.array([[3, 0], [0, 0]], np.int32)], mode="SYMMETRIC").shape == (6, 4)
    with pytest.raises(ValueError, match="mode"):
        run_op("MirrorPad", [x, np.zeros((2, 2), np.int32)], mode="EDGE")


# ---------------------------------------------------------------- block rearrangements

def test_depth_to_space_dcr_against_loops():
    bs, n, h, w, c = 2, 2, 3, 2, 12
    x = np.arange(n * h * w * c, dtype=np.float32).reshape(n, h, w, c)
    got = run_op("DepthToSpace", [x], block_size=bs, data_format="NHWC")
    cn = c // (bs * bs)
    assert got.shape == (n, h * bs, w * bs, cn)
    for b, y, xx, ch in itertools.product(range(n), range(h * bs), range(w * bs), range(cn)):
        i, j = y % bs, xx % bs
        assert got[b, y, xx, ch] == x[b, y // bs, xx // bs, (i * bs + j) * cn + ch]
    nchw = run_op("DepthToSpace", [x.transpose(0, 3, 1, 2)], block_size=bs, data_format="NCHW")
    np.testing.assert_array_equal(nchw, got.transpose(0, 3, 1, 2))
    with pytest.raises(ValueError, match="divisible"):
        run_op("DepthToSpace", [x[..., :6]], block_size=2, data_format="NHWC")


def test_space_to_depth_inverts_depth_to_space():
    x = np.random.default_rng(1).standard_normal((1, 4, 6, 3)).astype(np.float32)
    s2d = run_op("SpaceToDepth", [x], block_size=2, data_format="NHWC")
    assert s2d.shape == (1, 2, 3, 12)
    assert s2d[0, 1, 2, (1 * 2 + 0) * 3 + 2] == x[0, 3, 4, 2]
    np.testing.assert_array_equal(run_op("DepthToSpace", [s2d], block_size=2, data_format="NHWC"), x)
    back = run_op("SpaceToDepth", [x.transpose(0, 3, 1, 2)], block_size=2, data_format="NCHW")
    np.testing.assert_array_equal(back, s2d.transpose(0, 3, 1, 2))


def test_space_to_batch_and_back_against_loops():
    x = np.arange(2 * 3 * 5 * 2, dtype=np.float32).reshape(2, 3, 5, 2) + 1
    block, pads = (2, 3), ((1, 0), (0, 1))
    got = run_op("SpaceToBatchND", [x, i32(*block), np.array(pads, np.int32)])
    padded = np.pad(x, ((0, 0),) + pads + ((0, 0),))
    hb, wb = padded.shape[1] // 2, padded.shape[2] // 3
    assert got.shape == (2 * 6, hb, wb, 2)
    # TF: output batch (i * block_w + j) * batch + b holds padded[b, y*2+i, x*3+j]
    for i, j, b, y, xx in itertools.product(range(2), range(3), range(2), range(hb), range(wb)):
        np.testing.assert_array_equal(got[(i * 3 + j) * 2 + b, y, xx], padded[b, y * 2 + i, xx * 3 + j])
    back = run_op("BatchToSpaceND", [got, i32(*block), np.array(pads, np.int32)])
    np.testing.assert_array_equal(back, x)
    with pytest.raises(ValueError, match="divisible"):
        run_op("SpaceToBatchND", [x, i32(2, 2), np.zeros((2, 2), np.int32)])
    with pytest.raises(ValueError, match="does not fit"):
        run_op("BatchToSpaceND", [x, i32(4, 1), np.zeros((2, 2), np.int32)])


# ---------------------------------------------------------------- broadcasting

def test_broadcast_to_against_loops():
    x = np.array([[1], [2], [3]], np.int32)
    got = run_op("BroadcastTo", [x, i32(2, 3, 4)])
    assert got.shape == (2, 3, 4) and got.dtype == np.int32
    for a, b, c in itertools.product(range(2), range(3), range(4)):
        assert got[a, b, c] == x[b, 0]
    assert run_op("BroadcastTo", [np.array(5.0, np.float32), i32(0, 2)]).shape == (0, 2)
    got[0, 0, 0] = 99  # a real array, not a read-only view
    with pytest.raises(ValueError, match="cannot broadcast"):
        run_op("BroadcastTo", [x, i32(2, 1)])
    with pytest.raises(ValueError, match="shorter"):
        run_op("BroadcastTo", [x, i32(3)])


def test_broadcast_args():
    got = run_op("BroadcastArgs", [i32(2, 1, 3), i32(4, 1)])
    assert got.dtype == np.int32 and got.tolist() == [2, 4, 3]
    assert run_op("BroadcastArgs", [np.zeros(0, np.int32), i32(5)]).tolist() == [5]
    with pytest.raises(ValueError, match="cannot be broadcast"):
        run_op("BroadcastArgs", [i32(2, 3), i32(4, 3)])


def test_a_missing_dtype_attribute_is_a_format_error():
    with pytest.raises(ModelFormatError, match="DstT"):
        run_op("Cast", [np.zeros(2, np.float32)])


def test_transformation_ops_match_tfjs():
    from tfjs_oracle import assert_same_as_tfjs, case, tfjs_run
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 4, 6, 8)).astype(np.float32) * 5
    xi = rng.integers(-9, 9, (3, 4)).astype(np.int32)
    ops = [
        ("Cast", [np.array([1.7, -1.7, 0.5, -2.5, 3e9, -3e9, np.nan, np.inf], np.float32)], {"DstT": DType("int32")}),
        ("Cast", [np.array([0.0, -0.0, 0.1, np.nan], np.float32)], {"DstT": DType("bool")}),
        ("Cast", [np.array([True, False])], {"DstT": DType("float32")}),
        ("ExpandDims", [xi, np.array(-1, np.int32)], {}),
        ("Squeeze", [np.zeros((1, 3, 1), np.float32)], {"squeeze_dims": [-1]}),
        ("Reshape", [x, i32(4, -1, 8)], {}),
        ("Pad", [xi, np.array([[1, 2], [0, 1]], np.int32)], {}),
        ("PadV2", [x[0, 0], np.array([[1, 0], [2, 2]], np.int32), np.array(-3.25, np.float32)], {}),
        ("MirrorPad", [xi, np.array([[2, 1], [3, 0]], np.int32)], {"mode": "REFLECT"}),
        ("MirrorPad", [xi, np.array([[3, 1], [0, 4]], np.int32)], {"mode": "SYMMETRIC"}),
        ("SpaceToBatchND", [x, i32(2, 3), np.array([[0, 0], [1, 2]], np.int32)], {}),
        ("BatchToSpaceND", [x, i32(2, 1), np.array([[1, 2], [0, 1]], np.int32)], {}),
        ("DepthToSpace", [x], {"block_size": 2, "data_format": "NHWC"}),
        ("BroadcastTo", [xi[:1], i32(2, 3, 4)], {}),
        ("BroadcastArgs", [i32(2, 1, 4), i32(3, 1)], {}),
    ]
    results = tfjs_run([case(op, xs, **attrs) for op, xs, attrs in ops])
    for (op, xs, attrs), theirs in zip(ops, results):
        assert not isinstance(theirs, str), f"{op}: {theirs}"
        assert_same_as_tfjs(run_op(op, xs, **attrs), theirs[0], f"{op} {attrs}")
