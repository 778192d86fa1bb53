"""The op table, one module per family as TF.js's op_list."""

from __future__ import annotations

from ..op_table import OpDef
from . import arithmetic, basic_math, control, convolution, creation, dynamic, evaluation, graph, image, logical, matrices, normalization, reduction, slice_join, transformation

FAMILIES = (arithmetic, basic_math, control, convolution, creation, dynamic, evaluation, graph, image, logical, matrices, normalization, reduction, slice_join, transformation,)
ALL_OP_DEFS: list[OpDef] = [op for family in FAMILIES for op in family.OPS]
