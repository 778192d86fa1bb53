"""The control family's ops one at a time: Switch/Merge, TensorArrays, TensorLists, If/While.

Loops and frames run in the executor core and are tested in test_executor.py; here each op is
checked against hand-computed values, with TF.js's rules for the containers (an element is
written once; ``clear_after_read``; a TensorArray's size is the number of elements written).
"""

from __future__ import annotations

import numpy as np
import pytest

from tfcache_nb.inference.graph.registry import ExecutionContext

from graph_helpers import DType, Func, TensorShape, run_op

A = np.array([[1, 2], [3, 4], [5, 6]], np.float32)


def test_switch_sends_data_to_the_output_of_its_predicate():
    assert run_op("Switch", [A, np.array(False)])[1] is None
    np.testing.assert_array_equal(run_op("Switch", [A, np.array(False)])[0], A)
    dead, live = run_op("Switch", [A, np.array([True])])
    assert dead is None and live is A


def test_merge_forwards_the_first_live_input_and_its_index():
    value, index = run_op("Merge", [None, A, A * 2])
    assert value is A and int(index) == 1 and index.dtype == np.int32
    with pytest.raises(ValueError, match="no live input"):
        run_op("Merge", [None, None])


@pytest.mark.parametrize("op", ["Enter", "Exit", "NextIteration"])
def test_frame_ops_pass_their_tensor(op):
    attrs = {"frame_name": "f"} if op == "Enter" else {}
    assert run_op(op, [A], **attrs) is A


def test_loop_cond_passes_the_predicate():
    assert bool(run_op("LoopCond", [np.array(True)]))


# ---------------------------------------------------------------------------- TensorArrays
def _array(size=3, dtype="float32", **attrs):
    handle, flow = run_op("TensorArrayV3", [np.int32(size)], dtype=DType(dtype), **attrs)
    assert handle.dtype == object and float(flow) == 1.0
    return handle


def test_tensor_array_write_read_size_and_gather():
    ta = _array(clear_after_read=False)
    for i in (2, 0):
        run_op("TensorArrayWriteV3", [ta, np.int32(i), A[i], np.float32(0)])
    assert int(run_op("TensorArraySizeV3", [ta])) == 3  # TF.js: highest written index + 1
    np.testing.assert_array_equal(run_op("TensorArrayReadV3", [ta, np.int32(2)]), A[2])
    got = run_op("TensorArrayGatherV3", [ta, np.array([2, 0], np.int32)], dtype=DType("float32"))
    np.testing.assert_array_equal(got, A[[2, 0]])
    with pytest.raises(ValueError, match="never written"):
        run_op("TensorArrayReadV3", [ta, np.int32(1)])


def test_tensor_array_refuses_what_tfjs_refuses():
    ta = _array()
    run_op("TensorArrayWriteV3", [ta, np.int32(0), A[0]])
    with pytest.raises(ValueError, match="already written"):
        run_op("TensorArrayWriteV3", [ta, np.int32(0), A[1]])
    with pytest.raises(IndexError, match="size is 3"):
        run_op("TensorArrayWriteV3", [ta, np.int32(3), A[1]])
    with pytest.raises(ValueError, match="int32"):
        run_op("TensorArrayWriteV3", [ta, np.int32(1), np.array([1, 2], np.int32)])
    with pytest.raises(ValueError, match="do not match"):
        run_op("TensorArrayWriteV3", [ta, np.int32(1), np.zeros(3, np.float32)])
    run_op("TensorArrayReadV3", [ta, np.int32(0)])
    with pytest.raises(ValueError, match="cleared"):  # clear_after_read is TensorFlow's default
        run_op("TensorArrayReadV3", [ta, np.int32(0)])
    run_op("TensorArrayCloseV3", [ta])
    with pytest.raises(ValueError, match="closed"):
        run_op("TensorArrayReadV3", [ta, np.int32(0)])


def test_tensor_array_scatter_split_and_concat():
    ta = _array()
    run_op("TensorArrayScatterV3", [ta, np.array([1, 0, 2], np.int32), A])
    np.testing.assert_array_equal(run_op("TensorArrayGatherV3", [ta, np.arange(3, dtype=np.int32)]), A[[1, 0, 2]])
    ta2 = _array(2, element_shape=TensorShape([-1, 2]))
    run_op("TensorArraySplitV3", [ta2, A, np.array([1, 2], np.int32)])
    value, lengths = run_op("TensorArrayConcatV3", [ta2], dtype=DType("float32"))
    np.testing.assert_array_equal(value, A)
    assert lengths.tolist() == [1, 2]
    with pytest.raises(ValueError, match="sum to 2"):
        run_op("TensorArraySplitV3", [_array(2), A, np.array([1, 1], np.int32)])


def test_an_empty_gather_keeps_the_element_shape():
    got = run_op("TensorArrayGatherV3", [_array(0), np.zeros(0, np.int32)], element_shape=TensorShape([4, 2]))
    assert got.shape == (0, 4, 2) and got.dtype == np.float32


# ---------------------------------------------------------------------------- TensorLists
UNKNOWN = np.int32(-1)  # an element shape of unknown rank


def test_tensor_list_from_tensor_get_set_stack_and_length():
    tl = run_op("TensorListFromTensor", [A, np.array([2], np.int32)], element_dtype=DType("float32"))
    assert int(run_op("TensorListLength", [tl])) == 3
    np.testing.assert_array_equal(run_op("TensorListGetItem", [tl, np.int32(1), UNKNOWN],
                                         element_dtype=DType("float32")), A[1])
    run_op("TensorListSetItem", [tl, np.int32(1), np.array([9, 9], np.float32)])
    stacked = run_op("TensorListStack", [tl, np.array([-1], np.int32)], element_dtype=DType("float32"))
    np.testing.assert_array_equal(stacked, [[1, 2], [9, 9], [5, 6]])
    got = run_op("TensorListGather", [tl, np.array([2, 0], np.int32), UNKNOWN], element_dtype=DType("float32"))
    np.testing.assert_array_equal(got, [[5, 6], [1, 2]])


def test_tensor_list_reserve_push_pop_and_resize():
    tl = run_op("TensorListReserve", [np.array([2], np.int32), np.int32(3)], element_dtype=DType("int32"))
    run_op("TensorListPushBack", [tl, np.array([1, 2], np.int32)])
    run_op("TensorListPushBack", [tl, np.array([3, 4], np.int32)])
    handle, last = run_op("TensorListPopBack", [tl, UNKNOWN], element_dtype=DType("int32"))
    assert handle is tl and last.tolist() == [3, 4]
    bigger = run_op("TensorListResize", [tl, np.int32(3)])
    assert int(run_op("TensorListLength", [bigger])) == 3 and int(run_op("TensorListLength", [tl])) == 1
    with pytest.raises(ValueError, match="never set"):
        run_op("TensorListGetItem", [bigger, np.int32(2), UNKNOWN], element_dtype=DType("int32"))
    with pytest.raises(ValueError, match="float32"):
        run_op("TensorListPushBack", [tl, np.array([1, 2], np.float32)])
    full = run_op("EmptyTensorList", [UNKNOWN, np.int32(1)], element_dtype=DType("int32"))
    run_op("TensorListPushBack", [full, np.array([1], np.int32)])
    with pytest.raises(ValueError, match="full"):
        run_op("TensorListPushBack", [full, np.array([2], np.int32)])


def test_tensor_list_scatter_split_and_concat():
    tl = run_op("TensorListScatterV2", [A, np.array([2, 0, 1], np.int32), UNKNOWN, np.int32(3)],
                element_dtype=DType("float32"))
    np.testing.assert_array_equal(run_op("TensorListStack", [tl, UNKNOWN], element_dtype=DType("float32")),
                                  A[[1, 2, 0]])
    parts = run_op("TensorListSplit", [A, np.array([-1, 2], np.int32), np.array([2, 1], np.int32)],
                   element_dtype=DType("float32"))
    value, lengths = run_op("TensorListConcatV2", [parts], element_dtype=DType("float32"))
    np.testing.assert_array_equal(value, A)
    assert lengths.tolist() == [2, 1]
    with pytest.raises(IndexError, match="past"):
        run_op("TensorListScatterV2", [A, np.array([0, 1, 5], np.int32), UNKNOWN, np.int32(3)],
               element_dtype=DType("float32"))


def test_stacking_an_empty_list_needs_a_known_element_shape():
    tl = run_op("TensorListReserve", [UNKNOWN, np.int32(0)], element_dtype=DType("float32"))
    with pytest.raises(ValueError, match="empty list"):
        run_op("TensorListStack", [tl, UNKNOWN], element_dtype=DType("float32"))
    got = run_op("TensorListStack", [tl, np.array([2, 3], np.int32)], element_dtype=DType("float32"))
    assert got.shape == (0, 2, 3)


# ---------------------------------------------------------------------------- functional control flow
def _ctx(calls):
    def run(name, args):
        calls.append(name)
        if name == "cond":
            return [np.array(args[0] < 5)]
        if name == "body":
            return [args[0] + 2, args[1] * 2]
        return [args[0] + (1 if name == "then" else -1)]
    return ExecutionContext({}, run)


def test_while_runs_body_until_cond_is_false():
    calls = []
    i, v = run_op("StatelessWhile", [np.int32(0), np.float32(1)], ctx=_ctx(calls), cond=Func("cond"), body=Func("body"))
    assert int(i) == 6 and float(v) == 8.0
    assert calls == ["cond", "body"] * 3 + ["cond"]


@pytest.mark.parametrize("op", ["If", "StatelessIf"])
def test_if_runs_one_branch(op):
    calls = []
    out = run_op(op, [np.array([True]), np.int32(10)], ctx=_ctx(calls), then_branch=Func("then"), else_branch=Func("else"))
    assert int(out[0]) == 11 and calls == ["then"]
    out = run_op(op, [np.array(0), np.int32(10)], ctx=_ctx(calls), then_branch=Func("then"), else_branch=Func("else"))
    assert int(out[0]) == 9
