"""Convolution-family ops against direct loops over small tensors (TF.js's kernel formulas)."""

import itertools

import numpy as np
import pytest

from tfcache_nb.inference.graph.registry import ExecutionContext

from graph_helpers import make_node, run_op

RNG = np.random.default_rng(7)
F32 = np.float32


def rand(*shape):
    return RNG.standard_normal(shape).astype(F32)


def same_pads(size, k, s, d=1):
    out = -(-size // s)
    total = max((out - 1) * s + (k - 1) * d + 1 - size, 0)
    return total // 2, total - total // 2


def ref_conv(x, w, strides, pads, dil=(1, 1), depthwise=False):
    """Direct loops: every output pixel sums its taps (padding read as zero)."""
    n, h, wd, c = x.shape
    kh, kw = w.shape[:2]
    (pt, pb), (pl, pr) = pads
    oh = (h + pt + pb - (kh - 1) * dil[0] - 1) // strides[0] + 1
    ow = (wd + pl + pr - (kw - 1) * dil[1] - 1) // strides[1] + 1
    cout = c * w.shape[3] if depthwise else w.shape[3]
    y = np.zeros((n, oh, ow, cout))
    for b, i, j in itertools.product(range(n), range(oh), range(ow)):
        for a, e in itertools.product(range(kh), range(kw)):
            r, q = i * strides[0] - pt + a * dil[0], j * strides[1] - pl + e * dil[1]
            if 0 <= r < h and 0 <= q < wd:
                if depthwise:
                    y[b, i, j] += (x[b, r, q][:, None] * w[a, e]).reshape(-1)
                else:
                    y[b, i, j] += x[b, r, q] @ w[a, e]
    return y


def ref_conv_transpose(dy, w, out_hw, strides, pads):
    """TF.js's gather form: each output pixel sums dy pixels whose window covers it."""
    n, h, wd, _ = dy.shape
    kh, kw, cout, _ = w.shape
    pt, pl = pads
    y = np.zeros((n, *out_hw, cout))
    for b, r, q in itertools.product(range(n), range(out_hw[0]), range(out_hw[1])):
        for i, j in itertools.product(range(h), range(wd)):
            a, e = r + pt - i * strides[0], q + pl - j * strides[1]
            if 0 <= a < kh and 0 <= e < kw:
                y[b, r, q] += w[a, e] @ dy[b, i, j]
    return y


CONV_CASES = [  # (input hw, kernel hw, strides, dilations, padding attr, explicit paddings)
    ((7, 6), (3, 3), (1, 1), (1, 1), "SAME", None),
    ((7, 6), (3, 3), (2, 2), (1, 1), "SAME", None),
    ((8, 9), (4, 2), (2, 3), (1, 1), "SAME", None),
    ((7, 6), (3, 3), (1, 1), (2, 2), "SAME", None),
    ((9, 7), (3, 2), (1, 1), (2, 3), "VALID", None),
    ((5, 5), (1, 1), (1, 1), (1, 1), "VALID", None),
    ((6, 7), (3, 3), (2, 1), (1, 1), "EXPLICIT", ((1, 2), (0, 3))),
]


def _pads(hw, k, s, d, padding, explicit):
    if padding == "SAME":
        return same_pads(hw[0], k[0], s[0], d[0]), same_pads(hw[1], k[1], s[1], d[1])
    if padding == "VALID":
        return (0, 0), (0, 0)
    return explicit


def _conv_attrs(s, d, padding, explicit):
    attrs = dict(strides=[1, *s, 1], dilations=[1, *d, 1], padding=padding)
    if explicit:
        attrs["explicit_paddings"] = [0, 0, *explicit[0], *explicit[1], 0, 0]
    return attrs


@pytest.mark.parametrize("hw,k,s,d,padding,explicit", CONV_CASES)
def test_conv2d_against_loops(hw, k, s, d, padding, explicit):
    x, w = rand(2, *hw, 3), rand(*k, 3, 4)
    got = run_op("Conv2D", [x, w], **_conv_attrs(s, d, padding, explicit))
    want = ref_conv(x, w, s, _pads(hw, k, s, d, padding, explicit), d)
    assert got.dtype == F32 and got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("hw,k,s,d,padding,explicit", CONV_CASES)
@pytest.mark.parametrize("mult", [1, 2])
def test_depthwise_conv2d_against_loops(hw, k, s, d, padding, explicit, mult):
    x, w = rand(1, *hw, 3), rand(*k, 3, mult)
    for op in ("DepthwiseConv2dNative", "DepthwiseConv2d"):
        got = run_op(op, [x, w], **_conv_attrs(s, d, padding, explicit))
        want = ref_conv(x, w, s, _pads(hw, k, s, d, padding, explicit), d, depthwise=True)
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_conv2d_rank3_input_and_int_input():
    x, w = rand(5, 4, 2), rand(2, 2, 2, 3)
    got = run_op("Conv2D", [x, w], strides=[1, 1, 1, 1], padding="VALID")
    np.testing.assert_allclose(got, ref_conv(x[None], w, (1, 1), ((0, 0), (0, 0)))[0], rtol=1e-5, atol=1e-5)
    xi = np.arange(2 * 5 * 4 * 2, dtype=np.int32).reshape(2, 5, 4, 2) % 7
    got = run_op("Conv2D", [xi, w], strides=[1, 1, 1, 1], padding="VALID")
    assert got.dtype == F32
    np.testing.assert_allclose(got, ref_conv(xi.astype(float), w, (1, 1), ((0, 0), (0, 0))), rtol=1e-5, atol=1e-4)


def test_conv2d_prepares_a_constant_filter_once_and_rebuilds_for_a_new_one():
    ctx = ExecutionContext()
    x, w = rand(1, 5, 5, 2), rand(3, 3, 2, 2)
    first = run_op("Conv2D", [x, w], ctx=ctx, strides=[1, 1, 1, 1], padding="SAME")
    kernel = ctx.state(make_node("Conv2D", 2))["kernel"][1]
    again = run_op("Conv2D", [x, w], ctx=ctx, strides=[1, 1, 1, 1], padding="SAME")
    assert ctx.state(make_node("Conv2D", 2))["kernel"][1] is kernel
    np.testing.assert_array_equal(first, again)
    w2 = w * 2
    doubled = run_op("Conv2D", [x, w2], ctx=ctx, strides=[1, 1, 1, 1], padding="SAME")
    np.testing.assert_allclose(doubled, 2 * first, rtol=1e-5, atol=1e-5)


ACTS = {
    "Relu": lambda y, a: np.maximum(y, 0),
    "Relu6": lambda y, a: np.clip(y, 0, 6),
    "Elu": lambda y, a: np.where(y >= 0, y, np.exp(y) - 1),
    "LeakyRelu": lambda y, a: np.where(y < 0, 0.3 * y, y),
    "Sigmoid": lambda y, a: 1 / (1 + np.exp(-y)),
    "Prelu": lambda y, a: np.where(y < 0, a * y, y),
}


@pytest.mark.parametrize("act", [None, *ACTS])
@pytest.mark.parametrize("op", ["_FusedConv2D", "FusedDepthwiseConv2dNative"])
def test_fused_conv_bias_and_activation(op, act):
    depthwise = op != "_FusedConv2D"
    x, w = rand(1, 6, 5, 3), rand(3, 3, 3, 2)
    cout = 6 if depthwise else 2
    bias, alpha = rand(cout), np.abs(rand(cout))
    args = [bias, alpha] if act == "Prelu" else [bias]
    fused = ["BiasAdd", act] if act else ["BiasAdd"]
    got = run_op(op, [x, w, *args], strides=[1, 2, 1, 1], padding="SAME", fused_ops=fused, num_args=len(args),
                 leakyrelu_alpha=0.3)
    y = ref_conv(x, w, (2, 1), (same_pads(6, 3, 2), same_pads(5, 3, 1)), depthwise=depthwise) + bias
    want = ACTS[act](y, alpha) if act else y
    assert got.dtype == F32
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_fused_conv_refuses_batch_norm_and_tanh_as_tfjs():
    """TF.js 4.22 throws on a fused FusedBatchNorm and has no fused tanh (test_runtime_agreement
    checks both against the real TF.js)."""
    x, w = rand(1, 5, 5, 2), rand(3, 3, 2, 3)
    scale, offset, mean, var = rand(3), rand(3), rand(3), np.abs(rand(3)) + 0.1
    with pytest.raises(ValueError, match="FusedBatchNorm is not supported"):
        run_op("_FusedConv2D", [x, w, scale, offset, mean, var], strides=[1, 1, 1, 1], padding="SAME",
               fused_ops=["FusedBatchNorm", "Relu"], num_args=4, epsilon=0.001)
    with pytest.raises(ValueError, match="'tanh' is not supported"):
        run_op("_FusedConv2D", [x, w, rand(3)], strides=[1, 1, 1, 1], padding="SAME", fused_ops=["BiasAdd", "Tanh"],
               num_args=1)


def test_fused_conv_argument_count_errors_and_unsupported_format():
    x, w, b = rand(1, 4, 4, 2), rand(3, 3, 2, 2), rand(2)
    with pytest.raises(ValueError, match="BiasAdd and Prelu needs 2"):
        run_op("_FusedConv2D", [x, w, b], strides=[1, 1, 1, 1], padding="SAME", fused_ops=["BiasAdd", "Prelu"],
               num_args=1)
    with pytest.raises(ValueError, match="BiasAdd needs 1"):
        run_op("_FusedConv2D", [x, w, b, b], strides=[1, 1, 1, 1], padding="SAME", fused_ops=["BiasAdd"], num_args=2)
    with pytest.raises(ValueError, match="NCHW"):
        run_op("Conv2D", [x, w], strides=[1, 1, 1, 1], padding="SAME", data_format="NCHW")
    with pytest.raises(ValueError, match="channels"):
        run_op("Conv2D", [x, rand(3, 3, 5, 2)], strides=[1, 1, 1, 1], padding="SAME")
    with pytest.raises(ValueError, match="explicit_paddings"):
        run_op("Conv2D", [x, w], strides=[1, 1, 1, 1], padding="EXPLICIT", explicit_paddings=[1, 1])


@pytest.mark.parametrize("padding,stride,dilation", [("SAME", 1, 1), ("SAME", 2, 1), ("VALID", 1, 2), ("VALID", 3, 1)])
def test_conv1d_against_loops(padding, stride, dilation):
    x, w = rand(2, 11, 3), rand(3, 3, 4)
    got = run_op("Conv1D", [x, w], stride=stride, padding=padding, dilation=dilation)
    pads = same_pads(11, 3, stride, dilation) if padding == "SAME" else (0, 0)
    want = ref_conv(x[:, None], w[None], (1, stride), ((0, 0), pads), (1, dilation))[:, 0]
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(run_op("Conv1D", [x[0], w], stride=stride, padding=padding, dilation=dilation),
                               want[0], rtol=1e-5, atol=1e-5)


TRANSPOSE_CASES = [  # (dy hw, output hw, kernel, strides, padding, explicit)
    ((4, 3), (7, 6), (3, 3), (2, 2), "SAME", None),
    ((4, 4), (8, 8), (3, 3), (2, 2), "SAME", None),
    ((4, 4), (8, 8), (2, 2), (2, 2), "VALID", None),
    ((3, 5), (7, 11), (3, 3), (2, 2), "VALID", None),
    ((5, 4), (5, 4), (3, 3), (1, 1), "SAME", None),
    ((5, 4), (9, 7), (4, 3), (2, 2), "SAME", None),
    ((3, 5), (6, 6), (3, 3), (2, 1), "EXPLICIT", ((1, 0), (0, 1))),
]


@pytest.mark.parametrize("dy_hw,out_hw,k,s,padding,explicit", TRANSPOSE_CASES)
def test_conv2d_backprop_input_against_loops_and_as_the_adjoint_of_conv2d(dy_hw, out_hw, k, s, padding, explicit):
    dy, w = rand(2, *dy_hw, 4), rand(*k, 3, 4)
    attrs = _conv_attrs(s, (1, 1), padding, explicit)
    got = run_op("Conv2DBackpropInput", [np.array([2, *out_hw, 3], np.int32), w, dy], **attrs)
    pads = _pads(out_hw, k, s, (1, 1), padding, explicit)
    want = ref_conv_transpose(dy, w, out_hw, s, (pads[0][0], pads[1][0]))
    assert got.dtype == F32 and got.shape == (2, *out_hw, 3)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    # <conv(x), dy> == <x, conv_transpose(dy)> for any x: the op is the adjoint of the convolution
    x = rand(2, *out_hw, 3)
    fwd = run_op("Conv2D", [x, w], **attrs)
    assert fwd.shape == dy.shape
    assert np.isclose(np.sum(fwd.astype(float) * dy), np.sum(x.astype(float) * got), rtol=1e-4)


def test_conv2d_backprop_input_rank3_larger_dy_and_errors():
    w = rand(3, 3, 2, 3)
    dy = rand(5, 5, 3)  # a 7x7 output with stride 2 needs 4x4; TF.js ignores the rest
    got = run_op("Conv2DBackpropInput", [np.array([7, 7, 2]), w, dy], strides=[1, 2, 2, 1], padding="SAME")
    np.testing.assert_allclose(got, ref_conv_transpose(dy[None, :4, :4], w, (7, 7), (2, 2), (1, 1))[0],
                               rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="needs 4x4"):
        run_op("Conv2DBackpropInput", [np.array([1, 7, 7, 2]), w, rand(1, 3, 3, 3)], strides=[1, 2, 2, 1],
               padding="SAME")
    with pytest.raises(ValueError, match="channels"):
        run_op("Conv2DBackpropInput", [np.array([1, 7, 7, 5]), w, rand(1, 4, 4, 3)], strides=[1, 2, 2, 1],
               padding="SAME")


def ref_pool(x, k, s, padding, mode):
    n, h, w, c = x.shape
    (pt, pb), (pl, pr) = ((same_pads(h, k[0], s[0]), same_pads(w, k[1], s[1])) if padding == "SAME"
                          else ((0, 0), (0, 0)))
    oh, ow = (h + pt + pb - k[0]) // s[0] + 1, (w + pl + pr - k[1]) // s[1] + 1
    y = np.zeros((n, oh, ow, c))
    for b, i, j, d in itertools.product(range(n), range(oh), range(ow), range(c)):
        vals = [x[b, r, q, d] for r in range(i * s[0] - pt, i * s[0] - pt + k[0])
                for q in range(j * s[1] - pl, j * s[1] - pl + k[1]) if 0 <= r < h and 0 <= q < w]
        y[b, i, j, d] = max(vals) if mode == "max" else sum(vals) / len(vals)
    return y


@pytest.mark.parametrize("k,s,padding", [((2, 2), (2, 2), "VALID"), ((3, 3), (2, 2), "SAME"),
                                         ((3, 2), (1, 2), "SAME"), ((3, 3), (1, 1), "VALID")])
def test_avg_and_max_pool_against_loops(k, s, padding):
    x = rand(2, 7, 6, 3)
    for op, mode in (("AvgPool", "avg"), ("MaxPool", "max")):
        got = run_op(op, [x], ksize=[1, *k, 1], strides=[1, *s, 1], padding=padding)
        np.testing.assert_allclose(got, ref_pool(x, k, s, padding, mode), rtol=1e-6, atol=1e-6)
        assert got.dtype == F32


def test_max_pool_keeps_int32_and_skips_nan_like_tfjs():
    xi = RNG.integers(-50, 50, (1, 5, 5, 2)).astype(np.int32)
    got = run_op("MaxPool", [xi], ksize=[1, 2, 2, 1], strides=[1, 2, 2, 1], padding="SAME")
    assert got.dtype == np.int32
    np.testing.assert_array_equal(got, ref_pool(xi, (2, 2), (2, 2), "SAME", "max"))
    x = np.array([[1, np.nan], [3, 2]], F32).reshape(1, 2, 2, 1)
    assert run_op("MaxPool", [x], ksize=[1, 2, 2, 1], strides=[1, 2, 2, 1], padding="VALID").item() == 3


@pytest.mark.parametrize("include_batch", [False, True])
def test_max_pool_with_argmax_indexes_and_first_tie(include_batch):
    x = rand(2, 5, 4, 3)
    x[0, 0, 0, 0] = x[0, 0, 1, 0] = x[0, 1, 0, 0] = 9  # a tie: the first in row-major window order wins
    values, idx = run_op("MaxPoolWithArgmax", [x], ksize=[1, 2, 2, 1], strides=[1, 2, 2, 1], padding="SAME",
                         include_batch_in_index=include_batch)
    assert idx.dtype == np.int32
    np.testing.assert_allclose(values, ref_pool(x, (2, 2), (2, 2), "SAME", "max"))
    n, h, w, c = x.shape
    for b, i, j, d in itertools.product(range(2), range(3), range(2), range(3)):
        best, where = -np.inf, -1
        for r, q in itertools.product(range(2 * i, 2 * i + 2), range(2 * j, 2 * j + 2)):
            if r < h and q < w and x[b, r, q, d] > best:
                best, where = x[b, r, q, d], (r * w + q) * c + d + (b * h * w * c if include_batch else 0)
        assert idx[b, i, j, d] == where
    assert idx[0, 0, 0, 0] == 0


def test_pool3d_and_conv3d_against_loops():
    x = rand(1, 4, 5, 3, 2)
    for op, mode in (("AvgPool3D", "avg"), ("MaxPool3D", "max")):
        got = run_op(op, [x], ksize=[1, 2, 3, 2, 1], strides=[1, 2, 2, 1, 1], padding="SAME")
        pads = [same_pads(4, 2, 2), same_pads(5, 3, 2), same_pads(3, 2, 1)]
        want = np.zeros((1, 2, 3, 3, 2))
        for i, j, l, d in itertools.product(range(2), range(3), range(3), range(2)):
            vals = [x[0, a, b, e, d] for a in range(i * 2 - pads[0][0], i * 2 - pads[0][0] + 2)
                    for b in range(j * 2 - pads[1][0], j * 2 - pads[1][0] + 3)
                    for e in range(l - pads[2][0], l - pads[2][0] + 2) if 0 <= a < 4 and 0 <= b < 5 and 0 <= e < 3]
            want[0, i, j, l, d] = max(vals) if mode == "max" else np.mean(vals)
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)
    w = rand(2, 3, 2, 2, 3)
    got = run_op("Conv3D", [x, w], strides=[1, 1, 2, 1, 1], padding="VALID", dilations=[1, 1, 1, 1, 1])
    want = np.zeros((1, 3, 2, 2, 3))
    for i, j, l in itertools.product(range(3), range(2), range(2)):
        for a, b, e in itertools.product(range(2), range(3), range(2)):
            want[0, i, j, l] += x[0, i + a, 2 * j + b, l + e] @ w[a, b, e]
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_dilation2d_against_loops_including_windows_outside_the_image():
    x, f = rand(1, 5, 4, 2), rand(2, 3, 2)
    got = run_op("Dilation2D", [x, f], strides=[1, 1, 2, 1], rates=[1, 2, 1, 1], padding="SAME")
    pt, pl = same_pads(5, 3, 1), same_pads(4, 3, 2)  # effective 3x3 window: rate 2 on 2 rows, 3 cols
    want = np.zeros((1, 5, 2, 2))
    for i, j, d in itertools.product(range(5), range(2), range(2)):
        vals = [x[0, i - pt[0] + a * 2, 2 * j - pl[0] + e, d] + f[a, e, d] for a in range(2) for e in range(3)
                if 0 <= i - pt[0] + a * 2 < 5 and 0 <= 2 * j - pl[0] + e < 4]
        want[0, i, j, d] = max(vals)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)
    far = run_op("Dilation2D", [rand(1, 1, 1, 1), rand(1, 1, 1)], strides=[1, 3, 3, 1], rates=[1, 1, 1, 1],
                 padding="VALID")
    assert far.shape == (1, 1, 1, 1)


def test_convolution_ops_match_tfjs():
    from tfjs_oracle import check_against_tfjs

    x, xi = rand(2, 7, 6, 3), RNG.integers(-20, 20, (1, 5, 6, 2)).astype(np.int32)
    w, dw, b = rand(3, 3, 3, 4), rand(3, 3, 3, 2), rand(4)
    i32 = lambda *v: np.array(v, np.int32)  # noqa: E731
    ops = [
        ("Conv2D", [x, w], dict(strides=[1, 2, 2, 1], padding="SAME", dilations=[1, 1, 1, 1])),
        ("Conv2D", [x, w], dict(strides=[1, 1, 1, 1], padding="VALID", dilations=[1, 2, 2, 1])),
        ("Conv2D", [x, w], dict(strides=[1, 2, 1, 1], padding="EXPLICIT", explicit_paddings=[0, 0, 1, 2, 0, 3, 0, 0],
                                dilations=[1, 1, 1, 1])),
        ("DepthwiseConv2dNative", [x, dw], dict(strides=[1, 1, 1, 1], padding="SAME", dilations=[1, 2, 2, 1])),
        ("DepthwiseConv2dNative", [x, dw], dict(strides=[1, 2, 2, 1], padding="VALID", dilations=[1, 1, 1, 1])),
        ("_FusedConv2D", [x, w, b], dict(strides=[1, 1, 1, 1], padding="SAME", fused_ops=["BiasAdd", "Relu6"],
                                         num_args=1)),
        ("_FusedConv2D", [x, w, b, np.abs(b)], dict(strides=[1, 2, 2, 1], padding="VALID",
                                                    fused_ops=["BiasAdd", "Prelu"], num_args=2)),
        ("_FusedConv2D", [x, w, b], dict(strides=[1, 1, 1, 1], padding="SAME", fused_ops=["BiasAdd", "LeakyRelu"],
                                         num_args=1, leakyrelu_alpha=0.3)),
        ("_FusedConv2D", [x, w, b], dict(strides=[1, 1, 1, 1], padding="SAME", fused_ops=["BiasAdd", "Elu"],
                                         num_args=1)),
        ("FusedDepthwiseConv2dNative", [x, dw, rand(6)], dict(strides=[1, 1, 1, 1], padding="SAME",
                                                               fused_ops=["BiasAdd", "Relu"], num_args=1)),
        ("Conv2DBackpropInput", [i32(2, 7, 6, 3), w, rand(2, 4, 3, 4)], dict(strides=[1, 2, 2, 1], padding="SAME")),
        ("Conv2DBackpropInput", [i32(2, 8, 8, 3), rand(2, 2, 3, 4), rand(2, 4, 4, 4)],
         dict(strides=[1, 2, 2, 1], padding="VALID")),
        ("Conv2DBackpropInput", [i32(1, 9, 7, 3), rand(4, 4, 3, 4), rand(1, 5, 4, 4)],
         dict(strides=[1, 2, 2, 1], padding="SAME")),
        ("AvgPool", [x], dict(ksize=[1, 3, 3, 1], strides=[1, 2, 2, 1], padding="SAME")),
        ("MaxPool", [x], dict(ksize=[1, 3, 2, 1], strides=[1, 2, 1, 1], padding="SAME")),
        ("MaxPool", [xi], dict(ksize=[1, 2, 2, 1], strides=[1, 2, 2, 1], padding="VALID")),
        ("AvgPool", [rand(1, 20, 20, 2)], dict(ksize=[1, 20, 20, 1], strides=[1, 20, 20, 1], padding="VALID")),
        ("MaxPoolWithArgmax", [x], dict(ksize=[1, 2, 2, 1], strides=[1, 2, 2, 1], padding="SAME",
                                        include_batch_in_index=True, _outputs=2)),
        ("AvgPool3D", [rand(1, 4, 5, 3, 2)], dict(ksize=[1, 2, 3, 2, 1], strides=[1, 2, 2, 1, 1], padding="SAME")),
        ("MaxPool3D", [rand(1, 4, 5, 3, 2)], dict(ksize=[1, 2, 2, 2, 1], strides=[1, 1, 2, 1, 1], padding="VALID")),
        ("Conv3D", [rand(1, 4, 5, 5, 2), rand(2, 3, 3, 2, 3)], dict(strides=[1, 1, 2, 2, 1], padding="SAME", data_format="NDHWC",
                                                                      dilations=[1, 1, 1, 1, 1])),
        ("Conv1D", [rand(2, 11, 3), rand(3, 3, 4)], dict(stride=2, padding="SAME", dilation=1)),
        ("Dilation2D", [x, rand(2, 3, 3)], dict(strides=[1, 1, 2, 1], rates=[1, 2, 1, 1], padding="SAME")),
    ]
    check_against_tfjs(ops, rtol=1e-5, atol=1e-5)


def test_kernels_of_one_graph_share_work_buffers_without_mixing_borders():
    """Convolutions of different layouts, interleaved in one context, give each one's own result."""
    from tfcache_nb.inference.graph.executors import ALL_EXECUTORS
    from tfcache_nb.inference.graph.op_table import op_table
    from tfcache_nb.inference.graph.params import resolve

    specs = [
        ("DepthwiseConv2dNative", [rand(1, 9, 9, 4), rand(3, 3, 4, 1)], dict(strides=[1, 1, 1, 1], padding="SAME")),
        ("DepthwiseConv2dNative", [rand(1, 6, 7, 4), rand(5, 5, 4, 1)], dict(strides=[1, 2, 2, 1], padding="SAME")),
        ("Conv2D", [rand(1, 8, 8, 3), rand(3, 3, 3, 2)], dict(strides=[1, 1, 1, 1], padding="SAME")),
        ("Conv2D", [rand(1, 5, 9, 3), rand(2, 4, 3, 2)], dict(strides=[1, 1, 1, 1], padding="EXPLICIT",
                                                              explicit_paddings=[0, 0, 2, 1, 0, 3, 0, 0])),
        ("Conv2DBackpropInput", [np.array([1, 9, 9, 2], np.int32), rand(3, 3, 2, 3), rand(1, 5, 5, 3)],
         dict(strides=[1, 2, 2, 1], padding="SAME")),
        ("Conv2DBackpropInput", [np.array([1, 8, 8, 2], np.int32), rand(4, 4, 2, 3), rand(1, 4, 4, 3)],
         dict(strides=[1, 2, 2, 1], padding="SAME")),
    ]
    alone = [run_op(op, xs, **attrs) for op, xs, attrs in specs]
    ctx = ExecutionContext()
    steps = []
    for i, (op, xs, attrs) in enumerate(specs):
        node = make_node(op, len(xs), name=f"n{i}", **attrs)
        steps.append((op, resolve(node, op_table()[op], xs)))
    for order in (range(6), [5, 0, 3, 1, 4, 2, 0, 1, 5, 3]):
        for i in order:
            op, params = steps[i]
            np.testing.assert_array_equal(ALL_EXECUTORS[op](params, ctx), alone[i], err_msg=f"{op} n{i}")


def _random_window_cases(rng, count):
    """Random convolutions, depthwise convolutions, transposed convolutions and pools (odd sizes,
    strides up to 3, dilations, SAME/VALID)."""
    ops = []
    while len(ops) < count:
        kind = rng.choice(["Conv2D", "DepthwiseConv2dNative", "Conv2DBackpropInput", "AvgPool", "MaxPool"])
        (h, w), c, n = rng.integers(1, 12, 2), int(rng.integers(1, 5)), int(rng.integers(1, 3))
        (kh, kw), (sh, sw) = rng.integers(1, 5, 2), rng.integers(1, 4, 2)
        pad = str(rng.choice(["SAME", "VALID"]))
        x = rng.standard_normal((n, h, w, c)).astype(F32)
        strides = [1, int(sh), int(sw), 1]
        if kind in ("Conv2D", "DepthwiseConv2dNative"):
            dil = [1, 1] if max(sh, sw) > 1 else [int(d) for d in rng.integers(1, 3, 2)]
            if pad == "VALID" and (h < (kh - 1) * dil[0] + 1 or w < (kw - 1) * dil[1] + 1):
                continue
            f = rng.standard_normal((kh, kw, c, int(rng.integers(1, 4)))).astype(F32)
            ops.append((kind, [x, f], dict(strides=strides, padding=pad, dilations=[1, *dil, 1])))
        elif kind == "Conv2DBackpropInput":
            if pad == "VALID" and (h < kh or w < kw):
                continue
            co = int(rng.integers(1, 4))
            oh, ow = (-(-h // sh), -(-w // sw)) if pad == "SAME" else ((h - kh) // sh + 1, (w - kw) // sw + 1)
            dy = rng.standard_normal((n, oh, ow, co)).astype(F32)
            f = rng.standard_normal((kh, kw, c, co)).astype(F32)
            ops.append((kind, [np.array([n, h, w, c], np.int32), f, dy], dict(strides=strides, padding=pad)))
        else:
            if pad == "VALID" and (h < kh or w < kw):
                continue
            ops.append((kind, [x], dict(ksize=[1, int(kh), int(kw), 1], strides=strides, padding=pad)))
    return ops


def test_random_window_ops_match_tfjs():
    from tfjs_oracle import check_against_tfjs

    check_against_tfjs(_random_window_cases(np.random.default_rng(2024), 150), rtol=1e-5, atol=1e-5)
