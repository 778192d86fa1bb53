"""The convolution family's ops: inputs and attributes (TF.js op_list/convolution)."""

from __future__ import annotations

from ..op_table import Attr, In, OpDef  # noqa: F401

F = "convolution"

OPS: list[OpDef] = []
