"""The normalization family's ops: inputs and attributes (TF.js op_list/normalization)."""

from __future__ import annotations

from ..op_table import Attr, In, OpDef  # noqa: F401

F = "normalization"

OPS: list[OpDef] = []
