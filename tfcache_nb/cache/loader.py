"""The cache-aware loader: cache first, then the network, then save, as the plugin does, and better.

Which of cache and network comes first is the ``strategy`` (see :mod:`.strategy`): the
plugin's ``cacheFirst`` by default, or ``latest``, ``networkFirst``, ``networkOnly``,
``cacheOnly``, with versioned cache keys.

Better than the plugin: a SHA-256 of the weights is stored and checked on every cache load (a
damaged entry is a miss, fetched again and replaced); the source URL, ETag and Last-Modified
are stored so ``revalidate=True`` can ask the server whether the model changed; a full
storage evicts least recently used models or stores a quantized copy instead of failing;
and the report says where the model came from and where the time went.
"""

from __future__ import annotations

import contextlib
import inspect
import itertools
import os
import time
from pathlib import Path
from typing import Any, Callable, Iterator

from ..errors import CacheIntegrityError, InvalidArgumentError, ModelFormatError, ModelLoadError, StorageError, StorageQuotaError, TfcacheError
from .._html import human_seconds
from ..format.artifacts import ModelArtifacts
from ..io.cache_metadata import CacheMetadata
from ..io.file_storage_io import FileStorageIO, file_storage_io, list_file_models
from ..io.http_io import HttpIOHandler, http_io
from ..io.local_storage_io import LocalStorageIO, local_storage_io
from ..io.router import io_for
from ..io.tiered_cache import FILE, LOCAL, TieredCache
from ..storage.base import KeyValueStorage
from ..transport.urls import is_http_url
from .keys import default_cache_key, source_id
from .policy import (Area, DriftOf, SavePlan, candidate_forms, file_area, folder_area, list_model_keys, local_area,
                     plan_save, validate_options)
from .report import LoadReport
from .strategy import READS_CACHE_FIRST, Strategy, check_version, is_other_version, resolve, versioned_key

ProgressCallback = Callable[[float, int, int], None]
#: measures what quantizing costs: called with the model as fetched, it returns a function
#: giving each candidate form's drift (largest max|diff| / max|ref| over the outputs), and
#: raises a TfcacheError saying why when the model cannot be run. The cache policy runs no
#: model itself; ``tc.load_artifacts`` and ``tc.load_model`` pass the numpy runner's.
DriftMeter = Callable[[ModelArtifacts], Callable[[ModelArtifacts], float]]
#: the http_io options load_artifacts passes on (the URL and progress are its own arguments)
HTTP_OPTIONS = frozenset(inspect.signature(http_io).parameters) - {"url", "on_progress"}
NOT_MODIFIED = "not modified (304)"


def _cache_entries(cache: Any, key: str) -> list[LocalStorageIO | FileStorageIO]:
    """Model ``key`` in each tier of ``cache``, in the order loads look and saves try."""
    if cache is None:
        return []
    if isinstance(cache, TieredCache):
        return list(cache.entries(key))
    if isinstance(cache, KeyValueStorage):
        return [local_storage_io(cache, key)]
    if isinstance(cache, (str, os.PathLike)):
        return [file_storage_io(Path(cache), key)]
    raise TfcacheError(f"cache must be a WxStorage, a TieredCache or a folder for file storage, "
                       f"not {type(cache).__name__}.")


def _tier(entry: Any) -> str:
    return LOCAL if isinstance(entry, LocalStorageIO) else FILE


def _source_handler(source: Any, on_progress: ProgressCallback | None, options: dict[str, Any]) -> Any:
    if hasattr(source, "load"):
        return source
    if is_http_url(source):
        return io_for(source, on_progress=on_progress, **options)
    return io_for(source)


def load_artifacts(source: Any, *, cache: KeyValueStorage | TieredCache | str | os.PathLike[str] | None = None,
                   cache_key: str | None = None, quantize: str | None = None, on_full: str = "evict",
                   revalidate: bool = False, strategy: str | Strategy | None = None,
                   max_age: float | None = None, version: str | int | None = None,
                   clock: Callable[[], float] | None = None, on_progress: ProgressCallback | None = None,
                   max_drift: float | None = None, drift_meter: DriftMeter | None = None,
                   **options: Any) -> tuple[ModelArtifacts, LoadReport]:
    """Load a model from the cache or from ``source``, as ``strategy`` says, and save it.

    ``source``: a URL, a local path or an IO handler. ``cache``: a :class:`WxStorage` (the
    plugin's local storage), a :class:`TieredCache` (local storage, then file storage), or a
    folder (the plugin's file storage), or None. ``strategy``: ``"cacheFirst"`` (default: the
    plugin's way), ``"latest"`` (revalidate; at most every ``max_age`` seconds if given),
    ``"networkFirst"``, ``"networkOnly"`` or ``"cacheOnly"``; ``revalidate=True`` is
    ``"latest"``. ``version``: keep this version under its own key and evict the others.
    ``clock``: seconds since the epoch (default :func:`time.time`), for the saved, checked and
    last-used times, so experiments can simulate hours between launches. ``max_drift`` refuses
    quantized forms that cost more; ``drift_meter`` measures that cost (see :data:`DriftMeter`).
    Other options go to :func:`http_io` (``timeout``, ``deadline``, ``weight_path_prefix``,
    ``session``, ...).
    """
    started = time.perf_counter()
    validate_options(quantize, on_full, max_drift)
    plan = resolve(strategy, revalidate, max_age)
    version = check_version(version)
    if clock is not None and not callable(clock):
        raise InvalidArgumentError("clock must be a function returning seconds, like time.time.")
    now = clock or time.time
    unknown = sorted(set(options) - HTTP_OPTIONS)
    if unknown:
        raise InvalidArgumentError(f"load_artifacts got an unknown option {unknown[0]!r}; its options are "
                                   "quantize, on_full, revalidate, strategy, max_age, version, clock, "
                                   "on_progress, cache_key, max_drift, drift_meter and "
                                   + ", ".join(sorted(HTTP_OPTIONS)) + ".")
    handler = _source_handler(source, on_progress, options)
    if isinstance(handler, HttpIOHandler):
        handler.reset_counters()
    url = source_id(source)
    base_key = cache_key or default_cache_key(source)
    key = versioned_key(base_key, version)
    if plan.name == "networkOnly":
        cache = None
    report = LoadReport(url=url, cache_key=key if cache is not None else None,
                        origin="http" if isinstance(handler, HttpIOHandler) else "local",
                        strategy=plan.label)
    entries = _cache_entries(cache, key)
    entry = entries[0] if entries else None
    broken: list[Any] = []  # tiers whose storage failed in this load: the others still serve
    store = cache.store if isinstance(cache, TieredCache) else cache
    if isinstance(store, KeyValueStorage):
        report.namespace = (store.app_id, store.user_id)

    artifacts: ModelArtifacts | None = None
    meta: CacheMetadata | None = None
    revalidation: Any = None
    first_miss: str | None = None
    for tier_entry in (entries if plan.name in READS_CACHE_FIRST else []):
        try:
            artifacts, meta = _read_cache(tier_entry, report)
            if report.cache_miss_reason != "not in the cache":  # damage in any tier is the reason to tell
                first_miss = first_miss or report.cache_miss_reason
        except StorageError as exc:
            _storage_failed(report, entries, tier_entry, exc, broken)
            continue
        if artifacts is not None:
            entry, report.tier = tier_entry, _tier(tier_entry)
            report.cache_miss_reason = None
            break
    if artifacts is None and first_miss:
        report.cache_miss_reason = first_miss
    if artifacts is None and plan.name == "cacheOnly":
        why = report.cache_error or report.cache_miss_reason or ("no cache given" if entry is None else "a miss")
        raise ModelLoadError(f"{url}: strategy 'cacheOnly' never uses the network, and the model is not "
                             f"in the cache ({why}).", url=url, cause="not in the cache")
    cached = (artifacts, meta, entry) if artifacts is not None else None
    if artifacts is not None and plan.name == "latest":
        if not _checked_recently(meta, now(), plan.max_age, report):
            artifacts, revalidation = _revalidate(handler, meta, artifacts, report)
            if artifacts is not None and meta is not None and report.revalidated == NOT_MODIFIED:
                meta.checked_at = now()

    if artifacts is not None:
        return _from_cache(artifacts, meta, entry, report, now, started, on_progress)

    t0 = time.perf_counter()
    try:
        artifacts, etag, last_modified = _fetch(handler, revalidation.doc if revalidation else None)
    except ModelLoadError as exc:
        if revalidation is not None and cached is not None:  # latest: changed, but the change is out of reach
            fallback = cached
            report.stale, report.cache_miss_reason = True, None
            report.revalidated = f"changed on the server but could not be downloaded, cached copy used: {exc}"
        else:
            fallback = _network_first_fallback(plan, entries, exc, report, broken)
        if fallback is None:
            raise
        report.add_phase("network", time.perf_counter() - t0)
        _count_network(handler, report)
        return _from_cache(*fallback, report, now, started, on_progress)
    if revalidation is not None:
        etag, last_modified = revalidation.etag, revalidation.last_modified
    report.add_phase("network", time.perf_counter() - t0)
    report.source = "network"
    report.weight_bytes = len(artifacts.weight_data)
    _count_network(handler, report)
    if len(broken) < len(entries):
        drift_of = _drift_of(drift_meter, artifacts, report)
        _save(entries, artifacts, url, etag, last_modified, quantize, on_full, report, now(), drift_of, max_drift,
              cache if isinstance(cache, TieredCache) else None, broken)
        if version is not None and report.saved:
            _evict_other_versions(cache, base_key, version, report)
    elif entries:
        report.save_error = f"the cache could not be used: {report.cache_error}"
    report.total_s = time.perf_counter() - started
    return artifacts, report


def _from_cache(artifacts: ModelArtifacts, meta: CacheMetadata | None, entry: Any, report: LoadReport,
                now: Callable[[], float], started: float,
                on_progress: ProgressCallback | None) -> tuple[ModelArtifacts, LoadReport]:
    report.source = "cache"
    report.quantization = meta.quantization if meta else None
    report.weight_bytes = len(artifacts.weight_data)
    _touch(entry, meta, now())
    report.total_s = time.perf_counter() - started
    if on_progress is not None:
        on_progress(1.0, report.bytes_storage, report.bytes_storage)
    return artifacts, report


def _checked_recently(meta: CacheMetadata | None, now: float, max_age: float | None,
                      report: LoadReport) -> bool:
    """``latest`` with ``max_age``: True (and the report says so) when the server was asked less
    than ``max_age`` seconds ago, so this launch trusts the copy without a request."""
    if max_age is None or meta is None:
        return False
    checked = meta.checked_at if meta.checked_at is not None else meta.saved_at
    age = now - checked
    if 0 <= age < max_age:
        report.revalidated = f"not asked: last checked {human_seconds(age)} ago (max_age {human_seconds(max_age)})"
        return True
    return False


def _network_first_fallback(plan: Strategy, entries: list[LocalStorageIO | FileStorageIO], exc: ModelLoadError,
                            report: LoadReport, broken: list[Any]) -> tuple[ModelArtifacts, CacheMetadata | None, Any] | None:
    """``networkFirst``: the cached copy (from whichever usable tier holds it) when the
    network fails, marked stale, with the entry it came from; else None."""
    if plan.name != "networkFirst":
        return None
    for entry in entries:
        if entry in broken:
            continue
        try:
            artifacts, meta = _read_cache(entry, report)
        except StorageError as error:
            _storage_failed(report, entries, entry, error, broken)
            continue
        if artifacts is not None:
            report.stale, report.tier = True, _tier(entry)
            report.cache_miss_reason = None
            report.revalidated = f"network failed, cached copy used: {exc}"
            return artifacts, meta, entry
    return None


def _evict_other_versions(cache: Any, base_key: str, version: str, report: LoadReport) -> None:
    """A new version saved: the older versions of the same model go from every tier (they would
    only take room)."""
    for stored in _stored_model_keys(cache):
        if is_other_version(stored, base_key, version):
            removed = False
            for entry in _cache_entries(cache, stored):
                try:
                    removed = entry.remove() or removed
                except TfcacheError:
                    continue
            if removed and stored not in report.evicted:
                report.evicted.append(stored)


def _stored_model_keys(cache: Any) -> list[str]:
    """The keys of the models saved in any tier of ``cache`` (a tier that cannot be read lists none)."""
    if isinstance(cache, TieredCache):
        keys: set[str] = set()
        for listing in (lambda: list_model_keys(cache.store), cache.file_models):
            try:
                keys.update(listing())
            except StorageError:
                continue
        return sorted(keys)
    if isinstance(cache, KeyValueStorage):
        return list_model_keys(cache)
    return list_file_models(Path(cache))


def _read_cache(entry: LocalStorageIO | FileStorageIO,
                report: LoadReport) -> tuple[ModelArtifacts | None, CacheMetadata | None]:
    """A valid cached copy, or None with the reason a miss happened."""
    t0 = time.perf_counter()
    # one snapshot: the record and the entry it describes are read as one consistent state
    snapshot = entry.store.snapshot() if isinstance(entry, LocalStorageIO) else contextlib.nullcontext()
    seen_info: str | None = None
    try:
        with snapshot:
            seen_info = entry.info_text()
            if seen_info is None:
                report.cache_miss_reason = "not in the cache"
                return None, None
            meta = entry.read_metadata()
            artifacts = entry.load(verify=True)
    except CacheIntegrityError as exc:
        report.cache_miss_reason = f"damaged entry, fetched again: {exc}"
        try:  # drop the damaged copy, unless another process has saved a fresh one meanwhile
            entry.remove(only_if_info=seen_info)
        except TfcacheError:
            pass
        return None, None
    except ModelLoadError:
        report.cache_miss_reason = "not in the cache"
        return None, None
    timings = getattr(entry, "last_timings", None)
    if timings:
        for name, seconds in timings.items():
            report.add_phase(name, seconds)
    else:
        report.add_phase("storage_read", time.perf_counter() - t0)
    report.bytes_storage = entry.stored_bytes()
    return artifacts, meta


def _revalidate(handler: Any, meta: CacheMetadata | None, cached: ModelArtifacts,
                report: LoadReport) -> tuple[ModelArtifacts | None, Any]:
    """Ask the server whether model.json changed; keep the cached copy if not, or if unreachable."""
    if not isinstance(handler, HttpIOHandler):
        report.revalidated = "not applicable (not an HTTP source)"
        return cached, None
    t0 = time.perf_counter()
    try:
        result = handler.fetch_model_json(etag=meta.etag if meta else None,
                                          last_modified=meta.last_modified if meta else None)
    except ModelLoadError as exc:
        report.stale = True
        report.revalidated = f"failed, cached copy used: {exc}"
        return cached, None
    finally:
        report.add_phase("revalidate", time.perf_counter() - t0)
        _count_network(handler, report)
    if result.not_modified:
        report.revalidated = NOT_MODIFIED
        return cached, None
    report.revalidated = "changed on the server: fetched again"
    report.cache_miss_reason = "changed on the server"
    return None, result


def _count_network(handler: Any, report: LoadReport) -> None:
    """The handler's counters add up over this call: copy them, never add twice."""
    report.bytes_network = int(getattr(handler, "bytes_downloaded", 0) or 0)
    report.requests = int(getattr(handler, "requests_made", 0) or 0)


def _fetch(handler: Any, doc: dict[str, Any] | None) -> tuple[ModelArtifacts, str | None, str | None]:
    """The model from its source, with the ETag and Last-Modified to store for revalidation."""
    if not isinstance(handler, HttpIOHandler):
        return handler.load(), None, None
    fetched = handler.fetch_model(doc)
    try:
        artifacts = ModelArtifacts.from_model_json(fetched.doc, fetched.weight_data)
    except ModelFormatError as exc:
        raise ModelFormatError(f"{handler.url}: {exc}") from None
    return artifacts, fetched.etag, fetched.last_modified


def _touch(entry: Any, meta: CacheMetadata | None, now: float) -> None:
    """Record the use (and a 304's check) for LRU and ``max_age``; a failure never fails the load."""
    if meta is None:
        return
    meta.last_used = now
    try:
        entry.write_metadata(meta)
    except TfcacheError:
        pass


class _QuantizeFailed(Exception):
    """A candidate form could not be made; ``error`` is the TfcacheError that said why."""

    def __init__(self, error: TfcacheError):
        super().__init__(str(error))
        self.error = error


def _timed_forms(artifacts: ModelArtifacts, quantize: str | None,
                 report: LoadReport) -> Iterator[tuple[str | None, ModelArtifacts]]:
    """:func:`candidate_forms`, each made only when asked for; the time making them (when
    ``quantize`` is set) goes to the ``quantize`` phase, a failure comes as :class:`_QuantizeFailed`."""
    forms = candidate_forms(artifacts, quantize)
    while True:
        t0 = time.perf_counter()
        try:
            form = next(forms)
        except StopIteration:
            return
        except TfcacheError as exc:
            raise _QuantizeFailed(exc) from None
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


def fetch(source: Any, **options: Any) -> tuple[ModelArtifacts, str | None, str | None]:
    """The model from ``source`` as a save would record it: artifacts, ETag, Last-Modified."""
    unknown = sorted(set(options) - HTTP_OPTIONS)
    if unknown:
        raise InvalidArgumentError(f"unknown option {unknown[0]!r}; the options are " + ", ".join(sorted(HTTP_OPTIONS)) + ".")
    return _fetch(_source_handler(source, None, options), None)


def _drift_of(meter: DriftMeter | None, original: ModelArtifacts, report: LoadReport) -> DriftOf | None:
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


def _save(entries: list[LocalStorageIO | FileStorageIO], artifacts: ModelArtifacts, url: str,
          etag: str | None, last_modified: str | None, quantize: str | None, on_full: str,
          report: LoadReport, now: float, drift_of: DriftOf | None = None, max_drift: float | None = None,
          tiered: TieredCache | None = None, broken: list[Any] | None = None) -> None:
    """Save the chosen form in the first usable tier where an acceptable one fits; drop other
    tiers' copies. A tier whose storage fails (``broken``, or failing now) is passed over."""
    broken = [] if broken is None else broken
    forms = _timed_forms(artifacts, quantize, report)
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
                _storage_failed(report, entries, entry, exc, broken)
                failures.append((entry, exc))
        if saved_in is not None:
            for other in entries:  # a copy of an older version in another tier must not be found first
                if other is not saved_in[0] and other not in broken:
                    try:
                        other.remove()
                    except StorageError as exc:  # the model is saved; the report says what was left
                        _storage_failed(report, entries, other, exc, broken)
    except _QuantizeFailed as exc:
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
    report.tier = _tier(entry)
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
            _same_tier(entry, victim).remove()
        report.evicted = list(plan.evict)
        report.add_phase("evict", time.perf_counter() - t2)
    if isinstance(entry, LocalStorageIO):
        entry.save(plan.artifacts, items=plan.items)
    else:
        entry.save(plan.artifacts, files=plan.items)


def _storage_failed(report: LoadReport, entries: list[Any], entry: Any, exc: StorageError,
                    broken: list[Any]) -> None:
    """One tier's storage failed: this load passes it over, and ``cache_error`` says why
    (naming the tier when the cache has two)."""
    if entry not in broken:
        broken.append(entry)
    text = f"{_tier_name(entry)}: {exc}" if len(entries) > 1 else str(exc)
    report.cache_error = text if report.cache_error is None else f"{report.cache_error}; {text}"


def _tier_name(entry: Any) -> str:
    return "local storage" if isinstance(entry, LocalStorageIO) else "file storage"


def _not_saved(failures: list[tuple[Any, SavePlan | StorageError]], on_full: str, report: LoadReport) -> None:
    """Say why no tier took the model: by how much it missed, which forms cost too much, or
    which storage failed. With ``on_full="error"``, unless every tier's storage failed (a broken
    storage never fails a load): one StorageQuotaError when space was short everywhere, else
    one StorageError."""
    parts = []
    short_everywhere = True
    for entry, failure in failures:
        if isinstance(failure, StorageError):
            parts.append(f"{_tier_name(entry)} could not be used: {str(failure).rstrip('.')}")
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
        parts.append(f"{_tier_name(entry)}: {text}" if len(failures) > 1 else text)
    message = "; ".join(parts)
    if on_full == "error" and any(isinstance(failure, SavePlan) for _entry, failure in failures):
        if short_everywhere:
            raise StorageQuotaError(f"exceed storage max size: {message}.")
        raise StorageError(f"the model was not saved: {message}.")
    report.save_error = message + ("" if on_full == "skip" or not short_everywhere else
                                   ", and evicting other cached models would not make room")


def _same_tier(entry: LocalStorageIO | FileStorageIO, key: str) -> LocalStorageIO | FileStorageIO:
    return (local_storage_io(entry.store, key) if isinstance(entry, LocalStorageIO)
            else file_storage_io(entry.folder, key))
