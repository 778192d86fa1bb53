"""The dynamic graph executor on small hand-written GraphDefs: reads, folding, control flow, errors."""

from __future__ import annotations

import base64

import numpy as np
import pytest

import tfcache_nb as tc
from tfcache_nb.errors import InvalidArgumentError, ModelExecutionError, ModelFormatError
from tfcache_nb.format.artifacts import ModelArtifacts
from tfcache_nb.format.weights import encode_weights
from tfcache_nb.inference.model import Model


def node(name: str, op: str, inputs: list[str] = (), **attr) -> dict:
    return {"name": name, "op": op, "input": list(inputs), "attr": attr}


def artifacts(topology: dict, weights: dict[str, np.ndarray]) -> ModelArtifacts:
    specs, data = encode_weights(weights)
    return ModelArtifacts(model_topology=topology, weight_specs=specs, weight_data=data, format="graph-model")


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def ph(name: str, shape: list[int], dtype: str = "DT_FLOAT") -> dict:
    return node(name, "Placeholder", dtype={"type": dtype}, shape={"shape": {"dim": [{"size": str(d)} for d in shape]}})


def const(name: str, control: list[str] = ()) -> dict:
    return node(name, "Const", [f"^{c}" for c in control])


def enter(name: str, src: str, constant: bool = False) -> dict:
    return node(name, "Enter", [src], frame_name={"s": b64("loop")}, is_constant={"b": constant})


def model(nodes: list[dict], consts: dict[str, np.ndarray], signature: dict | None = None,
          library: list[dict] | None = None) -> Model:
    declared = {nd["name"] for nd in nodes}
    topology = {"node": [const(n) for n in consts if n not in declared] + nodes, "versions": {}}
    if library:
        topology["library"] = {"function": library}
    arts = artifacts(topology, consts)
    if signature is not None:
        arts = arts.replace(signature=signature)
    return Model.from_artifacts(arts)


X = np.array([1.0, -2.0, 3.5], np.float32)


# ---------------------------------------------------------------------------- reads and outputs
def test_outputs_other_than_the_first_are_read_by_index():
    m = model([ph("x", [3]), ph("y", [2]), node("both", "IdentityN", ["x", "y"]),
               node("shapes", "ShapeN", ["both:1", "both"]), node("second", "Mul", ["both:1", "two"])],
              {"two": np.float32(2)})
    y = np.array([5, 6], np.float32)
    # no signature: the nodes nothing reads, in graph order
    assert m.output_names == ["shapes", "second"]
    assert m.input_names == ["x", "y"]
    shape0, second = m.predict({"x": X, "y": y})
    np.testing.assert_array_equal(second, y * 2)
    assert shape0.dtype == np.int32 and shape0.tolist() == [2]
    named = m.predict_named({"x": X, "y": y}, ["shapes:1", "both:0"])
    assert named["shapes:1"].tolist() == [3]
    np.testing.assert_array_equal(named["both:0"], X)


def test_signature_names_and_orders_inputs_and_outputs():
    sig = {"inputs": {"pixels": {"name": "x:0"}},
           "outputs": {"doubled": {"name": "d:0"}, "negated": {"name": "n:0"}}}
    m = model([ph("x", [-1, 3]), node("n", "Neg", ["x"]), node("d", "Mul", ["x", "two"])],
              {"two": np.float32(2)}, signature=sig)
    assert m.input_names == ["pixels"] and m.output_names == ["doubled", "negated"]
    doubled, negated = m.predict(X[None])
    np.testing.assert_array_equal(doubled, X[None] * 2)
    np.testing.assert_array_equal(negated, -X[None])
    np.testing.assert_array_equal(m.predict({"pixels": X[None]})[0], X[None] * 2)


def test_int32_inputs_are_taken_where_the_model_takes_int32_or_uint8():
    m = model([ph("img", [1, 2], "DT_UINT8"), node("s", "Shape", ["img"]), node("y", "Mul", ["img", "three"])],
              {"three": np.int32(3)})
    shape, y = m.predict(np.array([[4, 200]], np.uint8))
    assert y.dtype == np.int32 and y.tolist() == [[12, 600]]
    assert m.predict(np.array([[1, 2]], np.int32))[1].tolist() == [[3, 6]]
    with pytest.raises(InvalidArgumentError, match="int32"):
        m.predict(np.array([[1, 2]], np.float32))
    with pytest.raises(InvalidArgumentError, match=r"\[1, 2\]"):
        m.predict(np.array([[1, 2, 3]], np.int32))


def test_a_dict_must_name_every_input_and_only_inputs():
    m = model([ph("x", [3]), ph("y", [3]), node("s", "AddV2", ["x", "y"])], {})
    np.testing.assert_array_equal(m.predict({"x": X, "y": X}), 2 * X)
    with pytest.raises(InvalidArgumentError, match="'y'"):
        m.predict({"x": X})
    with pytest.raises(InvalidArgumentError, match="'z'"):
        m.predict({"x": X, "y": X, "z": X})
    with pytest.raises(InvalidArgumentError, match="2 inputs"):
        m.predict(X)


def test_placeholder_with_default_runs_its_default_unless_fed():
    m = model([node("p", "PlaceholderWithDefault", ["c"], dtype={"type": "DT_FLOAT"},
                    shape={"shape": {"dim": [{"size": "2"}]}}), node("y", "Mul", ["p", "c"])],
              {"c": np.array([2, 3], np.float32)})
    np.testing.assert_array_equal(m.predict({}), [4, 9])
    np.testing.assert_array_equal(m.predict({"p": np.array([1, 1], np.float32)}), [2, 3])


# ---------------------------------------------------------------------------- constant folding
def test_constant_subgraphs_are_computed_once_at_build_time():
    m = model([ph("x", [3]), node("shape", "Shape", ["c"]), node("c2", "AddV2", ["c", "c"]),
               node("scaled", "Mul", ["c2", "shape"]), node("y", "Mul", ["x", "scaled"])],
              {"c": np.array([1.5], np.float32)})
    program = m._program
    assert {"shape", "c2", "scaled"} <= set(program.values)
    np.testing.assert_array_equal(program.values["scaled"][0], [3.0])
    np.testing.assert_array_equal(m.predict(X), X * 3)
    ran = {t.output for t in m.profile(X, repeat=1)}
    assert ran == {"y"}


def test_a_constant_subgraph_that_cannot_run_fails_the_build_naming_the_node():
    with pytest.raises(ModelFormatError, match=r"'bad' \(Reshape\).*float32 \[3\]"):
        model([ph("x", [3]), node("bad", "Reshape", ["c", "shape"]), node("y", "Tile", ["bad", "shape"])],
              {"c": np.ones(3, np.float32), "shape": np.array([2], np.int32)})


# ---------------------------------------------------------------------------- errors
def test_every_unsupported_op_is_named_in_one_error_at_build_time():
    with pytest.raises(ModelFormatError) as info:
        model([ph("x", [3]), node("a", "FancyOp", ["x"]), node("b", "FancyOp", ["a"]),
               node("c", "OtherOp", ["b"])], {})
    text = str(info.value)
    assert "2 ops" in text and "'FancyOp' (node 'a' and 1 more)" in text and "'OtherOp' (node 'c')" in text


def test_unused_unsupported_nodes_do_not_fail_the_build():
    sig = {"outputs": {"y": {"name": "y"}}}
    m = model([ph("x", [3]), node("y", "Neg", ["x"]), node("junk", "FancyOp", ["x"])], {}, signature=sig)
    np.testing.assert_array_equal(m.predict(X), -X)


def test_a_run_time_failure_names_the_node_op_and_input_shapes():
    m = model([ph("x", [-1, -1]), node("r", "Reshape", ["x", "shape"]), node("y", "Neg", ["r"])],
              {"shape": np.array([5], np.int32)})
    np.testing.assert_array_equal(m.predict(np.ones((1, 5), np.float32)), -np.ones(5))
    with pytest.raises(ModelExecutionError) as info:
        m.predict(np.ones((2, 3), np.float32))
    err = info.value
    assert isinstance(err, tc.TfcacheError)
    assert (err.node, err.op) == ("r", "Reshape")
    assert "'r' (Reshape)" in str(err) and "float32 [2, 3]" in str(err) and "int32 [1]" in str(err)
    assert err.__cause__ is None and err.__suppress_context__


def test_reading_a_missing_output_index_is_an_error_naming_the_reader():
    m = model([ph("x", [3]), node("y", "Neg", ["x:1"])], {})
    with pytest.raises(ModelExecutionError, match=r"'y' \(Neg\).*output 1 of 'x'"):
        m.predict(X)


# ---------------------------------------------------------------------------- TF1 control flow
def _cond_nodes() -> list[dict]:
    return [ph("x", [3]), ph("flag", [], "DT_BOOL"), node("sw", "Switch", ["x", "flag"]),
            node("t", "Mul", ["sw:1", "two"]), node("f", "AddV2", ["sw:0", "ten"]),
            node("m", "Merge", ["f", "t"])]


def test_switch_and_merge_run_only_the_taken_branch():
    sig = {"outputs": {"m": {"name": "m:0"}}}
    m = model(_cond_nodes(), {"two": np.float32(2), "ten": np.float32(10)}, signature=sig)
    np.testing.assert_array_equal(m.predict({"x": X, "flag": np.array(True)}), X * 2)
    np.testing.assert_array_equal(m.predict({"x": X, "flag": np.array(False)}), X + 10)
    timed = {t.output for t in m.profile({"x": X, "flag": np.array(True)}, repeat=1)}
    assert "t" in timed and "f" not in timed  # the dead branch never ran


def test_asking_for_a_dead_branch_is_an_error():
    m = model(_cond_nodes(), {"two": np.float32(2), "ten": np.float32(10)}, signature={"outputs": {"m": {"name": "m"}}})
    with pytest.raises(ModelExecutionError, match="'t'.*not computed"):
        m.predict_named({"x": X, "flag": np.array(False)}, ["t"])


def _while_nodes() -> list[dict]:
    """ta = TensorArray(n); i, acc = 0, x; while i < n: acc += x; ta[i] = acc; i += 1 (as tf.while_loop writes it)."""
    return [
        ph("x", [3]),
        node("ta", "TensorArrayV3", ["n"], dtype={"type": "DT_FLOAT"}, element_shape={"shape": {"unknownRank": True}},
             dynamic_size={"b": False}, clear_after_read={"b": True}, identical_element_shapes={"b": True}),
        enter("w/Enter_i", "zero"), enter("w/Enter_flow", "ta:1"), enter("w/Enter_acc", "x"),
        enter("w/Enter_n", "n", True), enter("w/Enter_ta", "ta", True), enter("w/Enter_x", "x", True),
        node("w/Merge_i", "Merge", ["w/Enter_i", "w/Next_i"]),
        node("w/Merge_flow", "Merge", ["w/Enter_flow", "w/Next_flow"]),
        node("w/Merge_acc", "Merge", ["w/Enter_acc", "w/Next_acc"]),
        node("w/Less", "Less", ["w/Merge_i", "w/Enter_n"]),
        node("w/LoopCond", "LoopCond", ["w/Less"]),
        node("w/Switch_i", "Switch", ["w/Merge_i", "w/LoopCond"]),
        node("w/Switch_flow", "Switch", ["w/Merge_flow", "w/LoopCond"]),
        node("w/Switch_acc", "Switch", ["w/Merge_acc", "w/LoopCond"]),
        node("w/Identity_i", "Identity", ["w/Switch_i:1"]),
        node("w/Identity_flow", "Identity", ["w/Switch_flow:1"]),
        node("w/Identity_acc", "Identity", ["w/Switch_acc:1"]),
        const("w/one", ["w/Identity_i"]),
        node("w/add_acc", "AddV2", ["w/Identity_acc", "w/Enter_x"]),
        node("w/write", "TensorArrayWriteV3", ["w/Enter_ta", "w/Identity_i", "w/add_acc", "w/Identity_flow"]),
        node("w/add_i", "AddV2", ["w/Identity_i", "w/one"]),
        node("w/Next_i", "NextIteration", ["w/add_i"]),
        node("w/Next_flow", "NextIteration", ["w/write"]),
        node("w/Next_acc", "NextIteration", ["w/add_acc"]),
        node("Exit_flow", "Exit", ["w/Switch_flow"]), node("Exit_acc", "Exit", ["w/Switch_acc"]),
        node("size", "TensorArraySizeV3", ["ta", "Exit_flow"]),
        node("range", "Range", ["zero", "size", "w/one"]),
        node("stack", "TensorArrayGatherV3", ["ta", "range", "Exit_flow"], dtype={"type": "DT_FLOAT"},
             element_shape={"shape": {"dim": [{"size": "3"}]}}),
    ]


@pytest.mark.parametrize("n", [0, 1, 4])
def test_a_while_loop_writing_a_tensor_array(n):
    consts = {"n": np.int32(n), "zero": np.int32(0), "w/one": np.int32(1)}
    sig = {"outputs": {"stack": {"name": "stack:0"}, "acc": {"name": "Exit_acc:0"}}}
    m = model(_while_nodes(), consts, signature=sig)
    stack, acc = m.predict(X)
    expected = np.array([X * (k + 2) for k in range(n)], np.float32).reshape(n, 3)
    np.testing.assert_array_equal(stack, expected)
    np.testing.assert_array_equal(acc, X * (n + 1))
    np.testing.assert_array_equal(m.predict(X)[0], expected)  # a second run starts afresh


def test_a_failure_inside_a_loop_names_the_node():
    consts = {"n": np.int32(2), "zero": np.int32(0), "w/one": np.int32(1)}
    nodes = _while_nodes()
    for nd in nodes:  # write the same index twice: TensorArray refuses
        if nd["name"] == "w/write":
            nd["input"][1] = "w/Enter_zero"
    nodes.append(enter("w/Enter_zero", "zero", True))
    m = model(nodes, consts, signature={"outputs": {"stack": {"name": "stack"}}})
    with pytest.raises(ModelExecutionError, match=r"'w/write' \(TensorArrayWriteV3\).*already written"):
        m.predict(X)


# ---------------------------------------------------------------------------- functional control flow
def _fn(name: str, args: list[tuple[str, str]], outs: list[tuple[str, str]], nodes: list[dict], ret: dict) -> dict:
    return {"signature": {"name": name, "inputArg": [{"name": a, "type": t} for a, t in args],
                          "outputArg": [{"name": o, "type": t} for o, t in outs]},
            "nodeDef": nodes, "ret": ret}


def _int_const(name: str, value: int) -> dict:
    return node(name, "Const", dtype={"type": "DT_INT32"},
                value={"tensor": {"dtype": "DT_INT32", "tensorShape": {}, "intVal": [value]}})


LIBRARY = [
    _fn("cond", [("i", "DT_INT32"), ("acc", "DT_FLOAT")], [("out", "DT_BOOL")],
        [_int_const("three", 3), node("less", "Less", ["i", "three:output:0"])], {"out": "less:z:0"}),
    _fn("body", [("i", "DT_INT32"), ("acc", "DT_FLOAT")], [("i_next", "DT_INT32"), ("acc_next", "DT_FLOAT")],
        [_int_const("one", 1), node("inc", "AddV2", ["i", "one:output:0"]), node("dbl", "AddV2", ["acc", "acc"])],
        {"i_next": "inc:z:0", "acc_next": "dbl:z:0"}),
    _fn("then", [("v", "DT_FLOAT")], [("r", "DT_FLOAT")], [node("neg", "Neg", ["v"])], {"r": "neg:y:0"}),
    _fn("else", [("v", "DT_FLOAT")], [("r", "DT_FLOAT")], [node("id", "Identity", ["v"])], {"r": "id:output:0"}),
]


def test_stateless_while_and_if_run_their_library_functions():
    func = lambda name: {"func": {"name": name}}  # noqa: E731
    nodes = [ph("x", [3]), ph("flag", [], "DT_BOOL"),
             node("loop", "StatelessWhile", ["zero", "x"], cond=func("cond"), body=func("body")),
             node("branch", "StatelessIf", ["flag", "loop:1"], then_branch=func("then"), else_branch=func("else"))]
    sig = {"outputs": {"count": {"name": "loop:0"}, "value": {"name": "branch:0"}}}
    # a graph weight named like a function's constant does not replace the function's own value
    m = model(nodes, {"zero": np.int32(0), "three": np.int32(99)}, signature=sig, library=LIBRARY)
    count, value = m.predict({"x": X, "flag": np.array(True)})
    assert count.dtype == np.int32 and int(count) == 3
    np.testing.assert_array_equal(value, -8 * X)
    np.testing.assert_array_equal(m.predict({"x": X, "flag": np.array(False)})[1], 8 * X)


def test_a_call_to_a_function_the_library_lacks_fails_the_build():
    nodes = [ph("x", [3]), node("b", "StatelessIf", ["x", "x"], then_branch={"func": {"name": "nowhere"}},
                                else_branch={"func": {"name": "else"}})]
    with pytest.raises(ModelFormatError, match="'nowhere'"):
        model(nodes, {}, library=LIBRARY)


def test_an_unsupported_op_inside_a_function_fails_the_build():
    lib = [_fn("f", [("v", "DT_FLOAT")], [("r", "DT_FLOAT")], [node("z", "Zork", ["v"])], {"r": "z:y:0"})]
    nodes = [ph("x", [3]), node("c", "StatelessIf", ["x", "x"], then_branch={"func": {"name": "f"}},
                                else_branch={"func": {"name": "f"}})]
    with pytest.raises(ModelFormatError, match=r"function 'f'.*'Zork' \(node 'z'\)"):
        model(nodes, {}, library=lib)


def _frame_enter(name: str, src: str, frame: str, constant: bool = False) -> dict:
    return node(name, "Enter", [src], frame_name={"s": b64(frame)}, is_constant={"b": constant})


def _loop_vars(prefix: str, names: list[str], cond_input: str) -> list[dict]:
    nodes = [node(f"{prefix}Cond", "LoopCond", [cond_input])]
    for v in names:
        nodes += [node(f"{prefix}Merge_{v}", "Merge", [f"{prefix}Enter_{v}", f"{prefix}Next_{v}"]),
                  node(f"{prefix}Switch_{v}", "Switch", [f"{prefix}Merge_{v}", f"{prefix}Cond"]),
                  node(f"{prefix}Id_{v}", "Identity", [f"{prefix}Switch_{v}:1"])]
    return nodes


def _nested_loops(n: int, m: int) -> tuple[list[dict], dict[str, np.ndarray]]:
    """total = x; for i in range(n): for j in range(m): total += 1."""
    nodes = [
        ph("x", []),
        _frame_enter("oEnter_i", "zero", "outer"), _frame_enter("oEnter_t", "x", "outer"),
        _frame_enter("oEnter_n", "n", "outer", True),
        node("oLess", "Less", ["oMerge_i", "oEnter_n"]),
        *_loop_vars("o", ["i", "t"], "oLess"),
        const("jzero", ["oId_i"]), const("ione", ["oId_i"]),
        _frame_enter("iEnter_j", "jzero", "inner"), _frame_enter("iEnter_t", "oId_t", "inner"),
        _frame_enter("iEnter_m", "m", "inner", True),
        node("iLess", "Less", ["iMerge_j", "iEnter_m"]),
        *_loop_vars("i", ["j", "t"], "iLess"),
        node("iAdd_j", "AddV2", ["iId_j", "one"]), node("iAdd_t", "AddV2", ["iId_t", "fone"]),
        node("iNext_j", "NextIteration", ["iAdd_j"]), node("iNext_t", "NextIteration", ["iAdd_t"]),
        node("iExit_t", "Exit", ["iSwitch_t"]),
        node("oAdd_i", "AddV2", ["oId_i", "ione"]),
        node("oNext_i", "NextIteration", ["oAdd_i"]), node("oNext_t", "NextIteration", ["iExit_t"]),
        node("oExit_t", "Exit", ["oSwitch_t"]),
    ]
    consts = {"zero": np.int32(0), "one": np.int32(1), "fone": np.float32(1), "n": np.int32(n), "m": np.int32(m),
              "jzero": np.int32(0), "ione": np.int32(1)}
    return nodes, consts


NESTED_SIGNATURE = {"outputs": {"total": {"name": "oExit_t"}}}


@pytest.mark.parametrize("n,m", [(2, 3), (0, 3), (3, 0), (1, 1)])
def test_nested_while_loops_keep_their_frames_apart(n, m):
    loops = model(*_nested_loops(n, m), signature=NESTED_SIGNATURE)
    got = loops.predict(np.array(0.5, np.float32))
    assert got.shape == () and float(got) == 0.5 + n * m, got


def test_a_node_missing_a_required_attribute_fails_the_build():
    with pytest.raises(ModelFormatError, match=r"'e' \(Enter\).*frame_name"):
        model([ph("x", [3]), node("e", "Enter", ["x"]), node("y", "Exit", ["e"])], {})


def test_inputs_of_unknown_shape_take_any_shape():
    m = model([node("a", "Placeholder", dtype={"type": "DT_FLOAT"}), ph("b", [2]), node("y", "AddV2", ["a", "b"])], {})
    assert m.input_names == ["a", "b"]
    for shape in [(2,), (3, 2), (1, 1, 2)]:
        a = np.ones(shape, np.float32)
        np.testing.assert_array_equal(m.predict({"a": a, "b": np.array([1, 2], np.float32)}), a + [1, 2])
    with pytest.raises(InvalidArgumentError, match="'b'"):
        m.predict({"a": np.ones(2, np.float32), "b": np.ones(3, np.float32)})


def test_a_function_calling_itself_is_refused():
    lib = [_fn("f", [("v", "DT_FLOAT")], [("r", "DT_FLOAT")],
               [node("again", "StatelessIf", ["v", "v"], then_branch={"func": {"name": "f"}},
                     else_branch={"func": {"name": "f"}})], {"r": "again:output:0"})]
    nodes = [ph("x", [3]), node("c", "StatelessIf", ["x", "x"], then_branch={"func": {"name": "f"}},
                                else_branch={"func": {"name": "f"}})]
    with pytest.raises(ModelFormatError, match="'f' calls itself"):
        model(nodes, {}, library=lib)


def test_a_loop_drops_each_iterations_values_once_read():
    """acc = x; 100 times: acc = acc + x. Each iteration's 1 MB values go once the next has them."""
    import tracemalloc

    nodes = [node(nd["name"], nd["op"], nd["input"], **nd["attr"]) for nd in _while_nodes()
             if not any(k in nd["name"] for k in ("ta", "flow", "write", "size", "range", "stack"))]
    nodes[0] = ph("x", [250_000])
    consts = {"n": np.int32(100), "zero": np.int32(0), "w/one": np.int32(1)}
    m = model(nodes, consts, signature={"outputs": {"acc": {"name": "Exit_acc:0"}}})
    x = np.ones(250_000, np.float32)
    np.testing.assert_array_equal(m.predict(x), x * 101)
    tracemalloc.start()
    try:
        m.predict(x)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20 * 2**20  # 100 iterations kept would be over 100 MB
