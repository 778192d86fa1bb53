"""Small builders for hand-made models in the inference tests."""

from __future__ import annotations

import base64
from typing import Any

import numpy as np

from tfcache_nb.format.artifacts import ModelArtifacts
from tfcache_nb.format.weights import encode_weights
from tfcache_nb.inference import ops


def artifacts(topology: dict[str, Any], weights: dict[str, np.ndarray], fmt: str | None = None) -> ModelArtifacts:
    """Artifacts whose weights are float32 (or int32) in the order given."""
    specs, data = encode_weights(weights)
    return ModelArtifacts(model_topology=topology, weight_specs=specs, weight_data=data, format=fmt)


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def node(name: str, op: str, inputs: list[str] = (), **attr: Any) -> dict[str, Any]:
    return {"name": name, "op": op, "input": list(inputs), "attr": attr}


def placeholder(name: str, shape: list[int]) -> dict[str, Any]:
    return node(name, "Placeholder", dtype={"type": "DT_FLOAT"},
                shape={"shape": {"dim": [{"size": str(d)} for d in shape]}})


def s(text: str) -> dict[str, str]:
    return {"s": b64(text)}


def ints(*values: int) -> dict[str, Any]:
    return {"list": {"i": [str(v) for v in values]}}


def graph(nodes: list[dict[str, Any]], consts: dict[str, np.ndarray]) -> ModelArtifacts:
    all_nodes = [node(n, "Const", dtype={"type": "DT_FLOAT"}) for n in consts] + nodes
    return artifacts({"node": all_nodes, "versions": {}}, consts, fmt="graph-model")


def conv2d(x, kernel, bias=None, strides=(1, 1), padding="valid", dilations=(1, 1), activation="linear"):
    """One-off run of the Conv2D kernel (NHWC input, (kh, kw, cin, cout) kernel)."""
    return ops.Conv2D(kernel, bias, strides, padding, dilations, activation)(np.asarray(x, np.float32))


def depthwise_conv2d(x, kernel, bias=None, strides=(1, 1), padding="valid", dilations=(1, 1), activation="linear"):
    """One-off run of the DepthwiseConv2D kernel ((kh, kw, c, multiplier) kernel)."""
    return ops.DepthwiseConv2D(kernel, bias, strides, padding, dilations, activation)(np.asarray(x, np.float32))


def ref_conv(x, k, strides, padding, dilation=(1, 1), depthwise=False):
    """Direct-loop convolution (float64) with TensorFlow's padding rule."""
    n, h, w, c = x.shape
    kh, kw = k.shape[:2]
    sh, sw = strides
    dh, dw = dilation
    if padding == "same":
        oh, ow = -(-h // sh), -(-w // sw)
        pt = max((oh - 1) * sh + (kh - 1) * dh + 1 - h, 0) // 2
        pl = max((ow - 1) * sw + (kw - 1) * dw + 1 - w, 0) // 2
    else:
        oh, ow = (h - (kh - 1) * dh - 1) // sh + 1, (w - (kw - 1) * dw - 1) // sw + 1
        pt = pl = 0
    mult = k.shape[3]
    cout = c * mult if depthwise else k.shape[3]
    out = np.zeros((n, oh, ow, cout))
    for b in range(n):
        for y in range(oh):
            for xx in range(ow):
                for i in range(kh):
                    for j in range(kw):
                        iy, ix = y * sh + i * dh - pt, xx * sw + j * dw - pl
                        if not (0 <= iy < h and 0 <= ix < w):
                            continue
                        if depthwise:
                            for ch in range(c):
                                for m in range(mult):
                                    out[b, y, xx, ch * mult + m] += x[b, iy, ix, ch] * k[i, j, ch, m]
                        else:
                            for co in range(cout):
                                for ch in range(c):
                                    out[b, y, xx, co] += x[b, iy, ix, ch] * k[i, j, ch, co]
    return out


def ref_pool(x, pool, strides, padding, mode):
    n, h, w, c = x.shape
    kh, kw = pool
    sh, sw = strides
    if padding == "same":
        oh, ow = -(-h // sh), -(-w // sw)
        pt = max((oh - 1) * sh + kh - h, 0) // 2
        pl = max((ow - 1) * sw + kw - w, 0) // 2
    else:
        oh, ow, pt, pl = (h - kh) // sh + 1, (w - kw) // sw + 1, 0, 0
    out = np.zeros((n, oh, ow, c))
    for b in range(n):
        for y in range(oh):
            for xx in range(ow):
                for ch in range(c):
                    vals = [x[b, y * sh + i - pt, xx * sw + j - pl, ch] for i in range(kh) for j in range(kw)
                            if 0 <= y * sh + i - pt < h and 0 <= xx * sw + j - pl < w]
                    out[b, y, xx, ch] = max(vals) if mode == "max" else sum(vals) / len(vals)
    return out
