"""The dynamic family's ops: inputs and attributes (TF.js op_list/dynamic)."""

from __future__ import annotations

from ..op_table import Attr, In, OpDef

F = "dynamic"

_NMS = (In(0, "boxes"), In(1, "scores"), In(2, "max_output_size", "number"), In(3, "iou_threshold", "number"))
_SCORE = In(4, "score_threshold", "number")

OPS: list[OpDef] = [
    OpDef("NonMaxSuppressionV2", F, _NMS),
    OpDef("NonMaxSuppressionV3", F, _NMS + (_SCORE,)),
    OpDef("NonMaxSuppressionV4", F, _NMS + (_SCORE,),
          (Attr("pad_to_max_output_size", "pad_to_max_output_size", "bool", False),), outputs=2),
    OpDef("NonMaxSuppressionV5", F, _NMS + (_SCORE, In(5, "soft_nms_sigma", "number")), outputs=2),
    OpDef("Where", F, (In(0, "condition"),)),
    OpDef("ListDiff", F, (In(0, "x"), In(1, "y")), outputs=2),
]
