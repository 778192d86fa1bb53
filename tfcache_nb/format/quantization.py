"""Post-training weight quantization, as the TensorFlow.js converter does it.

``uint8`` / ``uint16``: one affine map per tensor, value = q * scale + min, with the range
nudged (as TF-Lite and the converter's ``quantize_weights`` do) so that 0.0 is exactly one of
the codes when the tensor's range covers it; a constant tensor gets scale 1 and min equal to
its value, so it is exact. ``float16``: each value rounded to the nearest half. The spec says
``quantization: {dtype, min, scale, original_dtype}`` (``{dtype, original_dtype}`` for
float16), exactly the fields the converter writes; TensorFlow.js reads ``dtype``, ``min`` and
``scale`` and ignores ``original_dtype``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping

import numpy as np

from ..errors import InvalidArgumentError, ModelFormatError, quoted
from .manifest import DTYPE_BYTES, QUANTIZED_BYTES
from .weights import decode_weights, weight_byte_ranges

if TYPE_CHECKING:  # pragma: no cover
    from .artifacts import ModelArtifacts

QUANTIZATION_DTYPES = ("uint8", "uint16", "float16")
_CODE_DTYPES = {"uint8": np.dtype("u1"), "uint16": np.dtype("<u2")}
_FLOAT16_MAX = float(np.finfo(np.float16).max)


def quantize_artifacts(artifacts: "ModelArtifacts", dtype: str) -> "ModelArtifacts":
    """A copy of ``artifacts`` whose float32 weights are stored as ``dtype``.

    Float32 weights already stored quantized in a wider form are converted too (float16 or
    uint16 -> uint8), from their decoded values, since a model shipped as float16 may fit
    only as uint8; a weight already as narrow as ``dtype`` or narrower is kept (re-storing it
    at the same or a greater width would add error and save nothing). int32 / bool / string /
    complex64 weights are copied unchanged (the converter quantizes float32 tensors only).
    A weight that cannot be stored in that form (NaN or infinite values, such as a ``-inf``
    score threshold; values beyond float16's range) is kept as it is, so one such scalar does
    not stop a whole model from shrinking. Raises ValueError for an unknown ``dtype``.
    """
    if dtype not in QUANTIZATION_DTYPES:
        raise InvalidArgumentError(f"cannot quantize to {dtype!r}: choose one of 'uint8', 'uint16' or 'float16'.")
    specs: list[dict[str, Any]] = []
    chunks: list[bytes] = []
    decoded = decode_weights(artifacts.weight_specs, artifacts.weight_data)
    ranges = weight_byte_ranges(artifacts.weight_specs, artifacts.weight_data)
    for spec, (start, end) in zip(artifacts.weight_specs, ranges):
        if not converts(spec, dtype):
            specs.append(dict(spec))
            chunks.append(artifacts.weight_data[start:end])
            continue
        try:
            quantization, codes = quantize_array(decoded[spec["name"]], dtype, spec["name"])
        except ModelFormatError:  # NaN / infinite values (a -inf threshold), beyond float16: kept exact
            specs.append(dict(spec))
            chunks.append(artifacts.weight_data[start:end])
            continue
        specs.append({**spec, "quantization": quantization})
        chunks.append(codes.tobytes())
    return artifacts.replace(weight_specs=specs, weight_data=b"".join(chunks))


def stored_width(spec: Mapping[str, Any]) -> int:
    """Bytes per element of a numeric weight as stored (its quantized width when quantized)."""
    quant = spec.get("quantization")
    return QUANTIZED_BYTES[quant["dtype"]] if quant is not None else DTYPE_BYTES.get(spec["dtype"], 0)


def converts(spec: Mapping[str, Any], dtype: str) -> bool:
    """Whether quantizing to ``dtype`` re-stores this weight: a float32 weight stored wider."""
    return spec["dtype"] == "float32" and stored_width(spec) > QUANTIZED_BYTES[dtype]


def quantize_array(values: np.ndarray, dtype: str, name: str = "weight"
                   ) -> tuple[dict[str, Any], np.ndarray]:
    """The manifest ``quantization`` entry and the stored codes for one float32 tensor."""
    values = np.asarray(values, dtype=np.float32)
    if values.size and not np.isfinite(values).all():
        raise ModelFormatError(f"weight {quoted(name)} has NaN or infinite values and cannot be quantized.")
    if dtype == "float16":
        if values.size and float(np.abs(values).max()) > _FLOAT16_MAX:
            raise ModelFormatError(
                f"weight {quoted(name)} has values beyond float16's range (±65504) and cannot be stored as float16.")
        return {"dtype": "float16", "original_dtype": "float32"}, values.astype("<f2")
    if dtype not in _CODE_DTYPES:
        raise InvalidArgumentError(f"cannot quantize to {dtype!r}: choose one of 'uint8', 'uint16' or 'float16'.")
    code_dtype = _CODE_DTYPES[dtype]
    if values.size == 0:
        low = high = 0.0
    else:
        low, high = float(values.min()), float(values.max())
    if low == high:
        scale, nudged_min = 1.0, low
        codes = np.zeros(values.shape, dtype=code_dtype)
    else:
        scale, nudged_min, nudged_max = affine_range(low, high, dtype)
        wide = values.astype(np.float64).clip(nudged_min, nudged_max)
        codes = np.round((wide - nudged_min) / scale)
        codes = codes.clip(0, np.iinfo(code_dtype).max).astype(code_dtype)
    quantization = {"dtype": dtype, "min": nudged_min, "scale": scale, "original_dtype": "float32"}
    return quantization, codes


def affine_range(low: float, high: float, dtype: str) -> tuple[float, float, float]:
    """``(scale, nudged_min, nudged_max)`` for values in [low, high], zero exact if covered."""
    levels = int(np.iinfo(_CODE_DTYPES[dtype]).max)
    scale = (high - low) / levels
    if low <= 0.0 <= high:
        zero_code = round((0.0 - low) / scale)
        # np.round semantics (half to even) like the converter; Python's round agrees.
        nudged_min = -zero_code * scale + 0.0  # + 0.0 turns -0.0 into 0.0
        return scale, nudged_min, levels * scale + nudged_min
    return scale, low, high


def quantization_step(spec: Mapping[str, Any], magnitude: float = 1.0) -> float:
    """The distance between two neighbouring stored values of a weight.

    For uint8 / uint16 that is the spec's ``scale``; for float16 it depends on the value, so
    it is the gap between halves at ``magnitude`` (2**-10 at 1.0); 0.0 for an unquantized
    weight.
    """
    quant = spec.get("quantization")
    if quant is None:
        return 0.0
    if quant.get("dtype") == "float16":
        return float(np.spacing(np.float16(abs(magnitude))))
    return float(quant["scale"])


def error_bound(spec: Mapping[str, Any], original: np.ndarray) -> float:
    """The largest error quantization may put on ``original`` under ``spec``.

    Half a step (uint8 / uint16: scale / 2; float16: half the gap between halves at the
    largest magnitude, or half the smallest subnormal), plus the float32 rounding of the
    decoded value (TensorFlow.js stores ``q * scale + min`` in a Float32Array).
    """
    original = np.asarray(original, dtype=np.float32)
    peak = float(np.abs(original).max()) if original.size else 0.0
    quant = spec.get("quantization")
    if quant is None:
        return 0.0
    if quant.get("dtype") == "float16":
        return max(float(np.spacing(np.float16(peak))) / 2, 2.0 ** -25)
    scale = float(quant["scale"])
    return scale / 2 + float(np.spacing(np.float32(peak + scale))) / 2


def max_abs_error(original: "ModelArtifacts", quantized: "ModelArtifacts") -> dict[str, float]:
    """Per weight name, the largest absolute difference between two forms of one model."""
    before = original.decode_weights()
    after = quantized.decode_weights()
    if before.keys() != after.keys():
        raise ModelFormatError("the two models do not have the same weight names.")
    errors: dict[str, float] = {}
    for name, values in before.items():
        if values.dtype == object or after[name].dtype == object:
            errors[name] = 0.0 if np.array_equal(values, after[name]) else float("inf")
            continue
        if values.shape != after[name].shape:
            raise ModelFormatError(f"weight {quoted(name)} has shape {list(values.shape)} in one model "
                                   f"and {list(after[name].shape)} in the other.")
        diff = np.abs(values.astype(np.complex128 if values.dtype.kind == "c" else np.float64)
                      - after[name])
        errors[name] = float(diff.max()) if diff.size else 0.0
    return errors


__all__ = ["QUANTIZATION_DTYPES", "quantize_artifacts", "converts", "stored_width", "quantize_array", "affine_range",
           "quantization_step", "error_bound", "max_abs_error"]
