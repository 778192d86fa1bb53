"""Const nodes' values: from the weights manifest, or from the TensorProto in their attributes."""

from __future__ import annotations

import base64
from typing import Any, Mapping

import numpy as np

from ...errors import ModelFormatError, quoted
from ..graph_def import GraphNode
from .tfjs_dtypes import NUMPY as NUMPY_DTYPES, from_tf_dtype, unsupported_dtype
from .step import tfjs_array

def const_value(node: GraphNode, weights: Mapping[str, np.ndarray], where: str = "graph") -> np.ndarray:
    """A Const node's value: from the weights manifest, else from its ``value`` attribute.

    In a function body the attribute comes first: its node names may repeat the graph's.
    """
    tensor = (node.attr.get("value") or {}).get("tensor")
    value = weights.get(node.name)
    if value is not None and not (where != "graph" and isinstance(tensor, Mapping)):
        return tfjs_array(np.asarray(value))
    if isinstance(tensor, Mapping):
        try:
            return tensor_proto_value(tensor)
        except (ValueError, TypeError, KeyError) as exc:
            raise ModelFormatError(f"Const node {quoted(node.name)} has an invalid value: {exc}") from None
    raise ModelFormatError(f"Const node {quoted(node.name)} of the {where} has no value in the weights manifest.")


_PROTO_FIELDS = {"float32": "floatVal", "int32": "intVal", "bool": "boolVal", "string": "stringVal"}


def tensor_proto_value(tensor: Mapping[str, Any]) -> np.ndarray:
    """A TensorProto written as JSON (``dtype``, ``tensorShape``, ``*Val`` or ``tensorContent``)."""
    dtype = from_tf_dtype(tensor.get("dtype", "DT_FLOAT"))
    if dtype is None:
        raise ValueError(f"it {unsupported_dtype(tensor.get('dtype'))}")
    shape = [int(d.get("size", 0)) for d in (tensor.get("tensorShape") or {}).get("dim", [])]
    np_dtype = NUMPY_DTYPES[dtype]
    content = tensor.get("tensorContent")
    if content:
        raw_dtype = {"DT_FLOAT": np.float32, "DT_DOUBLE": np.float64, "DT_INT32": np.int32, "DT_INT64": np.int64,
                     "DT_BOOL": np.bool_, "DT_UINT8": np.uint8}[str(tensor.get("dtype", "DT_FLOAT"))]
        flat = np.frombuffer(base64.b64decode(content), dtype=raw_dtype).astype(np_dtype)
    else:
        field = _PROTO_FIELDS[dtype]
        items = tensor.get(field) or tensor.get("int64Val") or tensor.get("doubleVal") or []
        if dtype == "string":
            flat = np.array([base64.b64decode(v) for v in items], dtype=object)
        else:
            flat = np.array([float(v) if dtype == "float32" else (v in (True, "true") if dtype == "bool" else int(v))
                             for v in items], dtype=np_dtype)
    size = int(np.prod(shape)) if shape else 1
    if flat.size == size:
        return flat.reshape(shape)
    if flat.size == 1:  # TensorFlow writes a splatted value once
        return np.full(shape, flat[0], dtype=np_dtype)
    if flat.size == 0:
        return np.zeros(shape, dtype=np_dtype)
    raise ValueError(f"{flat.size} values for shape {shape}")
