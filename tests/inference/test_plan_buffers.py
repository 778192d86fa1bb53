"""Plans reuse buffers between predictions: answers must not leak between calls, threads or views."""

import threading

import numpy as np

from inference_helpers import artifacts, ref_conv
from tfcache_nb.format.files import read_model_files
from tfcache_nb.inference.model import Model
from test_layers_model import L, functional, w


def _residual_model():
    """conv_a -> reshape (a view of conv_a's buffer) -> conv_b -> add(view, conv_b) -> conv_c.

    conv_b and conv_c must not write into the buffer the reshaped view still reads.
    """
    weights = {"a/kernel": w(3, 3, 3, 4), "b/kernel": w(1, 1, 4, 4), "c/kernel": w(1, 1, 4, 4)}
    layers = [
        L("InputLayer", "input_1", batch_input_shape=[None, 6, 6, 3]),
        L("Conv2D", "a", "input_1", filters=4, kernel_size=[3, 3], padding="same", use_bias=False),
        L("Reshape", "view", "a", target_shape=[6, 6, 4]),
        L("Conv2D", "b", "view", filters=4, kernel_size=[1, 1], use_bias=False),
        L("Add", "sum", ["view", "b"]),
        L("Conv2D", "c", "sum", filters=4, kernel_size=[1, 1], use_bias=False),
    ]
    return Model.from_artifacts(artifacts(functional(layers, "c"), weights)), weights


def _reference(x, weights):
    a = ref_conv(x.astype(float), weights["a/kernel"].astype(float), (1, 1), "same")
    b = ref_conv(a, weights["b/kernel"].astype(float), (1, 1), "valid")
    return ref_conv(a + b, weights["c/kernel"].astype(float), (1, 1), "valid")


def test_reused_buffers_do_not_overwrite_arrays_still_read_through_a_view():
    model, weights = _residual_model()
    x = w(2, 6, 6, 3)
    np.testing.assert_allclose(model.predict(x), _reference(x, weights), atol=1e-4)


def test_returned_arrays_survive_the_next_prediction():
    model, weights = _residual_model()
    x1, x2 = w(1, 6, 6, 3), w(3, 6, 6, 3)
    first = model.predict(x1)
    named = model.predict_named(x1, ["a", "sum"])
    model.predict(x2)
    model.predict_named(x2, ["a", "sum"])
    np.testing.assert_allclose(first, _reference(x1, weights), atol=1e-4)
    np.testing.assert_allclose(named["a"], ref_conv(x1.astype(float), weights["a/kernel"].astype(float),
                                                    (1, 1), "same"), atol=1e-4)


def test_two_threads_predicting_on_one_model_get_their_own_answers(models_dir):
    model = Model.from_artifacts(read_model_files(models_dir / "mobilenet_v1_0.25_224"))
    rng = np.random.default_rng(5)
    inputs = [rng.uniform(-1, 1, (n, 224, 224, 3)).astype(np.float32) for n in (1, 2)]
    expected = [model.predict(x) for x in inputs]
    failures = []

    def worker(i):
        for _ in range(6):
            got = model.predict(inputs[i])
            if not np.allclose(got, expected[i], atol=1e-6):
                failures.append(i)

    threads = [threading.Thread(target=worker, args=(i,)) for i in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    assert not np.allclose(expected[0][0], expected[1][0], atol=1e-3)  # the inputs really differ


def _fused_chain_model():
    """Convolutions whose activations write straight into the next depthwise's padded input.

    Covers a stride-2 consumer (phase-split columns), an odd width, 'valid' padding, a linear
    activation and a bias-free layer. d3's dilation_rate is ignored, as TF.js's
    DepthwiseConv2D layer ignores it.
    """
    c = 5
    weights = {"c0/kernel": w(3, 3, 3, c), "c0/bias": w(c), "d1/depthwise_kernel": w(3, 3, c, 1), "d1/bias": w(c),
               "p1/kernel": w(1, 1, c, c), "p1/bias": w(c), "d2/depthwise_kernel": w(3, 3, c, 1),
               "p2/kernel": w(1, 1, c, c), "d3/depthwise_kernel": w(3, 3, c, 1), "d3/bias": w(c)}
    layers = [
        L("InputLayer", "input_1", batch_input_shape=[None, 13, 11, 3]),
        L("Conv2D", "c0", "input_1", filters=c, kernel_size=[3, 3], padding="same", activation="relu6"),
        L("DepthwiseConv2D", "d1", "c0", kernel_size=[3, 3], padding="same", activation="relu6"),
        L("Conv2D", "p1", "d1", filters=c, kernel_size=[1, 1], activation="relu"),
        L("DepthwiseConv2D", "d2", "p1", kernel_size=[3, 3], strides=[2, 2], padding="same", use_bias=False),
        L("Conv2D", "p2", "d2", filters=c, kernel_size=[1, 1], use_bias=False),
        L("DepthwiseConv2D", "d3", "p2", kernel_size=[3, 3], padding="valid", dilation_rate=[2, 2]),
    ]
    return Model.from_artifacts(artifacts(functional(layers, "d3"), weights)), weights


def _chain_reference(x, wts):
    f = {k: v.astype(float) for k, v in wts.items()}
    y = np.clip(ref_conv(x.astype(float), f["c0/kernel"], (1, 1), "same") + f["c0/bias"], 0, 6)
    y = np.clip(ref_conv(y, f["d1/depthwise_kernel"], (1, 1), "same", depthwise=True) + f["d1/bias"], 0, 6)
    y = np.maximum(ref_conv(y, f["p1/kernel"], (1, 1), "valid") + f["p1/bias"], 0)
    y = ref_conv(y, f["d2/depthwise_kernel"], (2, 2), "same", depthwise=True)
    y = ref_conv(y, f["p2/kernel"], (1, 1), "valid")
    return ref_conv(y, f["d3/depthwise_kernel"], (1, 1), "valid", depthwise=True) + f["d3/bias"]


def test_fused_convolution_chain_matches_direct_loops_across_batch_sizes():
    model, weights = _fused_chain_model()
    inputs = [w(n, 13, 11, 3) for n in (2, 1, 2)]  # a shape change rebinds the plan, and back again
    results = [model.predict(x) for x in inputs]
    for x, got in zip(inputs, results):
        np.testing.assert_allclose(got, _chain_reference(x, weights), atol=1e-4)
    np.testing.assert_array_equal(model.predict(inputs[0]), results[0])
