"""The creation family's ops: inputs and attributes (TF.js op_list/creation)."""

from __future__ import annotations

from ..op_table import Attr, In, OpDef

F = "creation"

_SHAPE = (In(0, "shape", "numbers"),)
_SEED = Attr("seed", "seed", "number", 0)
_SEED2 = Attr("seed2", "seed2", "number", 0)

OPS: list[OpDef] = [
    OpDef("Fill", F, inputs=(In(0, "shape", "numbers"), In(1, "value", "number")),
          attrs=(Attr("T", "dtype", "dtype", "float32"),)),
    OpDef("LinSpace", F, inputs=(In(0, "start", "number"), In(1, "stop", "number"), In(2, "num", "number"))),
    OpDef("OneHot", F, inputs=(In(0, "indices"), In(1, "depth", "number"), In(2, "onValue", "number", default=1),
                               In(3, "offValue", "number", default=0)),
          attrs=(Attr("axis", "axis", "number", -1), Attr("T", "dtype", "dtype", "int32"))),
    OpDef("Ones", F, inputs=_SHAPE, attrs=(Attr("T", "dtype", "dtype", "float32"),)),
    OpDef("OnesLike", F, inputs=(In(0, "x"),)),
    OpDef("Zeros", F, inputs=_SHAPE, attrs=(Attr("T", "dtype", "dtype", "float32"),)),
    OpDef("ZerosLike", F, inputs=(In(0, "x"),)),
    OpDef("Range", F, inputs=(In(0, "start", "number"), In(1, "stop", "number"), In(2, "step", "number", default=0)),
          attrs=(Attr("Tidx", "dtype", "dtype", "float32"),)),
    OpDef("RandomStandardNormal", F, inputs=_SHAPE,
          attrs=(_SEED, _SEED2, Attr("dtype", "dtype", "dtype", "float32"))),
    OpDef("RandomUniform", F, inputs=_SHAPE,
          attrs=(Attr("minval", "minval", "number", 0), Attr("maxval", "maxval", "number", 1),
                 Attr("dtype", "dtype", "dtype", "float32"), _SEED, _SEED2)),
    OpDef("RandomUniformInt", F, inputs=(In(0, "shape", "numbers"), In(1, "minval", "number", default=None),
                                         In(2, "maxval", "number", default=None)),
          attrs=(Attr("minval", "minvalAttr", "number", None), Attr("maxval", "maxvalAttr", "number", None),
                 _SEED, _SEED2, Attr("Tout", "dtype", "dtype", "int32"))),
    OpDef("TruncatedNormal", F, inputs=_SHAPE,
          attrs=(Attr("means", "mean", "number", 0), Attr("stddev", "stdDev", "number", 1), _SEED, _SEED2,
                 Attr("dtype", "dtype", "dtype", "float32"))),
    OpDef("Multinomial", F, inputs=(In(0, "logits"), In(1, "numSamples", "number")),
          attrs=(_SEED, _SEED2, Attr("output_dtype", "output_dtype", "dtype", "int32"))),
]
