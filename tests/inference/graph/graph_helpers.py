"""Run one graph op the way the executor does: attributes written as the converter writes them."""

from __future__ import annotations

import base64
from typing import Any, Sequence

import numpy as np

from tfcache_nb.inference.graph.executors import ALL_EXECUTORS
from tfcache_nb.inference.graph.op_table import op_table
from tfcache_nb.inference.graph.params import resolve
from tfcache_nb.inference.graph.registry import ExecutionContext
from tfcache_nb.inference.graph_def import GraphNode

_DT = {"float32": "DT_FLOAT", "int32": "DT_INT32", "bool": "DT_BOOL", "string": "DT_STRING",
       "complex64": "DT_COMPLEX64", "int64": "DT_INT64", "uint8": "DT_UINT8", "half": "DT_HALF"}


class DType(str):
    """Mark an attribute value as a dtype: ``DType("int32")``."""


class TensorShape(list):
    """Mark an attribute value as a shape: ``TensorShape([2, -1])``; ``TensorShape(None)`` is an unknown rank."""

    def __init__(self, dims=None):
        super().__init__(dims or [])
        self.unknown_rank = dims is None


class Func(str):
    """Mark an attribute value as a function name: ``Func("body")``."""


def encode_attr(value: Any) -> dict:
    """A Python value as the converter's typed JSON attribute."""
    if isinstance(value, DType):
        return {"type": _DT[str(value)]}
    if isinstance(value, TensorShape):
        if value.unknown_rank:
            return {"shape": {"unknownRank": True}}
        return {"shape": {"dim": [{"size": str(d)} for d in value]}}
    if isinstance(value, Func):
        return {"func": {"name": str(value)}}
    if isinstance(value, bool):
        return {"b": value}
    if isinstance(value, int):
        return {"i": str(value)}
    if isinstance(value, float):
        return {"f": value}
    if isinstance(value, str):
        return {"s": base64.b64encode(value.encode()).decode()}
    if isinstance(value, (list, tuple)):
        if all(isinstance(v, DType) for v in value) and value:
            return {"list": {"type": [_DT[str(v)] for v in value]}}
        if all(isinstance(v, str) for v in value) and value:
            return {"list": {"s": [base64.b64encode(v.encode()).decode() for v in value]}}
        if any(isinstance(v, float) for v in value):
            return {"list": {"f": [float(v) for v in value]}}
        return {"list": {"i": [str(int(v)) for v in value]}}
    raise TypeError(f"cannot encode attribute {value!r}")


def make_node(op: str, n_inputs: int, name: str = "node", **attrs: Any) -> GraphNode:
    return GraphNode(name, op, [f"in{i}" for i in range(n_inputs)], {k: encode_attr(v) for k, v in attrs.items()})


def run_op(op: str, inputs: Sequence[Any], ctx: ExecutionContext | None = None, **attrs: Any) -> Any:
    """The executor's result for ``op`` on ``inputs`` (arrays), with ``attrs`` as Python values."""
    node = make_node(op, len(inputs), **attrs)
    params = resolve(node, op_table()[op], [x if isinstance(x, np.ndarray) or x is None else np.asarray(x)
                                            for x in inputs])
    return ALL_EXECUTORS[op](params, ctx or ExecutionContext())
