"""The creation family's ops: inputs and attributes (TF.js op_list/creation)."""

from __future__ import annotations

from ..op_table import Attr, In, OpDef  # noqa: F401

F = "creation"

OPS: list[OpDef] = []
