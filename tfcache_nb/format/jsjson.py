"""JSON text exactly as JavaScript's ``JSON.stringify`` writes it.

TensorFlow.js counts ``modelTopologyBytes`` and ``weightSpecsBytes`` as the UTF-8 length of
``JSON.stringify(...)``, and WeChat counts storage in the same text. Python's ``json`` differs
in ways that change those counts: it writes ``1.0`` where JavaScript writes ``1``, ``1e-07``
where JavaScript writes ``1e-7``, integers past 2**53 with digits a JavaScript number does not
hold, and lone surrogates raw where JavaScript escapes them. JavaScript also writes an object's
integer-like keys first, in ascending order. This module closes those gaps.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

import numpy as np

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_MAX_SAFE_INTEGER = 2 ** 53
_MAX_ARRAY_INDEX = 2 ** 32 - 2


def js_number(value: float) -> str:
    """Format a float as JavaScript's ``Number.prototype.toString`` does."""
    if math.isnan(value) or math.isinf(value):
        return "null"  # JSON.stringify writes NaN and Infinity as null
    if value == 0:
        return "0"
    text = repr(float(value))
    sign = ""
    if text.startswith("-"):
        sign, text = "-", text[1:]
    if "e" in text:
        mantissa, exp_text = text.split("e")
        exponent = int(exp_text)
    else:
        mantissa, exponent = text, 0
    int_part, _, frac_part = mantissa.partition(".")
    digits = (int_part + frac_part).lstrip("0")
    # decimal exponent n such that value = 0.d1d2... * 10**n (ECMAScript's 'n')
    lead_zeros = len(int_part + frac_part) - len((int_part + frac_part).lstrip("0"))
    n = len(int_part) + exponent - lead_zeros
    digits = digits.rstrip("0") or "0"
    k = len(digits)
    if k <= n <= 21:
        out = digits + "0" * (n - k)
    elif 0 < n <= 21:
        out = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        out = "0." + "0" * (-n) + digits
    else:
        e = n - 1
        exp = f"e+{e}" if e >= 0 else f"e-{-e}"
        out = digits[0] + ("." + digits[1:] if k > 1 else "") + exp
    return sign + out


def js_dumps(value: Any) -> str:
    """``JSON.stringify(value)``: compact, non-ASCII kept, numbers written as JavaScript does."""
    parts: list[str] = []
    _write(value, parts)
    return "".join(parts)


def _js_string(text: str) -> str:
    quoted = json.dumps(text, ensure_ascii=False)
    # Well-formed JSON.stringify escapes lone surrogates (a valid pair is never split in str).
    return _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", quoted)


def _is_array_index(key: str) -> bool:
    return key.isdigit() and key.isascii() and (key == "0" or key[0] != "0") and int(key) <= _MAX_ARRAY_INDEX


def _js_key_order(keys: list[str]) -> list[str]:
    """Own-property order: array-index keys ascending, then the others as inserted."""
    indexes = sorted((k for k in keys if _is_array_index(k)), key=int)
    return indexes + [k for k in keys if not _is_array_index(k)]


def _write(value: Any, out: list[str]) -> None:
    if isinstance(value, np.generic) and not isinstance(value, (np.str_, np.bytes_)):
        value = value.item()
    if isinstance(value, str):
        out.append(_js_string(value))
    elif value is None or isinstance(value, bool):
        out.append(json.dumps(value))
    elif isinstance(value, int):
        out.append(str(value) if abs(value) < _MAX_SAFE_INTEGER else js_number(float(value)))
    elif isinstance(value, float):
        out.append(js_number(value))
    elif isinstance(value, dict):
        items = {str(key): item for key, item in value.items()}
        out.append("{")
        for i, key in enumerate(_js_key_order(list(items))):
            if i:
                out.append(",")
            out.append(_js_string(key))
            out.append(":")
            _write(items[key], out)
        out.append("}")
    elif isinstance(value, (list, tuple)):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _write(item, out)
        out.append("]")
    else:
        raise TypeError(f"{type(value).__name__} is not JSON serializable")


def js_byte_length(value: Any) -> int:
    """UTF-8 length of ``JSON.stringify(value)``."""
    return len(js_dumps(value).encode("utf-8"))
