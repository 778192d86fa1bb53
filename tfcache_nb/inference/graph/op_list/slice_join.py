"""The slice_join family's ops: inputs and attributes (TF.js op_list/slice_join)."""

from __future__ import annotations

from ..op_table import Attr, In, OpDef  # noqa: F401

F = "slice_join"

OPS: list[OpDef] = []
