"""The convolution family's ops: inputs and attributes (TF.js op_list/convolution)."""

from __future__ import annotations

from ..op_table import Attr, In, OpDef

F = "convolution"

_X = In(0, "x")
_FILTER = In(1, "filter")
_STRIDES = Attr("strides", "strides", "numbers")
_PAD = Attr("padding", "pad", "string")
_EXPLICIT = Attr("explicit_paddings", "explicit_paddings", "numbers", [])
_FORMAT = Attr("data_format", "data_format", "string", "NHWC")
_DILATIONS = Attr("dilations", "dilations", "numbers", [1, 1, 1, 1])
_KSIZE = Attr("ksize", "ksize", "numbers")
_FUSED = (In(2, "args", "tensors"), Attr("num_args", "num_args", "number", 0),
          Attr("fused_ops", "fused_ops", "strings", []), Attr("epsilon", "epsilon", "number", 0.0001),
          Attr("leakyrelu_alpha", "leakyrelu_alpha", "number", 0.2))


def _pool(name: str) -> OpDef:
    return OpDef(name, F, (_X,), (_STRIDES, _PAD, _KSIZE, _FORMAT, _EXPLICIT))


OPS: list[OpDef] = [
    _pool("AvgPool"),
    _pool("MaxPool"),
    OpDef("MaxPoolWithArgmax", F, (_X,),
          (_STRIDES, _PAD, _KSIZE, Attr("include_batch_in_index", "include_batch_in_index", "bool", False)),
          outputs=2),
    OpDef("AvgPool3D", F, (_X,), (_STRIDES, _PAD, _KSIZE, Attr("data_format", "data_format", "string", "NDHWC"))),
    OpDef("MaxPool3D", F, (_X,), (_STRIDES, _PAD, _KSIZE, Attr("data_format", "data_format", "string", "NDHWC"))),
    OpDef("Conv1D", F, (_X, _FILTER),
          (Attr("stride", "stride", "number"), _PAD, Attr("data_format", "data_format", "string", "NWC"),
           Attr("dilation", "dilation", "number", 1))),
    OpDef("Conv2D", F, (_X, _FILTER), (_STRIDES, _PAD, _EXPLICIT, _FORMAT, _DILATIONS)),
    OpDef("_FusedConv2D", F, (_X, _FILTER, *_FUSED[:1]),
          (_STRIDES, _PAD, _EXPLICIT, _FORMAT, _DILATIONS, *_FUSED[1:])),
    OpDef("Conv2DBackpropInput", F, (In(2, "x"), _FILTER, In(0, "output_shape", "numbers")),
          (_STRIDES, _PAD, _EXPLICIT, _FORMAT, _DILATIONS)),
    OpDef("DepthwiseConv2d", F, (_X, _FILTER), (_STRIDES, _PAD, _EXPLICIT, _FORMAT, _DILATIONS)),
    OpDef("DepthwiseConv2dNative", F, (_X, _FILTER), (_STRIDES, _PAD, _EXPLICIT, _FORMAT, _DILATIONS)),
    OpDef("FusedDepthwiseConv2dNative", F, (_X, _FILTER, *_FUSED[:1]),
          (_STRIDES, _PAD, _EXPLICIT, _FORMAT, _DILATIONS, *_FUSED[1:])),
    OpDef("Conv3D", F, (_X, _FILTER),
          (_STRIDES, _PAD, Attr("data_format", "data_format", "string", "NDHWC"),
           Attr("dilations", "dilations", "numbers", [1, 1, 1, 1, 1]))),
    OpDef("Dilation2D", F, (_X, _FILTER), (_STRIDES, Attr("rates", "rates", "numbers"), _PAD)),
]
