"""A series of launches per cache strategy: launch times, stale launches, bytes over the network."""

from __future__ import annotations

from typing import Any

from ._common import MODEL_COLOURS, WARN, label


def plot_launches(results: Any) -> Any:
    """Launch time of every launch per strategy (log scale; updates as dashed lines, stale launches
    ringed in red), with stale launches and MiB over the network per strategy beside it."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11, 6.2), dpi=100, layout="constrained")
    grid = fig.add_gridspec(2, 2, height_ratios=(1.6, 1))
    ax = fig.add_subplot(grid[0, :])
    stale_ax, bytes_ax = fig.add_subplot(grid[1, 0]), fig.add_subplot(grid[1, 1])
    names = results.strategies()
    for i, name in enumerate(names):
        recs = sorted((r for r in results.records if r["strategy"] == name), key=lambda r: r["launch"])
        colour = MODEL_COLOURS[i % len(MODEL_COLOURS)]
        xs = [r["launch"] for r in recs]
        ys = [max(r["total_s"], 1e-4) for r in recs]
        ax.plot(xs, ys, marker="o", ms=4, lw=1.2, color=colour, label=label(name, 40), gid=f"strategy:{name}")
        stale = [(x, y) for x, y, r in zip(xs, ys, recs) if r["stale"]]
        if stale:
            ax.scatter(*zip(*stale), s=70, facecolors="none", edgecolors=WARN, linewidths=1.2, zorder=3)
    for u in results.meta.get("updates", []):
        ax.axvline(u - 0.5, color="#555", ls="--", lw=0.8)
        ax.text(u - 0.5, 0.02, f" v{results.meta['updates'].index(u) + 1} published", fontsize=8, color="#555",
                transform=ax.get_xaxis_transform(), va="bottom")
    ax.set_yscale("log")
    top = max((r["total_s"] for r in results.records), default=1.0)
    ax.set_ylim(top=top * 12)  # room for the legend above the slowest launches
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(f"launch ({results.meta.get('hours_between', 0):g} h apart, simulated)")
    ax.set_ylabel("launch time (s)")
    ax.scatter([], [], s=70, facecolors="none", edgecolors=WARN, label="stale (older than the server's)")
    ax.legend(fontsize=8, ncol=3, loc="upper right", framealpha=0.9)
    ax.set_title(f"Launches on {results.meta.get('profile')}: new versions published at the dashed lines",
                 fontsize=11)
    ax.grid(alpha=0.3)
    summary = results.summary()
    ys = range(len(summary))[::-1]
    colours = [MODEL_COLOURS[i % len(MODEL_COLOURS)] for i in range(len(summary))]
    stale_ax.barh(list(ys), [r["stale_launches"] for r in summary], color=colours)
    stale_ax.set_title("stale launches", fontsize=10)
    bytes_ax.barh(list(ys), [r["bytes_network"] / 2 ** 20 for r in summary], color=colours)
    bytes_ax.set_title("over the network (MiB)", fontsize=10)
    for a in (stale_ax, bytes_ax):
        a.set_yticks(list(ys), [label(r["strategy"], 26) for r in summary], fontsize=8)
        a.grid(axis="x", alpha=0.3)
        for side in ("top", "right"):
            a.spines[side].set_visible(False)
    return fig
