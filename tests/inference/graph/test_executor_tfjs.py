"""The graph executor's control flow against the real TensorFlow.js 4.22 on the same small graphs.

The hand-written GraphDefs of test_executor.py (a while loop writing a TensorArray, Switch /
Merge branches, nested loops, StatelessWhile / StatelessIf with library functions) run through
tests/tfjs/run_graph.js (TF.js's own GraphModel.executeAsync) and through tfcache_nb; outputs,
their order and names must agree. Skips when node or the pinned @tensorflow/tfjs is absent.
"""

from __future__ import annotations

import base64
import json
import subprocess

import numpy as np
import pytest

from tfcache_nb.format.weights import encode_weights

from test_executor import LIBRARY, NESTED_SIGNATURE, X, _cond_nodes, _nested_loops, _while_nodes, const, model, node, ph



def run_tfjs(tfjs_dir, node_bin, tmp_path, nodes, consts, signature, inputs, library=None):
    declared = {nd["name"] for nd in nodes}
    topology = {"node": [const(n) for n in consts if n not in declared] + nodes, "versions": {}}
    if library:
        topology["library"] = {"function": library}
    specs, data = encode_weights(consts)
    case = {"modelTopology": topology, "weightSpecs": specs, "weightData": base64.b64encode(data).decode(),
            "signature": signature,
            "inputs": {k: {"dtype": {"f": "float32", "i": "int32", "b": "bool"}[v.dtype.kind], "shape": list(v.shape),
                           "values": np.ravel(v).astype(float).tolist()} for k, v in inputs.items()}}
    path = tmp_path / "case.json"
    path.write_text(json.dumps(case))
    done = subprocess.run([node_bin, str(tfjs_dir / "run_graph.js"), str(path)], capture_output=True, text=True,
                          timeout=120, cwd=str(tfjs_dir))
    result = json.loads(done.stdout)
    assert "error" not in result, result["error"]
    return result


def check(result, names, got):
    got = got if isinstance(got, list) else [got]
    assert result["outputNodes"] == names
    assert len(result["outputs"]) == len(got)
    for ours, theirs in zip(got, result["outputs"]):
        assert list(ours.shape) == theirs["shape"]
        assert str(ours.dtype) == theirs["dtype"] or (ours.dtype == np.bool_ and theirs["dtype"] == "bool")
        np.testing.assert_allclose(np.ravel(ours).astype(float), theirs["values"], rtol=1e-6)


@pytest.mark.parametrize("n", [1, 4])
def test_while_loop_with_a_tensor_array_as_tfjs(tfjs_dir, node_bin, tmp_path, n):
    consts = {"n": np.int32(n), "zero": np.int32(0), "w/one": np.int32(1)}
    sig = {"outputs": {"stack": {"name": "stack:0"}, "acc": {"name": "Exit_acc:0"}}}
    ours = model(_while_nodes(), consts, signature=sig)
    result = run_tfjs(tfjs_dir, node_bin, tmp_path, _while_nodes(), consts, sig, {"x": X})
    check(result, ours.output_names, ours.predict(X))


@pytest.mark.parametrize("flag", [True, False])
def test_switch_and_merge_as_tfjs(tfjs_dir, node_bin, tmp_path, flag):
    consts = {"two": np.float32(2), "ten": np.float32(10)}
    sig = {"outputs": {"m": {"name": "m:0"}}}
    ours = model(_cond_nodes(), consts, signature=sig)
    feeds = {"x": X, "flag": np.array(flag)}
    result = run_tfjs(tfjs_dir, node_bin, tmp_path, _cond_nodes(), consts, sig, feeds)
    check(result, ours.output_names, ours.predict(feeds))


def test_library_functions_as_tfjs(tfjs_dir, node_bin, tmp_path):
    func = lambda name: {"func": {"name": name}}  # noqa: E731
    nodes = [ph("x", [3]), ph("flag", [], "DT_BOOL"),
             node("loop", "StatelessWhile", ["zero", "x"], cond=func("cond"), body=func("body")),
             node("branch", "StatelessIf", ["flag", "loop:1"], then_branch=func("then"), else_branch=func("else"))]
    sig = {"outputs": {"count": {"name": "loop:0"}, "value": {"name": "branch:0"}}}
    # TF.js reads a function's constants from the weights by node name (the converter puts them there)
    consts = {"zero": np.int32(0), "three": np.int32(3), "one": np.int32(1)}
    ours = model(nodes, consts, signature=sig, library=LIBRARY)
    for flag in (True, False):
        feeds = {"x": X, "flag": np.array(flag)}
        result = run_tfjs(tfjs_dir, node_bin, tmp_path, nodes, consts, sig, feeds, library=LIBRARY)
        check(result, ours.output_names, ours.predict(feeds))


def test_output_order_without_a_signature_as_tfjs(tfjs_dir, node_bin, tmp_path):
    nodes = [ph("x", [3]), node("b", "Neg", ["x"]), node("a", "Mul", ["x", "two"]), node("c", "Square", ["a"])]
    consts = {"two": np.float32(2)}
    ours = model(nodes, consts)
    result = run_tfjs(tfjs_dir, node_bin, tmp_path, nodes, consts, None, {"x": X})
    check(result, ours.output_names, ours.predict(X))


@pytest.mark.parametrize("n,m", [(2, 3), (3, 1)])
def test_nested_loops_as_tfjs(tfjs_dir, node_bin, tmp_path, n, m):
    nodes, consts = _nested_loops(n, m)
    ours = model(nodes, consts, signature=NESTED_SIGNATURE)
    x = np.array(0.5, np.float32)
    result = run_tfjs(tfjs_dir, node_bin, tmp_path, nodes, consts, NESTED_SIGNATURE, {"x": x})
    check(result, ours.output_names, ours.predict(x))
