"""A small table of strings that prints aligned as text and shows as HTML in a notebook."""

from __future__ import annotations

from typing import Sequence

from .._html import esc


class TextTable:
    """``header`` and ``rows`` of strings; the first ``text_columns`` columns align left."""

    def __init__(self, title: str, header: Sequence[str], rows: Sequence[Sequence[str]], *,
                 text_columns: int = 1, notes: Sequence[str] = ()) -> None:
        self.title, self.header = title, list(header)
        self.rows = [list(r) for r in rows]
        self.text_columns, self.notes = text_columns, list(notes)

    def __str__(self) -> str:
        widths = [max(len(x) for x in col) for col in zip(self.header, *self.rows)]

        def fmt(cells: list[str]) -> str:
            return "  ".join(c.ljust(w) if i < self.text_columns else c.rjust(w)
                             for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

        lines = [self.title, fmt(self.header), "  ".join("-" * w for w in widths)]
        lines += [fmt(r) for r in self.rows] + self.notes
        return "\n".join(lines)

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        cell = "padding:2px 8px;border-bottom:1px solid #ddd;text-align:{}"
        parts = [f"<div style='font-family:sans-serif;font-weight:bold;margin:4px 0'>{esc(self.title)}</div>",
                 "<table style='border-collapse:collapse;font-family:sans-serif;font-size:13px'><tr>"
                 + "".join(f"<th style='padding:2px 8px;border-bottom:1px solid #999'>{esc(h)}</th>"
                           for h in self.header) + "</tr>"]
        for row in self.rows:
            parts.append("<tr>" + "".join(
                f"<td style='{cell.format('left' if i < self.text_columns else 'right')}'>{esc(c)}</td>"
                for i, c in enumerate(row)) + "</tr>")
        parts.append("</table>")
        parts += [f"<div style='font-family:sans-serif;font-size:12px;color:#555'>{esc(n)}</div>"
                  for n in self.notes]
        return "".join(parts)


class ShownAsTable:
    """Results that print as their ``table()`` and show as its HTML in a notebook."""

    def table(self) -> TextTable:  # pragma: no cover - every subclass defines it
        raise NotImplementedError

    def __str__(self) -> str:
        return str(self.table())

    def _repr_html_(self) -> str:
        return self.table()._repr_html_()
