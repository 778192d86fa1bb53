"""Where the time of a load went: cold (network) against warm (cache)."""

from __future__ import annotations

from typing import Any, Sequence

from ..errors import InvalidArgumentError
from ._common import label, new_figure

# one colour per phase, the same in every chart
_PHASE_COLOURS = {
    "network": "#d62728", "storage_read": "#2ca02c", "decode": "#98df8a", "verify": "#17becf",
    "quantize": "#9467bd", "evict": "#8c564b", "save": "#ff7f0e", "build": "#1f77b4",
}
_OTHER = ("#7f7f7f", "#bcbd22", "#e377c2", "#aec7e8")


def plot_load_times(results_or_reports: Any, ax: Any = None) -> Any:
    """Cold against warm load times.

    From :class:`ExperimentResults` (anything with ``records`` and ``plot``): its cold/warm
    chart per profile. From a list of :class:`LoadReport`: one horizontal bar per load,
    its phases stacked, cold loads (network) and warm loads (cache) labelled. Returns the Figure.
    """
    obj = results_or_reports
    if hasattr(obj, "records") and hasattr(obj, "plot"):
        return obj.plot(ax=ax)
    if hasattr(obj, "phases") and hasattr(obj, "total_s"):
        obj = [obj]
    reports = list(obj)
    if not reports:
        raise InvalidArgumentError("plot_load_times needs experiment results or at least one load report.")
    for r in reports:
        if not (hasattr(r, "phases") and hasattr(r, "total_s")):
            raise InvalidArgumentError(f"plot_load_times needs LoadReports, not {type(r).__name__}.")
    return _plot_reports(reports, ax)


def _plot_reports(reports: Sequence[Any], ax: Any) -> Any:
    from matplotlib.patches import Patch

    if ax is None:
        fig, ax = new_figure(8.5, 1.6 + 0.55 * len(reports))
    else:
        fig = ax.figure
    phases: list[str] = []
    for r in reports:
        phases += [p for p in r.phases if p not in phases]
    colours = {p: _PHASE_COLOURS.get(p, _OTHER[i % len(_OTHER)]) for i, p in enumerate(phases)}
    unit, scale = ("ms", 1000.0) if max(r.total_s for r in reports) < 1 else ("s", 1.0)
    ys, names = [], []
    for i, r in enumerate(reports):
        y = len(reports) - 1 - i
        left = 0.0
        for p, seconds in r.phases.items():
            w = max(0.0, float(seconds)) * scale
            ax.barh(y, w, left=left, color=colours[p], edgecolor="white", linewidth=0.5, gid=f"phase:{p}")
            left += w
        total = float(r.total_s) * scale
        if total > left:  # time outside the named phases (bookkeeping, hashing...)
            ax.barh(y, total - left, left=left, color="#e0e0e0", edgecolor="white", linewidth=0.5, gid="phase:other")
        kind = "cold" if r.source == "network" else "warm"
        ax.text(total, y, f"  {total:.1f} {unit}" if unit == "ms" else f"  {total:.2f} {unit}",
                va="center", fontsize=8)
        ys.append(y)
        names.append(f"#{i + 1} {kind}: {r.source}\n{label(r.cache_key or r.url or '', 28)}")
    ax.set_yticks(ys, names, fontsize=8)
    ax.set_xlabel(f"load time ({unit})")
    ax.set_xlim(0, max(float(r.total_s) for r in reports) * scale * 1.18 or 1)
    ax.grid(axis="x", alpha=0.3)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    cold = [r.total_s for r in reports if r.source == "network"]
    warm = [r.total_s for r in reports if r.source == "cache"]
    title = "Load time by phase: cold (network) vs warm (cache)"
    if cold and warm and min(warm) > 0:
        title += f"\nwarm is {min(cold) / max(warm):.1f}x faster or more"
    ax.set_title(title, fontsize=11)
    handles = [Patch(color=colours[p], label=p) for p in phases] + [Patch(color="#e0e0e0", label="other")]
    ax.legend(handles=handles, loc="lower right", fontsize=8, ncol=min(4, len(handles)), framealpha=0.9)
    return fig
