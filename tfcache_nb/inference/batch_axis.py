"""Whether a graph keeps each image on its own row of axis 0, so a batch may run in chunks.

The preplanned path runs a large batch in chunks and joins the outputs on axis 0 (see
``Model.predict``), and reports the output shape as ``(None, ...)``. Both are right only when
every op keeps the batch on axis 0: an image's outputs depend on that image alone and sit at
its index. A Squeeze of every size-1 axis, a Mean or ConcatV2 over axis 0, a Reshape that
moves values between images, a constant that broadcasts its own leading axis: each removes
or mixes the batch axis. Each op is judged from its attributes, its constant inputs and the
shapes of its inputs for one batch (whose axis 0 is the batch, by induction from the input);
an op this module does not know is taken as one that does not keep the batch.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from .graph.executors.reduction import reduce_axes
from .graph.op_table import op_table
from .graph.params import resolve
from .graph_def import GraphNode

Shape = tuple[int, ...]
#: one input of a node: the shape of a computed array (axis 0 the batch), or a constant's value
Operand = tuple[Shape | None, np.ndarray | None]
#: (node, params as the executor reads them, operands, output shape) -> the problem, or None
Rule = Callable[[GraphNode, Any, list[Operand], Shape], str | None]


def batch_axis_problem(nodes: Sequence[GraphNode], input_name: str, consts: Mapping[str, np.ndarray],
                       shapes: Mapping[str, Shape], outputs: Sequence[str]) -> str | None:
    """Why the graph may not keep the batch on axis 0 (naming the first node found), or None.

    ``nodes`` in topological order; ``consts`` the values of constant (and constant-folded)
    nodes; ``shapes`` the shape of every computed node for one batch.
    """
    for out in outputs:
        if out in consts:
            return f"the output '{out}' is a constant, which has no batch axis"
    for node in nodes:
        if node.name in consts or node.name == input_name or node.op in ("Placeholder", "Const", "NoOp"):
            continue
        rule = _RULES.get(node.op)
        if rule is None:
            return f"node '{node.name}' ({node.op}): not known to keep the batch axis"
        operands: list[Operand] = [(None, consts[src]) if src in consts else (tuple(shapes[src]), None)
                                   for src in node.inputs]
        if any(shape is not None and len(shape) == 0 for shape, _ in operands):
            return f"node '{node.name}' ({node.op}) reads a scalar, which has no batch axis"
        values = [value if value is not None else np.zeros(shape, np.float32) for shape, value in operands]
        try:
            params = resolve(node, op_table()[node.op], values)
            problem = rule(node, params, operands, tuple(shapes[node.name]))
        except (ValueError, TypeError, IndexError, KeyError) as exc:
            problem = f"its parameters cannot be read ({exc})"
        if problem is not None:
            return f"node '{node.name}' ({node.op}) {problem}"
    return None


# ---------------------------------------------------------------------------- rules
def _elementwise(node: GraphNode, p: Any, operands: list[Operand], out: Shape) -> str | None:
    """Unary ops and broadcasting binary ops: every computed input spans all the output's axes
    (a lower-rank one would line its batch up with another axis), and a constant of the
    output's rank has a leading axis of 1 (else it brings its own batch)."""
    for shape, value in operands:
        if shape is not None and len(shape) != len(out):
            return f"broadcasts an array of rank {len(shape)} to rank {len(out)}, off the batch axis"
        if value is not None and value.ndim >= len(out) and value.shape[0] != 1:
            return f"broadcasts a constant of shape {list(value.shape)} along the batch axis"
    return None


def _last_axis(node: GraphNode, p: Any, operands: list[Operand], out: Shape) -> str | None:
    return "works along the last axis, which is the batch axis" if len(out) < 2 else None


def _reduction(node: GraphNode, p: Any, operands: list[Operand], out: Shape) -> str | None:
    if p.axis is None:
        return "reduces over every axis, the batch axis too"
    return "reduces over the batch axis" if 0 in reduce_axes(p.axis, len(operands[0][0])) else None


def _squeeze(node: GraphNode, p: Any, operands: list[Operand], out: Shape) -> str | None:
    if not p.axis:
        return "has no squeeze_dims, so it drops a batch of one"
    rank = len(operands[0][0])
    return "squeezes the batch axis" if 0 in [int(a) % rank for a in p.axis] else None


def _reshape(node: GraphNode, p: Any, operands: list[Operand], out: Shape) -> str | None:
    target = [int(d) for d in p.shape]
    per_image = math.prod(operands[0][0][1:])
    if not target or target[0] != -1 or any(d < 0 for d in target[1:]) or math.prod(target[1:]) != per_image:
        return f"reshapes to {target}, which does not keep each image's {per_image} values on one row"
    return None


def _concat(node: GraphNode, p: Any, operands: list[Operand], out: Shape) -> str | None:
    if any(value is not None for _, value in operands[:-1]):
        return "joins a constant, which has no batch axis, to the batch"
    return "joins along the batch axis" if int(p.axis) % len(out) == 0 else None


def _pad(node: GraphNode, p: Any, operands: list[Operand], out: Shape) -> str | None:
    pads = np.asarray(p.padding).reshape(-1)
    return "pads the batch axis" if pads.size < 2 or pads[0] != 0 or pads[1] != 0 else None


def _kernel(rank: int, batch_arg: int = 0) -> Rule:
    """Convolutions and pooling (rank 4: TF.js reads a rank-3 input as one image) and MatMul
    (rank 2): the batch stays when the other operands are constants that do not span it."""
    def rule(node: GraphNode, p: Any, operands: list[Operand], out: Shape) -> str | None:
        x = operands[batch_arg][0]
        if x is None or len(x) != rank or len(out) != rank:
            return f"needs a computed input of rank {rank} first"
        if getattr(p, "transpose_a", False):
            return "transposes its input, moving the batch axis"
        for i, (shape, value) in enumerate(operands[batch_arg + 1:]):
            if shape is not None:
                return "takes a second computed input (a filter or an argument that has the batch axis)"
            if i and value.ndim >= rank and value.shape[0] != 1:  # (i = 0: the filter or weight)
                return f"broadcasts a constant of shape {list(value.shape)} along the batch axis"
        return None
    return rule


def _batch_norm(node: GraphNode, p: Any, operands: list[Operand], out: Shape) -> str | None:
    if any(shape is not None for shape, _ in operands[1:]):
        return "takes computed statistics"
    if len(out) < 2 and any(value is not None and value.size != 1 for _, value in operands[1:]):
        return "normalises along the last axis, which is the batch axis"
    return None


_RULES: dict[str, Rule] = {
    **{op: _elementwise for op in ("Identity", "StopGradient", "Relu", "Relu6", "Sigmoid", "Tanh",
                                   "Add", "AddV2", "Sub", "Mul", "RealDiv", "BiasAdd")},
    "Softmax": _last_axis, "Mean": _reduction, "Squeeze": _squeeze, "Reshape": _reshape, "ConcatV2": _concat,
    "Pad": _pad, "FusedBatchNorm": _batch_norm, "FusedBatchNormV3": _batch_norm,
    **{op: _kernel(4) for op in ("AvgPool", "MaxPool", "Conv2D", "DepthwiseConv2dNative", "_FusedConv2D",
                                 "FusedDepthwiseConv2dNative")},
    **{op: _kernel(2) for op in ("MatMul", "_FusedMatMul")},
}
