"""The image family's ops: inputs and attributes (TF.js op_list/image)."""

from __future__ import annotations

from ..op_table import Attr, In, OpDef  # noqa: F401

F = "image"

OPS: list[OpDef] = []
