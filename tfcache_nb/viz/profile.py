"""Where a prediction's time goes: one bar per layer, coloured by kind of operation."""

from __future__ import annotations

from typing import Any, Sequence

from ..errors import InvalidArgumentError
from ._common import GREY, label, new_figure

# the kinds of layer a MobileNet spends its time in keep the same colour in every chart
_OP_COLOURS = {"Conv2D": "#1f77b4", "_FusedConv2D": "#1f77b4", "DepthwiseConv2D": "#ff7f0e",
               "DepthwiseConv2dNative": "#ff7f0e", "FusedDepthwiseConv2dNative": "#ff7f0e", "Dense": "#2ca02c",
               "MatMul": "#2ca02c", "_FusedMatMul": "#2ca02c", "GlobalAveragePooling2D": "#9467bd", "Mean": "#9467bd"}
_NAME_CHARS = 28
_OTHER_COLOURS = ("#8c564b", "#e377c2", "#bcbd22", "#17becf", "#7f7f7f", "#aec7e8", "#ffbb78", "#98df8a")


def plot_profile(timings: Sequence[Any], ax: Any = None, *, top: int | None = None,
                 title: str | None = None) -> Any:
    """A chart of :meth:`Model.profile`'s timings: a bar per step in run order, ms on the axis.

    The legend gives each kind of operation's share of the total, which is usually what
    one wants to know first (for MobileNet: depthwise against pointwise convolutions).
    ``top`` keeps only the slowest steps; ``title`` replaces the default title. Returns the Figure.
    """
    steps = list(timings) if not isinstance(timings, (str, bytes)) else []
    if not steps:
        raise InvalidArgumentError("plot_profile needs the list of step timings that Model.profile() returns.")
    for t in steps:
        if not all(hasattr(t, a) for a in ("output", "op", "seconds")):
            raise InvalidArgumentError(f"plot_profile needs StepTimings from Model.profile(), not {type(t).__name__}.")
    if top is not None and (isinstance(top, bool) or not isinstance(top, int) or top < 1):
        raise InvalidArgumentError(f"plot_profile takes top as a whole number >= 1, not {top!r}.")
    from matplotlib.patches import Patch

    total = sum(float(t.seconds) for t in steps)
    by_op: dict[str, float] = {}
    for t in steps:
        by_op[t.op] = by_op.get(t.op, 0.0) + float(t.seconds)
    others = iter(_OTHER_COLOURS * (1 + len(by_op) // len(_OTHER_COLOURS)))
    colours = {op: _OP_COLOURS[op] if op in _OP_COLOURS else next(others) for op in by_op}
    shown = steps if top is None else sorted(steps, key=lambda t: -float(t.seconds))[:top]
    shown = [t for t in steps if t in shown]  # keep run order
    if ax is None:
        fig, ax = new_figure(10, 1.4 + 0.22 * len(shown))
    else:
        fig = ax.figure
    for i, t in enumerate(shown):
        ms = float(t.seconds) * 1000
        ax.barh(len(shown) - 1 - i, ms, color=colours.get(t.op, GREY), gid=f"step:{t.output}")
    ax.set_yticks(range(len(shown) - 1, -1, -1), [_short(t.output) for t in shown], fontsize=7)
    ax.set_xlabel("time per prediction (ms, median)")
    ax.grid(axis="x", alpha=0.3)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    heading = f"Where a prediction's {total * 1000:.2f} ms go"
    if top is not None and len(shown) < len(steps):
        heading += f" (the {len(shown)} slowest of {len(steps)} steps)"
    ax.set_title(heading if title is None else label(title, 120), fontsize=11)
    handles = [Patch(color=colours[op], label=f"{label(op, 24)}: {s * 1000:.2f} ms ({s / total:.0%})" if total
                     else label(op, 24)) for op, s in sorted(by_op.items(), key=lambda kv: -kv[1])]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False,
              title="by kind of step", title_fontsize=8)
    return fig


def _short(name: Any) -> str:
    """A step's name cut from the left: graph nodes share long scopes and differ at the end."""
    text = str(name)
    return label(text if len(text) <= _NAME_CHARS else "\u2026" + text[-(_NAME_CHARS - 1):], _NAME_CHARS)
