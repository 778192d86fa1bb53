"""The graph family's ops: inputs and attributes (TF.js op_list/graph)."""

from __future__ import annotations

from ..op_table import Attr, In, OpDef

F = "graph"

_X = (In(0, "x"),)
_ALL = (In(0, "x", "tensors"),)

OPS: list[OpDef] = [
    OpDef("PlaceholderWithDefault", F, (In(0, "default"),),
          (Attr("shape", "shape", "shape", None), Attr("dtype", "dtype", "dtype", None))),
    OpDef("Placeholder", F, (), (Attr("shape", "shape", "shape", None), Attr("dtype", "dtype", "dtype", None))),
    OpDef("Const", F),
    OpDef("Identity", F, _X),
    OpDef("IdentityN", F, _ALL, outputs=None),
    OpDef("Snapshot", F, _X),
    OpDef("Rank", F, _X),
    OpDef("Size", F, _X),
    OpDef("Shape", F, _X),
    OpDef("ShapeN", F, _ALL, outputs=None),
    OpDef("Print", F, (In(0, "x"), In(1, "data", "tensors")),
          (Attr("message", "message", "string", ""), Attr("summarize", "summarize", "number", 3))),
    OpDef("NoOp", F),
    OpDef("StopGradient", F, _X),
    OpDef("FakeQuantWithMinMaxVars", F, _X,
          (Attr("min", "min", "number", 0.0), Attr("max", "max", "number", 0.0))),
]
