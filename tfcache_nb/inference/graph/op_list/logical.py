"""The logical family's ops: inputs and attributes (TF.js op_list/logical)."""

from __future__ import annotations

from ..op_table import In, OpDef

F = "logical"

_AB = (In(0, "a"), In(1, "b"))
_SELECT = (In(0, "condition"), In(1, "a"), In(2, "b"))

OPS: list[OpDef] = [
    *(OpDef(name, F, inputs=_AB) for name in
      ("Equal", "NotEqual", "Greater", "GreaterEqual", "Less", "LessEqual", "LogicalAnd", "LogicalOr")),
    OpDef("LogicalNot", F, inputs=(In(0, "a"),)),
    OpDef("Select", F, inputs=_SELECT),
    OpDef("SelectV2", F, inputs=_SELECT),
    # TF.js names these x and y but its executor reads a and b (so TF.js 4.22 cannot run it)
    OpDef("BitwiseAnd", F, inputs=_AB),
]
