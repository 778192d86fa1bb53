"""A population of users per cache strategy: the distribution of launch times, and what caching buys."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._common import MODEL_COLOURS, label


def plot_population(population: Any, sample: Any = None) -> Any:
    """Launch-time distributions (share of launches at most x seconds), computed for the whole
    population as lines and, if ``sample`` is given, measured for its users as dots; hit rate,
    MiB per user and stale launches per user per strategy below."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11, 6.6), dpi=100, layout="constrained")
    grid = fig.add_gridspec(2, 3, height_ratios=(1.7, 1))
    ax = fig.add_subplot(grid[0, :])
    summary = population.summary()
    for i, (name, outcome) in enumerate(population.outcome.items()):
        colour = MODEL_COLOURS[i % len(MODEL_COLOURS)]
        x = np.sort(outcome.launch_s.ravel())
        y = np.arange(1, len(x) + 1) / len(x)
        step = max(1, len(x) // 4000)  # the curve's shape, without drawing millions of points
        ax.plot(x[::step], y[::step], color=colour, lw=1.6, label=f"{label(name, 30)} (computed, "
                f"{population.users:,} users)", gid=f"computed:{name}")
        if sample is not None and name in sample.strategies():
            real = np.sort(sample.launch_s(name).ravel())
            real = real[np.isfinite(real)]
            ax.plot(real, np.arange(1, len(real) + 1) / len(real), ls="none", marker="o", ms=3, alpha=0.7,
                    color=colour, label=f"{label(name, 30)} (measured, {sample.n} users)", gid=f"measured:{name}")
            if getattr(sample, "computed", None) is not None:  # computed again for those users (held_out)
                again = np.sort(sample.computed_s(name).ravel())
                ax.plot(again, np.arange(1, len(again) + 1) / len(again), ls="--", lw=1.1, color=colour,
                        label=f"{label(name, 30)} (computed for them,\nlocal times of the others)",
                        gid=f"held-out:{name}")
    ax.set_xscale("log")
    ax.set_xlabel("launch time (s)")
    ax.set_ylabel("share of launches at most this long")
    ax.set_ylim(0, 1.01)
    ax.grid(alpha=0.3, which="both")
    if sample is None:
        ax.legend(fontsize=8, loc="lower right", framealpha=0.9)
    else:  # three entries per strategy: beside the curves, not over them
        ax.legend(fontsize=7.5, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0, frameon=False)
    ax.set_title(f"{population.users:,} users x {population.schedule.launches} launches of "
                 f"{label(population.model.name, 40)}", fontsize=11)
    ys = list(range(len(summary)))[::-1]
    colours = [MODEL_COLOURS[i % len(MODEL_COLOURS)] for i in range(len(summary))]
    panels = (("launches from the cache", [100 * r["hit_rate"] for r in summary], "%"),
              ("over the network per user", [r["bytes_per_user"] / 2 ** 20 for r in summary], "MiB"),
              ("stale launches per user", [r["stale_per_user"] for r in summary], ""))
    for j, (title, values, unit) in enumerate(panels):
        a = fig.add_subplot(grid[1, j])
        a.barh(ys, values, color=colours)
        a.set_title(title + (f" ({unit})" if unit else ""), fontsize=10)
        a.set_yticks(ys, [label(r["strategy"], 22) if j == 0 else "" for r in summary], fontsize=8)
        a.grid(axis="x", alpha=0.3)
        for side in ("top", "right"):
            a.spines[side].set_visible(False)
    return fig
