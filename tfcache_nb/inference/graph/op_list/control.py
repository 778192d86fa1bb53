"""The control family's ops: inputs and attributes (TF.js op_list/control)."""

from __future__ import annotations

from ..op_table import Attr, In, OpDef  # noqa: F401

F = "control"

OPS: list[OpDef] = []
