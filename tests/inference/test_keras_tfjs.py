"""The Keras layers against the real TensorFlow.js (@tensorflow/tfjs 4.22.0, CPU backend, in Node).

One functional model uses every layer family TF.js has (random weights, each branch an output
of its own); TF.js and tfcache_nb run it on the same input, in both topology forms and with
float32, uint8, uint16 and float16 weights, and every output must agree within
1e-4 x max|TF.js output|. Small models pin down where TF.js reads a config differently
from Keras (and so must we).
"""

from __future__ import annotations

import numpy as np
import pytest

from keras_models import FORMS, functional, input_layer, layer, model_artifacts, tfjs_outputs
from tfcache_nb.errors import ModelFormatError
from tfcache_nb.inference.model import Model

RNG = np.random.default_rng(10)
H, W, C = 8, 8, 3


def _w(*shape, fan_in=None):
    scale = 1 / np.sqrt(fan_in if fan_in else np.prod(shape[:-1]))
    return (RNG.standard_normal(shape) * scale).astype(np.float32)


def _bn(name, c):
    return {f"{name}/gamma": 1 + 0.2 * _w(c, fan_in=1), f"{name}/beta": 0.2 * _w(c, fan_in=1),
            f"{name}/moving_mean": 0.2 * _w(c, fan_in=1),
            f"{name}/moving_variance": (0.5 + RNG.random(c)).astype(np.float32)}


def every_layer_model(form: str):
    """(topology, weights, output names): every layer family, 27 outputs."""
    L = layer
    wts = {"c1/kernel": _w(3, 3, C, 6), "c1/bias": _w(6, fan_in=4), **_bn("bn1", 6),
           "pr/alpha": 0.3 * _w(1, 1, 6, fan_in=1),
           "dw/depthwise_kernel": _w(3, 3, 6, 2), "dw/bias": _w(12, fan_in=4),
           "sep/depthwise_kernel": _w(3, 3, 12, 2), "sep/pointwise_kernel": _w(1, 1, 24, 8), "sep/bias": _w(8, fan_in=4),
           "ct/kernel": _w(3, 3, 5, 8, fan_in=18), "ct/bias": _w(5, fan_in=4),
           "ct2/kernel": _w(2, 2, 5, 8, fan_in=8),
           "se/kernel": _w(8, 5), "se/bias": _w(5, fan_in=4), **_bn("bn2", 8),
           "d1/kernel": _w(25, 7), "d1/bias": _w(7, fan_in=4),
           "d2/kernel": _w(25, 7), **_bn("bnd", 7),
           "g/kernel": _w(12, 8), "prg/alpha": 0.3 * _w(16, 7, fan_in=1),
           "c1d/kernel": _w(3, 25, 6), "c1d/bias": _w(6, fan_in=4),
           "ln/gamma": 1 + 0.2 * _w(7, fan_in=1), "ln/beta": 0.2 * _w(7, fan_in=1),
           "ln2/gamma": 1 + 0.2 * _w(4, 25, fan_in=1), "ln2/beta": 0.2 * _w(4, 25, fan_in=1)}
    layers = [
        input_layer("input", (H, W, C)),
        L("Conv2D", "c1", "input", filters=6, kernel_size=[3, 3], strides=[1, 1], padding="same",
          dilation_rate=[1, 1], activation="swish", use_bias=True, data_format="channels_last"),
        L("BatchNormalization", "bn1", "c1", axis=-1, epsilon=1e-3, center=True, scale=True),
        L("PReLU", "pr", "bn1", shared_axes=[1, 2]),
        L("DepthwiseConv2D", "dw", "pr", kernel_size=[3, 3], strides=[2, 2], padding="same", depth_multiplier=2,
          activation="gelu", use_bias=True),
        L("SeparableConv2D", "sep", "dw", filters=8, kernel_size=[3, 3], strides=[1, 1], padding="same",
          dilation_rate=[2, 2], depth_multiplier=2, activation="elu", use_bias=True),
        L("Conv2DTranspose", "ct", "sep", filters=5, kernel_size=[3, 3], strides=[2, 2], padding="same",
          activation="selu", use_bias=True),
        L("Conv2DTranspose", "ct2", "sep", filters=5, kernel_size=[2, 2], strides=[2, 2], padding="valid",
          activation="linear", use_bias=False),
        L("Cropping2D", "crop", "ct2", cropping=[[1, 0], [0, 1]]),
        L("ZeroPadding2D", "zp0", "crop", padding=[[0, 1], [1, 0]]),
        L("UpSampling2D", "up", "sep", size=[2, 2], interpolation="bilinear"),
        L("UpSampling2D", "upn", "dw", size=[2, 2], interpolation="nearest"),
        L("LeakyReLU", "lr", "ct", alpha=0.2),
        L("ELU", "el", "zp0", alpha=1.0),
        L("ThresholdedReLU", "tr", "up", theta=0.1),
        L("Maximum", "mx", ["lr", "el"]),
        L("Minimum", "mn", ["lr", "el"]),
        L("Average", "av", ["lr", "el", "mx"]),
        L("Multiply", "mul", ["mx", "mn"]),
        L("Add", "add", ["av", "mul"]),
        L("GlobalAveragePooling2D", "gap", "tr"),
        L("GlobalMaxPooling2D", "gmp", "upn"),
        L("Dense", "se", "gap", units=5, activation="hard_sigmoid", use_bias=True),
        L("Multiply", "scaled", ["add", "se"]),  # (N, 5) against (N, 8, 8, 5): TF.js pads the rank
        L("Concatenate", "cat", ["scaled", "tr", "upn"], axis=-1),
        L("Dropout", "drop", "cat", rate=0.5),
        L("GaussianNoise", "noise", "drop", stddev=0.3),
        L("BatchNormalization", "bn2", "up", axis=1, epsilon=1e-3),  # over rows, not channels
        L("Softmax", "sm", "drop", axis=-1),
        L("ReLU", "capped", "noise", max_value=0.7),
        L("MaxPooling2D", "mp", "sm", pool_size=[2, 2], strides=[2, 2], padding="same"),
        L("AveragePooling2D", "ap", "mp", pool_size=[3, 3], strides=[1, 1], padding="same"),
        L("Permute", "perm", "ap", dims=[2, 1, 3]),
        L("Reshape", "rs", "perm", target_shape=[16, 25]),
        L("Dense", "d1", "rs", units=7, activation="softplus"),  # Dense on a 3-D input
        L("Dense", "d2", "rs", units=7, activation="linear", use_bias=False),
        L("BatchNormalization", "bnd", "d2", axis=-1),
        L("Activation", "mish", "bnd", activation="mish"),
        L("Dot", "dot3", ["d1", "mish"], axes=[2, 2]),
        L("Dense", "g", "gmp", units=8, activation="tanh", use_bias=False),
        L("Dot", "dot2", ["gap", "g"], axes=1, normalize=True),
        L("RepeatVector", "rep", "se", n=3),
        L("SpatialDropout1D", "sd", "rep", rate=0.2),
        L("Flatten", "fl", "sd"),
        L("Activation", "ss", "fl", activation="softsign"),
        L("Activation", "ls", "d1", activation="log_softmax"),
        L("PReLU", "prg", "mish"),
        L("GaussianDropout", "gd", "prg", rate=0.2),
        L("AlphaDropout", "ad", "gd", rate=0.2),
        L("Activation", "sig", "ad", activation="sigmoid"),
        L("Activation", "r6", "ad", activation="relu6"),
        L("Conv1D", "c1d", "rs", filters=6, kernel_size=[3], strides=[1], padding="same", dilation_rate=[2],
          activation="relu", use_bias=True),
        L("MaxPooling1D", "mp1", "c1d", pool_size=[2], strides=[2], padding="valid"),
        L("AveragePooling1D", "ap1", "mp1", pool_size=[3], strides=[1], padding="same"),
        L("GlobalAveragePooling1D", "gap1", "ap1"),
        L("GlobalMaxPooling1D", "gmp1", "c1d"),
        L("LayerNormalization", "ln", "d1", axis=-1, epsilon=1e-3),
        L("LayerNormalization", "ln2", "ap", axis=[2, 3], epsilon=1e-2),
        L("Rescaling", "resc", "input", scale=0.5, offset=-0.25),
    ]
    outputs = ["c1", "pr", "dw", "sep", "ct", "el", "add", "scaled", "bn2", "capped", "sm", "ap", "rs",
               "dot3", "dot2", "ss", "ls", "sig", "r6", "gmp", "c1d", "ap1", "gap1", "gmp1", "ln", "ln2", "resc"]
    return functional(layers, outputs, form), wts, outputs


def test_tfjs_and_numpy_agree_on_every_layer_and_weight_form(node_bin, tfjs_dir, tmp_path):
    x = RNG.standard_normal((1, H, W, C)).astype(np.float32)
    jobs, names = [], []
    for form in FORMS:
        topology, weights, outputs = every_layer_model(form)
        base = model_artifacts(topology, weights)
        for quant in ("float32", "uint8", "uint16", "float16"):
            jobs.append((base if quant == "float32" else base.quantize(quant), x))
            names.append((form, quant))
    refs = tfjs_outputs(node_bin, tfjs_dir, tmp_path, jobs)
    for (form, quant), (artifacts, _), ref in zip(names, jobs, refs):
        assert not isinstance(ref, str), f"TF.js could not run the {form} {quant} model: {ref}"
        model = Model.from_artifacts(artifacts)
        got = model.predict_named(x, outputs)
        assert len(ref) == len(outputs)
        for name, want in zip(outputs, ref):
            have = got[name]
            assert have.shape == want.shape, (form, quant, name, have.shape, want.shape)
            assert have.dtype == np.float32
            scale = float(np.abs(want).max())
            assert scale > 0, name  # a branch that is all zeros would prove nothing
            err = float(np.abs(have - want).max())
            assert err <= 1e-4 * scale, f"{form} {quant} {name}: max error {err} of max |ref| {scale}"
        # the model's own plan (every output kept) gives the same, in TF.js's output order
        for have, want in zip(model.predict(x), ref, strict=True):
            np.testing.assert_allclose(have, want, rtol=0, atol=1e-4 * float(np.abs(want).max()))


def _single(cls, shape, weights=None, **config):
    layers = [input_layer("input", shape), layer(cls, "l", "input", **config)]
    return model_artifacts(functional(layers, "l"), weights or {})


def test_configs_tfjs_reads_differently_from_keras(node_bin, tfjs_dir, tmp_path):
    """TF.js ignores ReLU's slope/threshold, LeakyReLU's negative_slope, DepthwiseConv2D's dilation,
    Conv2DTranspose's output_padding/dilation and global pooling's keepdims; so must we."""
    k = _w(3, 3, 3, 2)
    kt = _w(3, 3, 4, 3)
    cases = [
        _single("ReLU", (5, 6, 3), max_value=None, negative_slope=0.5, threshold=0.2),
        _single("ReLU", (5, 6, 3), max_value=1.5, negative_slope=0.5),
        _single("LeakyReLU", (5, 6, 3), negative_slope=0.1),  # Keras 3's name: TF.js keeps its 0.3
        _single("DepthwiseConv2D", (7, 8, 3), {"l/depthwise_kernel": k}, kernel_size=[3, 3], strides=[1, 1],
                padding="valid", dilation_rate=[2, 2], depth_multiplier=2, use_bias=False),
        _single("Conv2DTranspose", (4, 5, 3), {"l/kernel": kt}, filters=4, kernel_size=[3, 3], strides=[3, 2],
                padding="valid", output_padding=[1, 1], dilation_rate=[1, 1], use_bias=False),
        _single("GlobalAveragePooling2D", (4, 5, 3), keepdims=True),
        _single("GlobalMaxPooling2D", (4, 5, 3), keepdims=True),
        _single("Activation", (4, 3), activation="hard_sigmoid"),
        _single("Softmax", (4, 3), axis=[1, 2]),
        _single("Conv2D", (4, 5, 3), {"l/kernel": _w(1, 1, 3, 4)}, filters=4, kernel_size=[1, 1],
                activation="log_softmax", use_bias=False),
    ]
    inputs = [RNG.standard_normal((1, *a.model_topology["model_config"]["config"]["layers"][0]["config"]
                                   ["batch_input_shape"][1:])).astype(np.float32) * 3 for a in cases]
    refs = tfjs_outputs(node_bin, tfjs_dir, tmp_path, list(zip(cases, inputs)))
    for artifacts, x, ref in zip(cases, inputs, refs):
        assert not isinstance(ref, str), ref
        got = Model.from_artifacts(artifacts).predict(x)
        assert got.shape == ref[0].shape
        np.testing.assert_allclose(got, ref[0], atol=1e-5 * float(np.abs(ref[0]).max()), rtol=0)


def test_what_tfjs_refuses_fails_at_build_time_with_the_layer_named(node_bin, tfjs_dir, tmp_path):
    cases = [
        (_single("ELU", (4, 3), alpha=0.5), "alpha"),
        (_single("Activation", (4, 3), activation="gelu_new"), "gelu_new"),
        (_single("UpSampling2D", (4, 4, 3), size=[2, 2], interpolation="bicubic"), "bicubic"),
        (_single("LSTM", (4, 3), units=2), "LSTM"),
    ]
    refs = tfjs_outputs(node_bin, tfjs_dir, tmp_path, [(a, np.zeros((1, 4, 3), np.float32)) for a, _ in cases])
    for (artifacts, word), ref in zip(cases, refs):
        if word != "LSTM":  # TF.js runs LSTMs; tfcache_nb does not (yet)
            assert isinstance(ref, str), f"TF.js ran what it should refuse ({word})"
        with pytest.raises(ModelFormatError) as info:
            Model.from_artifacts(artifacts)
        assert "'l'" in str(info.value) and word in str(info.value)


def _teachable_machine_like():
    """A Sequential of two Sequentials, as Teachable Machine exports (a truncated MobileNet and a Dense head)."""
    topology = {"class_name": "Sequential", "config": {"name": "outer", "layers": [
        {"class_name": "Sequential", "config": {"name": "sequential_1", "layers": [
            {"class_name": "Conv2D", "config": {"name": "conv", "filters": 4, "kernel_size": [3, 3], "strides": [2, 2],
                                                "padding": "same", "activation": "relu6", "use_bias": True,
                                                "batch_input_shape": [None, 6, 6, 3], "dtype": "float32"}},
            {"class_name": "GlobalAveragePooling2D", "config": {"name": "gap"}}]}},
        {"class_name": "Sequential", "config": {"name": "sequential_2", "layers": [
            {"class_name": "Dense", "config": {"name": "dense", "units": 3, "activation": "softmax",
                                               "batch_input_shape": [None, 4]}}]}}]},
        "keras_version": "tfjs-layers 1.3.1", "backend": "tensor_flow.js"}
    weights = {"conv/kernel": _w(3, 3, 3, 4), "conv/bias": _w(4, fan_in=4), "dense/kernel": _w(4, 3),
               "dense/bias": _w(3, fan_in=4)}
    return model_artifacts(topology, weights)


def test_nested_sequential_models_run_as_in_tfjs(node_bin, tfjs_dir, tmp_path):
    artifacts = _teachable_machine_like()
    x = RNG.standard_normal((1, 6, 6, 3)).astype(np.float32)
    (ref,) = tfjs_outputs(node_bin, tfjs_dir, tmp_path, [(artifacts, x)])
    assert not isinstance(ref, str), ref
    model = Model.from_artifacts(artifacts)
    assert model.input_shape == (None, 6, 6, 3)
    got = model.predict(x)
    assert got.shape == ref[0].shape == (1, 3)
    np.testing.assert_allclose(got, ref[0], rtol=0, atol=1e-6)


def _batch_norm_model(axis: int, shape: tuple[int, ...], batch: int, center: bool = True, scale: bool = True):
    """A lone BatchNormalization (no kernel to fold it into) with moving means near 1000."""
    n = shape[axis - 1 if axis > 0 else axis]
    rng = np.random.default_rng(12)
    weights = {"bn/moving_mean": (1000 + 3 * rng.standard_normal(n)).astype(np.float32),
               "bn/moving_variance": (0.5 + rng.random(n)).astype(np.float32)}
    if scale:
        weights["bn/gamma"] = (1 + 0.2 * rng.standard_normal(n)).astype(np.float32)
    if center:
        weights["bn/beta"] = (0.2 * rng.standard_normal(n)).astype(np.float32)
    weights = {k: weights[k] for k in ("bn/gamma", "bn/beta", "bn/moving_mean", "bn/moving_variance") if k in weights}
    inp = layer("InputLayer", "input", batch_input_shape=[batch, *shape], dtype="float32", sparse=False)
    layers = [inp, layer("BatchNormalization", "bn", "input", axis=axis, epsilon=1e-3, center=center, scale=scale)]
    x = (1000 + 3 * rng.standard_normal((batch, *shape))).astype(np.float32)
    return model_artifacts(functional(layers, "bn"), weights), x


def test_unfolded_batch_norm_is_tfjs_bit_for_bit(node_bin, tfjs_dir, tmp_path):
    """TF.js's CPU batch norm computes in double and rounds once, element i taking parameter i mod n
    (over rows too, with a batch of 3); with means near 1000 a float32 computation differs."""
    cases = [_batch_norm_model(-1, (6, 5, 4), 3), _batch_norm_model(1, (6, 5, 4), 3),
             _batch_norm_model(-1, (7,), 3, center=False), _batch_norm_model(2, (6, 5), 3, scale=False)]
    refs = tfjs_outputs(node_bin, tfjs_dir, tmp_path, cases)
    for (artifacts, x), ref in zip(cases, refs):
        assert not isinstance(ref, str), ref
        got = Model.from_artifacts(artifacts).predict(x)
        np.testing.assert_array_equal(got, ref[0])
    # the float32 rule (x * scale + offset, each rounded) misses on these inputs: the test can fail
    artifacts, x = cases[0]
    w = artifacts.decode_weights()
    s = (w["bn/gamma"] / np.sqrt(w["bn/moving_variance"].astype(np.float64) + 1e-3)).astype(np.float32)
    o = (w["bn/beta"] - w["bn/moving_mean"].astype(np.float64) * s).astype(np.float32)
    assert not np.array_equal(x * s + o, refs[0][0])
