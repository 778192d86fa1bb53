"""The arithmetic family's ops: inputs and attributes (TF.js op_list/arithmetic)."""

from __future__ import annotations

from ..op_table import Attr, In, OpDef  # noqa: F401

F = "arithmetic"

OPS: list[OpDef] = []
