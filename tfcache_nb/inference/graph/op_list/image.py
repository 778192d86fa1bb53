"""The image family's ops: inputs and attributes (TF.js op_list/image)."""

from __future__ import annotations

from ..op_table import Attr, In, OpDef

F = "image"

_RESIZE = ((In(0, "images"), In(1, "size", "numbers")),
           (Attr("align_corners", "align_corners", "bool", False),
            Attr("half_pixel_centers", "half_pixel_centers", "bool", False)))

OPS: list[OpDef] = [
    OpDef("ResizeBilinear", F, *_RESIZE),
    OpDef("ResizeNearestNeighbor", F, *_RESIZE),
    OpDef("CropAndResize", F,
          (In(0, "image"), In(1, "boxes"), In(2, "box_ind"), In(3, "crop_size", "numbers")),
          (Attr("method", "method", "string", "bilinear"),
           Attr("extrapolation_value", "extrapolation_value", "number", 0.0))),
    OpDef("ImageProjectiveTransformV3", F,
          (In(0, "images"), In(1, "transforms"), In(2, "output_shape", "numbers"), In(3, "fill_value", "number")),
          (Attr("interpolation", "interpolation", "string"), Attr("fill_mode", "fill_mode", "string", "CONSTANT"))),
]
