"""``tc.plot_fit``: each form of one or many models against WeChat's 10 MB, with its cost.

The drawing lives beside the fit advisor (``experiments/fit_chart.py``) so that
``FitReport.plot()`` works without reaching up a layer; this is the charts' entry point.
"""

from __future__ import annotations

from typing import Any

from ..experiments.fit_chart import draw_fit


def plot_fit(reports: Any, *, ax: Any = None, title: str | None = None) -> Any:
    """Stored size of each form of a :class:`FitReport` (or a list of them) against the cap,
    drift and top-1 written beside each bar; hatched red bars do not fit. Returns the Figure."""
    return draw_fit(reports, ax=ax, title=title)
