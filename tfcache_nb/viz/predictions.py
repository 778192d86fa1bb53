"""What MobileNet sees: the image beside its top-k classes and probabilities."""

from __future__ import annotations

from typing import Any, Sequence

from ._common import label


def _pairs(predictions: Sequence[Any]) -> list[tuple[str, float]]:
    """(class name, probability) from Predictions, dicts (TF.js's className form) or pairs."""
    out = []
    for p in predictions:
        if hasattr(p, "class_name"):
            out.append((str(p.class_name), float(p.probability)))
        elif isinstance(p, dict):
            out.append((str(p.get("class_name", p.get("className", "?"))), float(p["probability"])))
        else:
            name, prob = p
            out.append((str(name), float(prob)))
    return out


def plot_predictions(image: Any, predictions: Sequence[Any], ax: Any = None, *,
                     note: str | None = None, title: str | None = None) -> Any:
    """The image (a path, bytes, PIL image or array) beside a bar chart of the top-k classes.

    ``ax``: draw the bars there and the image in an inset to its left (or give a pair of
    Axes: image, bars). ``note``: a line under the chart, e.g. that a synthetic model's
    predictions mean nothing. Returns the Figure.
    """
    from matplotlib.figure import Figure

    from ..inference.images import load_image

    pixels = load_image(image)
    pairs = _pairs(predictions)
    if ax is None:
        fig = Figure(figsize=(9.0, max(3.2, 0.5 * len(pairs) + 1.6)), dpi=100, layout="constrained")
        ax_img, ax_bar = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.5]})
    elif isinstance(ax, (list, tuple)):
        ax_img, ax_bar = ax
        fig = ax_bar.figure
    else:
        ax_bar, fig = ax, ax.figure
        ax_img = ax.inset_axes([-1.05, 0.0, 0.9, 1.0])
    ax_img.imshow(pixels)
    ax_img.set_axis_off()
    ax_img.set_title(f"image {pixels.shape[1]}x{pixels.shape[0]}", fontsize=9)

    names = [label(n, 36) for n, _ in pairs]
    probs = [p for _, p in pairs]
    ys = list(range(len(pairs)))[::-1]
    colours = ["#1565c0"] + ["#90caf9"] * (len(pairs) - 1)
    ax_bar.barh(ys, probs, color=colours[: len(pairs)], gid="prediction")
    for y, p in zip(ys, probs):
        ax_bar.text(min(p, 1.0) + 0.01, y, f"{p:.1%}", va="center", fontsize=9)
    ax_bar.set_yticks(ys, names, fontsize=9)
    ax_bar.set_xlim(0, 1.15)
    ax_bar.set_xlabel("probability")
    for side in ("top", "right"):
        ax_bar.spines[side].set_visible(False)
    ax_bar.set_title(label(title, 80) if title else f"top-{len(pairs)} classes", fontsize=11)
    if note:
        fig.text(0.5, 0.005, label(note, 120), ha="center", va="bottom", fontsize=9, color="#c62828")
    return fig
