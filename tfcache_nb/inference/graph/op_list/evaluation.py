"""The evaluation family's ops: inputs and attributes (TF.js op_list/evaluation)."""

from __future__ import annotations

from ..op_table import Attr, In, OpDef  # noqa: F401

F = "evaluation"

OPS: list[OpDef] = []
