"""The reduction family's ops: inputs and attributes (TF.js op_list/reduction)."""

from __future__ import annotations

from ..op_table import Attr, In, OpDef  # noqa: F401

F = "reduction"

OPS: list[OpDef] = []
