"""The dynamic family's ops: inputs and attributes (TF.js op_list/dynamic)."""

from __future__ import annotations

from ..op_table import Attr, In, OpDef  # noqa: F401

F = "dynamic"

OPS: list[OpDef] = []
