"""The two graph runtimes agree with each other and with the real TensorFlow.js 4.22.

Every case is a small GraphDef that the preplanned (MobileNet) path covers, so it runs three
ways: ``Model`` (the preplanned ``Plan``), the graph executor (``GraphProgram`` on the same
nodes) and TF.js itself (tests/tfjs/run_graph.js, ``GraphModel.executeAsync`` on the CPU
backend). Each case is a point where the two runtimes once computed different things: the
fused_ops attribute, NaN in max pooling, the 1x1 pooling identity, Mean's summation order,
batch norm's precision. Skips when node or the pinned TF.js is absent.
"""

from __future__ import annotations

import base64
import math
import json
import subprocess

import numpy as np
import pytest

from graph_helpers import encode_attr
from tfcache_nb.errors import TfcacheError
from tfcache_nb.format.artifacts import ModelArtifacts
from tfcache_nb.format.weights import encode_weights
from tfcache_nb.inference.graph.program import GraphProgram
from tfcache_nb.inference.graph_def import parse_nodes
from tfcache_nb.inference.model import Model
from tfjs_oracle import assert_same_as_tfjs

F32 = np.float32
RNG = np.random.default_rng(11)


def rand(*shape: int, scale: float = 1.0, offset: float = 0.0) -> np.ndarray:
    return (RNG.standard_normal(shape) * scale + offset).astype(F32)


def node(name: str, op: str, inputs: list[str], **attrs) -> dict:
    return {"name": name, "op": op, "input": list(inputs), "attr": {k: encode_attr(v) for k, v in attrs.items()}}


def topology(x_shape: tuple[int, ...], nodes: list[dict], consts: dict[str, np.ndarray]) -> dict:
    ph = {"name": "x", "op": "Placeholder", "input": [],
          "attr": {"dtype": {"type": "DT_FLOAT"}, "shape": {"shape": {"dim": [{"size": "-1"}] +
                                                                        [{"size": str(d)} for d in x_shape[1:]]}}}}
    return {"node": [ph] + [{"name": n, "op": "Const", "input": [], "attr": {}} for n in consts] + nodes,
            "versions": {}}


def artifacts(x_shape, nodes, consts) -> ModelArtifacts:
    specs, data = encode_weights(consts)
    return ModelArtifacts(model_topology=topology(x_shape, nodes, consts), weight_specs=specs, weight_data=data,
                          format="graph-model")


def preplanned(arts: ModelArtifacts, x: np.ndarray) -> np.ndarray:
    model = Model.from_artifacts(arts)
    assert model._plan is not None, "the case must be one the preplanned path covers"
    return model.predict(x)


def executor(arts: ModelArtifacts, x: np.ndarray, out: str) -> np.ndarray:
    program = GraphProgram(parse_nodes(arts.model_topology), arts.decode_weights(), ["x"], [(out, 0)])
    return program.run({"x": x})[0]


def tfjs(tfjs_dir, node_bin, tmp_path, arts: ModelArtifacts, x: np.ndarray) -> np.ndarray | str:
    """TF.js's one output, or its error message."""
    spec = {"modelTopology": arts.model_topology, "weightSpecs": arts.weight_specs,
            "weightData": base64.b64encode(arts.weight_data).decode(),
            "inputs": {"x": {"dtype": "float32", "shape": list(x.shape),
                             "values": x.ravel().astype(float).tolist()}}}
    path = tmp_path / "case.json"
    path.write_text(json.dumps(spec))
    done = subprocess.run([node_bin, str(tfjs_dir / "run_graph.js"), str(path)], capture_output=True, text=True,
                          timeout=120, cwd=str(tfjs_dir))
    result = json.loads(done.stdout)
    if "error" in result:
        return result["error"]
    (out,) = result["outputs"]
    values = np.array([np.nan if v is None else v for v in out["values"]], np.float64)  # JSON writes NaN as null
    return values.astype(F32).reshape(out["shape"])


CONV = dict(strides=[1, 1, 1, 1], padding="SAME", data_format="NHWC", dilations=[1, 1, 1, 1])
X = rand(1, 6, 5, 3)
W, B = rand(3, 3, 3, 4), rand(4)
NAN_MASK = np.zeros(X.shape[1:], F32)  # added to the input: NaN at two pixels (JSON inputs cannot hold NaN)
NAN_MASK[1, 1, 0] = NAN_MASK[4, 2, 2] = np.nan
POOL = dict(data_format="NHWC")
WIDE = rand(1, 24, 24, 4, scale=3.0, offset=1000.0)  # large values: the order of a sum shows

# name -> (input, nodes, consts); the output is the last node
CASES = {
    # fused_ops: TF.js lower-cases the names (the preplanned path once refused 'biasadd')
    "fused lower-case": (X, [node("f", "_FusedConv2D", ["x", "w", "b"], **CONV, fused_ops=["biasadd", "relu"],
                                  num_args=1)], {"w": W, "b": B}),
    # a lone extra op that is not BiasAdd adds nothing (the preplanned path ran it as an activation,
    # the executor refused it)
    "fused lone Relu": (X, [node("f", "_FusedConv2D", ["x", "w", "b"], **CONV, fused_ops=["Relu"], num_args=1)],
                        {"w": W, "b": B}),
    # names after the activation are ignored (the executor refused them)
    "fused third name": (X, [node("f", "FusedDepthwiseConv2dNative", ["x", "w", "b"], **CONV,
                                  fused_ops=["BiasAdd", "Relu6", "Sigmoid"], num_args=1)],
                         {"w": rand(3, 3, 3, 2), "b": rand(6, scale=3.0)}),
    "fused leakyrelu alpha": (X, [node("f", "_FusedConv2D", ["x", "w", "b"], **CONV, fused_ops=["BiasAdd", "LeakyRelu"],
                                       num_args=1, leakyrelu_alpha=0.35)], {"w": W, "b": B}),
    # _FusedMatMul adds its first argument as a bias even without BiasAdd
    "fused matmul without BiasAdd": (rand(2, 3), [node("f", "_FusedMatMul", ["x", "w", "b"], fused_ops=["", "Relu"],
                                                       num_args=1, transpose_a=False, transpose_b=False)],
                                     {"w": rand(3, 4), "b": rand(4)}),
    # max pooling skips NaN (the preplanned path passed it through)
    "max pool NaN": (X, [node("xn", "AddV2", ["x", "nan"]), node("p", "MaxPool", ["xn"], ksize=[1, 2, 2, 1], strides=[1, 1, 1, 1], padding="VALID",
                                  **POOL)], {"nan": NAN_MASK}),
    "max pool NaN same": (X, [node("xn", "AddV2", ["x", "nan"]), node("p", "MaxPool", ["xn"], ksize=[1, 3, 3, 1], strides=[1, 2, 2, 1],
                                       padding="SAME", **POOL)], {"nan": NAN_MASK}),
    # ... but a 1x1 window that keeps the shape is the identity: NaN stays
    "max pool 1x1 identity": (X, [node("xn", "AddV2", ["x", "nan"]), node("p", "MaxPool", ["xn"], ksize=[1, 1, 1, 1],
                                                                         strides=[1, 1, 1, 1], padding="SAME", **POOL)],
                              {"nan": NAN_MASK}),
    "avg pool wide window": (WIDE, [node("p", "AvgPool", ["x"], ksize=[1, 7, 7, 1], strides=[1, 3, 3, 1],
                                         padding="SAME", **POOL)], {}),
    # Mean divides each value by the count, then sums in double (the preplanned path summed in float32)
    "mean order": (WIDE, [node("m", "Mean", ["x", "axes"], keep_dims=False)], {"axes": np.array([1, 2], np.int32)}),
    # batch norm in double, rounded once (the preplanned path computed in float32)
    "batch norm precision": (WIDE, [node("bn", "FusedBatchNormV3", ["x", "g", "o", "m", "v"], epsilon=0.001, **POOL)],
                             {"g": rand(4), "o": rand(4), "m": rand(4, offset=1000.0), "v": np.abs(rand(4)) + 0.5}),
    # (Squeeze without dims drops every size-1 axis, the batch too: such graphs run on the executor,
    # test_batch_axis.py)
    "pad then mean": (X, [node("pad", "Pad", ["x", "pads"]), node("m", "Mean", ["pad", "axes"], keep_dims=False)],
                      {"pads": np.array([[0, 0], [1, 2], [0, 3], [0, 0]], np.int32),
                       "axes": np.array([-3, -2], np.int32)}),
}

#: the preplanned path's dense kernel (weights laid out once) sums a matrix product in another order
#: than the executor's np.matmul: the same values but for the last bit
SUMMED_IN_ANOTHER_ORDER = {"fused matmul without BiasAdd"}

# name -> (input, nodes, consts, words the refusal of both runtimes names); TF.js refuses too, for the
# reason its own words in TFJS_REFUSALS name (so a case that TF.js refuses for another reason fails)
REFUSED = {
    "fused FusedBatchNorm": (X, [node("f", "_FusedConv2D", ["x", "w", "s", "o", "m", "v"], **CONV,
                                      fused_ops=["FusedBatchNorm", "Relu"], num_args=4, epsilon=0.001)],
                             {"w": W, "s": B, "o": B, "m": B, "v": np.abs(B)}, "FusedBatchNorm is not supported"),
    "fused tanh": (X, [node("f", "_FusedConv2D", ["x", "w", "b"], **CONV, fused_ops=["BiasAdd", "Tanh"],
                            num_args=1)], {"w": W, "b": B}, "'tanh' is not supported"),
    "fused num_args": (X, [node("f", "_FusedConv2D", ["x", "w", "b", "b2"], **CONV, fused_ops=["BiasAdd"],
                                num_args=2)], {"w": W, "b": B, "b2": B}, "BiasAdd needs 1 extra argument"),
    "pool explicit padding": (X, [node("p", "MaxPool", ["x"], ksize=[1, 2, 2, 1], strides=[1, 1, 1, 1],
                                       padding="EXPLICIT", explicit_paddings=[0, 0, 1, 0, 0, 1, 0, 0], **POOL)],
                              {}, "EXPLICIT"),
}

#: name -> words of TF.js 4.22's own refusal
TFJS_REFUSALS = {
    "fused FusedBatchNorm": "with FusedBatchNorm is not supported",
    "fused tanh": "Activation tanh has not been implemented",
    "fused num_args": "with BiasAdd must have one extra argument",
    "pool explicit padding": "Unknown padding parameter: explicit",
}


@pytest.mark.parametrize("name", list(CASES))
def test_both_runtimes_compute_what_tfjs_computes(name, tfjs_dir, node_bin, tmp_path):
    x, nodes, consts = CASES[name]
    arts = artifacts(x.shape, nodes, consts)
    theirs = tfjs(tfjs_dir, node_bin, tmp_path, arts, x)
    assert not isinstance(theirs, str), f"TF.js refused {name}: {theirs}"
    planned, executed = preplanned(arts, x), executor(arts, x, nodes[-1]["name"])
    if name in SUMMED_IN_ANOTHER_ORDER:
        np.testing.assert_allclose(planned, executed, rtol=1e-6, atol=1e-7, err_msg=name)
    else:  # the two runtimes share their implementation: identical results, bit for bit
        np.testing.assert_array_equal(planned, executed, err_msg=name)
    assert_same_as_tfjs(planned, theirs, name, rtol=2e-6, atol=1e-6)


@pytest.mark.parametrize("name", ["mean order", "batch norm precision", "max pool NaN", "max pool 1x1 identity"])
def test_exact_where_tfjs_rule_is_plain(name, tfjs_dir, node_bin, tmp_path):
    """Where TF.js's arithmetic is plain (one rounding of a double result, a max that skips NaN),
    the runtimes give exactly its float32 values."""
    x, nodes, consts = CASES[name]
    arts = artifacts(x.shape, nodes, consts)
    theirs = tfjs(tfjs_dir, node_bin, tmp_path, arts, x)
    np.testing.assert_array_equal(preplanned(arts, x), theirs, err_msg=name)


def test_the_cases_would_catch_the_old_float32_rules():
    """Mean summed in float32 and batch norm in float32 give other values on these inputs, so the
    exact comparisons above can fail."""
    x = CASES["mean order"][0]
    assert not np.array_equal(x.mean(axis=(1, 2), dtype=F32), preplanned(artifacts(x.shape, *CASES["mean order"][1:]), x))
    _, nodes, c = CASES["batch norm precision"]
    f32 = (x - c["m"]) * (F32(1) / np.sqrt(c["v"] + F32(0.001))).astype(F32) * c["g"] + c["o"]
    assert not np.array_equal(f32.astype(F32), preplanned(artifacts(x.shape, nodes, c), x))


@pytest.mark.parametrize("name", list(REFUSED))
def test_both_runtimes_refuse_what_tfjs_refuses(name, tfjs_dir, node_bin, tmp_path):
    x, nodes, consts, words = REFUSED[name]
    arts = artifacts(x.shape, nodes, consts)
    theirs = tfjs(tfjs_dir, node_bin, tmp_path, arts, x)
    assert isinstance(theirs, str), f"TF.js ran {name}"
    assert TFJS_REFUSALS[name] in theirs, f"TF.js refused {name} for another reason: {theirs}"
    with pytest.raises(TfcacheError, match=words):
        preplanned(arts, x)
    with pytest.raises(TfcacheError, match=words):
        executor(arts, x, nodes[-1]["name"])


def test_keras_global_average_pooling_is_the_graph_mean():
    """Keras's GlobalAveragePooling2D is tf.mean over the spatial axes in TF.js: the same kernel
    as the graph's Mean, whose values the exact test above checks against TF.js."""
    from tfcache_nb.inference import ops

    x, nodes, consts = CASES["mean order"]
    np.testing.assert_array_equal(ops.global_avg_pool(x), preplanned(artifacts(x.shape, nodes, consts), x))
    # the rule by hand: each value divided by the count in float32, summed as doubles, rounded once
    by_hand = np.array([[math.fsum(float(v) for v in (x[0, :, :, c] / F32(24 * 24)).ravel()) for c in range(4)]])
    np.testing.assert_array_equal(ops.global_avg_pool(x), by_hand.astype(F32))
