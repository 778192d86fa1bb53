"""One node ready to run (:class:`Step`), and the values executors hand back as TF.js keeps them."""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, Iterable, Sequence

import numpy as np

from ..graph_def import GraphNode
from .op_table import OpDef
from .registry import Executor, Params

Ref = tuple[str, int]  # (node name, output index)

_TO_TFJS = {"f": np.float32, "i": np.int32, "u": np.int32, "c": np.complex64}


def tfjs_array(value: Any) -> Any:
    """An executor's result in a TF.js dtype (float32, int32, bool, complex64, or objects)."""
    if value is None:
        return None
    a = value if isinstance(value, np.ndarray) else np.asarray(value)
    target = _TO_TFJS.get(a.dtype.kind)
    if target is not None and a.dtype != target:
        a = a.astype(target)
    return a


def describe(values: Iterable[Any]) -> str:
    """Inputs as ``[float32 [1, 8, 8, 3], int32 [2]]`` for an error message."""
    parts = []
    for v in values:
        if v is None:
            parts.append("dead")
        elif isinstance(v, np.ndarray) and v.dtype == object and v.ndim == 0:
            parts.append(type(v[()]).__name__)
        else:
            a = np.asarray(v)
            parts.append(f"{a.dtype} {list(a.shape)}")
    return "[" + ", ".join(parts) + "]"


@dataclasses.dataclass
class Step:
    """One node ready to run: its op's table entry and executor, and the outputs it reads."""

    node: GraphNode
    opdef: OpDef
    fn: Executor
    inputs: list[Ref]
    attrs: dict[str, Any]  # resolved once, when the step is made
    bind: Callable[[Sequence[Any]], Params]  # input values -> the executor's Params


def first_shape(outs: Sequence[Any]) -> tuple[int, ...]:
    """The shape of a node's first output, for profiles (() for containers and dead outputs)."""
    first = outs[0] if outs else None
    if not isinstance(first, np.ndarray) or first.dtype == object:
        return ()
    return tuple(first.shape)
