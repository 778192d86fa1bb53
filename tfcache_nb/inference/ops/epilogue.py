"""What follows a convolution's matrix product: the bias add and the activation.

Broadcasting a bias of a few dozen channels runs numpy's inner loop over those few elements;
adding a tiled row over long rows is about twice as fast. A plan builds the whole epilogue
once per buffer (:func:`finisher`), and may have the activation write straight into the next
kernel's input buffer, which saves a separate copy.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from .activations import ACTIVATIONS
from .runs import LONG_RUN, as_runs, run_bytes
from .shapes import largest_divisor_at_most

F32 = np.float32
_BIAS_RUN = 4096  # float32 elements per row of a tiled bias

Targets = Sequence[tuple[np.ndarray, np.ndarray]]  # (source view, destination view) pairs


def tile_bias(bias: np.ndarray) -> np.ndarray:
    """The bias repeated along one long row, for :func:`add_channel_bias`."""
    return np.tile(bias.astype(F32, copy=False), max(1, _BIAS_RUN // bias.size))


def add_channel_bias(y: np.ndarray, tiled: np.ndarray) -> None:
    """``y += bias`` over the last axis of a C-contiguous ``y``, ``tiled`` from :func:`tile_bias`."""
    flat = y.reshape(-1)
    whole = flat.size - flat.size % tiled.size
    np.add(flat[:whole].reshape(-1, tiled.size), tiled, out=flat[:whole].reshape(-1, tiled.size))
    if whole < flat.size:
        rest = flat[whole:].reshape(-1, y.shape[-1])
        np.add(rest, tiled[:y.shape[-1]], out=rest)


def channel_bias_views(y: np.ndarray, tiled: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """(view of ``y``, bias row) pairs whose in-place sums add the bias over ``y``'s last axis.

    Built once per buffer, so a prediction pays one ``np.add`` per pair and no reshapes. When
    a whole number of pixels makes a long enough row, the rows cover ``y`` exactly: one call.
    """
    flat = y.reshape(-1)
    c = y.shape[-1]
    per_row = largest_divisor_at_most(flat.size // c, max(1, _BIAS_RUN // c)) if flat.size else 0
    if per_row * c >= _BIAS_RUN // 4:
        return [(flat.reshape(-1, per_row * c), np.tile(tiled[:c], per_row))]
    whole = flat.size - flat.size % tiled.size
    pairs = []
    if whole:
        pairs.append((flat[:whole].reshape(-1, tiled.size), tiled))
    if whole < flat.size:
        pairs.append((flat[whole:].reshape(-1, y.shape[-1]), tiled[:y.shape[-1]]))
    return pairs


def activation_writer(name: str, src: np.ndarray, targets: Targets | None = None) -> Callable[[], None] | None:
    """A call applying activation ``name`` to ``src`` in place, or from source views into targets.

    ``targets`` are (source view, destination view) pairs that fill the next kernel's input
    buffer. None when there is nothing to do.
    """
    if not targets:
        return _in_place(name, src)
    if name == "softmax":  # pragma: no cover - the plan only fuses element-wise activations
        raise ValueError("softmax cannot write into another kernel's input")
    pairs = list(targets)
    if all(min(run_bytes(s), run_bytes(d)) >= LONG_RUN for s, d in pairs):
        return _activate_into(name, pairs)
    # short runs (a strided column split): activate in place, then copy whole pixels as raw items
    act = _in_place(name, src)
    runs = [(as_runs(s), as_runs(d)) for s, d in pairs]

    def activate_and_copy() -> None:
        if act is not None:
            act()
        for s, d in runs:
            np.copyto(d, s)
    return activate_and_copy


def _in_place(name: str, src: np.ndarray) -> Callable[[], None] | None:
    if name == "linear":
        return None
    fn = ACTIVATIONS[name]
    return lambda: fn(src, out=src)


def _activate_into(name: str, pairs: list[tuple[np.ndarray, np.ndarray]]) -> Callable[[], None]:
    fn = _copy_into if name == "linear" else ACTIVATIONS[name]
    if len(pairs) == 1:
        (s, d), = pairs
        return lambda: fn(s, out=d)

    def write() -> None:
        for s, d in pairs:
            fn(s, out=d)
    return write


def _copy_into(x: np.ndarray, out: np.ndarray) -> None:
    np.copyto(out, x)


def finisher(y: np.ndarray, bias_rows: np.ndarray | None, activation: str,
             targets: Targets | None) -> Callable[[], None]:
    """The bias add and activation that follow a convolution into ``y``, as one prebuilt call."""
    bias = channel_bias_views(y, bias_rows) if bias_rows is not None else []
    act = activation_writer(activation, y, targets)
    steps = [(lambda v=v, r=r: np.add(v, r, out=v)) for v, r in bias] + ([act] if act else [])
    if len(steps) == 2:
        first, second = steps

        def finish() -> None:
            first()
            second()
        return finish
    if len(steps) == 1:
        return steps[0]

    def finish_all() -> None:
        for step in steps:
            step()
    return finish_all
