"""The weights manifest of model.json: validation and byte sizes.

A manifest is ``[{"paths": [...], "weights": [spec, ...]}, ...]``; a weight spec is
``{"name", "shape", "dtype", "quantization"?}``. The shards of all groups, concatenated in
manifest order, hold the weights in the order of their specs.
"""

from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

from ..errors import ModelFormatError, quoted

#: Bytes per element of each dtype TensorFlow.js writes (strings have no fixed size).
DTYPE_BYTES: dict[str, int] = {"float32": 4, "int32": 4, "bool": 1, "complex64": 8}
#: Bytes per element of each quantized storage form.
QUANTIZED_BYTES: dict[str, int] = {"uint8": 1, "uint16": 2, "float16": 2}
STRING_DTYPE = "string"
#: No real model has a tensor this large; a bigger shape is a hostile or broken manifest.
MAX_ELEMENTS = 1 << 31


def validate_weight_spec(spec: Any, where: str = "weight spec") -> dict[str, Any]:
    """Check one weight spec and return it; raise :class:`ModelFormatError` naming the field."""
    if not isinstance(spec, Mapping):
        raise ModelFormatError(f"{where} must be an object, not {type(spec).__name__}.")
    name = spec.get("name")
    if not isinstance(name, str) or not name:
        raise ModelFormatError(f"{where} has no 'name' string.")
    problem = _spec_problem(spec)
    if problem is not None:  # the name is quoted only for a message: a load checks many specs
        raise ModelFormatError(f"weight {quoted(name)} {problem}")
    return dict(spec)


def _spec_problem(spec: Mapping[str, Any]) -> str | None:
    """What is wrong with a named weight spec (the end of a sentence), or None."""
    shape = spec.get("shape")
    if not isinstance(shape, Sequence) or isinstance(shape, (str, bytes)):
        return "has no 'shape' list."
    for dim in shape:
        if isinstance(dim, bool) or not isinstance(dim, int) or dim < 0:
            return f"has a shape with an invalid dimension {dim!r}."
    if math.prod(shape) > MAX_ELEMENTS:
        return f"has a shape {list(shape)} too large to be real."
    dtype = spec.get("dtype")
    if not isinstance(dtype, str) or (dtype not in DTYPE_BYTES and dtype != STRING_DTYPE):
        return f"has an unsupported dtype {dtype!r}."
    quant = spec.get("quantization")
    if quant is None:
        return None
    if not isinstance(quant, Mapping):
        return "has a 'quantization' that is not an object."
    qdtype = quant.get("dtype")
    if not isinstance(qdtype, str) or qdtype not in QUANTIZED_BYTES:
        return f"has an unsupported quantization dtype {qdtype!r}."
    if dtype not in ("float32", "int32"):
        return f"is quantized but its dtype is {dtype!r}."
    if qdtype == "float16" and dtype != "float32":
        return f"is float16-quantized but its dtype is {dtype!r}."
    if qdtype in ("uint8", "uint16"):
        for field in ("scale", "min"):
            value = quant.get(field)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                return f"is {qdtype}-quantized without a numeric '{field}'."
    return None


def num_elements(spec: Mapping[str, Any]) -> int:
    return math.prod(spec["shape"])


def spec_byte_length(spec: Mapping[str, Any]) -> int | None:
    """Bytes the weight takes in the shards, or None for strings (known only from the data)."""
    quant = spec.get("quantization")
    if quant is not None:
        return num_elements(spec) * QUANTIZED_BYTES[quant["dtype"]]
    if spec["dtype"] == STRING_DTYPE:
        return None
    return num_elements(spec) * DTYPE_BYTES[spec["dtype"]]


def validate_manifest(manifest: Any) -> list[dict[str, Any]]:
    """Check a ``weightsManifest`` and return it as a list of groups."""
    if not isinstance(manifest, Sequence) or isinstance(manifest, (str, bytes)):
        raise ModelFormatError("model.json field 'weightsManifest' must be a list of groups.")
    groups = []
    for i, group in enumerate(manifest):
        where = f"weightsManifest[{i}]"
        if not isinstance(group, Mapping):
            raise ModelFormatError(f"{where} must be an object.")
        paths = group.get("paths")
        if not isinstance(paths, Sequence) or isinstance(paths, (str, bytes)) or not all(
            isinstance(p, str) and p for p in paths
        ):
            raise ModelFormatError(f"{where} has no 'paths' list of file names.")
        weights = group.get("weights")
        if not isinstance(weights, Sequence) or isinstance(weights, (str, bytes)):
            raise ModelFormatError(f"{where} has no 'weights' list.")
        specs = [validate_weight_spec(w, f"{where}.weights[{j}]") for j, w in enumerate(weights)]
        groups.append({"paths": list(paths), "weights": specs})
    names = [w["name"] for g in groups for w in g["weights"]]
    if len(set(names)) != len(names):
        dup = next(n for n in names if names.count(n) > 1)
        raise ModelFormatError(f"weightsManifest lists weight {quoted(dup)} more than once.")
    return groups


def flatten_specs(groups: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The weight specs of all groups, in the order their bytes appear in the shards."""
    return [dict(w) for g in groups for w in g["weights"]]


def group_byte_length(group: Mapping[str, Any]) -> int | None:
    """Bytes all shards of one group hold together, or None if it has strings."""
    total = 0
    for spec in group["weights"]:
        size = spec_byte_length(spec)
        if size is None:
            return None
        total += size
    return total


def specs_byte_length(specs: Sequence[Mapping[str, Any]]) -> int | None:
    """Bytes the weight data should hold for these specs, or None if strings make it unknown."""
    return group_byte_length({"weights": specs})
