"""The arithmetic family's ops: inputs and attributes (TF.js op_list/arithmetic)."""

from __future__ import annotations

from ..op_table import Attr, In, OpDef

F = "arithmetic"

_AB = (In(0, "a"), In(1, "b"))


def _binary(name: str, *attrs: Attr) -> OpDef:
    return OpDef(name, F, inputs=_AB, attrs=attrs)


OPS: list[OpDef] = [
    _binary("Add"),
    _binary("AddV2"),
    OpDef("AddN", F, inputs=(In(0, "tensors", "tensors"),)),
    _binary("BiasAdd", Attr("data_format", "dataFormat", "string", "NHWC")),
    _binary("Sub"),
    _binary("RealDiv"),
    _binary("Div"),
    _binary("DivNoNan"),
    _binary("FloorDiv"),
    _binary("Mul"),
    _binary("Maximum"),
    _binary("Minimum"),
    _binary("Pow"),
    _binary("SquaredDifference"),
    _binary("Mod"),
    _binary("FloorMod"),
]
