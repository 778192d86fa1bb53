"""The graph family's executors (TF.js executors/graph_executor).

Placeholder and Const never run here: the executor core feeds inputs and constants itself;
their entries only make the ops known (a Placeholder left unfed is an error of the core).
"""

from __future__ import annotations

import logging

import numpy as np

from ..registry import ExecutionContext, Executor, Params

_log = logging.getLogger(__name__)


def _placeholder(p: Params, ctx: ExecutionContext) -> np.ndarray:
    raise ValueError(f"the input '{p.node.name}' was not given a value")


def _const(p: Params, ctx: ExecutionContext) -> np.ndarray:
    raise ValueError(f"the constant '{p.node.name}' has no value")


def _default(p: Params, ctx: ExecutionContext) -> np.ndarray:
    return p["default"]


def _identity(p: Params, ctx: ExecutionContext) -> np.ndarray:
    return p.x


def _identity_n(p: Params, ctx: ExecutionContext) -> list[np.ndarray]:
    return list(p.x)


def _shape(p: Params, ctx: ExecutionContext) -> np.ndarray:
    return np.array(np.shape(p.x), dtype=np.int32)


def _shape_n(p: Params, ctx: ExecutionContext) -> list[np.ndarray]:
    return [np.array(np.shape(x), dtype=np.int32) for x in p.x]


def _size(p: Params, ctx: ExecutionContext) -> np.ndarray:
    return np.array(np.size(p.x), dtype=np.int32)


def _rank(p: Params, ctx: ExecutionContext) -> np.ndarray:
    return np.array(np.ndim(p.x), dtype=np.int32)


def _no_op(p: Params, ctx: ExecutionContext) -> np.ndarray:
    return np.array(1.0, dtype=np.float32)  # TF.js gives NoOp a value so that readers of it can run


def _print(p: Params, ctx: ExecutionContext) -> np.ndarray:
    """tf.print in a graph: the message and the first ``summarize`` values of each tensor, to the log."""
    n = int(p.summarize)
    _log.warning("%s %s", p.message, [np.ravel(d)[:n].tolist() for d in p.data])
    return p.x


EXECUTORS: dict[str, Executor] = {
    "PlaceholderWithDefault": _default,
    "Placeholder": _placeholder,
    "Const": _const,
    "Identity": _identity,
    "IdentityN": _identity_n,
    "Snapshot": _identity,
    "Rank": _rank,
    "Size": _size,
    "Shape": _shape,
    "ShapeN": _shape_n,
    "Print": _print,
    "NoOp": _no_op,
    "StopGradient": _identity,
    "FakeQuantWithMinMaxVars": _identity,  # TF.js ignores it too
}
