"""Normalization-family ops against loops and the textbook formulas written out element by element."""

import itertools
import math

import numpy as np
import pytest

from graph_helpers import run_op

RNG = np.random.default_rng(5)
F32 = np.float32


def rand(*shape):
    return RNG.standard_normal(shape).astype(F32)


@pytest.mark.parametrize("op", ["FusedBatchNorm", "FusedBatchNormV2", "FusedBatchNormV3"])
def test_fused_batch_norm_per_channel(op):
    x = rand(2, 3, 4, 5)
    scale, offset, mean, var = rand(5), rand(5), rand(5), np.abs(rand(5))
    got = run_op(op, [x, scale, offset, mean, var], epsilon=0.01)
    assert got.dtype == F32 and got.shape == x.shape
    for idx in itertools.product(*(range(s) for s in x.shape)):
        c = idx[-1]
        want = offset[c] + (float(x[idx]) - mean[c]) * scale[c] / math.sqrt(var[c] + F32(0.01))
        assert got[idx] == pytest.approx(want, rel=1e-5, abs=1e-6)


def test_fused_batch_norm_default_epsilon_rank2_and_errors():
    x = rand(3, 2)
    got = run_op("FusedBatchNormV3", [x, np.ones(2, F32), np.zeros(2, F32), np.zeros(2, F32), np.ones(2, F32)])
    np.testing.assert_allclose(got, x / np.sqrt(1 + 0.001), rtol=1e-6)
    with pytest.raises(ValueError, match="3 values"):
        run_op("FusedBatchNorm", [x, rand(3), rand(2), rand(2), rand(2)])
    with pytest.raises(ValueError, match="NCHW"):
        run_op("FusedBatchNorm", [x, rand(2), rand(2), rand(2), rand(2)], data_format="NCHW")


@pytest.mark.parametrize("radius,bias,alpha,beta", [(5, 1.0, 1.0, 0.5), (1, 2.0, 0.1, 0.75), (0, 1.0, 0.5, 1.0),
                                                    (3, 0.5, 0.3, 0.2)])
def test_lrn_against_loops(radius, bias, alpha, beta):
    x = rand(1, 3, 2, 6)
    got = run_op("LRN", [x], depth_radius=radius, bias=bias, alpha=alpha, beta=beta)
    assert got.dtype == F32
    for b, i, j, c in itertools.product(range(1), range(3), range(2), range(6)):
        s = sum(float(x[b, i, j, k]) ** 2 for k in range(max(0, c - radius), min(5, c + radius) + 1))
        assert got[b, i, j, c] == pytest.approx(x[b, i, j, c] * (bias + alpha * s) ** -beta, rel=1e-5, abs=1e-6)
    assert run_op("LRN", [x[0]], depth_radius=radius).shape == x.shape[1:]


def test_softmax_and_log_softmax_over_the_last_axis():
    x = rand(2, 3, 7) * 10
    x[0, 0] = [1000, 1000, -1000, 0, 0, 0, 0]  # no overflow
    sm = run_op("Softmax", [x])
    ls = run_op("LogSoftmax", [x])
    assert sm.dtype == F32 and ls.dtype == F32
    for i, j in itertools.product(range(2), range(3)):
        m = max(float(v) for v in x[i, j])
        exps = [math.exp(float(v) - m) for v in x[i, j]]
        total = sum(exps)
        np.testing.assert_allclose(sm[i, j], [e / total for e in exps], rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(ls[i, j], [float(v) - m - math.log(total) for v in x[i, j]], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(run_op("Softmax", [np.array([1.0, 2.0], F32)]), [0.26894142, 0.7310586], rtol=1e-6)
    with pytest.raises(ValueError, match="scalar"):
        run_op("Softmax", [np.float32(1)])


def test_softmaxes_of_empty_tensors():
    for op in ("Softmax", "LogSoftmax"):
        for shape in ((0, 3), (2, 0)):
            got = run_op(op, [np.zeros(shape, F32)])
            assert got.shape == shape and got.dtype == F32


@pytest.mark.parametrize("axes,keep", [([1], False), ([-1], True), ([0, 2], False), ([], False), ([-3, -2, -1], True)])
def test_euclidean_norm(axes, keep):
    x = rand(2, 3, 4)
    got = run_op("EuclideanNorm", [x, np.array(axes, np.int32)], keep_dims=keep)
    norm_axes = tuple(sorted(a % 3 for a in axes))
    want = np.sqrt(np.sum(x.astype(float) ** 2, axis=norm_axes, keepdims=keep)) if axes else np.abs(x)
    assert got.dtype == F32 and got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-6)
    assert run_op("EuclideanNorm", [np.array([3, -4], np.int32), np.array([0])]).item() == 5.0


def test_normalization_ops_match_tfjs():
    from tfjs_oracle import check_against_tfjs

    x = rand(2, 3, 4, 6)
    c = [rand(6), rand(6), rand(6), np.abs(rand(6))]
    ops = [
        ("FusedBatchNormV3", [x, *c], dict(epsilon=0.001)),
        ("FusedBatchNorm", [x, *c], {}),
        ("LRN", [x], dict(depth_radius=2, bias=1.5, alpha=0.3, beta=0.75)),
        ("LRN", [x], {}),
        ("Softmax", [x * 10], {}),
        ("LogSoftmax", [x * 10], {}),
        ("EuclideanNorm", [x, np.array([-1], np.int32)], dict(keep_dims=True)),
        ("EuclideanNorm", [x, np.array([1, 2], np.int32)], {}),
    ]
    check_against_tfjs(ops, rtol=1e-5, atol=1e-6)
