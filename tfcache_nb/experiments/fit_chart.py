"""Will it fit? Each form of each model against WeChat's 10 MB, with what the form costs.

One group of horizontal bars per model (as-is, float16, uint16, uint8), the stored size as
WeChat's local storage counts it (base64 and all), a line at the cap; a bar that fits is
drawn full, one that does not is hatched in the warning colour, and beside each bar its
cost is written (drift, top-1 agreement), so the form to choose can be read off the chart.

It lives beside the fit advisor (as ExperimentResults draws its own chart) so that
``FitReport.plot()`` needs nothing above this layer; ``tc.plot_fit`` in viz/ calls it.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

from ..errors import InvalidArgumentError
from .._units import MIB_LABEL, human_bytes, mib

WARN = "#c62828"
FORM_COLOURS = {"as-is": "#1f77b4", "float16": "#9467bd", "uint16": "#2ca02c", "uint8": "#ff7f0e"}


def _label(text: Any, limit: int = 26) -> str:
    """A model name drawn as written: printable, cut to ``limit``, ``$`` not math."""
    s = "".join(ch if ch.isprintable() else " " for ch in str(text))
    s = s if len(s) <= limit else s[: limit - 1] + "\u2026"
    return s.replace("$", r"\$")


def _cost(fit: Any) -> str:
    if fit.stored_bytes is None:
        return "cannot be made"
    if fit.form == "as-is":
        return "the reference"
    if fit.drift is None:
        text = "drift ?"
    elif math.isinf(fit.drift):
        text = "drift inf"
    elif fit.drift == 0:
        text = "drift 0"
    else:
        text = f"drift {fit.drift:.2%}" if fit.drift >= 1e-4 else f"drift {fit.drift:.1e}"
    if fit.top1_agreement is not None and fit.form != "as-is":
        text += f", top-1 {fit.top1_agreement:.0%}"
    if not getattr(fit, "changed", True) and fit.form != "as-is":
        text = "= as-is"
    return text


def draw_fit(reports: Any, *, ax: Any = None, title: str | None = None) -> Any:
    """Stored size of each form of one :class:`FitReport` (or a list of them) against the cap."""
    items: Sequence[Any] = [reports] if hasattr(reports, "forms") else list(reports)
    if not items or not all(hasattr(r, "forms") for r in items):
        raise InvalidArgumentError("plot_fit takes a FitReport or a list of them (from tc.fit_report).")
    rows = sum(len(r.forms) for r in items)
    if ax is None:
        from matplotlib.figure import Figure

        fig = Figure(figsize=(9.5, 1.0 + 0.28 * rows + 0.25 * len(items)), dpi=100, layout="constrained")
        ax = fig.add_subplot(1, 1, 1)
    else:
        fig = ax.figure
    cap = mib(items[0].limit_bytes)
    y = 0.0
    ticks, names = [], []
    widest = cap
    for report in items:
        start = y
        for fit in report.forms:
            size = mib(fit.stored_bytes or 0)
            widest = max(widest, size)
            colour = FORM_COLOURS.get(fit.form, "#8c564b")
            ax.barh(y, size, height=0.8, color=colour if fit.fits else "white",
                    edgecolor=colour if fit.fits else WARN, hatch=None if fit.fits else "///")
            ax.text(size + cap * 0.01, y, f"{fit.form}: {human_bytes(fit.stored_bytes)} · {_cost(fit)}", va="center", fontsize=7.5,
                    color="black" if fit.fits else WARN)
            y += 1
        ticks.append((start + y - 1) / 2)
        names.append(_label(report.name) + ("" if report.runnable else "\n(not runnable here)"))
        y += 0.6
    ax.axvline(cap, color=WARN, linestyle="--", linewidth=1.2)
    ax.text(cap, y - 0.6, f" {human_bytes(items[0].limit_bytes)} cap", color=WARN, fontsize=8, va="bottom")
    ax.set_yticks(ticks)
    ax.set_yticklabels(names, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, widest * 1.55)
    ax.set_xlabel(f"stored in WeChat local storage ({MIB_LABEL}, base64 included)")
    ax.set_title(title or ("Will it fit? " + (_label(items[0].name, 40) if len(items) == 1 else f"{len(items)} models")))
    from matplotlib.patches import Patch

    handles = [Patch(facecolor=c, label=f) for f, c in FORM_COLOURS.items()]
    handles.append(Patch(facecolor="white", edgecolor=WARN, hatch="///", label="does not fit"))
    ax.legend(handles=handles, loc="lower right", fontsize=7.5, title="form", title_fontsize=7.5)
    return fig
