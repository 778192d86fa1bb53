"""The control family's executors (TF.js executors/control_executor).

Switch marks its untaken output dead (None); Merge forwards the first live input. The frame
bookkeeping of Enter / Exit / NextIteration (which loop iteration a value belongs to) is the
executor core's: here they only pass their tensor on. TensorArray and TensorList handles are
0-d object arrays holding the container (see ``..resources``).
"""

from __future__ import annotations

import numpy as np

from ..registry import ExecutionContext, Executor, Params
from ..resources import (TensorArray, TensorList, list_from_tensor, list_scatter, list_split, make_handle,
                         resource_of, shape_value)

_I32 = np.int32


def _truth(value: np.ndarray) -> bool:
    flat = np.ravel(np.asarray(value))
    if flat.size == 0:
        raise ValueError("the condition is an empty tensor")
    return bool(flat[0])


def _pass(p: Params, ctx: ExecutionContext) -> np.ndarray:
    return p.tensor


def _loop_cond(p: Params, ctx: ExecutionContext) -> np.ndarray:
    return p.pred


def _switch(p: Params, ctx: ExecutionContext) -> list:
    """Outputs: 0 when the predicate is false, 1 when true; the other one is dead."""
    return [None, p.data] if _truth(p.pred) else [p.data, None]


def _merge(p: Params, ctx: ExecutionContext) -> list:
    for i, value in enumerate(p.tensors):
        if value is not None:
            return [value, np.array(i, _I32)]
    raise ValueError("Merge has no live input")


# ------------------------------------------------------------------ TensorArrays
def _ta(p: Params) -> TensorArray:
    return resource_of(p.tensorArrayId, TensorArray)


def _ta_new(p: Params, ctx: ExecutionContext) -> list:
    size = int(p.size)
    if size < 0:
        raise ValueError(f"TensorArray size {size} is negative")
    array = TensorArray(p["name"] or p.node.name, p.dtype, size, p.elementShape or None, p.dynamicSize,
                        p.clearAfterRead)
    return [make_handle(array), np.array(1.0, np.float32)]


def _ta_write(p: Params, ctx: ExecutionContext) -> np.ndarray:
    array = _ta(p)
    array.write(int(p.index), p.tensor)
    return np.array(1.0, np.float32)


def _ta_read(p: Params, ctx: ExecutionContext) -> np.ndarray:
    return _ta(p).read(int(p.index))


def _ta_gather(p: Params, ctx: ExecutionContext) -> np.ndarray:
    return _ta(p).gather([int(i) for i in p.indices], p.dtype, p.elementShape)


def _ta_scatter(p: Params, ctx: ExecutionContext) -> np.ndarray:
    _ta(p).scatter([int(i) for i in p.indices], p.tensor)
    return np.array(1.0, np.float32)


def _ta_concat(p: Params, ctx: ExecutionContext) -> list:
    array = _ta(p)
    lengths = np.array([array.tensors[i]["tensor"].shape[0] if "tensor" in array.tensors[i] else 0
                        for i in range(array.size())], _I32)
    return [array.concat(p.dtype), lengths]


def _ta_split(p: Params, ctx: ExecutionContext) -> np.ndarray:
    _ta(p).split([int(n) for n in p.lengths], p.tensor)
    return np.array(1.0, np.float32)


def _ta_size(p: Params, ctx: ExecutionContext) -> np.ndarray:
    return np.array(_ta(p).size(), _I32)


def _ta_close(p: Params, ctx: ExecutionContext) -> np.ndarray:
    _ta(p).close()
    return np.array(1.0, np.float32)


# ------------------------------------------------------------------ functional control flow
def _if(p: Params, ctx: ExecutionContext) -> list:
    branch = p.thenBranch if _truth(p.cond) else p.elseBranch
    return ctx.run_function(branch, list(p.args))


def _while(p: Params, ctx: ExecutionContext) -> list:
    values = list(p.args)
    while _truth(ctx.run_function(p.cond, values)[0]):
        values = ctx.run_function(p.body, values)
    return values


# ------------------------------------------------------------------ TensorLists
def _tl(p: Params) -> TensorList:
    return resource_of(p.tensorListId, TensorList)


def _tl_reserve(p: Params, ctx: ExecutionContext) -> np.ndarray:
    # TF.js starts a reserved list empty; SetItem grows it (as TensorFlow's size would read)
    max_elements = int(p.maxNumElements) if p.node.op == "EmptyTensorList" else -1
    return make_handle(TensorList([], shape_value(p.elementShape), p.elementDType, max_elements))


def _tl_from_tensor(p: Params, ctx: ExecutionContext) -> np.ndarray:
    return make_handle(list_from_tensor(p.tensor, shape_value(p.elementShape), p.elementDType))


def _tl_scatter(p: Params, ctx: ExecutionContext) -> np.ndarray:
    n = int(p.numElements) if "numElements" in p else -1
    return make_handle(list_scatter(p.tensor, [int(i) for i in p.indices], shape_value(p.elementShape), n))


def _tl_split(p: Params, ctx: ExecutionContext) -> np.ndarray:
    return make_handle(list_split(p.tensor, [int(n) for n in p.lengths], shape_value(p.elementShape)))


def _tl_get(p: Params, ctx: ExecutionContext) -> np.ndarray:
    return _tl(p).get_item(int(p.index), shape_value(p.elementShape), p.elementDType)


def _tl_set(p: Params, ctx: ExecutionContext) -> np.ndarray:
    tl = _tl(p)
    tl.set_item(int(p.index), p.tensor)
    return p.tensorListId


def _tl_stack(p: Params, ctx: ExecutionContext) -> np.ndarray:
    return _tl(p).stack(shape_value(p.elementShape), p.elementDType, int(p.numElements))


def _tl_gather(p: Params, ctx: ExecutionContext) -> np.ndarray:
    return _tl(p).gather([int(i) for i in p.indices], p.elementDType, shape_value(p.elementShape))


def _tl_concat(p: Params, ctx: ExecutionContext) -> list:
    tl = _tl(p)
    out = tl.concat(p.elementDType, p.elementShape)
    lengths = np.array([t.shape[0] if t is not None and t.ndim else 0 for t in tl.tensors], _I32)
    return [out, lengths]


def _tl_push(p: Params, ctx: ExecutionContext) -> np.ndarray:
    _tl(p).push_back(p.tensor)
    return p.tensorListId


def _tl_pop(p: Params, ctx: ExecutionContext) -> list:
    """Outputs as TensorFlow numbers them: the list (0) and the element (1)."""
    tensor = _tl(p).pop_back(shape_value(p.elementShape), p.elementDType)
    return [p.tensorListId, tensor]


def _tl_length(p: Params, ctx: ExecutionContext) -> np.ndarray:
    return np.array(_tl(p).size(), _I32)


def _tl_resize(p: Params, ctx: ExecutionContext) -> np.ndarray:
    return make_handle(_tl(p).resize(int(p.size)))


EXECUTORS: dict[str, Executor] = {
    "LoopCond": _loop_cond, "Switch": _switch, "Merge": _merge,
    "Enter": _pass, "Exit": _pass, "NextIteration": _pass,
    "TensorArrayV3": _ta_new, "TensorArrayWriteV3": _ta_write, "TensorArrayReadV3": _ta_read,
    "TensorArrayGatherV3": _ta_gather, "TensorArrayScatterV3": _ta_scatter, "TensorArrayConcatV3": _ta_concat,
    "TensorArraySplitV3": _ta_split, "TensorArraySizeV3": _ta_size, "TensorArrayCloseV3": _ta_close,
    "StatelessIf": _if, "If": _if, "StatelessWhile": _while, "While": _while,
    "EmptyTensorList": _tl_reserve, "TensorListReserve": _tl_reserve, "TensorListFromTensor": _tl_from_tensor,
    "TensorListScatter": _tl_scatter, "TensorListScatterV2": _tl_scatter, "TensorListSplit": _tl_split,
    "TensorListGetItem": _tl_get, "TensorListSetItem": _tl_set, "TensorListStack": _tl_stack,
    "TensorListGather": _tl_gather, "TensorListConcat": _tl_concat, "TensorListConcatV2": _tl_concat,
    "TensorListPushBack": _tl_push, "TensorListPopBack": _tl_pop, "TensorListLength": _tl_length,
    "TensorListResize": _tl_resize,
}
