"""Numpy kernels against direct-loop references and the formulas."""

import numpy as np
import pytest

from inference_helpers import conv2d, depthwise_conv2d, ref_conv, ref_pool
from tfcache_nb.inference import ops
from tfcache_nb.inference.ops import activations, depthwise
from tfcache_nb.inference.ops.epilogue import channel_bias_views, tile_bias

RNG = np.random.default_rng(1)

CONV_CASES = [
    # (h, w, kernel, strides, padding, dilation)
    (7, 7, (3, 3), (2, 2), "same", (1, 1)),   # odd size, stride 2
    (8, 8, (3, 3), (2, 2), "same", (1, 1)),   # even size, stride 2: the extra pad goes after
    (6, 5, (3, 3), (1, 1), "same", (1, 1)),
    (7, 6, (3, 3), (1, 1), "valid", (1, 1)),
    (8, 7, (3, 2), (2, 3), "valid", (1, 1)),
    (9, 9, (3, 3), (1, 1), "same", (2, 2)),   # dilation
    (9, 8, (3, 3), (1, 1), "valid", (2, 2)),
    (5, 5, (1, 1), (1, 1), "same", (1, 1)),   # pointwise
    (6, 6, (1, 1), (2, 2), "valid", (1, 1)),
    (4, 4, (5, 5), (1, 1), "same", (1, 1)),   # kernel larger than the image
]


@pytest.mark.parametrize("h,w,k,strides,padding,dil", CONV_CASES)
def test_conv2d_matches_direct_loops(h, w, k, strides, padding, dil):
    x = RNG.standard_normal((2, h, w, 3)).astype(np.float32)
    kernel = RNG.standard_normal((*k, 3, 4)).astype(np.float32)
    got = conv2d(x, kernel, None, strides, padding, dil)
    np.testing.assert_allclose(got, ref_conv(x.astype(float), kernel.astype(float), strides, padding, dil), atol=1e-4)


@pytest.mark.parametrize("h,w,k,strides,padding,dil", CONV_CASES)
@pytest.mark.parametrize("mult", [1, 2])
def test_depthwise_matches_direct_loops(h, w, k, strides, padding, dil, mult):
    x = RNG.standard_normal((2, h, w, 3)).astype(np.float32)
    kernel = RNG.standard_normal((*k, 3, mult)).astype(np.float32)
    got = depthwise_conv2d(x, kernel, None, strides, padding, dil)
    ref = ref_conv(x.astype(float), kernel.astype(float), strides, padding, dil, depthwise=True)
    np.testing.assert_allclose(got, ref, atol=1e-4)


def test_depthwise_kernel_object_is_reusable_across_batch_sizes_and_adds_bias_and_relu6():
    kernel = RNG.standard_normal((3, 3, 4, 1)).astype(np.float32) * 3
    bias = RNG.standard_normal(4).astype(np.float32)
    op = ops.DepthwiseConv2D(kernel, bias, (2, 2), "same", activation="relu6")
    for n in (1, 3, 1):
        x = RNG.standard_normal((n, 9, 10, 4)).astype(np.float32)
        ref = np.clip(ref_conv(x.astype(float), kernel.astype(float), (2, 2), "same", depthwise=True) + bias, 0, 6)
        np.testing.assert_allclose(op(x), ref, atol=1e-4)


@pytest.mark.parametrize("k,strides,dil", [
    ((3, 3), (2, 2), (1, 1)), ((3, 2), (2, 3), (1, 1)), ((1, 1), (2, 2), (1, 1)), ((3, 3), (2, 2), (2, 2)),
    ((3, 3), (1, 1), (2, 2)), ((3, 3), (1, 1), (1, 1)),
])
def test_depthwise_tap_grid_has_one_point_per_kernel_tap(k, strides, dil):
    """einsum multiplies every grid point, so a point without a tap (zero weight) is wasted work."""
    kernel = RNG.uniform(0.5, 1.0, (*k, 4, 1)).astype(np.float32)
    weights = ops.DepthwiseConv2D(kernel, None, strides, "same", dil)._plan(16, 15)["weights"]
    assert weights.shape[0] * weights.shape[1] * weights.shape[2] == k[0] * k[1]
    assert (weights != 0).all()


@pytest.mark.parametrize("size,k,s,d,expected", [
    (224, 3, 2, 1, (0, 1)), (225, 3, 2, 1, (1, 1)), (7, 3, 1, 1, (1, 1)), (8, 1, 2, 1, (0, 0)),
    (5, 3, 1, 2, (2, 2)), (6, 4, 1, 1, (1, 2)),
])
def test_same_padding_rule(size, k, s, d, expected):
    assert ops.same_pads(size, k, s, d) == expected


@pytest.mark.parametrize("mode", ["avg", "max"])
@pytest.mark.parametrize("h,w,pool,strides,padding", [
    (7, 7, (3, 3), (2, 2), "same"), (8, 8, (3, 3), (2, 2), "same"), (6, 7, (2, 2), (2, 2), "valid"),
    (5, 5, (3, 3), (1, 1), "same"), (7, 5, (2, 3), (1, 2), "valid"),
])
def test_pooling_matches_direct_loops(mode, h, w, pool, strides, padding):
    x = RNG.standard_normal((2, h, w, 3)).astype(np.float32)
    got = ops.pool2d(x, pool, strides, padding, mode)
    np.testing.assert_allclose(got, ref_pool(x.astype(float), pool, strides, padding, mode), atol=1e-5)


def test_avg_same_pooling_divides_by_valid_count_only():
    x = np.ones((1, 3, 3, 1), np.float32)
    assert np.allclose(ops.pool2d(x, (3, 3), (1, 1), "same", "avg"), 1.0)


@pytest.mark.parametrize("depthwise", [False, True])
def test_batch_norm_folding_equals_unfolded(depthwise):
    x = RNG.standard_normal((2, 6, 6, 3)).astype(np.float32)
    kernel = RNG.standard_normal((3, 3, 3, 2 if depthwise else 5)).astype(np.float32)
    c = 6 if depthwise else 5
    bias = RNG.standard_normal(c).astype(np.float32)
    gamma, beta = RNG.standard_normal(c).astype(np.float32), RNG.standard_normal(c).astype(np.float32)
    mean, var = RNG.standard_normal(c).astype(np.float32), RNG.random(c).astype(np.float32) + 0.1
    conv = depthwise_conv2d if depthwise else conv2d
    unfolded = ops.batch_norm(conv(x, kernel, bias, (1, 1), "same"), gamma, beta, mean, var, 1e-3)
    k2, b2 = ops.fold_batch_norm(kernel, bias, gamma, beta, mean, var, 1e-3, depthwise=depthwise)
    folded = conv(x, k2, b2, (1, 1), "same")
    np.testing.assert_allclose(folded, unfolded, atol=1e-4)
    # and the unfolded form is the textbook formula
    y = conv(x, kernel, bias, (1, 1), "same").astype(float)
    np.testing.assert_allclose(unfolded, (y - mean) / np.sqrt(var + 1e-3) * gamma + beta, atol=1e-4)


X = np.linspace(-10, 10, 41, dtype=np.float32)


@pytest.mark.parametrize("name,formula", [
    ("relu", lambda v: np.maximum(v, 0)),
    ("relu6", lambda v: np.minimum(np.maximum(v, 0), 6)),
    ("sigmoid", lambda v: 1 / (1 + np.exp(-v))),
    ("tanh", np.tanh),
    ("linear", lambda v: v),
    ("hard_sigmoid", lambda v: np.clip(0.2 * v + 0.5, 0, 1)),  # TF.js's hardSigmoid
])
def test_activations_match_formulas(name, formula):
    np.testing.assert_allclose(ops.ACTIVATIONS[name](X.copy()), formula(X.astype(float)), atol=1e-6)


def test_softmax_is_stable_and_sums_to_one():
    logits = np.array([[1000.0, 1001.0, 1002.0], [-5.0, 0.0, 5.0]], np.float32)
    p = ops.softmax(logits)
    assert np.all(np.isfinite(p))
    np.testing.assert_allclose(p.sum(axis=1), 1, atol=1e-6)
    e = np.exp([0.0, 1.0, 2.0])
    np.testing.assert_allclose(p[0], e / e.sum(), atol=1e-6)
    assert np.all(np.isfinite(ops.sigmoid(np.array([-1000.0, 1000.0], np.float32))))


def test_shape_helpers():
    x = RNG.standard_normal((2, 3, 4, 5)).astype(np.float32)
    assert ops.zero_pad(x, 1, 2, 0, 3).shape == (2, 6, 7, 5)
    assert ops.zero_pad(x, 1, 2, 0, 3)[:, 1:4, 0:4].tolist() == x.tolist()
    np.testing.assert_allclose(ops.global_avg_pool(x), x.mean(axis=(1, 2)), atol=1e-6)
    assert ops.flatten(x).shape == (2, 60)
    assert ops.reshape(x, (-1, 5)).shape == (2, 12, 5)
    assert ops.concat([x, x], -1).shape == (2, 3, 4, 10)
    np.testing.assert_allclose(ops.add([x, x, x]), 3 * x, atol=1e-6)
    assert ops.reshape_target((3, 4, 5), (6, -1)) == (6, 10)
    assert ops.reshape_target((3, 4, 5), (7, -1)) is None
    a, b = RNG.standard_normal((3, 4)), RNG.standard_normal((5, 4))
    np.testing.assert_allclose(ops.matmul(a, b, transpose_b=True), a @ b.T)


@pytest.mark.parametrize("shape", [(1, 14, 14, 128), (2, 7, 7, 256), (1, 112, 112, 8), (1, 13, 11, 3), (1, 1, 1, 5)])
def test_channel_bias_views_add_the_bias_to_every_pixel_once(shape):
    y = RNG.standard_normal(shape).astype(np.float32)
    bias = RNG.standard_normal(shape[-1]).astype(np.float32)
    expected = y + bias
    pairs = channel_bias_views(y, tile_bias(bias))
    for view, row in pairs:
        np.add(view, row, out=view)
    np.testing.assert_array_equal(y, expected)
    if shape[-1] >= 8:  # a whole number of pixels fills long rows: one call per prediction
        assert len(pairs) == 1


def test_public_numpy_fallbacks_give_the_same_results(monkeypatch):
    """The private C entry points (einsum, clip) may vanish in a numpy release: the public ones must agree."""
    kernel = RNG.standard_normal((3, 3, 4, 2)).astype(np.float32) * 3
    bias = RNG.standard_normal(8).astype(np.float32)
    x = RNG.standard_normal((2, 9, 10, 4)).astype(np.float32)
    fast = depthwise_conv2d(x, kernel, bias, (2, 2), "same", activation="relu6")
    fast_relu6 = ops.relu6(X * 2)
    calls = []

    def spy(public):
        def call(*args, **kwargs):
            calls.append(public.__name__)
            return public(*args, **kwargs)
        return call
    monkeypatch.setattr(depthwise, "_einsum", spy(np.einsum))
    monkeypatch.setattr(activations, "_clip", spy(np.clip))
    public = depthwise_conv2d(x, kernel, bias, (2, 2), "same", activation="relu6")
    public_relu6 = ops.relu6(X * 2)
    assert set(calls) == {"einsum", "clip"}  # the fallbacks really ran
    np.testing.assert_allclose(public, fast, atol=1e-5)
    np.testing.assert_array_equal(public_relu6, fast_relu6)
    ref = np.clip(ref_conv(x.astype(float), kernel.astype(float), (2, 2), "same", depthwise=True) + bias, 0, 6)
    np.testing.assert_allclose(public, ref, atol=1e-4)
    assert fast.max() == 6 and public_relu6.max() == 6  # values above 6 were clipped


def test_pad_constant_matches_np_pad():
    from tfcache_nb.inference.ops.padding import pad_constant

    rng = np.random.default_rng(3)
    for trial in range(60):
        ndim = int(rng.integers(1, 5))
        shape = tuple(int(v) for v in rng.integers(0, 4, ndim))
        widths = [tuple(int(v) for v in rng.integers(0, 3, 2)) for _ in range(ndim)]
        dtype = [np.float32, np.int32, np.bool_][trial % 3]
        x = (rng.normal(size=shape) * 5).astype(dtype)
        value = {np.float32: -np.inf if trial % 2 else 1.5, np.int32: -7, np.bool_: True}[dtype]
        got = pad_constant(x, widths, value)
        want = np.pad(x, widths, constant_values=value)
        assert got.dtype == want.dtype and got.shape == want.shape
        np.testing.assert_array_equal(got, want)
