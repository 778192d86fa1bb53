"""The logical family's ops: inputs and attributes (TF.js op_list/logical)."""

from __future__ import annotations

from ..op_table import Attr, In, OpDef  # noqa: F401

F = "logical"

OPS: list[OpDef] = []
