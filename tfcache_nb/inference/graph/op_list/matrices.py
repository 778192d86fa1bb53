"""The matrices family's ops: inputs and attributes (TF.js op_list/matrices)."""

from __future__ import annotations

from ..op_table import Attr, In, OpDef

F = "matrices"

_AB = (In(0, "a"), In(1, "b"))
_TRANSPOSES = (Attr("transpose_a", "transpose_a", "bool", False), Attr("transpose_b", "transpose_b", "bool", False))
_ADJOINTS = (Attr("adj_x", "transpose_a", "bool", False), Attr("adj_y", "transpose_b", "bool", False))

OPS: list[OpDef] = [
    OpDef("_FusedMatMul", F, (*_AB, In(2, "args", "tensors")),
          (Attr("num_args", "num_args", "number", 0), Attr("fused_ops", "fused_ops", "strings", []),
           Attr("epsilon", "epsilon", "number", 0.0001), *_TRANSPOSES,
           Attr("leakyrelu_alpha", "leakyrelu_alpha", "number", 0.2))),
    OpDef("MatMul", F, _AB, _TRANSPOSES),
    OpDef("BatchMatMul", F, _AB, _ADJOINTS),
    OpDef("BatchMatMulV2", F, _AB, _ADJOINTS),
    OpDef("Transpose", F, (In(0, "x"), In(1, "perm", "numbers"))),
    OpDef("Einsum", F, (In(0, "tensors", "tensors"),), (Attr("equation", "equation", "string"),)),
    # TF.js's op list reads num_upper from input 1 as well (not input 2); kept, for parity with TF.js
    OpDef("MatrixBandPart", F, (In(0, "a"), In(1, "num_lower", "number"), In(1, "num_upper", "number"))),
]
