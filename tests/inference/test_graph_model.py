"""The graph executor on tiny hand-written GraphDefs, one op (or fused op) at a time."""

import numpy as np
import pytest

from inference_helpers import graph, ints, node, placeholder, ref_conv, ref_pool, s
from tfcache_nb.errors import ModelFormatError
from tfcache_nb.inference.model import Model

RNG = np.random.default_rng(3)
X = RNG.standard_normal((2, 7, 6, 3)).astype(np.float32)
K = RNG.standard_normal((3, 3, 3, 4)).astype(np.float32)
DK = RNG.standard_normal((3, 3, 3, 2)).astype(np.float32)
B4 = RNG.standard_normal(4).astype(np.float32)
B6 = RNG.standard_normal(6).astype(np.float32)
CONV = dict(strides=ints(1, 2, 2, 1), padding=s("SAME"), data_format=s("NHWC"), dilations=ints(1, 1, 1, 1))


def run(nodes, consts, x=X, outputs=None):
    model = Model.from_artifacts(graph([placeholder("x", [-1, *x.shape[1:]])] + nodes, consts))
    assert model.kind == "graph"
    return model.predict(x) if outputs is None else model.predict_named(x, outputs)


def conv_ref(depthwise=False, strides=(2, 2), padding="same"):
    return ref_conv(X.astype(float), DK if depthwise else K, strides, padding, depthwise=depthwise)


def test_conv_bias_mul_add_relu6_chain_is_folded_correctly():
    scale, offset = RNG.standard_normal(4).astype(np.float32), RNG.standard_normal(4).astype(np.float32)
    nodes = [node("c", "Conv2D", ["x", "k"], **CONV), node("m", "Mul", ["c", "scale"]),
             node("a", "AddV2", ["offset", "m"]), node("r", "Relu6", ["a"])]
    got = run(nodes, {"k": K, "scale": scale, "offset": offset})
    np.testing.assert_allclose(got, np.clip(conv_ref() * scale + offset, 0, 6), atol=1e-4)
    # asking for an intermediate keeps it unfused
    named = run(nodes, {"k": K, "scale": scale, "offset": offset}, outputs=["c", "r"])
    np.testing.assert_allclose(named["c"], conv_ref(), atol=1e-4)


def test_depthwise_sub_biasadd_relu_and_explicit_padding():
    nodes = [node("d", "DepthwiseConv2dNative", ["x", "k"], strides=ints(1, 1, 1, 1), padding=s("EXPLICIT"),
                  explicit_paddings=ints(0, 0, 1, 1, 1, 1, 0, 0), data_format=s("NHWC"), dilations=ints(1, 1, 1, 1)),
             node("sub", "Sub", ["d", "c1"]), node("b", "BiasAdd", ["sub", "bias"], data_format=s("NHWC")),
             node("r", "Relu", ["b"])]
    got = run(nodes, {"k": DK, "c1": np.float32(0.5), "bias": B6})
    np.testing.assert_allclose(got, np.maximum(conv_ref(True, (1, 1)) - 0.5 + B6, 0), atol=1e-4)


def test_fused_batch_norm_after_conv_and_standalone():
    g, b, m, v = (RNG.standard_normal(4).astype(np.float32) for _ in range(4))
    v = np.abs(v) + 0.5
    bn = dict(epsilon={"f": 0.001}, data_format=s("NHWC"))
    nodes = [node("c", "Conv2D", ["x", "k"], **CONV), node("bn", "FusedBatchNormV3", ["c", "g", "b", "m", "v"], **bn),
             node("id", "Identity", ["bn"]), node("bn2", "FusedBatchNorm", ["id", "g", "b", "m", "v"], **bn)]
    y = (conv_ref() - m) / np.sqrt(v + 1e-3) * g + b
    y2 = (y - m) / np.sqrt(v + 1e-3) * g + b
    np.testing.assert_allclose(run(nodes, dict(k=K, g=g, b=b, m=m, v=v)), y2, atol=1e-4)


@pytest.mark.parametrize("fused,act", [(["BiasAdd"], lambda y: y), (["BiasAdd", "Relu"], lambda y: np.maximum(y, 0)),
                                       (["BiasAdd", "Relu6"], lambda y: np.clip(y, 0, 6)),
                                       (["BiasAdd", "LeakyRelu"], lambda y: np.where(y >= 0, y, 0.3 * y))])
def test_fused_conv_depthwise_and_matmul(fused, act):
    attrs = dict(fused_ops={"list": {"s": [s(f)["s"] for f in fused]}}, num_args={"i": "1"},
                 leakyrelu_alpha={"f": 0.3}, epsilon={"f": 0.0})
    got = run([node("f", "_FusedConv2D", ["x", "k", "bias"], **CONV, **attrs)], {"k": K, "bias": B4})
    np.testing.assert_allclose(got, act(conv_ref() + B4), atol=1e-4)
    got = run([node("f", "FusedDepthwiseConv2dNative", ["x", "k", "bias"], **CONV, **attrs)], {"k": DK, "bias": B6})
    np.testing.assert_allclose(got, act(conv_ref(True) + B6), atol=1e-4)
    wt = RNG.standard_normal((4, 3)).astype(np.float32)
    x2 = RNG.standard_normal((5, 3)).astype(np.float32)
    got = run([node("f", "_FusedMatMul", ["x", "w", "bias"], transpose_b={"b": True}, **attrs)],
              {"w": wt, "bias": B4}, x=x2)
    np.testing.assert_allclose(got, act(x2 @ wt.T + B4), atol=1e-4)


def test_mean_squeeze_reshape_softmax_matmul_realdiv():
    w2 = RNG.standard_normal((3, 5)).astype(np.float32)
    nodes = [node("mean", "Mean", ["x", "axes"], keep_dims={"b": True}), node("sq", "Squeeze", ["mean"], squeeze_dims=ints(1, 2)),
             node("rs", "Reshape", ["sq", "shape"]), node("mm", "MatMul", ["rs", "w"]),
             node("div", "RealDiv", ["mm", "two"]), node("sm", "Softmax", ["div"])]
    got = run(nodes, {"axes": np.array([1, 2], np.int32), "shape": np.array([-1, 3], np.int32), "w": w2,
                      "two": np.float32(2)})
    logits = X.mean(axis=(1, 2)) @ w2 / 2
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    np.testing.assert_allclose(got, e / e.sum(axis=1, keepdims=True), atol=1e-5)


def test_pooling_pad_concat_add_mul_and_constant_folding():
    pool = dict(ksize=ints(1, 3, 3, 1), strides=ints(1, 2, 2, 1), padding=s("SAME"), data_format=s("NHWC"))
    nodes = [node("ap", "AvgPool", ["x"], **pool), node("mp", "MaxPool", ["x"], **pool),
             node("cat", "ConcatV2", ["ap", "mp", "axis"]), node("pad", "Pad", ["cat", "pads"]),
             node("twice", "Add", ["one", "one"]),  # constant: folded at build time
             node("mul", "Mul", ["pad", "twice"]), node("add", "Add", ["mul", "pad"])]
    got = run(nodes, {"axis": np.array(3, np.int32), "pads": np.array([[0, 0], [1, 0], [0, 2], [0, 0]], np.int32),
                      "one": np.float32(1)})
    ref = np.concatenate([ref_pool(X.astype(float), (3, 3), (2, 2), "same", "avg"),
                          ref_pool(X.astype(float), (3, 3), (2, 2), "same", "max")], axis=3)
    ref = np.pad(ref, [(0, 0), (1, 0), (0, 2), (0, 0)]) * 3
    np.testing.assert_allclose(got, ref, atol=1e-5)


@pytest.mark.parametrize("nodes,consts,words", [
    ([node("e", "NotARealOp", ["x"])], {}, ["'e'", "NotARealOp"]),
    ([node("c", "Conv2D", ["x", "k"], **CONV)], {}, ["'k'"]),
    ([node("c", "Conv2D", ["x", "k"], **CONV)], {"k": np.zeros((3, 3, 5, 4), np.float32)}, ["'c'", "Conv2D"]),
    ([node("c", "Conv2D", ["x", "k"], **{**CONV, "data_format": s("NCHW")})], {"k": K}, ["'c'", "NCHW"]),
    ([node("c", "Conv2D", ["x", "missing"], **CONV)], {"k": K}, ["'c'", "missing"]),
    ([node("f", "_FusedConv2D", ["x", "k", "b"], **CONV, fused_ops={"list": {"s": [s("FusedBatchNorm")["s"]]}})],
     {"k": K, "b": B4}, ["'f'", "FusedBatchNorm"]),
])
def test_build_errors_name_the_node_and_op(nodes, consts, words):
    with pytest.raises(ModelFormatError) as info:
        Model.from_artifacts(graph([placeholder("x", [-1, 7, 6, 3])] + nodes, consts))
    for word in words:
        assert word in str(info.value)


@pytest.mark.parametrize("nodes,consts", [
    ([node("c", "Conv2D", ["x", "k"], **CONV), node("m", "Mul", ["c", "s"]), node("a", "AddV2", ["s", "m"]),
      node("r", "Relu6", ["a"])], {"k": K, "s": B4}),
    ([node("d", "DepthwiseConv2dNative", ["x", "k"], strides=ints(1, 1, 1, 1), padding=s("EXPLICIT"),
           explicit_paddings=ints(0, 0, 1, 1, 1, 1, 0, 0), data_format=s("NHWC"), dilations=ints(1, 1, 1, 1)),
      node("b", "BiasAdd", ["d", "bias"], data_format=s("NHWC")), node("r", "Relu", ["b"])], {"k": DK, "bias": B6}),
    ([node("mp", "MaxPool", ["x"], ksize=ints(1, 3, 3, 1), strides=ints(1, 2, 2, 1), padding=s("SAME"),
           data_format=s("NHWC")), node("mean", "Mean", ["mp", "axes"], keep_dims={"b": False}),
      node("mm", "MatMul", ["mean", "w"]), node("sm", "Softmax", ["mm"])],
     {"axes": np.array([1, 2], np.int32), "w": RNG.standard_normal((3, 5)).astype(np.float32)}),
])
def test_the_preplanned_path_and_the_graph_executor_agree(nodes, consts):
    from tfcache_nb.inference.graph.program import GraphProgram
    from tfcache_nb.inference.graph_def import parse_nodes

    arts = graph([placeholder("x", [-1, *X.shape[1:]])] + nodes, consts)
    model = Model.from_artifacts(arts)
    assert model._plan is not None and model._program is None  # MobileNet-like: the plan runs it
    out = nodes[-1]["name"]
    program = GraphProgram(parse_nodes(arts.model_topology), arts.decode_weights(), ["x"], [(out, 0)])
    planned, executed = model.predict(X), program.run({"x": X})[0]
    assert planned.shape == executed.shape and planned.dtype == executed.dtype == np.float32
    np.testing.assert_allclose(planned, executed, rtol=1e-5, atol=1e-5)


def test_graphs_the_plan_does_not_cover_run_on_the_graph_executor():
    # a second output read by index, an op outside the plan's set, a second input
    nodes = [node("sq", "Square", ["x"]), node("id", "IdentityN", ["x", "sq"]), node("out", "AddV2", ["id:1", "x"])]
    model = Model.from_artifacts(graph([placeholder("x", [-1, *X.shape[1:]])] + nodes, {}))
    assert model._plan is None and model._program is not None
    np.testing.assert_allclose(model.predict(X), X * X + X, rtol=1e-6)


def test_every_op_the_preplanned_path_runs_has_a_graph_executor():
    """The preplanned path runs each op it supports through the graph runtime's executor (or folds
    it into a kernel that also has one): no supported op may lack an executor."""
    from tfcache_nb.inference.graph.executors import ALL_EXECUTORS
    from tfcache_nb.inference.graph_model import SUPPORTED_OPS

    assert SUPPORTED_OPS - {"Placeholder", "Const", "NoOp"} <= set(ALL_EXECUTORS)
