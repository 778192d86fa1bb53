"""Each Keras layer family against an independent computation (loops or plain numpy written differently).

Models are built as the converter writes them (and as TF.js saves them), then compiled and
run through the public Model; quantized weights go through the same decoding as real models.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from inference_helpers import ref_conv, ref_pool
from keras_models import FORMS, functional, input_layer, layer, model_artifacts, sequential
from tfcache_nb.errors import ModelFormatError
from tfcache_nb.inference.model import Model

RNG = np.random.default_rng(11)


def w(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


def run(layers, outputs, weights=None, x=None, form="converted", inp="input"):
    model = Model.from_artifacts(model_artifacts(functional(layers, outputs, form, inp), weights or {}))
    names = [outputs] if isinstance(outputs, str) else outputs
    got = model.predict_named(x, names)
    return got[outputs] if isinstance(outputs, str) else got


def one(cls, x, weights=None, form="converted", **config):
    """The output of a model made of one layer ``cls`` on input ``x``."""
    return run([input_layer("input", x.shape[1:]), layer(cls, "l", "input", **config)], "l", weights, x, form)


# ------------------------------------------------------------------ activations
SCALAR = {
    "relu": lambda v: max(v, 0.0), "relu6": lambda v: min(max(v, 0.0), 6.0), "linear": lambda v: v,
    "elu": lambda v: v if v >= 0 else math.expm1(v),
    "selu": lambda v: 1.0507009873554805 * v if v > 0 else 1.7580993408473766 * math.expm1(v),
    "sigmoid": lambda v: 1 / (1 + math.exp(-v)), "hard_sigmoid": lambda v: min(max(0.2 * v + 0.5, 0.0), 1.0),
    "softplus": lambda v: math.log1p(math.exp(v)), "softsign": lambda v: v / (1 + abs(v)), "tanh": math.tanh,
    "swish": lambda v: v / (1 + math.exp(-v)), "silu": lambda v: v / (1 + math.exp(-v)),
    "gelu": lambda v: v * (1 + math.erf(v / math.sqrt(2))) / 2,
    "mish": lambda v: v * math.tanh(math.log1p(math.exp(v))),
}


@pytest.mark.parametrize("name", sorted(SCALAR))
def test_every_elementwise_activation_as_a_layer_and_as_a_dense_activation(name):
    x = w(2, 3, 4) * 4
    expected = np.vectorize(SCALAR[name])(x.astype(float))
    np.testing.assert_allclose(one("Activation", x, activation=name), expected, rtol=1e-5, atol=1e-5)
    k = w(4, 5)
    dense = one("Dense", x, {"l/kernel": k}, units=5, activation=name, use_bias=False)
    np.testing.assert_allclose(dense, np.vectorize(SCALAR[name])(x.astype(float) @ k), rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_activations_normalise_the_last_axis(name):
    x = w(2, 3, 4) * 5
    e = np.exp(x.astype(float))
    p = e / e.sum(axis=-1, keepdims=True)
    np.testing.assert_allclose(one("Activation", x, activation=name), p if name == "softmax" else np.log(p), atol=1e-5)


def test_activation_layers_read_their_configs_as_tfjs():
    x = w(2, 5, 6, 3) * 3
    xf = x.astype(float)
    np.testing.assert_allclose(one("ReLU", x, max_value=2.5), np.clip(xf, 0, 2.5), atol=1e-6)
    # TF.js's ReLU layer applies only max_value; Keras's slope and threshold are not read
    np.testing.assert_allclose(one("ReLU", x, negative_slope=0.3, threshold=1.0), np.maximum(xf, 0), atol=1e-6)
    np.testing.assert_allclose(one("LeakyReLU", x, alpha=0.1), np.where(xf < 0, 0.1 * xf, xf), atol=1e-6)
    np.testing.assert_allclose(one("LeakyReLU", x), np.where(xf < 0, 0.3 * xf, xf), atol=1e-6)
    np.testing.assert_allclose(one("ThresholdedReLU", x, theta=0.5), np.where(xf > 0.5, xf, 0), atol=1e-6)
    np.testing.assert_allclose(one("ThresholdedReLU", x), np.where(xf > 1, xf, 0), atol=1e-6)
    np.testing.assert_allclose(one("ELU", x, alpha=1.0), np.where(xf >= 0, xf, np.expm1(xf)), atol=1e-6)


@pytest.mark.parametrize("shared,alpha_shape", [(None, (5, 6, 3)), ([1, 2], (1, 1, 3)), ([3], (5, 6, 1)), (1, (1, 6, 3))])
def test_prelu_with_shared_axes(shared, alpha_shape):
    x = w(2, 5, 6, 3)
    alpha = w(*alpha_shape)
    got = one("PReLU", x, {"l/alpha": alpha}, shared_axes=shared)
    expected = np.empty(x.shape)
    for idx in np.ndindex(x.shape):
        a = alpha[tuple(0 if alpha_shape[d - 1] == 1 else idx[d] for d in range(1, 4))]
        expected[idx] = x[idx] if x[idx] >= 0 else a * x[idx]
    np.testing.assert_allclose(got, expected, atol=1e-6)


@pytest.mark.parametrize("axis", [-1, 3, 1, 2, [1, 2], [1, 2, 3]])
def test_softmax_layer_over_any_axes(axis):
    x = w(2, 3, 4, 5) * 4
    axes = tuple(axis) if isinstance(axis, list) else (axis % 4,)
    e = np.exp(x.astype(float))
    np.testing.assert_allclose(one("Softmax", x, axis=axis), e / e.sum(axis=axes, keepdims=True), atol=1e-6)


# ------------------------------------------------------------------ merges
def test_elementwise_merges_broadcast_as_tfjs():
    a, b, c = w(2, 4, 5, 3), w(2, 3), w(2, 1, 5, 3)  # (N, 3) is padded to (N, 1, 1, 3), then all broadcast
    bb = b.astype(float)[:, None, None, :]
    ops = {"Add": lambda x, y, z: x + y + z, "Multiply": lambda x, y, z: x * y * z,
           "Average": lambda x, y, z: (x + y + z) / 3,
           "Maximum": lambda x, y, z: np.maximum(np.maximum(x, y), z),
           "Minimum": lambda x, y, z: np.minimum(np.minimum(x, y), z)}
    for cls, fn in ops.items():
        got = _merge_model_cfg(cls, [a, b, c])
        assert got.shape == (2, 4, 5, 3)
        np.testing.assert_allclose(got, fn(a.astype(float), bb, c.astype(float)), atol=1e-5, err_msg=cls)
    np.testing.assert_allclose(_merge_model_cfg("Subtract", [a, b]), a - bb, atol=1e-6)
    np.testing.assert_allclose(_merge_model_cfg("Subtract", [b, a]), bb - a, atol=1e-6)


def test_concatenate_on_any_axis_and_dot_products():
    a = w(2, 3, 4, 2)
    for axis, other in [(2, w(2, 3, 5, 2)), (-1, w(2, 3, 4, 3)), (1, w(2, 1, 4, 2))]:
        np.testing.assert_allclose(_concat(a, other, axis), np.concatenate([a, other], axis=axis), atol=1e-6)
    x, y = w(3, 6), w(3, 6)
    np.testing.assert_allclose(_dot(x, y, axes=1), (x * y).sum(axis=1, keepdims=True), atol=1e-5)
    nx = x / np.sqrt((x.astype(float) ** 2).sum(axis=1, keepdims=True))
    ny = y / np.sqrt((y.astype(float) ** 2).sum(axis=1, keepdims=True))
    np.testing.assert_allclose(_dot(x, y, axes=-1, normalize=True), (nx * ny).sum(axis=1, keepdims=True), atol=1e-5)
    p, q = w(2, 3, 4), w(2, 5, 4)
    expected = np.array([[[sum(p[n, i, k] * q[n, j, k] for k in range(4)) for j in range(5)] for i in range(3)]
                         for n in range(2)])
    np.testing.assert_allclose(_dot(p, q, axes=[2, 2]), expected, atol=1e-5)
    r = w(2, 3, 5)
    expected = np.array([[[sum(p[n, k, i] * r[n, k, j] for k in range(3)) for j in range(5)] for i in range(4)]
                         for n in range(2)])
    np.testing.assert_allclose(_dot(p, r, axes=1), expected, atol=1e-5)


def _concat(a, b, axis):
    return _merge_model_cfg("Concatenate", [a, b], axis=axis)


def _dot(a, b, **config):
    return _merge_model_cfg("Dot", [a, b], **config)


def _merge_model_cfg(cls, inputs, **config):
    out = _merge_layers(inputs)
    layers, weights, names, flat = out
    layers.append(layer(cls, "l", names, **config))
    return run(layers, "l", weights, flat)


def _merge_layers(inputs):
    n = inputs[0].shape[0]
    flat = np.concatenate([x.reshape(n, -1) for x in inputs], axis=1)
    layers, weights, names, start = [input_layer("input", (flat.shape[1],))], {}, [], 0
    for i, x in enumerate(inputs):
        size = int(np.prod(x.shape[1:]))
        sel = np.zeros((flat.shape[1], size), np.float32)
        sel[start:start + size] = np.eye(size, dtype=np.float32)
        weights[f"pick{i}/kernel"] = sel
        layers += [layer("Dense", f"pick{i}", "input", units=size, use_bias=False),
                   layer("Reshape", f"in{i}", f"pick{i}", target_shape=list(x.shape[1:]))]
        names.append(f"in{i}")
        start += size
    return layers, weights, names, flat


# ------------------------------------------------------------------ moving values
def test_permute_repeat_reshape_flatten_crop_pad():
    x = w(2, 3, 4, 5)
    np.testing.assert_array_equal(one("Permute", x, dims=[3, 1, 2]), np.transpose(x, (0, 3, 1, 2)))
    np.testing.assert_array_equal(one("Reshape", x, target_shape=[-1, 10]), x.reshape(2, 6, 10))
    np.testing.assert_array_equal(one("Reshape", x, target_shape=[None, 5]), x.reshape(2, 12, 5))
    np.testing.assert_array_equal(one("Flatten", x), x.reshape(2, -1))
    # channels_first: TF.js moves axis 1 (the channels of NCHW data) last before flattening
    cf = np.array([[x[n, c, i, j] for i in range(4) for j in range(5) for c in range(3)] for n in range(2)])
    np.testing.assert_array_equal(one("Flatten", x, data_format="channels_first"), cf)
    v = w(2, 4)
    rep = one("RepeatVector", v, n=3)
    assert rep.shape == (2, 3, 4) and all(np.array_equal(rep[:, i], v) for i in range(3))
    np.testing.assert_array_equal(one("Cropping2D", x, cropping=[[1, 0], [1, 2]]), x[:, 1:, 1:2])
    np.testing.assert_array_equal(one("Cropping2D", x, cropping=1), x[:, 1:2, 1:3])
    np.testing.assert_array_equal(one("Cropping2D", x, cropping=[0, 1]), x[:, :, 1:3])
    padded = one("ZeroPadding2D", x, padding=[2, 1])
    assert padded.shape == (2, 7, 6, 5) and np.array_equal(padded[:, 2:5, 1:5], x) and padded.sum() == x.sum()
    assert one("ZeroPadding2D", x).shape == (2, 5, 6, 5)
    for cls in ("Dropout", "SpatialDropout2D", "GaussianNoise", "GaussianDropout", "AlphaDropout"):
        np.testing.assert_array_equal(one(cls, x, rate=0.5, stddev=1.0), x)


def _ref_upsample(x, fh, fw, mode):
    """Upsampling by loops: nearest reads floor(r / f); bilinear blends at r * h / (h * f) (no corner alignment)."""
    n, h, wd, c = x.shape
    out = np.zeros((n, h * fh, wd * fw, c))
    for r in range(h * fh):
        for q in range(wd * fw):
            if mode == "nearest":
                out[:, r, q] = x[:, r // fh, q // fw]
                continue
            sr, sq = r / fh, q / fw
            r0, q0 = int(sr), int(sq)
            r1, q1 = min(r0 + 1, h - 1), min(q0 + 1, wd - 1)
            dr, dq = sr - r0, sq - q0
            out[:, r, q] = ((1 - dr) * ((1 - dq) * x[:, r0, q0] + dq * x[:, r0, q1])
                            + dr * ((1 - dq) * x[:, r1, q0] + dq * x[:, r1, q1]))
    return out


@pytest.mark.parametrize("size", [[2, 2], [3, 1], 2, [1, 4]])
@pytest.mark.parametrize("mode", ["nearest", "bilinear"])
def test_upsampling(size, mode):
    x = w(2, 3, 4, 2)
    fh, fw = (size, size) if isinstance(size, int) else size
    np.testing.assert_allclose(one("UpSampling2D", x, size=size, interpolation=mode),
                               _ref_upsample(x.astype(float), fh, fw, mode), atol=1e-5)


def test_pooling_layers():
    x = w(2, 5, 7, 3)
    np.testing.assert_allclose(one("GlobalMaxPooling2D", x), x.reshape(2, -1, 3).max(axis=1), atol=0)
    np.testing.assert_allclose(one("GlobalAveragePooling2D", x, keepdims=True), x.mean(axis=(1, 2)), atol=1e-6)
    np.testing.assert_allclose(one("MaxPooling2D", x, pool_size=[3, 2], strides=[2, 3], padding="same"),
                               ref_pool(x, (3, 2), (2, 3), "same", "max"), atol=0)
    np.testing.assert_allclose(one("AveragePooling2D", x, pool_size=3, strides=None, padding="valid"),
                               ref_pool(x, (3, 3), (3, 3), "valid", "avg"), atol=1e-6)


# ------------------------------------------------------------------ batch norm
def _bn_weights(name, c):
    return {f"{name}/gamma": w(c), f"{name}/beta": w(c), f"{name}/moving_mean": w(c),
            f"{name}/moving_variance": np.abs(w(c)) + 0.5}


@pytest.mark.parametrize("shape,axis", [((3, 4, 5), -1), ((3, 4, 5), 3), ((3, 4, 5), [3]), ((6,), 1), ((4, 5), 2)])
def test_batch_norm_on_the_last_axis(shape, axis):
    x = w(2, *shape)
    c = shape[-1]
    wts = _bn_weights("l", c)
    g, b, m, v = (wts[f"l/{k}"].astype(float) for k in ("gamma", "beta", "moving_mean", "moving_variance"))
    got = one("BatchNormalization", x, wts, axis=axis, epsilon=0.01)
    np.testing.assert_allclose(got, (x - m) / np.sqrt(v + 0.01) * g + b, atol=1e-5)
    no_scale = {k: v for k, v in wts.items() if "gamma" not in k and "beta" not in k}
    got = one("BatchNormalization", x, no_scale, axis=axis, center=False, scale=False)
    np.testing.assert_allclose(got, (x - m) / np.sqrt(v + 1e-3), atol=1e-5)


def test_batch_norm_on_another_axis_takes_parameters_in_turn_as_tfjs_cpu():
    """TF.js's CPU batchNorm reads parameter i mod n for flat element i (see normalization.py)."""
    x = w(2, 4, 3, 5)
    wts = _bn_weights("l", 4)
    got = one("BatchNormalization", x, wts, axis=1)
    g, b, m, v = (wts[f"l/{k}"].astype(float) for k in ("gamma", "beta", "moving_mean", "moving_variance"))
    flat = x.astype(float).ravel()
    expected = np.array([(flat[i] - m[i % 4]) / math.sqrt(v[i % 4] + 1e-3) * g[i % 4] + b[i % 4]
                         for i in range(flat.size)]).reshape(x.shape)
    np.testing.assert_allclose(got, expected, atol=1e-5)


# ------------------------------------------------------------------ convolutions
def _ref_conv_transpose(x, k, strides, padding):
    """Conv2DTranspose by its definition: input pixel i spreads k[t] * x[i] to output i * s + t - pad."""
    n, h, wd, cin = x.shape
    kh, kw, cout, _ = k.shape
    (sh, sw) = strides
    if padding == "same":
        oh, ow = h * sh, wd * sw
        pt, pl = max(kh - sh, 0) // 2, max(kw - sw, 0) // 2
    else:
        oh, ow = h * sh + max(kh - sh, 0), wd * sw + max(kw - sw, 0)
        pt = pl = 0
    out = np.zeros((n, oh, ow, cout))
    for i in range(h):
        for j in range(wd):
            for a in range(kh):
                for b in range(kw):
                    r, q = i * sh + a - pt, j * sw + b - pl
                    if 0 <= r < oh and 0 <= q < ow:
                        out[:, r, q] += x[:, i, j] @ k[a, b].T
    return out


@pytest.mark.parametrize("kernel,strides,padding", [
    ((3, 3), (2, 2), "same"), ((3, 3), (2, 2), "valid"), ((4, 4), (2, 2), "same"), ((2, 3), (3, 2), "valid"),
    ((3, 3), (1, 1), "same"), ((1, 1), (2, 2), "valid"), ((5, 2), (2, 1), "same"),
])
def test_conv2d_transpose(kernel, strides, padding):
    x = w(2, 3, 4, 3)
    k, bias = w(*kernel, 4, 3), w(4)
    got = one("Conv2DTranspose", x, {"l/kernel": k, "l/bias": bias}, filters=4, kernel_size=list(kernel),
              strides=list(strides), padding=padding, activation="tanh", use_bias=True)
    np.testing.assert_allclose(got, np.tanh(_ref_conv_transpose(x.astype(float), k, strides, padding) + bias),
                               atol=1e-5)


def test_depthwise_and_separable_with_depth_multiplier_and_dense_on_higher_ranks():
    x = w(2, 7, 6, 3)
    dk, db = w(3, 3, 3, 3), w(9)
    got = one("DepthwiseConv2D", x, {"l/depthwise_kernel": dk, "l/bias": db}, kernel_size=[3, 3], strides=[2, 2],
              padding="same", depth_multiplier=3, activation="relu6")
    np.testing.assert_allclose(got, np.clip(ref_conv(x, dk, (2, 2), "same", depthwise=True) + db, 0, 6), atol=1e-5)
    sk, pk = w(3, 3, 3, 2), w(1, 1, 6, 4)
    got = one("SeparableConv2D", x, {"l/depthwise_kernel": sk, "l/pointwise_kernel": pk}, filters=4,
              kernel_size=[3, 3], padding="valid", dilation_rate=[2, 2], depth_multiplier=2, use_bias=False)
    np.testing.assert_allclose(got, ref_conv(x, sk, (1, 1), "valid", (2, 2), depthwise=True) @ pk[0, 0], atol=1e-4)
    k = w(3, 5)
    wts = {"l/kernel": k, "l/bias": w(5), **_bn_weights("bn", 5)}
    layers = [input_layer("input", (7, 6, 3)), layer("Dense", "l", "input", units=5),
              layer("BatchNormalization", "bn", "l"), layer("Activation", "act", "bn", activation="elu")]
    got = run(layers, "act", wts, x)  # the batch norm folds into the 4-D Dense, the elu runs on its output
    g, b, m, v = (wts[f"bn/{n}"] for n in ("gamma", "beta", "moving_mean", "moving_variance"))
    y = (x.astype(float) @ k + wts["l/bias"] - m) / np.sqrt(v + 1e-3) * g + b
    np.testing.assert_allclose(got, np.where(y >= 0, y, np.expm1(y)), atol=1e-4)


# ------------------------------------------------------------------ forms, weights, errors
def _small_model_layers():
    return [input_layer("input", (4, 4, 2)),
            layer("Conv2DTranspose", "ct", "input", filters=3, kernel_size=[3, 3], strides=[2, 2], padding="same"),
            layer("PReLU", "pr", "ct", shared_axes=[1, 2]),
            layer("UpSampling2D", "up", "pr", size=[1, 2], interpolation="bilinear"),
            layer("BatchNormalization", "bn", "up", axis=-1)]


def _small_model_reference(x, wts):
    y = _ref_conv_transpose(x.astype(float), wts["ct/kernel"].astype(float), (2, 2), "same") + wts["ct/bias"]
    y = np.where(y < 0, wts["pr/alpha"].astype(float) * y, y)
    y = _ref_upsample(y, 1, 2, "bilinear")
    g, b, m, v = (wts[f"bn/{k}"].astype(float) for k in ("gamma", "beta", "moving_mean", "moving_variance"))
    return (y - m) / np.sqrt(v + 1e-3) * g + b


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("quant", ["float32", "uint8", "uint16", "float16"])
def test_both_topology_forms_and_quantized_weights(form, quant):
    wts = {"ct/kernel": w(3, 3, 3, 2), "ct/bias": w(3), "pr/alpha": w(1, 1, 3), **_bn_weights("bn", 3)}
    artifacts = model_artifacts(functional(_small_model_layers(), "bn", form), wts)
    if quant != "float32":
        artifacts = artifacts.quantize(quant)
    decoded = artifacts.decode_weights()  # the dequantized values the reference must use
    assert quant == "float32" or any(not np.array_equal(decoded[k], wts[k]) for k in wts)
    x = w(2, 4, 4, 2)
    got = Model.from_artifacts(artifacts).predict(x)
    np.testing.assert_allclose(got, _small_model_reference(x, decoded), atol=1e-4)


@pytest.mark.parametrize("form", FORMS)
def test_sequential_models_of_the_new_layers(form):
    layers = [layer("Permute", "perm", dims=[2, 1, 3], batch_input_shape=[None, 3, 4, 2]),
              layer("LeakyReLU", "lr", alpha=0.2), layer("Cropping2D", "crop", cropping=[[1, 1], [0, 1]]),
              layer("Flatten", "fl"), layer("RepeatVector", "rep", n=2), layer("Softmax", "sm", axis=-1)]
    model = Model.from_artifacts(model_artifacts(sequential(layers, form), {}))
    x = w(2, 3, 4, 2)
    y = np.transpose(x.astype(float), (0, 2, 1, 3))
    y = np.where(y < 0, 0.2 * y, y)[:, 1:3, 0:2].reshape(2, -1)
    e = np.exp(np.repeat(y[:, None], 2, axis=1))
    np.testing.assert_allclose(model.predict(x), e / e.sum(axis=-1, keepdims=True), atol=1e-6)


def _err(layers, out, weights=None):
    with pytest.raises(ModelFormatError) as info:
        Model.from_artifacts(model_artifacts(functional(layers, out), weights or {}))
    return str(info.value)


@pytest.mark.parametrize("extra,weights,words", [
    (layer("LSTM", "l", "input", units=3), {}, ["'l'", "LSTM"]),
    (layer("Bidirectional", "l", "input"), {}, ["'l'", "Bidirectional"]),
    (layer("ELU", "l", "input", alpha=0.3), {}, ["'l'", "ELU", "alpha"]),
    (layer("Activation", "l", "input", activation="gelu_new"), {}, ["'l'", "gelu_new"]),
    (layer("Activation", "l", "input", activation="exponential"), {}, ["'l'", "exponential"]),
    (layer("UpSampling2D", "l", "input", interpolation="area"), {}, ["'l'", "area"]),
    (layer("Permute", "l", "input", dims=[1, 1, 2]), {}, ["'l'", "dims"]),
    (layer("Cropping2D", "l", "input", cropping=[[2, 2], [0, 0]]), {}, ["'l'", "crops"]),
    (layer("Softmax", "l", "input", axis=4), {}, ["'l'", "axis"]),
    (layer("BatchNormalization", "l", "input", axis=0), _bn_weights("l", 4), ["'l'", "axis"]),
    (layer("PReLU", "l", "input", shared_axes=[1]), {"l/alpha": w(4, 4, 3)}, ["'l'", "l/alpha", "[1, 4, 3]"]),
    (layer("Conv2DTranspose", "l", "input", filters=2, kernel_size=[3, 3]), {"l/kernel": w(3, 3, 3, 2)},
     ["'l'", "l/kernel", "[3, 3, 2, 3]"]),
    (layer("Conv2DTranspose", "l", "input", filters=2, kernel_size=[3, 3], padding="causal"), {}, ["'l'", "causal"]),
    (layer("RepeatVector", "l", "input", n=2), {}, ["'l'", "RepeatVector", "2-D"]),
    (layer("Dot", "l", ["input", "input"], axes=1), {}, ["'l'", "Dot"]),
    (layer("Concatenate", "l", ["input"], axis=-1), {}, ["'l'", "two inputs"]),
    (layer("Reshape", "l", "input", target_shape=[5, -1]), {}, ["'l'", "reshape"]),
])
def test_what_cannot_run_fails_at_build_time_naming_the_layer(extra, weights, words):
    message = _err([input_layer("input", (4, 4, 3)), extra], "l", weights)
    for word in words:
        assert word in message, message


def test_merges_that_cannot_broadcast_or_concatenate_name_the_layer():
    layers = [input_layer("input", (4, 4, 3)), layer("Cropping2D", "c", "input", cropping=[[1, 0], [0, 0]]),
              layer("Add", "l", ["input", "c"])]
    assert "'l'" in _err(layers, "l") and "[None, 3, 4, 3]" in _err(layers, "l")
    layers[-1] = layer("Concatenate", "l", ["input", "c"], axis=-1)
    assert "cannot join" in _err(layers, "l")
    layers[-1] = layer("Subtract", "l", ["input", "input", "input"])
    assert "exactly 2" in _err(layers, "l")


# ------------------------------------------------------------------ sequences (1-D) and per-sample normalization
@pytest.mark.parametrize("k,stride,dilation,padding", [(3, 1, 1, "same"), (3, 2, 1, "valid"), (2, 1, 3, "same"),
                                                       (4, 3, 1, "same"), (1, 1, 1, "valid")])
def test_conv1d(k, stride, dilation, padding):
    x = w(2, 9, 3)
    kernel, bias = w(k, 3, 4), w(4)
    got = one("Conv1D", x, {"l/kernel": kernel, "l/bias": bias}, filters=4, kernel_size=[k], strides=stride,
              dilation_rate=[dilation], padding=padding, activation="sigmoid")
    span = (k - 1) * dilation + 1
    steps = -(-9 // stride) if padding == "same" else (9 - span) // stride + 1
    before = max((steps - 1) * stride + span - 9, 0) // 2 if padding == "same" else 0
    expected = np.zeros((2, steps, 4))
    for t in range(steps):
        for j in range(k):
            src = t * stride + j * dilation - before
            if 0 <= src < 9:
                expected[:, t] += x[:, src].astype(float) @ kernel[j]
    np.testing.assert_allclose(got, 1 / (1 + np.exp(-(expected + bias))), atol=1e-5)


def test_pooling_over_steps():
    x = w(2, 7, 3)
    got = one("MaxPooling1D", x, pool_size=[3], strides=[2], padding="same")
    np.testing.assert_array_equal(got, ref_pool(x[:, :, None], (3, 1), (2, 1), "same", "max")[:, :, 0])
    got = one("AveragePooling1D", x, pool_size=2, padding="valid")
    np.testing.assert_allclose(got, (x[:, 0:6:2] + x[:, 1:7:2]) / 2, atol=1e-6)
    np.testing.assert_allclose(one("GlobalAveragePooling1D", x), x.mean(axis=1), atol=1e-6)
    np.testing.assert_array_equal(one("GlobalMaxPooling1D", x), x.max(axis=1))


@pytest.mark.parametrize("shape,axis", [((5, 6), -1), ((5, 6), [1, 2]), ((3, 4, 5), [1, 3]), ((4,), 1)])
def test_layer_normalization(shape, axis):
    x = w(2, *shape) * 3 + 1
    axes = tuple(axis) if isinstance(axis, list) else (axis % (len(shape) + 1),)
    param_shape = [shape[a - 1] for a in axes]
    gamma, beta = w(*param_shape), w(*param_shape)
    got = one("LayerNormalization", x, {"l/gamma": gamma, "l/beta": beta}, axis=axis, epsilon=1e-3)
    along = [shape[a - 1] if a in axes else 1 for a in range(1, len(shape) + 1)]
    expected = np.empty(x.shape)
    for n in range(2):  # one sample at a time, its statistics over the axes
        sample = x[n].astype(float)
        inner = tuple(a - 1 for a in axes)
        mean = sample.mean(axis=inner, keepdims=True)
        var = ((sample - mean) ** 2).mean(axis=inner, keepdims=True)
        expected[n] = (sample - mean) / np.sqrt(var + 1e-3) * gamma.reshape(along) + beta.reshape(along)
    np.testing.assert_allclose(got, expected, atol=1e-5)


def test_rescaling_scalar_and_per_channel():
    x = w(2, 3, 4, 3) * 100
    np.testing.assert_allclose(one("Rescaling", x, scale=1 / 127.5, offset=-1), x / 127.5 - 1, atol=1e-6)
    np.testing.assert_allclose(one("Rescaling", x, scale=[1, 2, 3]), x * np.array([1, 2, 3]), atol=1e-4)
    message = _err([input_layer("input", (4, 4, 3)), layer("Rescaling", "l", "input", scale=[1, 2])], "l")
    assert "'l'" in message and "scale" in message


@pytest.mark.parametrize("form", FORMS)
def test_a_functional_model_nested_in_another_is_inlined(form):
    inner = layer("Functional", "backbone", "input",
                  layers=[input_layer("inner_in", (5, 5, 2)),
                          layer("Conv2D", "ic", "inner_in", filters=3, kernel_size=[3, 3], padding="same"),
                          layer("BatchNormalization", "ibn", "ic"),
                          layer("Activation", "iact", "ibn", activation="tanh")],
                  input_layers=[["inner_in", 0, 0]], output_layers=[["iact", 0, 0]])
    layers = [input_layer("input", (5, 5, 2)), inner, layer("Add", "sum", ["backbone", "input2x"]),
              layer("Conv2D", "input2x", "input", filters=3, kernel_size=[1, 1], use_bias=False)]
    wts = {"backbone/ic/kernel": w(3, 3, 2, 3), "backbone/ic/bias": w(3), **_bn_weights("ibn", 3),
           "input2x/kernel": w(1, 1, 2, 3)}
    model = Model.from_artifacts(model_artifacts(functional(layers, "sum", form), wts))
    x = w(2, 5, 5, 2)
    g, b, m, v = (wts[f"ibn/{k}"].astype(float) for k in ("gamma", "beta", "moving_mean", "moving_variance"))
    y = ref_conv(x.astype(float), wts["backbone/ic/kernel"], (1, 1), "same") + wts["backbone/ic/bias"]
    y = np.tanh((y - m) / np.sqrt(v + 1e-3) * g + b) + x.astype(float) @ wts["input2x/kernel"][0, 0]
    np.testing.assert_allclose(model.predict(x), y, atol=1e-5)
    assert model.output_shape == (None, 5, 5, 3)


def test_nested_model_errors_name_the_nested_layer():
    inner = layer("Sequential", "inner", "input", layers=[
        {"class_name": "Dense", "config": {"name": "input", "units": 2, "batch_input_shape": [None, 3]}}])
    message = _err([input_layer("input", (3,)), inner], "inner", {"input/kernel": w(3, 2)})
    assert "'inner'" in message and "'input'" in message
