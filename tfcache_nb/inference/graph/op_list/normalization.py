"""The normalization family's ops: inputs and attributes (TF.js op_list/normalization)."""

from __future__ import annotations

from ..op_table import Attr, In, OpDef

F = "normalization"

_BN_INPUTS = (In(0, "x"), In(1, "scale"), In(2, "offset"), In(3, "mean"), In(4, "variance"))
_BN_ATTRS = (Attr("epsilon", "epsilon", "number", 0.001), Attr("data_format", "data_format", "string", "NHWC"))

OPS: list[OpDef] = [
    OpDef("EuclideanNorm", F, (In(0, "x"), In(1, "axis", "numbers")), (Attr("keep_dims", "keep_dims", "bool", False),)),
    OpDef("FusedBatchNorm", F, _BN_INPUTS, _BN_ATTRS),
    OpDef("FusedBatchNormV2", F, _BN_INPUTS, _BN_ATTRS),
    OpDef("FusedBatchNormV3", F, _BN_INPUTS, _BN_ATTRS),
    OpDef("LRN", F, (In(0, "x"),),
          (Attr("depth_radius", "depth_radius", "number", 5), Attr("bias", "bias", "number", 1.0),
           Attr("alpha", "alpha", "number", 1.0), Attr("beta", "beta", "number", 0.5))),
    OpDef("Softmax", F, (In(0, "x"),)),
    OpDef("LogSoftmax", F, (In(0, "x"),)),
]
