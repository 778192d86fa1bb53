"""JSON text exactly as JavaScript's ``JSON.stringify`` writes it.

TensorFlow.js counts ``modelTopologyBytes`` and ``weightSpecsBytes`` as the UTF-8 length of
``JSON.stringify(...)``, and WeChat counts storage in the same text. Python's ``json`` differs
in two ways that change those counts: it writes ``1.0`` where JavaScript writes ``1``, and
``1e-07`` where JavaScript writes ``1e-7``. This module closes that gap.
"""

from __future__ import annotations

import json
import math
from typing import Any


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


def _write(value: Any, out: list[str]) -> None:
    if isinstance(value, str):
        out.append(json.dumps(value, ensure_ascii=False))
    elif value is None or isinstance(value, bool) or isinstance(value, int):
        out.append(json.dumps(value))
    elif isinstance(value, float):
        out.append(js_number(value))
    elif isinstance(value, dict):
        out.append("{")
        for i, (key, item) in enumerate(value.items()):
            if i:
                out.append(",")
            out.append(json.dumps(str(key), ensure_ascii=False))
            out.append(":")
            _write(item, out)
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
