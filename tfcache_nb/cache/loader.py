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
import os
import time
from pathlib import Path
from typing import Any, Callable

from ..errors import CacheIntegrityError, InvalidArgumentError, ModelFormatError, ModelLoadError, StorageError, TfcacheError
from .._html import human_seconds
from ..format.artifacts import ModelArtifacts
from ..io.cache_metadata import CacheMetadata
from ..io.file_storage_io import FileStorageIO, list_file_models
from ..io.http_io import HttpIOHandler, http_io
from ..io.local_storage_io import LocalStorageIO
from ..io.router import io_for
from ..io.tiered_cache import TieredCache
from ..storage.base import KeyValueStorage
from ..transport.urls import is_http_url
from .keys import default_cache_key, source_id
from .policy import list_model_keys, validate_options
from .report import LoadReport
from .saving import DriftMeter, drift_of_meter, save_model
from .strategy import READS_CACHE_FIRST, Strategy, check_version, is_other_version, resolve, versioned_key
from .tiers import cache_entries, storage_failed, tier_of

ProgressCallback = Callable[[float, int, int], None]
#: the http_io options load_artifacts passes on (the URL and progress are its own arguments)
HTTP_OPTIONS = frozenset(inspect.signature(http_io).parameters) - {"url", "on_progress"}
NOT_MODIFIED = "not modified (304)"


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
    entries = cache_entries(cache, key)
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
            storage_failed(report, entries, tier_entry, exc, broken)
            continue
        if artifacts is not None:
            entry, report.tier = tier_entry, tier_of(tier_entry)
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
    except (ModelLoadError, ModelFormatError) as exc:  # unreachable, or what came is not a model
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
        drift_of = drift_of_meter(drift_meter, artifacts, report)
        save_model(entries, artifacts, url, etag, last_modified, quantize, on_full, report, now(), drift_of, max_drift,
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


def _network_first_fallback(plan: Strategy, entries: list[LocalStorageIO | FileStorageIO], exc: TfcacheError,
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
            storage_failed(report, entries, entry, error, broken)
            continue
        if artifacts is not None:
            report.stale, report.tier = True, tier_of(entry)
            report.cache_miss_reason = None
            report.revalidated = f"network failed, cached copy used: {exc}"
            return artifacts, meta, entry
    return None


def _evict_other_versions(cache: Any, base_key: str, version: str, report: LoadReport) -> None:
    """A new version saved: the older versions of the same model go from every tier (they would
    only take room)."""
    try:
        stored_keys = _stored_model_keys(cache)
    except StorageError as exc:  # the new version is saved: the old ones wait for the next save
        report.cache_error = f"older versions not removed: {exc}"
        return
    for stored in stored_keys:
        if is_other_version(stored, base_key, version):
            removed = False
            for entry in cache_entries(cache, stored):
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
    except (ModelLoadError, ModelFormatError) as exc:  # e.g. a captive portal's page instead of model.json
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


def fetch(source: Any, **options: Any) -> tuple[ModelArtifacts, str | None, str | None]:
    """The model from ``source`` as a save would record it: artifacts, ETag, Last-Modified."""
    unknown = sorted(set(options) - HTTP_OPTIONS)
    if unknown:
        raise InvalidArgumentError(f"unknown option {unknown[0]!r}; the options are " + ", ".join(sorted(HTTP_OPTIONS)) + ".")
    return _fetch(_source_handler(source, None, options), None)

