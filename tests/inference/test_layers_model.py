"""Keras topologies (converted and TF.js-saved, Sequential and functional) with hand-made weights."""

import numpy as np
import pytest

from inference_helpers import artifacts, ref_conv, ref_pool
from tfcache_nb.errors import ModelFormatError
from tfcache_nb.inference.model import Model

RNG = np.random.default_rng(2)


def L(cls, name, inbound=None, **config):
    layer = {"class_name": cls, "name": name, "config": {"name": name, **config}}
    if inbound is not None:
        inbound = [inbound] if isinstance(inbound, str) else inbound
        layer["inbound_nodes"] = [[[src, 0, 0, {}] for src in inbound]]
    return layer


def functional(layers, out, converted=True, inp="input_1"):
    cfg = {"name": "m", "layers": layers, "input_layers": [[inp, 0, 0]], "output_layers": [[out, 0, 0]]}
    model = {"class_name": "Model" if converted else "Functional", "config": cfg}
    return {"model_config": model, "keras_version": "2.1.4", "backend": "tensorflow"} if converted else \
        {**model, "keras_version": "tfjs-layers 4.22.0", "backend": "tensor_flow.js"}


def w(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


def bn(x, g, b, m, v, eps=1e-3):
    return (x - m) / np.sqrt(v + eps) * g + b


@pytest.mark.parametrize("converted", [True, False])
def test_functional_mobilenet_block_with_every_fold(converted):
    weights = {
        # manifest order deliberately not the layer order
        "bn1/gamma": w(4), "bn1/beta": w(4), "bn1/moving_mean": w(4), "bn1/moving_variance": np.abs(w(4)) + .5,
        "conv1/kernel": w(3, 3, 3, 4),
        "dw/depthwise_kernel": w(3, 3, 4, 1),
        "bn2/gamma": w(4), "bn2/beta": w(4), "bn2/moving_mean": w(4), "bn2/moving_variance": np.abs(w(4)) + .5,
        "model/preds/kernel": w(1, 1, 4, 5), "model/preds/bias": w(5),  # name-scoped
    }
    layers = [
        L("InputLayer", "input_1", batch_input_shape=[None, 9, 8, 3], dtype="float32"),
        L("Conv2D", "conv1", "input_1", filters=4, kernel_size=[3, 3], strides=[2, 2], padding="same",
          dilation_rate=[1, 1], activation="linear", use_bias=False, data_format="channels_last"),
        L("BatchNormalization", "bn1", "conv1", axis=-1, epsilon=1e-3, center=True, scale=True),
        L("Activation", "relu1", "bn1", activation="relu6"),
        L("DepthwiseConv2D", "dw", "relu1", kernel_size=[3, 3], strides=[1, 1], padding="same",
          depth_multiplier=1, activation="linear", use_bias=False),
        L("BatchNormalization", "bn2", "dw", axis=-1, epsilon=1e-3),
        L("ReLU", "relu2", "bn2", max_value=6.0),
        L("GlobalAveragePooling2D", "gap", "relu2"),
        L("Reshape", "reshape_1", "gap", target_shape=[1, 1, 4]),
        L("Dropout", "dropout", "reshape_1", rate=0.001),
        L("Conv2D", "preds", "dropout", filters=5, kernel_size=[1, 1], strides=[1, 1], padding="same",
          activation="linear", use_bias=True),
        L("Activation", "act_softmax", "preds", activation="softmax"),
        L("Reshape", "reshape_2", "act_softmax", target_shape=[5]),
    ]
    model = Model.from_artifacts(artifacts(functional(layers, "reshape_2", converted), weights))
    x = w(2, 9, 8, 3)
    y = ref_conv(x.astype(float), weights["conv1/kernel"], (2, 2), "same")
    y = np.clip(bn(y, *[weights[f"bn1/{k}"] for k in ("gamma", "beta", "moving_mean", "moving_variance")]), 0, 6)
    y = ref_conv(y, weights["dw/depthwise_kernel"], (1, 1), "same", depthwise=True)
    y = np.clip(bn(y, *[weights[f"bn2/{k}"] for k in ("gamma", "beta", "moving_mean", "moving_variance")]), 0, 6)
    logits = y.mean(axis=(1, 2)) @ weights["model/preds/kernel"][0, 0] + weights["model/preds/bias"]
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    assert model.kind == "layers" and model.input_shape == (None, 9, 8, 3) and model.output_shape == (None, 5)
    np.testing.assert_allclose(model.predict(x), probs, atol=1e-5)
    named = model.predict_named(x, ["preds", "dw", "relu1"])
    np.testing.assert_allclose(named["preds"].reshape(2, 5), logits, atol=1e-4)
    assert named["dw"].shape == (2, 5, 4, 4)


@pytest.mark.parametrize("converted", [True, False])
def test_sequential_dense_pooling_padding_and_activations(converted):
    weights = {"d1/kernel": w(2 * 2 * 3, 6), "d1/bias": w(6), "d2/kernel": w(6, 4)}
    layers = [
        {"class_name": "ZeroPadding2D", "config": {"name": "zp", "padding": [[1, 0], [0, 1]],
                                                   "batch_input_shape": [None, 5, 4, 3]}},
        {"class_name": "MaxPooling2D", "config": {"name": "mp", "pool_size": [2, 2], "strides": [2, 2], "padding": "same"}},
        {"class_name": "AveragePooling2D", "config": {"name": "ap", "pool_size": [2, 2], "strides": [1, 1], "padding": "valid"}},
        {"class_name": "Flatten", "config": {"name": "fl"}},
        {"class_name": "Dense", "config": {"name": "d1", "units": 6, "activation": "tanh", "use_bias": True}},
        {"class_name": "Dense", "config": {"name": "d2", "units": 4, "activation": "hard_sigmoid" if converted else "hardSigmoid",
                                           "use_bias": False}},
    ]
    topo = {"class_name": "Sequential", "config": {"name": "seq", "layers": layers}}
    topo = {"model_config": topo, "keras_version": "2.2"} if converted else topo
    model = Model.from_artifacts(artifacts(topo, weights))
    x = w(3, 5, 4, 3)
    y = np.pad(x.astype(float), [(0, 0), (1, 0), (0, 1), (0, 0)])
    y = ref_pool(y, (2, 2), (2, 2), "same", "max")
    y = ref_pool(y, (2, 2), (1, 1), "valid", "avg").reshape(3, -1)
    y = np.tanh(y @ weights["d1/kernel"] + weights["d1/bias"])
    y = np.clip(0.2 * (y @ weights["d2/kernel"]) + 0.5, 0, 1)
    np.testing.assert_allclose(model.predict(x), y, atol=1e-5)


def test_separable_add_concatenate_and_standalone_batch_norm():
    weights = {"sep/depthwise_kernel": w(3, 3, 2, 2), "sep/pointwise_kernel": w(1, 1, 4, 3), "sep/bias": w(3),
               "bn/gamma": w(5), "bn/beta": w(5), "bn/moving_mean": w(5), "bn/moving_variance": np.abs(w(5)) + .5}
    layers = [
        L("InputLayer", "in", batch_input_shape=[None, 6, 6, 2]),
        L("SeparableConv2D", "sep", "in", filters=3, kernel_size=[3, 3], strides=[1, 1], padding="same",
          depth_multiplier=2, activation="relu", use_bias=True),
        L("Activation", "sig", "sep", activation="sigmoid"),
        L("Add", "add", ["sep", "sig"]),
        L("Concatenate", "cat", ["add", "in"], axis=-1),
        L("BatchNormalization", "bn", "cat", axis=3, epsilon=0.01),
        L("LeakyReLU", "leaky", "bn", alpha=0.5),
    ]
    model = Model.from_artifacts(artifacts(functional(layers, "leaky", inp="in"), weights))
    x = w(2, 6, 6, 2)
    d = ref_conv(x.astype(float), weights["sep/depthwise_kernel"], (1, 1), "same", depthwise=True)
    sep = np.maximum(d @ weights["sep/pointwise_kernel"][0, 0] + weights["sep/bias"], 0)
    y = np.concatenate([sep + 1 / (1 + np.exp(-sep)), x], axis=-1)
    y = bn(y, *[weights[f"bn/{k}"] for k in ("gamma", "beta", "moving_mean", "moving_variance")], eps=0.01)
    y = np.where(y >= 0, y, 0.5 * y)
    np.testing.assert_allclose(model.predict(x), y, atol=1e-4)


def _one_conv(extra_layer=None, weights=None, kernel_shape=(3, 3, 3, 2), data_format="channels_last"):
    layers = [L("InputLayer", "input_1", batch_input_shape=[None, 8, 8, 3]),
              L("Conv2D", "conv", "input_1", filters=2, kernel_size=[3, 3], strides=[1, 1], padding="valid",
                activation="linear", use_bias=False, data_format=data_format)]
    out = "conv"
    if extra_layer:
        layers.append(extra_layer)
        out = extra_layer["name"]
    weights = {"conv/kernel": w(*kernel_shape)} if weights is None else weights
    return artifacts(functional(layers, out), weights)


@pytest.mark.parametrize("make,words", [
    (lambda: _one_conv(L("LSTM", "lstm_1", "conv", units=3)), ["lstm_1", "LSTM"]),
    (lambda: _one_conv(weights={}), ["conv", "conv/kernel"]),
    (lambda: _one_conv(kernel_shape=(3, 3, 4, 2)), ["conv/kernel", "[3, 3, 4, 2]"]),
    (lambda: _one_conv(data_format="channels_first"), ["conv", "channels_first"]),
    (lambda: _one_conv(L("Activation", "act", "conv", activation="swishy")), ["act", "swishy"]),
    (lambda: _one_conv(L("Reshape", "rs", "conv", target_shape=[7, 7])), ["rs", "reshape"]),
    (lambda: _one_conv(L("Dense", "fc", "conv", units=4)), ["fc", "fc/kernel"]),
    (lambda: _one_conv(L("BatchNormalization", "bn", "conv")), ["bn", "bn/gamma"]),
])
def test_build_errors_name_the_layer_or_weight(make, words):
    with pytest.raises(ModelFormatError) as info:
        Model.from_artifacts(make())
    for word in words:
        assert word in str(info.value)


def test_wrong_input_is_a_clear_error_and_the_input_is_not_changed():
    model = Model.from_artifacts(_one_conv(L("Activation", "r", "conv", activation="relu")))
    x = w(1, 8, 8, 3)
    before = x.copy()
    model.predict(x)
    assert np.array_equal(x, before)
    with pytest.raises(ValueError, match=r"\[N, 8, 8, 3\]"):
        model.predict(w(1, 9, 8, 3))
    with pytest.raises(ValueError, match="rank 3"):
        model.predict(w(8, 8, 3))
    with pytest.raises(TypeError, match="float32"):
        model.predict(np.zeros((1, 8, 8, 3), np.uint8))
    with pytest.raises(ModelFormatError, match="nope"):
        model.predict_named(x, ["nope"])
