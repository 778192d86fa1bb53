"""Small HTML helpers for ``_repr_html_``: every string is escaped, nothing else is trusted.

It lives at the bottom of the package so objects of any layer can render themselves in a
notebook without reaching up into the presentation layer.
"""

from __future__ import annotations

import html
import math
from typing import Any, Iterable, Sequence

from ._units import human_bytes  # noqa: F401  (the one size formatter, re-exported for the views)

STYLE = "border-collapse:collapse;font-family:sans-serif;font-size:13px"
CELL = "padding:2px 10px;text-align:left;border-bottom:1px solid #ddd"


def esc(value: Any) -> str:
    """HTML-escape the text form of any value (quotes included)."""
    return html.escape(str(value), quote=True)


def table(rows: Iterable[Sequence[Any]], header: Sequence[Any] | None = None, title: str | None = None) -> str:
    """A compact HTML table; cells are escaped."""
    parts = []
    if title:
        parts.append(f"<div style='font-weight:bold;font-family:sans-serif;margin:4px 0'>{esc(title)}</div>")
    parts.append(f"<table style='{STYLE}'>")
    if header:
        parts.append("<tr>" + "".join(f"<th style='{CELL}'>{esc(h)}</th>" for h in header) + "</tr>")
    for row in rows:
        parts.append("<tr>" + "".join(f"<td style='{CELL}'>{esc(c)}</td>" for c in row) + "</tr>")
    parts.append("</table>")
    return "".join(parts)


def human_seconds(s: float | None) -> str:
    """0.0142 -> '14.2 ms', 2.5 -> '2.50 s'; '-' for None or NaN (a figure that is missing)."""
    if s is None or math.isnan(s):
        return "-"
    return f"{s * 1000:.1f} ms" if s < 1 else f"{s:.2f} s"
