"""Weight bytes <-> numpy arrays, by the rules of TensorFlow.js's ``decodeWeights``/``encodeWeights``.

The weights of a model are one flat byte string: every tensor in the order of its weight spec,
little-endian, with no padding. float32, int32, bool (1 byte), complex64 (real and imaginary
float32 pairs) and string tensors (each element a little-endian uint32 byte length, then the
bytes) are stored as they are; quantized tensors store ``uint8`` / ``uint16`` codes (value =
q * scale + min, rounded for int32 weights) or ``float16`` halves.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np

from ..errors import ModelFormatError, quoted
from .manifest import (DTYPE_BYTES, QUANTIZED_BYTES, STRING_DTYPE, num_elements, spec_byte_length,
                       validate_weight_spec)

_NUMPY_DTYPES: dict[str, np.dtype] = {
    "float32": np.dtype("<f4"),
    "int32": np.dtype("<i4"),
    "bool": np.dtype("u1"),
    "complex64": np.dtype("<c8"),
}
_QUANTIZED_NUMPY: dict[str, np.dtype] = {
    "uint8": np.dtype("u1"),
    "uint16": np.dtype("<u2"),
    "float16": np.dtype("<f2"),
}
_STRING_LENGTH_BYTES = 4


def decode_weights(specs: Sequence[Mapping[str, Any]], data: bytes | bytearray | memoryview
                   ) -> dict[str, np.ndarray]:
    """Every weight of ``data`` as a numpy array, keyed by name, in spec order.

    float32 weights that are not quantized are zero-copy, read-only views of ``data``, so a
    model's weights are held in memory once (copy an array before changing it); all others
    are new arrays. Quantized weights come back dequantized: float32 as TensorFlow.js
    computes them (``q * scale + min`` in double precision, stored as float32), int32 rounded
    half up like ``Math.round``. Strings come back as an object array of ``bytes``.
    Raises :class:`ModelFormatError` naming the weight if a spec is invalid, a name repeats,
    or the data is too short or too long.
    """
    buffer = memoryview(data).cast("B") if not isinstance(data, bytes) else data
    out: dict[str, np.ndarray] = {}
    offset = 0
    for i, raw_spec in enumerate(specs):
        spec = validate_weight_spec(raw_spec, f"weight spec {i}")
        name = spec["name"]
        if name in out:
            raise ModelFormatError(f"weight {quoted(name)} is listed more than once in the weight specs.")
        array, offset = _decode_one(spec, buffer, offset)
        out[name] = array
    if offset != len(buffer):
        raise ModelFormatError(
            f"the weight data holds {len(buffer)} bytes but the weight specs use {offset}; "
            f"{len(buffer) - offset} bytes are left over after the last weight."
        )
    return out


def _decode_one(spec: dict[str, Any], data: bytes | memoryview, offset: int
                ) -> tuple[np.ndarray, int]:
    name, dtype, shape = spec["name"], spec["dtype"], tuple(spec["shape"])
    count = num_elements(spec)
    quant = spec.get("quantization")
    if count == 0 and dtype != STRING_DTYPE:
        return np.zeros(shape, dtype=_result_dtype(dtype)), offset
    if quant is not None:
        end = offset + count * QUANTIZED_BYTES[quant["dtype"]]
        _check_available(name, data, end)
        stored = np.frombuffer(data, dtype=_QUANTIZED_NUMPY[quant["dtype"]], count=count, offset=offset)
        return _dequantize(stored, quant, dtype).reshape(shape), end
    if dtype == STRING_DTYPE:
        return _decode_strings(name, data, offset, count, shape)
    end = offset + count * DTYPE_BYTES[dtype]
    _check_available(name, data, end)
    values = np.frombuffer(data, dtype=_NUMPY_DTYPES[dtype], count=count, offset=offset)
    if dtype == "bool":
        values = values != 0
    elif dtype != "float32":
        values = values.copy()
    else:
        values.flags.writeable = False  # a view of the shared weight bytes
    return values.reshape(shape), end


def _result_dtype(dtype: str) -> np.dtype:
    return np.dtype(bool) if dtype == "bool" else _NUMPY_DTYPES[dtype]


def _dequantize(stored: np.ndarray, quant: Mapping[str, Any], dtype: str) -> np.ndarray:
    if quant["dtype"] == "float16":
        return stored.astype(np.float32)
    real = stored.astype(np.float64) * float(quant["scale"]) + float(quant["min"])
    if dtype == "int32":
        return np.floor(real + 0.5).astype(np.int32)  # Math.round: halves go up
    return real.astype(np.float32)


def _decode_strings(name: str, data: bytes | memoryview, offset: int, count: int,
                    shape: tuple[int, ...]) -> tuple[np.ndarray, int]:
    values = np.empty(count, dtype=object)
    for i in range(count):
        _check_available(name, data, offset + _STRING_LENGTH_BYTES)
        length = int.from_bytes(data[offset:offset + _STRING_LENGTH_BYTES], "little")
        offset += _STRING_LENGTH_BYTES
        _check_available(name, data, offset + length)
        values[i] = bytes(data[offset:offset + length])
        offset += length
    return values.reshape(shape), offset


def _check_available(name: str, data: bytes | memoryview, end: int) -> None:
    if end > len(data):
        raise ModelFormatError(
            f"weight {quoted(name)} needs bytes up to offset {end} but the weight data ends at "
            f"{len(data)}: the weight data is too short for the manifest."
        )


def weight_byte_ranges(specs: Sequence[Mapping[str, Any]], data: bytes | bytearray | memoryview
                       ) -> list[tuple[int, int]]:
    """``(start, end)`` of each weight's bytes in ``data``, in spec order (strings are walked)."""
    ranges: list[tuple[int, int]] = []
    offset = 0
    for spec in specs:
        size = spec_byte_length(spec)
        if size is None:
            count = num_elements(spec)
            end = offset
            for _ in range(count):
                _check_available(spec["name"], data, end + _STRING_LENGTH_BYTES)
                end += _STRING_LENGTH_BYTES + int.from_bytes(
                    data[end:end + _STRING_LENGTH_BYTES], "little")
            _check_available(spec["name"], data, end)
        else:
            end = offset + size
            _check_available(spec["name"], data, end)
        ranges.append((offset, end))
        offset = end
    return ranges


def encode_weights(named: Mapping[str, np.ndarray] | Sequence[tuple[str, np.ndarray]]
                   ) -> tuple[list[dict[str, Any]], bytes]:
    """Weight specs and bytes for named arrays (TensorFlow.js's ``encodeWeights``; no quantization).

    float64 / int64 / complex128 arrays are narrowed to float32 / int32 / complex64 as the
    converter does; strings (``str`` or ``bytes`` elements) are written length-prefixed, str
    as UTF-8. Raises :class:`ModelFormatError` for a repeated name or an unsupported dtype.
    """
    items = list(named.items()) if isinstance(named, Mapping) else list(named)
    specs: list[dict[str, Any]] = []
    chunks: list[bytes] = []
    seen: set[str] = set()
    for name, value in items:
        if not isinstance(name, str) or not name:
            raise ModelFormatError(f"weight name {name!r} is not a non-empty string.")
        if name in seen:
            raise ModelFormatError(f"weight {quoted(name)} is given more than once.")
        seen.add(name)
        array = np.asarray(value)
        dtype, payload = _encode_one(name, array)
        specs.append({"name": name, "shape": [int(d) for d in array.shape], "dtype": dtype})
        chunks.append(payload)
    return specs, b"".join(chunks)


def _encode_one(name: str, array: np.ndarray) -> tuple[str, bytes]:
    kind = array.dtype.kind
    if kind == "b":
        return "bool", array.astype("u1").tobytes()
    if kind == "f" and array.dtype.itemsize <= 8:
        return "float32", np.ascontiguousarray(array, dtype="<f4").tobytes()
    if kind in "iu" and array.dtype.itemsize <= 8:
        if array.size and (array.min() < np.iinfo(np.int32).min or array.max() > np.iinfo(np.int32).max):
            raise ModelFormatError(f"weight {quoted(name)} has integers outside the int32 range.")
        return "int32", np.ascontiguousarray(array, dtype="<i4").tobytes()
    if kind == "c" and array.dtype.itemsize <= 16:
        return "complex64", np.ascontiguousarray(array, dtype="<c8").tobytes()
    if kind in "SUO":
        parts: list[bytes] = []
        for element in array.reshape(-1).tolist():
            if isinstance(element, str):
                element = element.encode("utf-8")
            if not isinstance(element, (bytes, bytearray)):
                raise ModelFormatError(
                    f"weight {quoted(name)} is a string tensor with a {type(element).__name__} element.")
            parts.append(len(element).to_bytes(_STRING_LENGTH_BYTES, "little") + bytes(element))
        return STRING_DTYPE, b"".join(parts)
    raise ModelFormatError(f"weight {quoted(name)} has dtype {array.dtype}, which TensorFlow.js cannot store.")


__all__ = ["decode_weights", "encode_weights", "weight_byte_ranges"]
