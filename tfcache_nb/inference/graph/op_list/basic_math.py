"""The basic_math family's ops: inputs and attributes (TF.js op_list/basic_math).

TF.js 4.22 moved Prod to the reduction family. Softsign is not in TF.js's list; it is here
because TensorFlow graphs use it and its formula is not in doubt.
"""

from __future__ import annotations

from ..op_table import Attr, In, OpDef

F = "basic_math"

_X = (In(0, "x"),)

UNARY = ("Abs", "Acos", "Acosh", "Asin", "Asinh", "Atan", "Atanh", "Ceil", "ComplexAbs", "Cos", "Cosh", "Elu",
         "Erf", "Exp", "Expm1", "Floor", "Imag", "IsFinite", "IsInf", "IsNan", "Log", "Log1p", "Neg", "Real",
         "Reciprocal", "Relu", "Relu6", "Round", "Rsqrt", "Selu", "Sigmoid", "Sign", "Sin", "Sinh", "Softplus",
         "Softsign", "Sqrt", "Square", "Tan", "Tanh")

OPS: list[OpDef] = [OpDef(name, F, inputs=_X) for name in UNARY] + [
    OpDef("Atan2", F, inputs=(In(0, "x"), In(1, "y"))),
    OpDef("ClipByValue", F, inputs=(In(0, "x"), In(1, "clipValueMin", "number"), In(2, "clipValueMax", "number"))),
    OpDef("Complex", F, inputs=(In(0, "real"), In(1, "imag"))),
    OpDef("Prelu", F, inputs=(In(0, "x"), In(1, "alpha"))),
    OpDef("LeakyRelu", F, inputs=_X, attrs=(Attr("alpha", "alpha", "number", 0.2),)),
]
