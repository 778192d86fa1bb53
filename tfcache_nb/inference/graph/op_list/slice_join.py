"""The slice_join family's ops: inputs and attributes (TF.js op_list/slice_join)."""

from __future__ import annotations

from ..op_table import Attr, In, OpDef

F = "slice_join"

_X = In(0, "x")

OPS: list[OpDef] = [
    OpDef("ConcatV2", F, (In(0, "tensors", "tensors", end=-1), In(-1, "axis", "number")),
          (Attr("N", "n", "number", 2),)),
    OpDef("Concat", F, (In(1, "tensors", "tensors"), In(0, "axis", "number")), (Attr("N", "n", "number", 2),)),
    OpDef("GatherV2", F, (_X, In(1, "indices"), In(2, "axis", "number", default=0)),
          (Attr("batch_dims", "batch_dims", "number", 0),)),
    OpDef("Gather", F, (_X, In(1, "indices"))),
    OpDef("Reverse", F, (_X, In(1, "dims", "numbers"))),
    OpDef("ReverseV2", F, (_X, In(1, "axis", "numbers"))),
    OpDef("Slice", F, (_X, In(1, "begin", "numbers"), In(2, "size", "numbers"))),
    OpDef("StridedSlice", F,
          (_X, In(1, "begin", "numbers"), In(2, "end", "numbers"), In(3, "strides", "numbers")),
          (Attr("begin_mask", "begin_mask", "number", 0), Attr("end_mask", "end_mask", "number", 0),
           Attr("new_axis_mask", "new_axis_mask", "number", 0),
           Attr("ellipsis_mask", "ellipsis_mask", "number", 0),
           Attr("shrink_axis_mask", "shrink_axis_mask", "number", 0))),
    OpDef("Pack", F, (In(0, "tensors", "tensors"),), (Attr("axis", "axis", "number", 0),)),
    OpDef("Unpack", F, (In(0, "tensor"),), (Attr("axis", "axis", "number", 0),), outputs=None),
    OpDef("Tile", F, (_X, In(1, "reps", "numbers"))),
    OpDef("Split", F, (In(0, "axis", "number", default=0), In(1, "x")),
          (Attr("num_split", "num_split", "number", 1),), outputs=None),
    OpDef("SplitV", F, (_X, In(1, "size_splits", "numbers"), In(2, "axis", "number", default=0)), outputs=None),
    OpDef("ScatterNd", F, (In(0, "indices"), In(1, "updates"), In(2, "shape", "numbers"))),
    OpDef("GatherNd", F, (_X, In(1, "indices"))),
    OpDef("SparseToDense", F, (In(0, "sparse_indices"), In(1, "output_shape", "numbers"),
                               In(2, "sparse_values"), In(3, "default_value"))),
    OpDef("TensorScatterUpdate", F, (In(0, "tensor"), In(1, "indices"), In(2, "updates"))),
]
