"""TF.js's dtype rules for elementwise ops: which dtype a result has, and how values land in it.

TF.js has five dtypes (float32, int32, bool, complex64, string). A binary op first brings both
operands to the "larger" one (bool < int32 < float32 < complex64). Its CPU kernels compute each
element as a JavaScript double and store it into the result's typed array: a Float32Array
rounds, an Int32Array truncates toward zero and wraps modulo 2**32 (NaN and the infinities
become 0), and a bool tensor is a Uint8Array (so 0.5 and 256 read as false, 2 as true). numpy
promotes differently (int32 / int32 is float64, int32 + float32 is float64), so executors state
the dtype they want and store through :func:`store`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

FLOAT32 = "float32"
INT32 = "int32"
BOOL = "bool"
COMPLEX64 = "complex64"
STRING = "string"

NUMPY: dict[str, np.dtype] = {
    FLOAT32: np.dtype(np.float32), INT32: np.dtype(np.int32), BOOL: np.dtype(np.bool_),
    COMPLEX64: np.dtype(np.complex64), STRING: np.dtype(object),
}
_ORDER = {BOOL: 0, INT32: 1, FLOAT32: 2, COMPLEX64: 3}

#: TensorFlow's DataType names exactly as TF.js 4.22 maps them (operation_mapper's
#: parseDtypeParam); every other one (DT_BFLOAT16, DT_INT16, DT_UINT16, DT_UINT32, DT_UINT64,
#: the quantized and _REF types, ...) it maps to null, and a node using it fails there
TF_DTYPES: dict[str, str] = {
    "DT_FLOAT": FLOAT32, "DT_HALF": FLOAT32, "DT_DOUBLE": FLOAT32,
    "DT_INT32": INT32, "DT_INT64": INT32, "DT_INT8": INT32, "DT_UINT8": INT32,
    "DT_BOOL": BOOL, "DT_STRING": STRING, "DT_COMPLEX64": COMPLEX64, "DT_COMPLEX128": COMPLEX64,
}
# protobuf enum numbers, for converters that write them as numbers (and for naming the unsupported)
_DT_BY_NUMBER = {1: "DT_FLOAT", 2: "DT_DOUBLE", 3: "DT_INT32", 4: "DT_UINT8", 5: "DT_INT16", 6: "DT_INT8",
                 7: "DT_STRING", 8: "DT_COMPLEX64", 9: "DT_INT64", 10: "DT_BOOL", 11: "DT_QINT8", 12: "DT_QUINT8",
                 13: "DT_QINT32", 14: "DT_BFLOAT16", 15: "DT_QINT16", 16: "DT_QUINT16", 17: "DT_UINT16",
                 18: "DT_COMPLEX128", 19: "DT_HALF", 20: "DT_RESOURCE", 21: "DT_VARIANT", 22: "DT_UINT32",
                 23: "DT_UINT64"}


def tf_dtype_name(value: Any) -> str:
    """A TensorFlow DataType as its name (``9`` -> ``"DT_INT64"``), for lookups and messages."""
    if isinstance(value, int) or str(value).isdigit():
        return _DT_BY_NUMBER.get(int(value), f"DataType {int(value)}")
    return str(value)


def from_tf_dtype(value: Any) -> str | None:
    """The TF.js dtype of a TensorFlow DataType (``"DT_INT64"`` or its enum number), None where
    TF.js 4.22 has none."""
    return TF_DTYPES.get(tf_dtype_name(value))


def unsupported_dtype(value: Any) -> str:
    """Why a DataType cannot be used: the words every refusal of one uses."""
    return f"uses the dtype {tf_dtype_name(value)}, which TensorFlow.js 4.22 does not support"


def dtype_of(x: Any) -> str:
    """The TF.js dtype an array stands for (float64 counts as float32, int64 as int32)."""
    kind = np.asarray(x).dtype.kind
    if kind == "b":
        return BOOL
    if kind in "iu":
        return INT32
    if kind == "f":
        return FLOAT32
    if kind == "c":
        return COMPLEX64
    return STRING


def upcast(op: str, *arrays: Any) -> str:
    """The dtype a binary op computes in (TF.js's upcastType): the largest of the operands'."""
    kinds = {dtype_of(a) for a in arrays}
    if STRING in kinds:
        raise TypeError(f"{op} needs numeric tensors, got a string tensor")
    return max(kinds, key=_ORDER.__getitem__)


def store(values: Any, dtype: str) -> np.ndarray:
    """``values`` (computed as doubles) as a tensor of ``dtype``, the way TF.js's typed arrays keep them."""
    values = np.asarray(values)
    if dtype == FLOAT32:
        return values.astype(np.float32, copy=False)
    if dtype == COMPLEX64:
        return values.astype(np.complex64, copy=False)
    if dtype == STRING:
        return values.astype(object, copy=False)
    if values.dtype.kind in "biu":
        ints = values.astype(np.int64, copy=False)
    else:
        with np.errstate(invalid="ignore"):
            finite = np.where(np.isfinite(values), np.trunc(values), 0.0)
            ints = np.fmod(finite, 2.0 ** 32).astype(np.int64)
    if dtype == BOOL:
        return (ints & 0xFF) != 0
    return ints.astype(np.uint32).view(np.int32)  # wraps modulo 2**32, as an Int32Array does


def as_float32(x: np.ndarray) -> np.ndarray:
    """``x`` as float32 (no copy when it already is)."""
    return x.astype(np.float32, copy=False)


def require(op: str, x: np.ndarray, *dtypes: str) -> str:
    """``x``'s dtype, or a TypeError naming the op when it is not one of ``dtypes``."""
    kind = dtype_of(x)
    if kind not in dtypes:
        raise TypeError(f"{op} needs a {' or '.join(dtypes)} tensor, got {kind}")
    return kind
