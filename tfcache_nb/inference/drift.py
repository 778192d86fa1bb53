"""What a quantized form costs: its outputs against the model's own, on the same inputs.

``drift`` is the largest ``max|diff| / max|ref|`` over the model's outputs (all inputs
pooled per output), so 0.01 means some output moved by 1 % of that output's largest
magnitude. For classifiers, ``top1_agreement`` is the share of inputs whose most likely
class is unchanged. The cache policy asks for drift through :func:`numpy_drift_meter`, its
plug point; the fit advisor uses :class:`Reference` directly.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Sequence

import numpy as np

from ..errors import ModelFormatError, TfcacheError

Outputs = list[np.ndarray]  # one prediction's outputs, in the model's output order


class ModelNotRunnable(ModelFormatError):
    """The model cannot be run here, so what quantizing costs cannot be measured."""


def _attempt(what: str, action: Callable[[], Any]) -> Any:
    """Run ``action``; any failure becomes one ModelNotRunnable naming what failed and why."""
    try:
        return action()
    except TfcacheError as exc:
        raise ModelNotRunnable(f"cannot {what}: {exc}") from None
    except Exception as exc:  # a runtime failure must not escape as a traceback from deep inside
        raise ModelNotRunnable(f"cannot {what}: {type(exc).__name__}: {exc}") from None


def build(artifacts: Any) -> Any:
    from .model import Model

    return _attempt("build the model", lambda: Model.from_artifacts(artifacts))


def run(model: Any, x: Any) -> Outputs:
    """The model's outputs for one input, as a list whatever ``predict`` returns."""
    y = _attempt("run the model", lambda: model.predict(x))
    items = list(y) if isinstance(y, (list, tuple)) else [y]
    return [np.asarray(v) for v in items]


def prepare_inputs(model: Any, inputs: Sequence[Any] | None) -> list[Any]:
    """Model inputs from ``inputs``: None for the default photographs; each item a model input
    (a dict by input name, or an array of the input's rank) or an image to shape like them."""
    from .sample_inputs import default_inputs, input_specs

    if inputs is None:
        return _attempt("make inputs for the model", lambda: default_inputs(model))
    items = list(inputs)
    rank = len(input_specs(model)[0].shape)
    ready = [isinstance(i, dict) or (isinstance(i, np.ndarray) and i.ndim == rank and i.dtype != np.uint8)
             for i in items]
    if all(ready):
        return items
    images = [i for i, r in zip(items, ready) if not r]
    shaped = iter(default_inputs(model, images))
    return [i if r else next(shaped) for i, r in zip(items, ready)]


def output_drift(reference: Sequence[Outputs], candidate: Sequence[Outputs]) -> float:
    """Largest ``max|diff| / max|ref|`` over the outputs (inf when shapes or counts differ)."""
    worst = 0.0
    for ref_outs, outs in zip(reference, candidate):
        if len(ref_outs) != len(outs):
            return math.inf
    for i in range(len(reference[0]) if reference else 0):
        refs = [outs[i] for outs in reference]
        cands = [outs[i] for outs in candidate]
        if any(r.shape != c.shape for r, c in zip(refs, cands)):
            return math.inf
        diff = max((float(np.max(np.abs(r.astype(np.float64) - c.astype(np.float64)))) if r.size else 0.0
                    for r, c in zip(refs, cands)), default=0.0)
        scale = max((float(np.max(np.abs(r.astype(np.float64)))) if r.size else 0.0 for r in refs), default=0.0)
        if math.isnan(diff):
            return math.inf
        worst = max(worst, diff / scale if scale > 0 else diff)
    return worst


def is_classifier(outputs: Outputs) -> bool:
    """One output of shape [batch, classes]: a classifier whose top-1 class can be compared."""
    return len(outputs) == 1 and outputs[0].ndim == 2 and outputs[0].shape[-1] >= 2


def top1_agreement(reference: Sequence[Outputs], candidate: Sequence[Outputs]) -> float | None:
    """Share of inputs (rows) whose top-1 class is unchanged; None for non-classifiers."""
    if not reference or not all(is_classifier(o) for o in reference):
        return None
    same = total = 0
    for ref_outs, outs in zip(reference, candidate):
        if outs[0].shape != ref_outs[0].shape:
            return 0.0
        ref_top, top = ref_outs[0].argmax(axis=-1), outs[0].argmax(axis=-1)
        same += int((ref_top == top).sum())
        total += ref_top.size
    return same / total if total else None


class Reference:
    """The model as it is, run once on the inputs, to compare other forms with."""

    def __init__(self, artifacts: Any, inputs: Sequence[Any] | None = None):
        self.model = build(artifacts)
        self.inputs = prepare_inputs(self.model, inputs)
        self.outputs = [run(self.model, x) for x in self.inputs]

    def outputs_of(self, artifacts: Any) -> list[Outputs]:
        model = build(artifacts)
        return [run(model, x) for x in self.inputs]

    def compare(self, artifacts: Any) -> tuple[float, float | None]:
        """``(drift, top1_agreement)`` of another form of the model."""
        outs = self.outputs_of(artifacts)
        return output_drift(self.outputs, outs), top1_agreement(self.outputs, outs)

    def drift(self, artifacts: Any) -> float:
        return self.compare(artifacts)[0]


def numpy_drift_meter(inputs: Sequence[Any] | None = None) -> Callable[[Any], Callable[[Any], float]]:
    """The cache policy's drift meter over the numpy runner (see ``cache.saving.DriftMeter``)."""

    def meter(original: Any) -> Callable[[Any], float]:
        return Reference(original, inputs).drift

    return meter
