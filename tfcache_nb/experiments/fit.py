"""Will my model fit, and what does fitting cost? The fit advisor.

For the model as it is and for each quantized form (float16, uint16, uint8; weights already
quantized wider are converted), :func:`fit_report` says how many bytes WeChat's local
storage would hold (sized by the very code a save uses: the same items, the same record),
whether that fits the 10 MB and the per-value cap (and the free space of a given store),
and what the form costs: the drift of the outputs against the model as it is, top-1
agreement for classifiers, and the warm load time from a cache.
"""

from __future__ import annotations

import dataclasses
import math
import time
from typing import Any, Sequence, TextIO

from .._html import esc, human_bytes, human_seconds, table
from ..cache.keys import default_cache_key, source_id
from ..cache.loader import fetch
from ..cache.saving import save_metadata
from ..cache.policy import Area, candidate_forms, changes, local_area, plan_save
from ..errors import InvalidArgumentError, TfcacheError
from ..format.artifacts import ModelArtifacts
from ..inference.drift import ModelNotRunnable, Reference, is_classifier
from ..inference.sample_inputs import PHOTOS
from ..io.local_storage_io import local_storage_io
from ..storage.base import KeyValueStorage, encode_value, utf8_len
from ..storage.dict_storage import DictStorage
from ..storage.wx_storage import WxStorage
from .step_progress import StepProgress

FORMS = ("as-is", "float16", "uint16", "uint8")


@dataclasses.dataclass
class FormFit:
    """One form of the model: its size in storage, whether it fits, and what it costs."""

    form: str
    weight_bytes: int | None
    stored_bytes: int | None
    fits: bool
    fits_free: bool | None = None
    drift: float | None = None
    top1_agreement: float | None = None
    warm_load_s: float | None = None
    #: whether this form re-stores any weight (False: it is the model as it is)
    changed: bool = True
    #: why the form could not be made or measured
    note: str | None = None

    def cost_text(self) -> str:
        """``drift 0.31%, top-1 100%`` (or why it is unknown)."""
        if self.drift is None:
            return "drift not measured"
        text = "drift inf" if math.isinf(self.drift) else f"drift {self.drift:.2%}"
        if self.top1_agreement is not None:
            text += f", top-1 {self.top1_agreement:.0%}"
        return text


@dataclasses.dataclass
class FitReport:
    """Every form of one model against WeChat's local storage (see :func:`fit_report`)."""

    source: str
    cache_key: str
    limit_bytes: int
    max_value_bytes: int
    forms: list[FormFit]
    free_bytes: int | None = None
    runnable: bool = False
    #: why drift could not be measured (the error that stopped building or running the model)
    drift_error: str | None = None
    inputs: str = ""
    classifier: bool = False
    elapsed_s: float = 0.0
    #: the form the cache policy chose for ``quantize="auto"`` (see :attr:`suggested`)
    suggested_form: str | None = None

    @property
    def name(self) -> str:
        parts = [p for p in self.source.replace("\\", "/").split("/") if p and p != "model.json"]
        return parts[-1] if parts else self.cache_key

    def form(self, name: str) -> FormFit:
        for item in self.forms:
            if item.form == name:
                return item
        raise InvalidArgumentError(f"no form {name!r}; the forms are {', '.join(FORMS)}.")

    @property
    def suggested(self) -> FormFit | None:
        """The form ``quantize="auto"`` would store in an empty storage (None: none fits), as
        the cache policy itself chose it (:func:`_auto_choice`), so the two cannot disagree."""
        return self.form(self.suggested_form) if self.suggested_form is not None else None

    def to_dict(self) -> dict[str, Any]:
        doc = dataclasses.asdict(self)
        del doc["suggested_form"]
        doc["suggested"] = self.suggested_form
        return doc

    def rows(self) -> list[tuple[str, ...]]:
        """One row of text per form: form, weights, stored, fits, fits free, drift, top-1, warm load."""
        out = []
        for f in self.forms:
            drift = "-" if f.drift is None else ("inf" if math.isinf(f.drift) else f"{f.drift:.3%}")
            out.append((f.form + ("" if f.changed or f.form == "as-is" else " (= as-is)"),
                        human_bytes(f.weight_bytes), human_bytes(f.stored_bytes),
                        "yes" if f.fits else "no",
                        "-" if f.fits_free is None else ("yes" if f.fits_free else "no"),
                        drift, "-" if f.top1_agreement is None else f"{f.top1_agreement:.0%}",
                        human_seconds(f.warm_load_s)))
        return out

    HEADER = ("form", "weights", "stored", "fits cap", "fits free", "drift", "top-1", "warm load")

    def summary_lines(self) -> list[str]:
        lines = [f"Will it fit? {self.name} in WeChat local storage ({human_bytes(self.limit_bytes)}, "
                 f"{human_bytes(self.max_value_bytes)} per value)"]
        widths = [max(len(r[i]) for r in [self.HEADER, *self.rows()]) for i in range(len(self.HEADER))]
        for row in [self.HEADER, *self.rows()]:
            lines.append("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
        if self.runnable:
            lines.append(f"cost measured on {self.inputs}")
        elif self.drift_error is not None:
            lines.append(f"drift not measured: {self.drift_error}")
        else:
            lines.append("drift not measured: sizes only (measure=False)")
        best = self.suggested
        lines.append(f"quantize='auto' would store: {best.form} ({human_bytes(best.stored_bytes)}, {best.cost_text()})"
                     if best else "no form fits: use a TieredCache (file storage) or a smaller model")
        for f in self.forms:
            if f.note:
                lines.append(f"{f.form}: {f.note}")
        return lines

    def __str__(self) -> str:
        return "\n".join(self.summary_lines())

    def __repr__(self) -> str:
        best = self.suggested
        return (f"FitReport({self.name}: " + ", ".join(
            f"{f.form} {human_bytes(f.stored_bytes)} {'fits' if f.fits else 'does not fit'}" for f in self.forms)
            + f"; auto would store {best.form if best else 'nothing'})")

    def _repr_html_(self) -> str:
        lines = self.summary_lines()
        notes = "".join(f"<div style='font-family:sans-serif;font-size:12px'>{esc(line)}</div>"
                        for line in lines[len(self.forms) + 2:])
        return table(self.rows(), header=self.HEADER, title=lines[0]) + notes

    def plot(self, ax: Any = None) -> Any:
        """Each form's stored size against the 10 MB cap, its cost written beside it."""
        from .fit_chart import draw_fit

        return draw_fit(self, ax=ax)


def fit_report(source: Any, *, store: KeyValueStorage | None = None, inputs: Sequence[Any] | None = None,
               cache_key: str | None = None, measure: bool = True, progress: bool = False,
               progress_stream: TextIO | None = None, **load_options: Any) -> FitReport:
    """Which forms of the model at ``source`` fit WeChat's local storage, and at what cost.

    ``store``: a storage whose limits and free space to check against (by default an empty
    10 MB one). ``inputs``: images (paths, bytes, PIL images, uint8 arrays) or ready model
    inputs to measure drift on; by default matplotlib's sample photographs, shaped to the
    model's inputs. ``measure=False`` skips running the model and timing loads. ``progress=True``
    shows the step under way on stderr (or ``progress_stream``): measuring takes 1-10 s a
    model. Other options go to the fetch (``timeout``, ``weight_path_prefix``, ``session``, ...).
    """
    started = time.perf_counter()
    if store is not None and not isinstance(store, KeyValueStorage):
        raise InvalidArgumentError(f"store must be a WxStorage or DictStorage, not {type(store).__name__}.")
    steps = (StepProgress("fit", 1 + len(FORMS) + (1 + len(FORMS) if measure else 0), stream=progress_stream)
             if progress else None)
    try:
        report = _fit_report(source, store, inputs, cache_key, measure, steps, load_options)
    except BaseException:
        if steps is not None:
            steps.close(ok=False)
        raise
    if steps is not None:
        steps.close()
    report.elapsed_s = time.perf_counter() - started
    return report


def _fit_report(source: Any, store: KeyValueStorage | None, inputs: Sequence[Any] | None, cache_key: str | None,
                measure: bool, steps: StepProgress | None, load_options: dict[str, Any]) -> FitReport:
    _step(steps, "fetching the model")
    artifacts, etag, last_modified = fetch(source, **load_options)
    url = source_id(source)
    key = cache_key or default_cache_key(source)
    sizing = store if store is not None else DictStorage()
    entry = local_storage_io(sizing, key)
    area = local_area(entry, lambda form, stored: save_metadata(form, stored, artifacts, url, etag, last_modified))

    made: dict[str, tuple[ModelArtifacts, Any]] = {}  # each form made, with the items sized for it
    forms: list[FormFit] = []
    for name in FORMS:
        label = None if name == "as-is" else name
        _step(steps, "sizing the model as it is" if label is None else f"making {name} and sizing it")
        try:
            stored = artifacts if label is None else artifacts.quantize(label)
        except TfcacheError as exc:
            forms.append(FormFit(name, None, None, False, note=f"cannot be made: {exc}"))
            if steps is not None and measure:
                steps.skip()  # nothing to measure
            continue
        items, needed = area.size(label, stored)
        made[name] = stored, items
        largest = max((utf8_len(encode_value(v)) for v in items.values()), default=0)
        fits = needed <= sizing.limit_bytes and largest <= sizing.max_value_bytes
        forms.append(FormFit(name, len(stored.weight_data), needed, fits,
                             fits_free=(needed <= area.free and largest <= sizing.max_value_bytes)
                             if store is not None else None,
                             changed=label is None or changes(artifacts, label)))
    report = FitReport(url, key, sizing.limit_bytes, sizing.max_value_bytes, forms,
                       free_bytes=area.free if store is not None else None)
    if measure:
        _measure(report, artifacts, made, inputs, key, steps)
    report.suggested_form = _auto_choice(report, artifacts, made, sizing.limit_bytes)
    return report


def _step(steps: StepProgress | None, what: str) -> None:
    if steps is not None:
        steps.step(what)


def _auto_choice(report: FitReport, artifacts: ModelArtifacts, made: dict[str, tuple[ModelArtifacts, Any]],
                 limit_bytes: int) -> str | None:
    """The form a save with ``quantize="auto"`` stores in an empty storage of ``limit_bytes``,
    chosen by the cache policy's own planning (:func:`~tfcache_nb.cache.policy.plan_save` over
    :func:`~tfcache_nb.cache.policy.candidate_forms`: its order, its least-drift rule), fed the
    sizes above and the drifts measured here (unmeasured: the policy's order decides, as in a
    save without a drift meter). A form over the per-value cap is not offered: it cannot be saved."""
    fits = {f.form: f for f in report.forms}

    def name(form: str | None) -> str:
        return form or "as-is"

    def size(form: str | None, stored: ModelArtifacts) -> tuple[Any, int]:
        return made[name(form)][1], fits[name(form)].stored_bytes  # type: ignore[return-value]

    def drift_of(form: str | None, stored: ModelArtifacts) -> float | None:
        return fits[name(form)].drift

    if not any(f.fits and (f.changed or f.form == "as-is") for f in report.forms):
        return None  # the policy offers no other form (an unchanged one is the model as it is)
    measured = any(f.drift is not None for f in report.forms)
    quantized = {form: stored for form, (stored, _items) in made.items() if form != "as-is"}
    offered = ((form, stored) for form, stored in candidate_forms(artifacts, "auto", made=quantized)
               if fits[name(form)].fits)
    plan = plan_save(Area(size, limit_bytes, list), offered, allow_evict=False,
                     drift_of=drift_of if measured else None)
    return name(plan.form) if plan.fits else None


def _measure(report: FitReport, artifacts: ModelArtifacts, made: dict[str, tuple[ModelArtifacts, Any]],
             inputs: Sequence[Any] | None, key: str, steps: StepProgress | None = None) -> None:
    """Drift and top-1 of each form against the model as it is; warm load of each from a cache."""
    _step(steps, "running the model as it is on the inputs")
    reference: Reference | None = None
    try:
        reference = Reference(artifacts, inputs)
    except ModelNotRunnable as exc:
        report.drift_error = str(exc)
    if reference is not None:
        report.runnable = True
        report.classifier = all(is_classifier(o) for o in reference.outputs)
        report.inputs = (f"{len(reference.inputs)} sample photographs ({', '.join(PHOTOS)})" if inputs is None
                         else f"{len(reference.inputs)} given inputs")
    for fit in report.forms:
        if fit.form not in made:
            continue
        stored, items = made[fit.form]
        _step(steps, f"measuring {fit.form}: " + ("drift and warm load" if reference is not None and fit.changed
                                                   else "warm load"))
        if reference is not None:
            if not fit.changed:
                fit.drift, fit.top1_agreement = 0.0, 1.0 if report.classifier else None
            else:
                try:
                    fit.drift, fit.top1_agreement = reference.compare(stored)
                except ModelNotRunnable as exc:
                    fit.note = f"drift not measured: {exc}"
        fit.warm_load_s = _warm_load_s(stored, items, key)


def _warm_load_s(stored: ModelArtifacts, items: Any, key: str) -> float:
    """Seconds to load the form from a warm cache: read, base64-decode and verify its entries
    (building the model afterwards is left out: it does not depend on where the model was)."""
    scratch = WxStorage(":memory:", limit_bytes=1 << 40, max_value_bytes=1 << 40)
    try:
        entry = local_storage_io(scratch, key)
        entry.save(stored, items=items)  # the very entries the sizing counted
        t0 = time.perf_counter()
        entry.load(verify=True)
        return time.perf_counter() - t0
    finally:
        scratch.close()


__all__ = ["fit_report", "FitReport", "FormFit", "FORMS"]
