"""The executors, one module per family as TF.js's executors."""

from __future__ import annotations

from ..registry import Executor
from . import arithmetic, basic_math, control, convolution, creation, dynamic, evaluation, graph, image, logical, matrices, normalization, reduction, slice_join, transformation

FAMILIES = (arithmetic, basic_math, control, convolution, creation, dynamic, evaluation, graph, image, logical, matrices, normalization, reduction, slice_join, transformation,)
ALL_EXECUTORS: dict[str, Executor] = {name: fn for family in FAMILIES for name, fn in family.EXECUTORS.items()}
