"""The basic_math family's ops: inputs and attributes (TF.js op_list/basic_math)."""

from __future__ import annotations

from ..op_table import Attr, In, OpDef  # noqa: F401

F = "basic_math"

OPS: list[OpDef] = []
