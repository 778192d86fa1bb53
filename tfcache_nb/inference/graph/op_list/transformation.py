"""The transformation family's ops: inputs and attributes (TF.js op_list/transformation)."""

from __future__ import annotations

from ..op_table import Attr, In, OpDef  # noqa: F401

F = "transformation"

OPS: list[OpDef] = []
