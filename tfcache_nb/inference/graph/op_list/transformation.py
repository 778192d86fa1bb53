"""The transformation family's ops: inputs and attributes (TF.js op_list/transformation).

SpaceToDepth is not in TF.js's converter; it is here as DepthToSpace's inverse (TensorFlow's
semantics), so graphs that use it run too.
"""

from __future__ import annotations

from ..op_table import Attr, In, OpDef

F = "transformation"

_X = In(0, "x")

OPS: list[OpDef] = [
    OpDef("Cast", F, (_X,), (Attr("DstT", "dtype", "dtype"),)),
    OpDef("ExpandDims", F, (_X, In(1, "axis", "number"))),
    OpDef("MirrorPad", F, (_X, In(1, "padding", "numbers")), (Attr("mode", "mode", "string"),)),
    OpDef("Pad", F, (_X, In(1, "padding", "numbers")), (Attr("constant_value", "constant_value", "number", 0),)),
    OpDef("PadV2", F, (_X, In(1, "padding", "numbers"), In(2, "constant_value", "number", default=0))),
    OpDef("Reshape", F, (_X, In(1, "shape", "numbers"))),
    # TF.js reads the shape from a second input; TensorFlow writes it as an attribute
    OpDef("EnsureShape", F, (_X, In(1, "shape", "numbers", default=None)),
          (Attr("shape", "shape_attr", "shape", None),)),
    OpDef("Squeeze", F, (_X,), (Attr("axis|squeeze_dims", "axis", "numbers", None),)),
    OpDef("SpaceToBatchND", F, (_X, In(1, "block_shape", "numbers"), In(2, "paddings", "numbers"))),
    OpDef("BatchToSpaceND", F, (_X, In(1, "block_shape", "numbers"), In(2, "crops", "numbers"))),
    OpDef("DepthToSpace", F, (_X,), (Attr("block_size", "block_size", "number"),
                                     Attr("data_format", "data_format", "string", "NHWC"))),
    OpDef("SpaceToDepth", F, (_X,), (Attr("block_size", "block_size", "number"),
                                     Attr("data_format", "data_format", "string", "NHWC"))),
    OpDef("BroadcastTo", F, (_X, In(1, "shape", "numbers"))),
    OpDef("BroadcastArgs", F, (In(0, "s0"), In(1, "s1"))),
]
