"""The evaluation family's ops: inputs and attributes (TF.js op_list/evaluation)."""

from __future__ import annotations

from ..op_table import Attr, In, OpDef

F = "evaluation"

_SEARCH = (In(0, "sorted_sequence"), In(1, "search_values"))

OPS: list[OpDef] = [
    OpDef("LowerBound", F, _SEARCH),
    OpDef("TopKV2", F, (In(0, "x"), In(1, "k", "number")), (Attr("sorted", "sorted", "bool", True),), outputs=2),
    OpDef("UpperBound", F, _SEARCH),
    OpDef("Unique", F, (In(0, "x"),), outputs=2),
    OpDef("UniqueV2", F, (In(0, "x"), In(1, "axis", "number")), outputs=2),
]
