"""The kernels behind the Keras layers: activations and resizing, against direct computations."""

import math

import numpy as np
import pytest

from tfcache_nb.inference.ops import activations as act
from tfcache_nb.inference.ops.resize import resize_bilinear, resize_nearest

RNG = np.random.default_rng(5)
X = np.concatenate([np.linspace(-30, 30, 121), [-1e-3, 0.0, 1e-3, 88.0, -88.0]]).astype(np.float32)
SQRT2 = math.sqrt(2)


def _softplus(v):
    return math.log1p(math.exp(v)) if v < 30 else v


@pytest.mark.parametrize("name,scalar", [
    ("elu", lambda v: v if v >= 0 else math.exp(v) - 1),
    ("selu", lambda v: 1.0507009873554805 * (v if v > 0 else 1.6732632423543772 * (math.exp(v) - 1))),
    ("softplus", _softplus),
    ("softsign", lambda v: v / (abs(v) + 1)),
    ("swish", lambda v: v / (1 + math.exp(-v)) if v > -700 else 0.0),
    ("gelu", lambda v: 0.5 * v * (1 + math.erf(v / SQRT2))),
    ("mish", lambda v: v * math.tanh(_softplus(v))),
])
def test_elementwise_activations_match_their_formulas_in_place_and_into_another_array(name, scalar):
    expected = np.array([scalar(float(v)) for v in X])
    fn = act.ACTIVATIONS[name]
    np.testing.assert_allclose(fn(X.copy()), expected, rtol=2e-6, atol=1e-6)
    inplace = X.copy()
    assert fn(inplace, out=inplace) is inplace
    np.testing.assert_allclose(inplace, expected, rtol=2e-6, atol=1e-6)
    other = np.full_like(X, np.nan)
    fn(X, out=other)
    np.testing.assert_allclose(other, expected, rtol=2e-6, atol=1e-6)
    assert fn(X.copy()).dtype == np.float32


def test_erf_is_tfjs_approximation_close_to_the_true_erf():
    v = np.linspace(-5, 5, 1001)
    got = act.erf(v)
    assert np.max(np.abs(got - np.vectorize(math.erf)(v))) < 2e-7
    assert got[0] < 0 and got[-1] > 0 and got[500] == 0


def test_log_softmax_over_any_axis():
    x = RNG.standard_normal((2, 3, 4)).astype(np.float32) * 30
    for axis in (-1, 1):
        e = np.exp(x.astype(float) - x.max(axis=axis, keepdims=True))
        np.testing.assert_allclose(act.log_softmax(x, axis=axis), np.log(e / e.sum(axis=axis, keepdims=True)),
                                   atol=1e-5)


def _ref_resize(x, nh, nw, mode, align, half):
    """TF.js's CPU kernels as plain loops over output pixels."""
    n, h, w, c = x.shape

    def scale(old, new):
        return (old - 1) / (new - 1) if align and new > 1 else old / new
    out = np.zeros((n, nh, nw, c))
    for r in range(nh):
        fr = scale(h, nh) * (r + 0.5) - (0.5 if mode == "bilinear" else 0) if half else scale(h, nh) * r
        for q in range(nw):
            fq = scale(w, nw) * (q + 0.5) - (0.5 if mode == "bilinear" else 0) if half else scale(w, nw) * q
            if mode == "nearest":
                rr = min(h - 1, math.floor(fr + 0.5) if align else math.floor(fr))
                qq = min(w - 1, math.floor(fq + 0.5) if align else math.floor(fq))
                if half:
                    rr, qq = max(0, rr), max(0, qq)
                out[:, r, q] = x[:, rr, qq]
            else:
                r0, r1 = max(0, math.floor(fr)), min(h - 1, math.ceil(fr))
                q0, q1 = max(0, math.floor(fq)), min(w - 1, math.ceil(fq))
                rf, qf = fr - r0, fq - q0
                top = x[:, r0, q0] + (x[:, r0, q1] - x[:, r0, q0]) * qf
                bottom = x[:, r1, q0] + (x[:, r1, q1] - x[:, r1, q0]) * qf
                out[:, r, q] = top + (bottom - top) * rf
    return out


@pytest.mark.parametrize("align,half", [(False, False), (True, False), (False, True)])
@pytest.mark.parametrize("size", [(10, 9), (3, 2), (7, 7), (1, 1), (15, 4)])
def test_resize_matches_tfjs_cpu_rules(size, align, half):
    x = RNG.standard_normal((2, 5, 3, 4)).astype(np.float32)
    got = resize_nearest(x, size, align, half)
    np.testing.assert_array_equal(got, _ref_resize(x.astype(float), *size, "nearest", align, half).astype(np.float32))
    got = resize_bilinear(x, size, align, half)
    assert got.dtype == np.float32 and got.shape == (2, *size, 4)
    np.testing.assert_allclose(got, _ref_resize(x.astype(float), *size, "bilinear", align, half), atol=1e-5)


def test_integer_upsampling_repeats_pixels():
    x = RNG.standard_normal((1, 4, 5, 2)).astype(np.float32)
    for fh, fw in [(2, 2), (3, 1), (3, 7)]:
        want = np.repeat(np.repeat(x, fh, axis=1), fw, axis=2)
        np.testing.assert_array_equal(resize_nearest(x, (4 * fh, 5 * fw)), want)
