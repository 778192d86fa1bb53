"""Helpers every chart shares: safe labels, figures without pyplot, PNG bytes.

Charts use matplotlib's object API (``matplotlib.figure.Figure``), never pyplot's global
state, so they can be drawn from a worker thread and outside a notebook.
"""

from __future__ import annotations

import io
import warnings
from typing import Any


#: colours: one per model (red is kept for warnings, grey for "other")
MODEL_COLOURS = ("#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2", "#bcbd22")
WARN = "#c62828"
GREY = "#9e9e9e"


def label(text: Any, limit: int = 32) -> str:
    """A label matplotlib draws as written: cut to ``limit`` characters, ``$`` not math.

    Names come from users and model files, so they may be very long, hold control
    characters, or hold ``$`` (which would switch matplotlib to math mode and may fail).
    """
    s = "".join(ch if ch.isprintable() else " " for ch in str(text))
    if len(s) > limit:
        s = s[: max(1, limit - 1)] + "\u2026"
    return s.replace("$", r"\$")


def new_figure(width: float, height: float) -> tuple[Any, Any]:
    """A Figure with one Axes, attached to the Agg canvas (safe in threads)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    return fig, fig.add_subplot(1, 1, 1)


def to_png(fig: Any, dpi: int = 100) -> bytes:
    """PNG bytes of ``fig`` (missing glyphs of exotic names are drawn as boxes, not errors)."""
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Glyph ... missing from font": harmless here
        fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()

