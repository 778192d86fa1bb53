"""Pooling exactly as TensorFlow.js 4.22's CPU kernels: small average windows summed in double,
and the 1x1 window that keeps the shape returned as it is (whatever the strides).

Each case runs in the real TF.js (tests/tfjs/run_ops.js), in the graph executor and through a
preplanned ``Model`` (a batch of 3, which small models run one image at a time); the
comparisons are bit for bit.
"""

from __future__ import annotations

import numpy as np
import pytest

from graph_helpers import run_op
from test_runtime_agreement import artifacts, node
from tfcache_nb.inference.model import Model
from tfjs_oracle import case, tfjs_run

F32 = np.float32
RNG = np.random.default_rng(21)
#: values near 1000: a float32 running sum rounds where TF.js's double sum does not
NEAR_1000 = (1000 + 3 * RNG.standard_normal((3, 7, 6, 4))).astype(F32)

AVG = [((k, k), (s, s), pad) for k in (2, 3) for s in (1, 2) for pad in ("SAME", "VALID")]


def _attrs(window, strides, padding):
    return dict(ksize=[1, *window, 1], strides=[1, *strides, 1], padding=padding, data_format="NHWC")


def _preplanned(op, x, attrs):
    model = Model.from_artifacts(artifacts(x.shape, [node("p", op, ["x"], **attrs)], {}))
    assert model._plan is not None
    return model.predict(x)


def test_small_average_windows_are_tfjs_bit_for_bit():
    cases = [_attrs(*c) for c in AVG]
    results = tfjs_run([case("AvgPool", [NEAR_1000], **attrs) for attrs in cases])
    float32_sums_differ = False
    for attrs, theirs in zip(cases, results):
        assert not isinstance(theirs, str), f"TF.js refused {attrs}: {theirs}"
        (theirs,) = theirs
        np.testing.assert_array_equal(run_op("AvgPool", [NEAR_1000], **attrs), theirs, err_msg=str(attrs))
        np.testing.assert_array_equal(_preplanned("AvgPool", NEAR_1000, attrs), theirs, err_msg=str(attrs))
        float32_sums_differ |= not np.array_equal(_float32_avg_pool(NEAR_1000, attrs), theirs)
    assert float32_sums_differ, "the inputs must be ones where float32 sums give other values"


def _float32_avg_pool(x, attrs):
    """The old rule: a running float32 sum divided by a float32 count (VALID only, which is enough)."""
    (kh, kw), (sh, sw) = attrs["ksize"][1:3], attrs["strides"][1:3]
    if attrs["padding"] != "VALID":
        return np.zeros(0, F32)
    oh, ow = (x.shape[1] - kh) // sh + 1, (x.shape[2] - kw) // sw + 1
    acc = np.zeros((x.shape[0], oh, ow, x.shape[3]), F32)
    for i in range(kh):
        for j in range(kw):
            acc += x[:, i:i + (oh - 1) * sh + 1:sh, j:j + (ow - 1) * sw + 1:sw]
    return acc / F32(kh * kw)


@pytest.mark.parametrize("op", ["MaxPool", "AvgPool"])
@pytest.mark.parametrize(("shape", "strides", "padding"), [
    ((2, 1, 5, 3), (2, 1), "SAME"),   # one row: a row stride of 2 keeps the shape
    ((2, 4, 1, 3), (1, 3), "VALID"),  # one column
    ((2, 1, 1, 3), (2, 2), "SAME"),
    ((2, 4, 5, 3), (1, 2), "SAME"),   # the shape changes: pooling, which skips NaN in a max
])
def test_the_1x1_window_is_the_identity_when_the_shape_stays(op, shape, strides, padding):
    x = RNG.standard_normal(shape).astype(F32)
    x[0, 0, 0, 1] = x[1, -1, -1, 2] = np.nan
    attrs = _attrs((1, 1), strides, padding)
    ((theirs,),) = tfjs_run([case(op, [x], **attrs)])
    ours = run_op(op, [x], **attrs)
    np.testing.assert_array_equal(ours, theirs)
    np.testing.assert_array_equal(_preplanned(op, x, attrs), theirs)
    if theirs.shape == x.shape:
        np.testing.assert_array_equal(ours, x)  # NaN stays where it was
