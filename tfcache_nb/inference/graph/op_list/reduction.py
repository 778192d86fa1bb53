"""The reduction family's ops: inputs and attributes (TF.js op_list/reduction)."""

from __future__ import annotations

from ..op_table import Attr, In, OpDef

F = "reduction"

_KEEP = Attr("keep_dims", "keep_dims", "bool", False)
_CUMULATIVE = (Attr("exclusive", "exclusive", "bool", False), Attr("reverse", "reverse", "bool", False))


def _reduce(name: str) -> OpDef:
    return OpDef(name, F, (In(0, "x"), In(1, "axis", "numbers")), (_KEEP,))


OPS: list[OpDef] = [
    OpDef("Bincount", F, (In(0, "x"), In(1, "size", "number"), In(2, "weights"))),
    OpDef("DenseBincount", F, (In(0, "x"), In(1, "size", "number"), In(2, "weights")),
          (Attr("binary_output", "binary_output", "bool", False),)),
    _reduce("Max"), _reduce("Mean"), _reduce("Min"), _reduce("Sum"), _reduce("All"), _reduce("Any"), _reduce("Prod"),
    OpDef("ArgMax", F, (In(0, "x"), In(1, "axis", "number", default=0))),
    OpDef("ArgMin", F, (In(0, "x"), In(1, "axis", "number", default=0))),
    OpDef("Cumprod", F, (In(0, "x"), In(1, "axis", "number")), _CUMULATIVE),
    OpDef("Cumsum", F, (In(0, "x"), In(1, "axis", "number")), _CUMULATIVE),
]
