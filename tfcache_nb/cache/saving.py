"""Saving a downloaded model: which form, in which tier, and why not when it is not saved.

The policy (:mod:`.policy`) plans; this module makes the candidate forms (timing their
quantization and drift), writes the chosen one where it fits, removes other tiers' older
copies, and fills the load report.
"""

from __future__ import annotations

import itertools
import time
from typing import Any, Callable, Iterator

from ..errors import StorageError, StorageQuotaError, TfcacheError
from ..format.artifacts import ModelArtifacts
from ..io.cache_metadata import CacheMetadata
from ..io.file_storage_io import FileStorageIO
from ..io.local_storage_io import LocalStorageIO
from ..io.tiered_cache import TieredCache
from .policy import Area, DriftOf, SavePlan, candidate_forms, file_area, folder_area, local_area, plan_save
from .report import LoadReport
from .tiers import same_tier, storage_failed, tier_name, tier_of

#: measures what quantizing costs: called with the model as fetched, it returns a function
#: giving each candidate form's drift (largest max|diff| / max|ref| over the outputs), and
#: raises a TfcacheError saying why when the model cannot be run. The cache policy runs no
#: model itself; ``tc.load_artifacts`` and ``tc.load_model`` pass the numpy runner's.
DriftMeter = Callable[[ModelArtifacts], Callable[[ModelArtifacts], float]]


class QuantizeFailed(Exception):
    """A candidate form could not be made; ``error`` is the TfcacheError that said why."""

    def __init__(self, error: TfcacheError):
        super().__init__(str(error))
        self.error = error


def timed_forms(artifacts: ModelArtifacts, quantize: str | None,
                report: LoadReport) -> Iterator[tuple[str | None, ModelArtifacts]]:
    """:func:`candidate_forms`, each made only when asked for; the time making them (when
    ``quantize`` is set) goes to the ``quantize`` phase, a failure comes as :class:`QuantizeFailed`."""
    forms = candidate_forms(artifacts, quantize)
    while True:
        t0 = time.perf_counter()
        try:
            form = next(forms)
        except StopIteration:
            return
        except TfcacheError as exc:
            raise QuantizeFailed(exc) from None
        finally:
            if quantize is not None:
                report.add_phase("quantize", time.perf_counter() - t0)
        yield form


def save_metadata(form: str | None, stored: ModelArtifacts, original: ModelArtifacts, url: str,
                  etag: str | None = None, last_modified: str | None = None,
                  now: float | None = None) -> CacheMetadata:
    """The record a save writes beside form ``form`` of ``original`` (it counts in the stored bytes)."""
    now = time.time() if now is None else now
    return CacheMetadata(sha256=stored.weights_sha256(), source=url, etag=etag, last_modified=last_modified,
                         quantization=form, weight_data_bytes=len(stored.weight_data),
                         original_weight_bytes=len(original.weight_data),
                         saved_at=now, last_used=now, checked_at=now if etag or last_modified else None)


def drift_of_meter(meter: DriftMeter | None, original: ModelArtifacts, report: LoadReport) -> DriftOf | None:
    """The policy's drift plug point over ``meter``: each form measured once, failures reported."""
    if meter is None:
        return None
    probe: Callable[[ModelArtifacts], float] | None = None
    measured: dict[int, float | None] = {}

    def drift_of(form: str | None, candidate: ModelArtifacts) -> float | None:
        nonlocal probe
        if id(candidate) in measured:
            return measured[id(candidate)]
        if report.drift_error is not None:
            return None
        t0 = time.perf_counter()
        try:
            if probe is None:
                probe = meter(original)
            value: float | None = float(probe(candidate))
        except TfcacheError as exc:
            report.drift_error = str(exc)
            value = None
        finally:
            report.add_phase("drift", time.perf_counter() - t0)
        measured[id(candidate)] = value
        return value

    return drift_of


def save_model(entries: list[LocalStorageIO | FileStorageIO], artifacts: ModelArtifacts, url: str,
               etag: str | None, last_modified: str | None, quantize: str | None, on_full: str,
               report: LoadReport, now: float, drift_of: DriftOf | None = None, max_drift: float | None = None,
               tiered: TieredCache | None = None, broken: list[Any] | None = None) -> None:
    """Save the chosen form in the first usable tier where an acceptable one fits; drop other
    tiers' copies. A tier whose storage fails (``broken``, or failing now) is passed over."""
    broken = [] if broken is None else broken
    forms = timed_forms(artifacts, quantize, report)
    made: list[tuple[str | None, ModelArtifacts]] = []

    def remembered() -> Iterator[tuple[str | None, ModelArtifacts]]:
        for form in forms:
            made.append(form)
            yield form

    def metadata_for(form: str | None, stored: ModelArtifacts) -> CacheMetadata:
        return save_metadata(form, stored, artifacts, url, etag, last_modified, now)

    t1 = time.perf_counter()
    quantize_before = report.phases.get("quantize", 0.0)
    drift_before = report.phases.get("drift", 0.0)
    rest = remembered()
    failures: list[tuple[Any, SavePlan | StorageError]] = []
    saved_in: tuple[Any, SavePlan] | None = None
    try:
        for entry in entries:
            if entry in broken:
                continue
            try:
                plan = plan_save(_area(entry, tiered, metadata_for), itertools.chain(list(made), rest),
                                 allow_evict=on_full == "evict", drift_of=drift_of, max_drift=max_drift)
                if plan.fits:
                    _write(entry, plan, report)
                    saved_in = entry, plan
                    break
                failures.append((entry, plan))
            except StorageQuotaError:
                raise
            except StorageError as exc:
                if len(entries) == 1:
                    raise
                storage_failed(report, entries, entry, exc, broken)
                failures.append((entry, exc))
        if saved_in is not None:
            for other in entries:  # a copy of an older version in another tier must not be found first
                if other is not saved_in[0] and other not in broken:
                    try:
                        other.remove()
                    except StorageError as exc:  # the model is saved; the report says what was left
                        storage_failed(report, entries, other, exc, broken)
    except QuantizeFailed as exc:
        report.save_error = f"could not quantize the model: {exc.error}"
        return
    except StorageQuotaError as exc:
        if on_full == "error":
            raise
        report.save_error = str(exc)
        return
    except StorageError as exc:
        report.save_error = str(exc)
        return
    finally:  # the forms quantized and measured while planning count in their own phases, not twice
        planning_s = (report.phases.get("quantize", 0.0) - quantize_before
                      + report.phases.get("drift", 0.0) - drift_before)
        report.add_phase("save", time.perf_counter() - t1 - planning_s)
    if saved_in is None:
        _not_saved(failures, on_full, report)
        return
    entry, plan = saved_in
    report.saved = True
    report.quantization = plan.form
    report.drift = plan.drift  # 0.0 for the model as it is, None when unmeasured
    report.tier = tier_of(entry)
    report.bytes_storage = entry.stored_bytes()


def _area(entry: LocalStorageIO | FileStorageIO, tiered: TieredCache | None, metadata_for: Any) -> Area:
    """Where ``entry`` saves: local storage, the tiered cache's file tier (with its limit), or
    a plain file storage folder (no limit)."""
    if isinstance(entry, LocalStorageIO):
        return local_area(entry, metadata_for)
    return file_area(tiered, entry, metadata_for) if tiered is not None else folder_area(entry, metadata_for)


def _write(entry: LocalStorageIO | FileStorageIO, plan: SavePlan, report: LoadReport) -> None:
    """Evict whom ``plan`` says must go, then write its items (as planned, byte for byte)."""
    if plan.evict:
        t2 = time.perf_counter()
        for victim in plan.evict:
            same_tier(entry, victim).remove()
        report.evicted = list(plan.evict)
        report.add_phase("evict", time.perf_counter() - t2)
    if isinstance(entry, LocalStorageIO):
        entry.save(plan.artifacts, items=plan.items)
    else:
        entry.save(plan.artifacts, files=plan.items)


def _not_saved(failures: list[tuple[Any, SavePlan | StorageError]], on_full: str, report: LoadReport) -> None:
    """Say why no tier took the model: by how much it missed, which forms cost too much, or
    which storage failed. With ``on_full="error"``, unless every tier's storage failed (a broken
    storage never fails a load): one StorageQuotaError when space was short everywhere, else
    one StorageError."""
    parts = []
    short_everywhere = True
    for entry, failure in failures:
        if isinstance(failure, StorageError):
            parts.append(f"{tier_name(entry)} could not be used: {str(failure).rstrip('.')}")
            short_everywhere = False
            continue
        if failure.lacks_room:
            if report.bytes_needed is None:
                report.bytes_needed, report.bytes_free = failure.needed, failure.free
            text = (f"the model needs {failure.needed:,} bytes of storage but only {failure.free:,} of "
                    f"{entry.store.limit_bytes:,} are free" if isinstance(entry, LocalStorageIO) else
                    f"the model needs {failure.needed:,} bytes of file storage but only {failure.free:,} are free")
            if failure.refused:
                text += f" (forms that fit but were refused: {failure.refused})"
        else:
            text, short_everywhere = f"max_drift refused every form: {failure.refused}", False
        parts.append(f"{tier_name(entry)}: {text}" if len(failures) > 1 else text)
    message = "; ".join(parts)
    if on_full == "error" and any(isinstance(failure, SavePlan) for _entry, failure in failures):
        if short_everywhere:
            raise StorageQuotaError(f"exceed storage max size: {message}.")
        raise StorageError(f"the model was not saved: {message}.")
    report.save_error = message + ("" if on_full == "skip" or not short_everywhere else
                                   ", and evicting other cached models would not make room")
