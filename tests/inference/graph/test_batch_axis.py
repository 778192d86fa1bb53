"""A batch of 8 through ``tc.load_model(...).predict`` gives what TensorFlow.js 4.22 gives.

The preplanned path runs a batch in chunks (small models: one image at a time) joined on axis
0. Graphs where some op removes or mixes the batch axis (a Squeeze of every size-1 axis, a
reduction, concatenation, reshape or padding over axis 0, a constant with its own batch, ...)
must run on the graph executor instead; graphs whose ops keep the batch stay preplanned. Each
case is also run by the real TF.js (tests/tfjs/run_graph.js) with the same batch of 8.
"""

from __future__ import annotations

import numpy as np
import pytest

import tfcache_nb as tc
from test_runtime_agreement import artifacts, node, rand, tfjs
from tfcache_nb.errors import TfcacheError
from tfcache_nb.format.files import write_model_files
from tfcache_nb.inference.batch_axis import batch_axis_problem
from tfcache_nb.inference.graph_model import build_graph_plan
from tfjs_oracle import assert_same_as_tfjs

F32 = np.float32
BATCH = 8
X = rand(BATCH, 6, 5, 3)
ROWS = rand(BATCH, 3)
I32 = np.int32

# name -> (input, nodes, consts); the output is the last node. Each removes or mixes the batch axis.
MIXING = {
    "squeeze every size-1 axis": (X, [node("m", "Mean", ["x", "axes"], keep_dims=True), node("sq", "Squeeze", ["m"])],
                                  {"axes": np.array([1, 2], I32)}),
    "mean over every axis": (X, [node("m", "Mean", ["x", "axes"], keep_dims=False)],
                             {"axes": np.array([0, 1, 2], I32)}),
    "mean over the batch axis": (X, [node("m", "Mean", ["x", "axes"], keep_dims=True)], {"axes": np.array([-4], I32)}),
    "concat on the batch axis": (X, [node("r", "Relu", ["x"]), node("c", "ConcatV2", ["x", "r", "axis"], N=2)],
                                 {"axis": np.array(0, I32)}),
    "reshape rows of three": (X, [node("r", "Reshape", ["x", "shape"])], {"shape": np.array([-1, 3], I32)}),
    "reshape to a fixed first axis": (X, [node("r", "Reshape", ["x", "shape"])], {"shape": np.array([2, -1], I32)}),
    "pad the batch axis": (X, [node("p", "Pad", ["x", "pads"])],
                           {"pads": np.array([[1, 0], [0, 0], [0, 1], [0, 0]], I32)}),
    "constant with its own batch": (X, [node("a", "AddV2", ["x", "k"])], {"k": rand(BATCH, 1, 1, 1)}),
    # (N, 3) against (N, 3, 3) lines the batch up with the last axis: TF.js runs it for a batch of 3 only
    "lower rank broadcast": (rand(3, 3, 3), [node("m", "Mean", ["x", "axes"], keep_dims=False),
                                            node("a", "Mul", ["x", "m"])], {"axes": np.array([2], I32)}),
    "softmax over the batch": (X, [node("m", "Mean", ["x", "axes"], keep_dims=False), node("s", "Softmax", ["m"])],
                               {"axes": np.array([1, 2, 3], I32)}),
}

#: the node refused where it is not the last one
REFUSING_NODE = {"mean over every axis": "m", "mean over the batch axis": "m"}

# graphs of the same ops whose batch stays on axis 0: they stay preplanned
KEEPING = {
    "squeeze the spatial axes": (X, [node("m", "Mean", ["x", "axes"], keep_dims=True),
                                     node("sq", "Squeeze", ["m"], squeeze_dims=[1, -2])],
                                 {"axes": np.array([1, 2], I32)}),
    "flatten": (X, [node("r", "Reshape", ["x", "shape"])], {"shape": np.array([-1, 10, 9], I32)}),
    "concat channels": (X, [node("r", "Relu", ["x"]), node("c", "ConcatV2", ["x", "r", "axis"], N=2)],
                        {"axis": np.array(-1, I32)}),
    "pad the image": (X, [node("p", "Pad", ["x", "pads"])], {"pads": np.array([[0, 0], [1, 2], [0, 1], [0, 0]], I32)}),
    "per-channel constant": (X, [node("a", "Sub", ["x", "k"]), node("s", "Softmax", ["a"])],
                             {"k": rand(1, 1, 5, 3)}),
    "dense": (ROWS, [node("mm", "MatMul", ["x", "w"], transpose_a=False, transpose_b=False)], {"w": rand(3, 4)}),
}


def _load(tmp_path, arts):
    write_model_files(tmp_path / "model", arts)
    return tc.load_model(str(tmp_path / "model" / "model.json"))


def _check(name, case, tfjs_dir, node_bin, tmp_path, preplanned: bool):
    x, nodes, consts = case
    arts = artifacts(x.shape, nodes, consts)
    theirs = tfjs(tfjs_dir, node_bin, tmp_path, arts, x)
    assert not isinstance(theirs, str), f"TF.js refused {name}: {theirs}"
    model = _load(tmp_path, arts)
    assert (model._plan is not None) == preplanned, f"{name}: preplanned should be {preplanned}"
    ours = model.predict(x)
    assert_same_as_tfjs(ours, theirs, name, rtol=2e-6, atol=1e-6)
    if not preplanned:  # (the executor's output_shape is the signature's, here unknown)
        return
    assert len(model.output_shape) == theirs.ndim, f"{name}: output_shape {model.output_shape}, TF.js {theirs.shape}"
    for mine, real in zip(model.output_shape, theirs.shape):
        assert mine is None or mine == real, f"{name}: output_shape {model.output_shape}, TF.js {theirs.shape}"


@pytest.mark.parametrize("name", list(MIXING))
def test_graphs_that_mix_the_batch_run_on_the_executor_as_tfjs(name, tfjs_dir, node_bin, tmp_path):
    _check(name, MIXING[name], tfjs_dir, node_bin, tmp_path, preplanned=False)


@pytest.mark.parametrize("name", list(KEEPING))
def test_graphs_that_keep_the_batch_stay_preplanned_and_agree_with_tfjs(name, tfjs_dir, node_bin, tmp_path):
    _check(name, KEEPING[name], tfjs_dir, node_bin, tmp_path, preplanned=True)


@pytest.mark.parametrize("name", list(MIXING))
def test_the_refusal_names_the_node(name):
    x, nodes, consts = MIXING[name]
    arts = artifacts(x.shape, nodes, consts)
    _, info = build_graph_plan(arts.model_topology, arts.decode_weights())
    assert info.batch_problem is not None and f"'{REFUSING_NODE.get(name, nodes[-1]['name'])}'" in info.batch_problem, \
        info.batch_problem


def test_squeeze_of_the_batch_axis_is_refused():
    """Squeeze dims naming axis 0 (as 0 or -rank) would drop a batch of one: TF.js refuses a larger one."""
    for dims in ([0], [-4], [0, 1]):
        arts = artifacts(X.shape, [node("m", "Mean", ["x", "axes"], keep_dims=True),
                                   node("sq", "Squeeze", ["m"], squeeze_dims=dims)], {"axes": np.array([1, 2], I32)})
        _, info = build_graph_plan(arts.model_topology, arts.decode_weights())
        assert info.batch_problem is not None and "squeezes the batch axis" in info.batch_problem, dims


@pytest.mark.parametrize(("nodes", "consts", "words"), [
    ([node("c", "ConcatV2", ["x", "k", "axis"], N=2)], {"k": rand(1, 2, 5, 3), "axis": np.array(1, I32)},
     "'c' (ConcatV2) joins a constant"),
    ([node("mm", "MatMul", ["x", "w"], transpose_a=True, transpose_b=False)], {"w": rand(1, 4)},
     "'mm' (MatMul) transposes its input"),
])
def test_ops_that_fit_one_batch_size_only_are_refused(nodes, consts, words):
    """A constant sized for a batch of one fits each chunk of one, not the whole batch (TF.js refuses
    a batch of 8): the executor runs such graphs, and refuses as TF.js does."""
    x = ROWS[:1] if nodes[0]["op"] == "MatMul" else X[:1]
    arts = artifacts((None, *x.shape[1:]), nodes, consts)
    _, info = build_graph_plan(arts.model_topology, arts.decode_weights())
    assert info.batch_problem is not None and words in info.batch_problem, info.batch_problem
    model = tc.Model.from_artifacts(arts)
    assert model._plan is None
    model.predict(x)  # a batch of one runs
    with pytest.raises(TfcacheError):
        model.predict(np.repeat(x, BATCH, axis=0))


def test_a_constant_output_is_refused():
    """A constant output has no batch axis: chunks would repeat it once per chunk."""
    arts = artifacts(X.shape, [node("r", "Relu", ["x"]), node("out", "Identity", ["k"])], {"k": rand(3)})
    _, info = build_graph_plan(arts.model_topology, arts.decode_weights(), outputs=["r", "out"])
    assert info.batch_problem is not None and "the output 'out' is a constant" in info.batch_problem
    model = tc.Model.from_artifacts(arts)
    assert model._plan is None
    r, out = model.predict(X)
    assert r.shape == X.shape and out.shape == (3,)


def test_an_unknown_op_is_taken_as_mixing():
    problem = batch_axis_problem([], "x", {}, {"x": (1, 3)}, ["y"])
    assert problem is None  # nothing to judge: no problem
    from tfcache_nb.inference.graph_def import parse_nodes

    nodes = parse_nodes({"node": [{"name": "x", "op": "Placeholder", "input": []},
                                  {"name": "y", "op": "Transpose", "input": ["x"]}]})
    problem = batch_axis_problem(nodes, "x", {}, {"x": (1, 3), "y": (3, 1)}, ["y"])
    assert problem is not None and "'y' (Transpose)" in problem


def test_real_mobilenets_stay_preplanned(models_dir):
    for name in ("mobilenet_v1_025_224_graph", "mobilenet_v1_0.25_224", "mobilenet_v1_0.75_224"):
        model = tc.load_model(str(models_dir / name / "model.json"))
        assert model._plan is not None, name
        assert model.output_shape[0] is None and len(model.output_shape) == 2, (name, model.output_shape)


def test_real_zoo_models_of_the_preplanned_ops_stay_preplanned(models_dir):
    """emotion (Mean over the image, Softmax) keeps the batch; blazeface (Reshape [1, ...]) takes a batch
    of one only, so it is never run in chunks."""
    zoo = models_dir.parent / "zoo"
    if not (zoo / "emotion" / "model.json").is_file():
        pytest.skip(f"the model zoo is absent: {zoo} not found")
    emotion = tc.load_model(str(zoo / "emotion" / "model.json"))
    assert emotion._plan is not None and emotion.output_shape == (None, 7)
    blazeface = tc.load_model(str(zoo / "blazeface" / "model.json"))
    assert blazeface._plan is not None and blazeface.input_shape[0] == 1 and blazeface.output_shape[0] == 1
