"""The control family's ops: inputs and attributes (TF.js op_list/control).

Element shapes given as inputs (TensorList ops) are read as tensors: a scalar -1 there means
an unknown rank, which a flattened list of numbers could not tell apart from ``[-1]``.
"""

from __future__ import annotations

from ..op_table import Attr, In, OpDef

F = "control"

_TENSOR = (In(0, "tensor"),)
_FLOW = "flowIn"
_LIST_DTYPE = (Attr("element_dtype", "elementDType", "dtype"),)


def _flow(i: int) -> In:
    return In(i, _FLOW, default=None)


OPS: list[OpDef] = [
    # TF1 control flow (the executor core runs frames and dead branches around these)
    OpDef("LoopCond", F, (In(0, "pred"),)),
    OpDef("Switch", F, (In(0, "data"), In(1, "pred")), outputs=2),
    OpDef("Merge", F, (In(0, "tensors", "tensors"),), outputs=2),
    OpDef("Enter", F, _TENSOR, (Attr("frame_name", "frameName", "string"),
                                Attr("is_constant", "isConstant", "bool", False))),
    OpDef("Exit", F, _TENSOR),
    OpDef("NextIteration", F, _TENSOR),
    # TensorArrays
    OpDef("TensorArrayV3", F, (In(0, "size", "number"),),
          (Attr("dtype", "dtype", "dtype"), Attr("element_shape", "elementShape", "shape", None),
           Attr("dynamic_size", "dynamicSize", "bool", False), Attr("clear_after_read", "clearAfterRead", "bool", True),
           Attr("identical_element_shapes", "identicalElementShapes", "bool", False),
           Attr("tensor_array_name", "name", "string", "")), outputs=2),
    OpDef("TensorArrayWriteV3", F, (In(0, "tensorArrayId"), In(1, "index", "number"), In(2, "tensor"), _flow(3))),
    OpDef("TensorArrayReadV3", F, (In(0, "tensorArrayId"), In(1, "index", "number"), _flow(2)),
          (Attr("dtype", "dtype", "dtype", None),)),
    OpDef("TensorArrayGatherV3", F, (In(0, "tensorArrayId"), In(1, "indices", "numbers"), _flow(2)),
          (Attr("dtype", "dtype", "dtype", None), Attr("element_shape", "elementShape", "shape", None))),
    OpDef("TensorArrayScatterV3", F, (In(0, "tensorArrayId"), In(1, "indices", "numbers"), In(2, "tensor"), _flow(3))),
    OpDef("TensorArrayConcatV3", F, (In(0, "tensorArrayId"), _flow(1)), (Attr("dtype", "dtype", "dtype", None),),
          outputs=2),
    OpDef("TensorArraySplitV3", F, (In(0, "tensorArrayId"), In(1, "tensor"), In(2, "lengths", "numbers"), _flow(3))),
    OpDef("TensorArraySizeV3", F, (In(0, "tensorArrayId"), _flow(1))),
    OpDef("TensorArrayCloseV3", F, (In(0, "tensorArrayId"),)),
    # functional control flow (bodies in the graph's function library)
    OpDef("StatelessIf", F, (In(0, "cond"), In(1, "args", "tensors")),
          (Attr("then_branch", "thenBranch", "func"), Attr("else_branch", "elseBranch", "func")), outputs=None),
    OpDef("If", F, (In(0, "cond"), In(1, "args", "tensors")),
          (Attr("then_branch", "thenBranch", "func"), Attr("else_branch", "elseBranch", "func")), outputs=None),
    OpDef("StatelessWhile", F, (In(0, "args", "tensors"),),
          (Attr("cond", "cond", "func"), Attr("body", "body", "func")), outputs=None),
    OpDef("While", F, (In(0, "args", "tensors"),),
          (Attr("cond", "cond", "func"), Attr("body", "body", "func")), outputs=None),
    # TensorLists
    OpDef("EmptyTensorList", F, (In(0, "elementShape"), In(1, "maxNumElements", "number")), _LIST_DTYPE),
    OpDef("TensorListScatter", F, (In(0, "tensor"), In(1, "indices", "numbers"), In(2, "elementShape")),
          _LIST_DTYPE),
    OpDef("TensorListScatterV2", F, (In(0, "tensor"), In(1, "indices", "numbers"), In(2, "elementShape"),
                                     In(3, "numElements", "number")), _LIST_DTYPE),
    OpDef("TensorListGather", F, (In(0, "tensorListId"), In(1, "indices", "numbers"), In(2, "elementShape")),
          _LIST_DTYPE),
    OpDef("TensorListGetItem", F, (In(0, "tensorListId"), In(1, "index", "number"), In(2, "elementShape")),
          _LIST_DTYPE),
    OpDef("TensorListSetItem", F, (In(0, "tensorListId"), In(1, "index", "number"), In(2, "tensor")),
          (Attr("element_dtype", "elementDType", "dtype", None),)),
    OpDef("TensorListReserve", F, (In(0, "elementShape"), In(1, "numElements", "number")), _LIST_DTYPE),
    OpDef("TensorListFromTensor", F, (In(0, "tensor"), In(1, "elementShape")), _LIST_DTYPE),
    OpDef("TensorListStack", F, (In(0, "tensorListId"), In(1, "elementShape")),
          (*_LIST_DTYPE, Attr("num_elements", "numElements", "number", -1))),
    OpDef("TensorListSplit", F, (In(0, "tensor"), In(1, "elementShape"), In(2, "lengths", "numbers")),
          _LIST_DTYPE),
    OpDef("TensorListConcat", F, (In(0, "tensorListId"),),
          (Attr("element_shape", "elementShape", "shape", None), *_LIST_DTYPE), outputs=2),
    OpDef("TensorListConcatV2", F, (In(0, "tensorListId"),),
          (Attr("element_shape", "elementShape", "shape", None), *_LIST_DTYPE), outputs=2),
    OpDef("TensorListPopBack", F, (In(0, "tensorListId"), In(1, "elementShape")), _LIST_DTYPE, outputs=2),
    OpDef("TensorListPushBack", F, (In(0, "tensorListId"), In(1, "tensor")),
          (Attr("element_dtype", "elementDType", "dtype", None),)),
    OpDef("TensorListLength", F, (In(0, "tensorListId"),)),
    OpDef("TensorListResize", F, (In(0, "tensorListId"), In(1, "size", "number"))),
]

#: ops the executor core treats as TF1 control flow (frames, iterations, dead branches)
FRAME_OPS = frozenset({"Switch", "Merge", "Enter", "Exit", "NextIteration", "LoopCond"})
