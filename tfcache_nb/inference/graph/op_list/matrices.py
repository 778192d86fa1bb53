"""The matrices family's ops: inputs and attributes (TF.js op_list/matrices)."""

from __future__ import annotations

from ..op_table import Attr, In, OpDef  # noqa: F401

F = "matrices"

OPS: list[OpDef] = []
