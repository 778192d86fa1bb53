"""Merge layers: element-wise Add, Subtract, Multiply, Average, Maximum, Minimum; Concatenate; Dot.

As TF.js's Merge layer: inputs of lower rank get axes of size 1 inserted right after the batch
axis, then the shapes broadcast (a size 1 against any size). Average multiplies the sum by
1/n as TF.js does. Subtract is not in TF.js 4.22 (which refuses the model); it runs here with
Keras's meaning, first input minus second.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from .. import ops
from ..keras_topology import Layer
from ..keras_weights import WeightTable
from .config import Built, LayerBuilder, Shape, axis_index, fail

F32 = np.float32


def _shapes_text(in_shapes: Sequence[Shape]) -> str:
    return str([[None, *s] for s in in_shapes])


def _broadcast(layer: Layer, in_shapes: Sequence[Shape]) -> tuple[list[Shape], Shape]:
    """Each input's shape once padded to the highest rank (after the batch axis), and the result's."""
    if len(in_shapes) < 2:
        raise fail(layer, f"needs at least two inputs, not {len(in_shapes)}.")
    rank = max(len(s) for s in in_shapes)
    padded = [(1,) * (rank - len(s)) + tuple(s) for s in in_shapes]
    out = []
    for sizes in zip(*padded):
        big = {d for d in sizes if d != 1}
        if len(big) > 1:
            raise fail(layer, f"cannot combine inputs of shapes {_shapes_text(in_shapes)}.")
        out.append(big.pop() if big else 1)
    return padded, tuple(out)


def _elementwise(combine: Callable[[list[np.ndarray]], np.ndarray], max_inputs: int | None = None) -> LayerBuilder:
    def build(layer: Layer, in_shapes: Sequence[Shape], table: WeightTable) -> Built:
        if max_inputs is not None and len(in_shapes) > max_inputs:
            raise fail(layer, f"takes exactly {max_inputs} inputs, not {len(in_shapes)}.")
        padded, out = _broadcast(layer, in_shapes)
        same = all(s == padded[0] for s in padded)
        if same and all(len(s) == len(padded[0]) for s in in_shapes):
            return (lambda *xs: combine(list(xs))), out

        def broadcast_then_combine(*xs: np.ndarray) -> np.ndarray:
            return combine([x.reshape((x.shape[0], *p)) for x, p in zip(xs, padded)])
        return broadcast_then_combine, out
    return build


def _fold(op: Callable[..., np.ndarray]) -> Callable[[list[np.ndarray]], np.ndarray]:
    def combine(xs: list[np.ndarray]) -> np.ndarray:
        out = op(xs[0], xs[1])
        for x in xs[2:]:
            out = op(out, x)
        return out
    return combine


def _average(xs: list[np.ndarray]) -> np.ndarray:
    total = _fold(np.add)(xs)
    return total * F32(1 / len(xs))


def _concatenate(layer: Layer, in_shapes: Sequence[Shape], table: WeightTable) -> Built:
    if len(in_shapes) < 2:
        raise fail(layer, f"needs at least two inputs, not {len(in_shapes)}.")
    shape = in_shapes[0]
    if any(len(s) != len(shape) for s in in_shapes):
        raise fail(layer, f"cannot join inputs of different ranks {_shapes_text(in_shapes)}.")
    ax = axis_index(layer, layer.config.get("axis", -1), len(shape))
    if any(s[:ax] + s[ax + 1:] != shape[:ax] + shape[ax + 1:] for s in in_shapes):
        raise fail(layer, f"cannot join shapes {_shapes_text(in_shapes)} on axis {layer.config.get('axis', -1)}.")
    out = list(shape)
    out[ax] = sum(s[ax] for s in in_shapes)
    return (lambda *xs: ops.concat(xs, ax + 1)), tuple(out)


def _l2_normalize(x: np.ndarray, axis: int) -> np.ndarray:
    """TF.js's l2Normalize: x / sqrt(max(sum(x^2), 1e-7))."""
    norm = np.sqrt(np.maximum(np.square(x).sum(axis=axis, keepdims=True), F32(1e-7)))
    return x / norm


def _dot(layer: Layer, in_shapes: Sequence[Shape], table: WeightTable) -> Built:
    """TF.js's batchDot for two inputs of rank 2, or two of rank 3 (the cases TF.js handles directly)."""
    if len(in_shapes) != 2:
        raise fail(layer, f"takes exactly two inputs, not {len(in_shapes)}.")
    s1, s2 = in_shapes
    if len(s1) != len(s2) or len(s1) not in (1, 2):
        raise fail(layer, f"supports two 2-D or two 3-D inputs, not shapes {_shapes_text(in_shapes)}.")
    axes = layer.config.get("axes")
    axes = [axes, axes] if not isinstance(axes, list) else axes
    if len(axes) != 2:
        raise fail(layer, f"has invalid 'axes' {layer.config.get('axes')!r}.")
    a1, a2 = (1 + axis_index(layer, a, len(s), "axes") for a, s in zip(axes, (s1, s2)))
    if s1[a1 - 1] != s2[a2 - 1]:
        raise fail(layer, f"cannot take the dot product of shapes {_shapes_text(in_shapes)} over axes {axes}.")
    normalize = bool(layer.config.get("normalize", False))

    def prepare(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return (_l2_normalize(x, a1), _l2_normalize(y, a2)) if normalize else (x, y)

    if len(s1) == 1:
        def dot2(x: np.ndarray, y: np.ndarray) -> np.ndarray:
            x, y = prepare(x, y)
            return (x * y).sum(axis=1, dtype=F32)[:, None]
        return dot2, (1,)

    def dot3(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        x, y = prepare(x, y)
        if a1 != 2:
            x = np.swapaxes(x, 1, 2)
        if a2 == 2:
            y = np.swapaxes(y, 1, 2)
        return np.matmul(x, y)
    out = (s1[2 - a1], s2[2 - a2])  # the axis of each input that is not summed over
    return dot3, out


BUILDERS: dict[str, LayerBuilder] = {
    "Add": _elementwise(_fold(np.add)),
    "Subtract": _elementwise(_fold(np.subtract), max_inputs=2),
    "Multiply": _elementwise(_fold(np.multiply)),
    "Average": _elementwise(_average),
    "Maximum": _elementwise(_fold(np.maximum)),
    "Minimum": _elementwise(_fold(np.minimum)),
    "Concatenate": _concatenate,
    "Dot": _dot,
}
