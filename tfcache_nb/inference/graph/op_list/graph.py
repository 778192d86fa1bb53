"""The graph family's ops: inputs and attributes (TF.js op_list/graph)."""

from __future__ import annotations

from ..op_table import Attr, In, OpDef  # noqa: F401

F = "graph"

OPS: list[OpDef] = []
