"""A synthetic MobileNet v1: the real Keras topology with seeded random weights.

Tests, demos and benchmarks need a model of the real size and structure without the real
files. The topology is that of the tfjs-models ``mobilenet_v1_<alpha>_224`` layers models
(Keras 2.1.4 ``model_config``: same layers, names, configs and weight names, same manifest
order); the weights are random, so its predictions mean nothing, and its metadata says so.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import InvalidArgumentError
from .artifacts import ModelArtifacts
from .files import write_model_files
from .weights import encode_weights

ALPHAS = (0.25, 0.5, 0.75, 1.0)
SYNTHETIC_NOTE = "synthetic: random weights, predictions mean nothing"
#: (pointwise filters before alpha, depthwise stride) of the 13 depthwise-separable blocks.
BLOCKS = ((64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2),
          (512, 1), (512, 1), (512, 1), (512, 1), (512, 1), (1024, 2), (1024, 1))
_BN_WEIGHTS = ("gamma", "beta", "moving_mean", "moving_variance")


def synthetic_mobilenet(alpha: float = 0.25, input_size: int = 224, num_classes: int = 1000,
                        seed: int = 0) -> ModelArtifacts:
    """MobileNet v1 artifacts (float32) with the real topology and random weights from ``seed``.

    ``alpha`` is one of 0.25, 0.5, 0.75, 1.0. Kernels are He-scaled and batch norms have
    positive variances, so activations stay in a sane range through all 13 blocks.
    """
    if alpha not in ALPHAS:
        raise InvalidArgumentError(f"alpha must be one of {', '.join(map(str, ALPHAS))}, not {alpha!r}.")
    if isinstance(input_size, bool) or not isinstance(input_size, int) or input_size < 32:
        raise InvalidArgumentError(f"input_size must be an integer of at least 32, not {input_size!r}.")
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 1:
        raise InvalidArgumentError(f"num_classes must be a positive integer, not {num_classes!r}.")
    layers, shapes = _layers(alpha, input_size, num_classes)
    topology = {
        "keras_version": "2.1.4",
        "model_config": {
            "class_name": "Model",
            "config": {
                "layers": layers,
                "input_layers": [["input_1", 0, 0]],
                "name": f"mobilenet_{alpha:0.2f}_{input_size}",
                "output_layers": [["reshape_2", 0, 0]],
            },
        },
        "backend": "tensorflow",
    }
    specs, data = encode_weights(_random_weights(shapes, seed))
    # The real manifest writes each spec as {dtype, shape, name}.
    specs = [{"dtype": s["dtype"], "shape": s["shape"], "name": s["name"]} for s in specs]
    return ModelArtifacts(
        model_topology=topology,
        weight_specs=specs,
        weight_data=data,
        generated_by=SYNTHETIC_NOTE,
        user_defined_metadata={"synthetic": True, "note": SYNTHETIC_NOTE, "alpha": alpha,
                               "input_size": input_size, "num_classes": num_classes, "seed": seed},
    )


def write_synthetic_mobilenet(folder: str | os.PathLike[str], alpha: float = 0.25, seed: int = 0,
                              **kw: Any) -> Path:
    """Write a synthetic MobileNet to ``folder`` in the converter's layout; return the folder.

    ``kw`` goes to :func:`synthetic_mobilenet` (``input_size``, ``num_classes``) and
    :func:`~tfcache_nb.format.files.write_model_files` (``max_shard_bytes``).
    """
    write_kw = {k: kw.pop(k) for k in ("max_shard_bytes",) if k in kw}
    artifacts = synthetic_mobilenet(alpha=alpha, seed=seed, **kw)
    return write_model_files(folder, artifacts, **write_kw)[0].parent


# ---------------------------------------------------------------------- topology
def _initializer(name: str, **config: Any) -> dict[str, Any]:
    return {"class_name": name, "config": config}


def _glorot() -> dict[str, Any]:
    return _initializer("VarianceScaling", distribution="uniform", scale=1, seed=None, mode="fan_avg")


def _layer(class_name: str, name: str, inbound: str | None, config: dict[str, Any]) -> dict[str, Any]:
    return {"class_name": class_name,
            "inbound_nodes": [] if inbound is None else [[[inbound, 0, 0, {}]]],
            "config": config, "name": name}


def _conv(name: str, inbound: str, filters: int, kernel: int, strides: int, use_bias: bool) -> dict[str, Any]:
    return _layer("Conv2D", name, inbound, {
        "kernel_initializer": _glorot(), "name": name, "kernel_constraint": None,
        "bias_regularizer": None, "bias_constraint": None, "activation": "linear",
        "trainable": True, "data_format": "channels_last", "padding": "same",
        "strides": [strides, strides], "dilation_rate": [1, 1], "kernel_regularizer": None,
        "filters": filters, "bias_initializer": _initializer("Zeros"), "use_bias": use_bias,
        "activity_regularizer": None, "kernel_size": [kernel, kernel]})


def _depthwise(name: str, inbound: str, strides: int) -> dict[str, Any]:
    return _layer("DepthwiseConv2D", name, inbound, {
        "padding": "same", "depth_multiplier": 1, "name": name, "bias_regularizer": None,
        "bias_constraint": None, "activation": "linear", "trainable": True,
        "data_format": "channels_last", "depthwise_constraint": None, "strides": [strides, strides],
        "dilation_rate": [1, 1], "depthwise_initializer": _glorot(),
        "bias_initializer": _initializer("Zeros"), "depthwise_regularizer": None, "use_bias": False,
        "activity_regularizer": None, "kernel_size": [3, 3]})


def _batch_norm(name: str, inbound: str) -> dict[str, Any]:
    return _layer("BatchNormalization", name, inbound, {
        "gamma_initializer": _initializer("Ones"), "moving_mean_initializer": _initializer("Zeros"),
        "name": name, "epsilon": 0.001, "trainable": True, "center": True,
        "moving_variance_initializer": _initializer("Ones"), "beta_initializer": _initializer("Zeros"),
        "scale": True, "gamma_regularizer": None, "gamma_constraint": None, "beta_constraint": None,
        "beta_regularizer": None, "momentum": 0.99, "axis": -1})


def _activation(name: str, inbound: str, activation: str) -> dict[str, Any]:
    return _layer("Activation", name, inbound, {"activation": activation, "trainable": True, "name": name})


def _layers(alpha: float, input_size: int, num_classes: int
            ) -> tuple[list[dict[str, Any]], dict[str, tuple[int, ...]]]:
    """The Keras layer list, and each weight's shape by name."""
    shapes: dict[str, tuple[int, ...]] = {}
    layers = [_layer("InputLayer", "input_1", None, {
        "dtype": "float32", "batch_input_shape": [None, input_size, input_size, 3],
        "name": "input_1", "sparse": False})]

    def conv_bn_relu(conv: dict[str, Any], base: str, channels: int) -> None:
        layers.append(conv)
        layers.append(_batch_norm(f"{base}_bn", base))
        layers.append(_activation(f"{base}_relu", f"{base}_bn", "relu6"))
        for weight in _BN_WEIGHTS:
            shapes[f"{base}_bn/{weight}"] = (channels,)

    channels = int(32 * alpha)
    conv_bn_relu(_conv("conv1", "input_1", channels, 3, 2, False), "conv1", channels)
    shapes["conv1/kernel"] = (3, 3, 3, channels)
    previous = "conv1_relu"
    for block, (filters, stride) in enumerate(BLOCKS, start=1):
        dw, pw = f"conv_dw_{block}", f"conv_pw_{block}"
        conv_bn_relu(_depthwise(dw, previous, stride), dw, channels)
        shapes[f"{dw}/depthwise_kernel"] = (3, 3, channels, 1)
        out_channels = int(filters * alpha)
        conv_bn_relu(_conv(pw, f"{dw}_relu", out_channels, 1, 1, False), pw, out_channels)
        shapes[f"{pw}/kernel"] = (1, 1, channels, out_channels)
        channels, previous = out_channels, f"{pw}_relu"

    layers.append(_layer("GlobalAveragePooling2D", "global_average_pooling2d_1", previous, {
        "trainable": True, "name": "global_average_pooling2d_1", "data_format": "channels_last"}))
    layers.append(_layer("Reshape", "reshape_1", "global_average_pooling2d_1", {
        "target_shape": [1, 1, channels], "trainable": True, "name": "reshape_1"}))
    layers.append(_layer("Dropout", "dropout", "reshape_1", {
        "rate": 0.001, "noise_shape": None, "trainable": True, "seed": None, "name": "dropout"}))
    layers.append(_conv("conv_preds", "dropout", num_classes, 1, 1, True))
    shapes["conv_preds/kernel"] = (1, 1, channels, num_classes)
    shapes["conv_preds/bias"] = (num_classes,)
    layers.append(_activation("act_softmax", "conv_preds", "softmax"))
    layers.append(_layer("Reshape", "reshape_2", "act_softmax", {
        "target_shape": [num_classes], "trainable": True, "name": "reshape_2"}))
    return layers, shapes


def _manifest_order(names: list[str]) -> list[str]:
    """The real model's order: layers sorted by name, each layer's weights in Keras order."""
    by_layer: dict[str, list[str]] = {}
    for name in names:
        by_layer.setdefault(name.split("/")[0], []).append(name)
    return [name for layer in sorted(by_layer) for name in by_layer[layer]]


# ---------------------------------------------------------------------- weights
def _random_weights(shapes: dict[str, tuple[int, ...]], seed: int) -> list[tuple[str, np.ndarray]]:
    rng = np.random.default_rng(seed)
    out: list[tuple[str, np.ndarray]] = []
    for name in _manifest_order(list(shapes)):
        shape = shapes[name]
        kind = name.split("/")[1]
        if kind in ("kernel", "depthwise_kernel"):
            # He scaling: fan-in is kh * kw * input channels (depthwise: per channel).
            fan_in = shape[0] * shape[1] * (1 if kind == "depthwise_kernel" else shape[2])
            gain = 1.0 if name.startswith("conv_preds") else 2.0
            values = rng.normal(0.0, np.sqrt(gain / fan_in), shape)
        elif kind == "gamma":
            values = rng.uniform(0.5, 1.5, shape)
        elif kind in ("beta", "moving_mean", "bias"):
            values = rng.normal(0.0, 0.1, shape)
        elif kind == "moving_variance":
            values = rng.uniform(0.5, 2.0, shape)
        else:  # pragma: no cover - every weight of the topology is listed above
            raise AssertionError(name)
        out.append((name, values.astype(np.float32)))
    return out


__all__ = ["ALPHAS", "SYNTHETIC_NOTE", "synthetic_mobilenet", "write_synthetic_mobilenet"]
