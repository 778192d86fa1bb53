"""Load a TensorFlow.js model over HTTP(S): model.json, then every shard in parallel.

Follows ``tf.io.http`` (``tfjs-core/src/io/http.ts``): shard URLs by TensorFlow.js's rule,
all shards fetched at once and joined in manifest order. Beyond it: retries with back-off,
sizes checked against the manifest, a cap on what one load downloads, conditional requests
for model.json (the cache layer revalidates with them), and counters for the load report.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import json
import threading
import time
import urllib.parse
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from typing import Any, Callable, Mapping

import requests
from requests.adapters import HTTPAdapter

from ..errors import InvalidArgumentError, ModelFormatError, ModelLoadError
from ..format.artifacts import ModelArtifacts
from ..format.manifest import group_byte_length, validate_manifest
from ..transport.deadline import Deadline, DeadlinePassed
from ..transport.http import fetch
from ..transport.urls import is_http_url, shard_urls, tfhub_model_url
from .handler import SaveResult

ProgressCallback = Callable[[float, int, int], None]


@dataclasses.dataclass(frozen=True)
class ModelJsonResult:
    """model.json as fetched: ``doc`` is None when the server said 304 Not Modified."""

    doc: dict[str, Any] | None
    etag: str | None
    last_modified: str | None
    not_modified: bool
    nbytes: int
    url: str = ""


@dataclasses.dataclass(frozen=True)
class FetchedModel:
    """model.json and its weight bytes as downloaded, with the validators to revalidate them."""

    doc: dict[str, Any]
    weight_data: bytes
    etag: str | None
    last_modified: str | None


class _Aborted(Exception):
    """Another shard failed: stop this one at its next chunk."""


class HttpIOHandler:
    """``tf.io.http`` for loading; see :func:`http_io`."""

    can_save = False

    def __init__(self, url: str, *, weight_path_prefix: str | None = None,
                 on_progress: ProgressCallback | None = None, session: requests.Session | None = None,
                 timeout: float | tuple[float, float] = (5.0, 30.0), retries: int = 3,
                 backoff: float = 0.2, max_workers: int = 6, allow_external_weights: bool = False,
                 tfhub: bool = False, max_download_bytes: int | None = 200 * 1024 * 1024,
                 headers: Mapping[str, str] | None = None, deadline: float | None = None):
        if not is_http_url(url):
            raise ModelLoadError(f"http_io needs an http:// or https:// URL, not {url!r}.",
                                 url=str(url), cause="not an http(s) URL")
        if max_workers < 1:
            raise ValueError("max_workers must be at least 1.")
        if deadline is not None and (isinstance(deadline, bool) or not isinstance(deadline, (int, float))
                                     or not deadline > 0):
            raise InvalidArgumentError(f"deadline must be a positive number of seconds or None, "
                                       f"not {deadline!r}.")
        self.deadline = float(deadline) if deadline is not None else None
        self.url = tfhub_model_url(url) if tfhub else url
        self.weight_path_prefix = weight_path_prefix
        self.on_progress = on_progress
        self.session = session if session is not None else _default_session(max_workers, self.url)
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.max_workers = max_workers
        self.allow_external_weights = allow_external_weights
        self.max_download_bytes = max_download_bytes
        self.headers = dict(headers or {})
        self._lock = threading.Lock()
        self.reset_counters()

    # ------------------------------------------------------------------ counters
    def reset_counters(self) -> None:
        """Zero ``bytes_downloaded``, ``requests_made`` and ``phases`` (they add up over calls),
        and start the deadline's clock: a new load begins (``load_artifacts`` calls this)."""
        self.bytes_downloaded = 0
        self.requests_made = 0
        self.phases: dict[str, float] = {}
        self.start_deadline()

    def start_deadline(self) -> None:
        """Count ``deadline`` seconds from now for every request and retry that follows."""
        self._deadline = Deadline(self.deadline) if self.deadline is not None else None

    def _count_bytes(self, n: int) -> None:
        with self._lock:
            self.bytes_downloaded += n

    def _count_request(self, *_: Any) -> None:
        with self._lock:
            self.requests_made += 1

    def _add_phase(self, name: str, seconds: float) -> None:
        self.phases[name] = self.phases.get(name, 0.0) + seconds

    def _get(self, url: str, **kw: Any):
        self._count_request()
        return fetch(url, session=self.session, timeout=self.timeout, retries=self.retries,
                     backoff=self.backoff, on_retry=self._count_request, deadline=self._deadline,
                     **kw)

    # ------------------------------------------------------------------ model.json
    def fetch_model_json(self, *, etag: str | None = None,
                         last_modified: str | None = None) -> ModelJsonResult:
        """GET model.json, conditionally if ``etag``/``last_modified`` are given; parse and check it."""
        start = time.perf_counter()
        headers = dict(self.headers)
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        try:
            result = self._get(self.url, headers=headers, max_bytes=self.max_download_bytes,
                               on_bytes=self._count_bytes)
        except DeadlinePassed as exc:
            raise self._stopped(f"while fetching model.json ({exc.where})") from None
        finally:
            self._add_phase("model_json", time.perf_counter() - start)
        new_etag = result.headers.get("ETag") or (etag if result.status == 304 else None)
        new_modified = result.headers.get("Last-Modified") or (last_modified if result.status == 304 else None)
        if result.status == 304:
            return ModelJsonResult(None, new_etag, new_modified, True, 0, self.url)
        doc = self._parse_model_json(result.body, result.headers.get("Content-Type", ""))
        return ModelJsonResult(doc, new_etag, new_modified, False, len(result.body), self.url)

    def _parse_model_json(self, body: bytes, content_type: str) -> dict[str, Any]:
        try:
            doc = json.loads(body.decode("utf-8-sig"), parse_constant=_reject_constant)
        except (UnicodeDecodeError, ValueError) as exc:
            if "html" in content_type.lower() or body.lstrip()[:1] == b"<":
                raise ModelLoadError(
                    f"The server at {self.url} answered with an HTML page, not model.json; "
                    f"check the URL.", url=self.url, cause="HTML page instead of model.json") from None
            where = (f" (line {exc.lineno}, column {exc.colno})"
                     if isinstance(exc, json.JSONDecodeError) else "")
            raise ModelFormatError(f"The model.json at {self.url} is not valid JSON{where}.") from None
        if not isinstance(doc, dict):
            raise ModelFormatError(f"The model.json at {self.url} is not a JSON object.")
        if doc.get("modelTopology") is None and doc.get("weightsManifest") is None:
            raise ModelFormatError(f"The JSON at {self.url} is not a model: it has neither "
                                   f"'modelTopology' nor 'weightsManifest'.")
        self._groups(doc)
        return doc

    def _groups(self, doc: Mapping[str, Any]) -> list[dict[str, Any]]:
        try:
            return validate_manifest(doc.get("weightsManifest") or [])
        except ModelFormatError as exc:
            raise ModelFormatError(f"The model.json at {self.url} is not a valid model: {exc}") from None

    # ------------------------------------------------------------------ weights
    def fetch_weights(self, doc: Mapping[str, Any]) -> bytes:
        """All shards of all groups, fetched in parallel and joined in manifest order."""
        start = time.perf_counter()
        try:
            return self._fetch_weights(doc)
        finally:
            self._add_phase("weights", time.perf_counter() - start)

    def _fetch_weights(self, doc: Mapping[str, Any]) -> bytes:
        groups = self._groups(doc)
        jobs: list[tuple[int, str]] = []  # (group index, shard URL), in manifest order
        for g, group in enumerate(groups):
            urls = shard_urls(self.url, group["paths"], weight_path_prefix=self.weight_path_prefix,
                              allow_external=self.allow_external_weights)
            jobs.extend((g, u) for u in urls)
        sizes = [group_byte_length(group) for group in groups]
        total = sum(sizes) if None not in sizes else None
        cap = self.max_download_bytes
        if cap is not None and total is not None and total > cap:
            raise ModelLoadError(
                f"The model at {self.url} has {total} bytes of weights, larger than the limit "
                f"of {cap} bytes (max_download_bytes).", url=self.url,
                cause=f"larger than the limit of {cap} bytes")
        group_shards = [sum(1 for g, _ in jobs if g == i) for i in range(len(groups))]
        tracker = _Progress(self.on_progress, total, len(jobs))
        budget = _Budget(cap, self.url)
        abort = threading.Event()

        def one(index: int) -> bytes:
            g, url = jobs[index]

            def on_bytes(n: int) -> None:
                if abort.is_set():
                    raise _Aborted()
                budget.take(n)
                self._count_bytes(n)
                tracker.add(index, n)

            def on_retry(attempt: int, cause: str) -> None:
                self._count_request()
                tracker.restart(index)

            self._count_request()
            result = fetch(url, session=self.session, timeout=self.timeout, retries=self.retries,
                           backoff=self.backoff, headers=self.headers,
                           expected_length=sizes[g] if group_shards[g] == 1 else None,
                           max_bytes=cap, on_bytes=on_bytes, on_retry=on_retry,
                           deadline=self._deadline)
            tracker.finish(index, len(result.body))
            return result.body

        try:
            bodies = self._run_parallel(one, len(jobs), abort)
        except DeadlinePassed:
            raise self._stopped(self._how_far(tracker, jobs, sizes, group_shards)) from None
        data = []
        for g, group in enumerate(groups):
            joined = b"".join(body for (jg, _), body in zip(jobs, bodies) if jg == g)
            if sizes[g] is not None and len(joined) != sizes[g]:
                first = next((u for jg, u in jobs if jg == g), self.url)
                cause = f"{len(joined)} bytes but the manifest says {sizes[g]}"
                raise ModelLoadError(f"The shards of weight group {g + 1} (from {first}) hold {cause}.",
                                     url=first, cause=cause)
            data.append(joined)
        tracker.done(sum(len(d) for d in data))
        return b"".join(data)

    def _run_parallel(self, job: Callable[[int], bytes], count: int, abort: threading.Event) -> list[bytes]:
        """Run ``job(i)`` for every shard; on the first failure raise it at once.

        Shards still downloading then stop at their next chunk (or their read timeout) in the
        background instead of holding up the error.
        """
        if count == 0:
            return []
        pool = ThreadPoolExecutor(max_workers=min(self.max_workers, count),
                                  thread_name_prefix="tfcache-http")
        futures = [pool.submit(job, i) for i in range(count)]
        try:
            finished, _ = wait(futures, return_when=FIRST_EXCEPTION)
            errors = [f.exception() for f in futures if f in finished and f.exception() is not None]
            if errors:
                raise next((e for e in errors if not isinstance(e, _Aborted)), errors[0])
            return [f.result() for f in futures]
        except BaseException:  # a failed shard, or KeyboardInterrupt in a notebook
            abort.set()
            raise
        finally:
            pool.shutdown(wait=not abort.is_set(), cancel_futures=True)

    def _stopped(self, how_far: str) -> ModelLoadError:
        cause = f"the deadline of {self.deadline:g} s passed"
        return ModelLoadError(f"The load of {self.url} was stopped: {cause} {how_far}. The partial "
                              f"download was discarded.", url=self.url, cause=cause)

    @staticmethod
    def _how_far(tracker: "_Progress", jobs: list[tuple[int, str]], sizes: list[int | None],
                 group_shards: list[int]) -> str:
        """'with 12 of 1,912,345 bytes of the weights; still downloading: a.bin (12 of ...)'."""
        with tracker.lock:
            got, unfinished = sum(tracker.best), [i for i in range(len(jobs)) if i not in tracker.done_shards]
            best = list(tracker.best)
        of = f" of {tracker.total:,}" if tracker.total else ""
        files = []
        for i in unfinished[:3]:
            g, url = jobs[i]
            size = f" of {sizes[g]:,}" if group_shards[g] == 1 and sizes[g] is not None else ""
            files.append(f"{url.rsplit('/', 1)[-1]} ({best[i]:,}{size} bytes)")
        more = f" and {len(unfinished) - 3} more" if len(unfinished) > 3 else ""
        return (f"with {got:,}{of} bytes of the weights received; still downloading: "
                f"{', '.join(files)}{more}")

    # ------------------------------------------------------------------ IOHandler
    def fetch_model(self, doc: dict[str, Any] | None = None) -> FetchedModel:
        """model.json (unless ``doc`` is one already fetched) and its weights, not yet parsed.

        The ETag and Last-Modified are those of the model.json fetched here (None with ``doc``).
        """
        etag = last_modified = None
        if doc is None:
            result = self.fetch_model_json()
            if result.doc is None:  # 304 to a request that was not conditional
                raise ModelLoadError(f"The server at {self.url} answered 304 Not Modified to a plain "
                                     f"request, so there is no model.json to load.", url=self.url,
                                     cause="unexpected 304 Not Modified")
            doc, etag, last_modified = result.doc, result.etag, result.last_modified
        return FetchedModel(doc, self.fetch_weights(doc), etag, last_modified)

    def load(self) -> ModelArtifacts:
        """model.json and its weights as :class:`ModelArtifacts` (the deadline counts from here)."""
        self.start_deadline()
        fetched = self.fetch_model()
        return ModelArtifacts.from_model_json(fetched.doc, fetched.weight_data)

    def save(self, artifacts: ModelArtifacts) -> SaveResult:
        raise NotImplementedError(
            "http_io can only load models; save to a folder with tc.io_for(folder) or to "
            "storage with tc.local_storage_io(store, key).")

    def __repr__(self) -> str:
        return f"http_io({self.url!r})"


class _Progress:
    """Turns bytes arriving on many threads into one monotonic series ending at exactly 1.0."""

    def __init__(self, callback: ProgressCallback | None, total: int | None, shards: int):
        self.callback = callback
        self.total = total
        self.current = [0] * shards  # bytes of each shard's current attempt
        self.best = [0] * shards  # most bytes any attempt of each shard got
        self.done_shards: set[int] = set()
        self.finished = 0
        self.shards = shards
        self.last = 0.0
        self.lock = threading.Lock()

    def add(self, index: int, n: int) -> None:
        with self.lock:
            self.current[index] += n
            if self.current[index] > self.best[index]:
                self.best[index] = self.current[index]
                self._report()

    def restart(self, index: int) -> None:
        with self.lock:
            self.current[index] = 0

    def finish(self, index: int, nbytes: int) -> None:
        with self.lock:
            self.best[index] = nbytes
            self.done_shards.add(index)
            self.finished += 1
            self._report()

    def done(self, nbytes: int) -> None:
        with self.lock:
            self.total = nbytes
            if self.callback is not None:
                self.last = 1.0
                self.callback(1.0, nbytes, nbytes)

    def _report(self) -> None:
        if self.callback is None:
            return
        got = sum(self.best)
        if self.total:
            fraction = min(got, self.total) / self.total
        else:  # string weights: sizes are known only shard by shard
            fraction = self.finished / self.shards if self.shards else 0.0
        fraction = min(max(fraction, self.last), 0.999999)  # 1.0 only once everything is checked
        if fraction > self.last:
            self.last = fraction
            self.callback(fraction, min(got, self.total) if self.total else got, self.total or 0)


class _Budget:
    """``max_download_bytes`` shared by all shards of one load."""

    def __init__(self, cap: int | None, url: str):
        self.cap = cap
        self.url = url
        self.used = 0
        self.lock = threading.Lock()

    def take(self, n: int) -> None:
        if self.cap is None:
            return
        with self.lock:
            self.used += n
            if self.used > self.cap:
                cause = f"larger than the limit of {self.cap} bytes"
                raise ModelLoadError(f"The weights of the model at {self.url} are {cause} "
                                     f"(max_download_bytes).", url=self.url, cause=cause)


def _is_loopback(url: str) -> bool:
    host = (urllib.parse.urlsplit(url).hostname or "").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")  # JSON.parse refuses NaN and Infinity too


def _default_session(max_workers: int, url: str) -> requests.Session:
    session = requests.Session()
    if _is_loopback(url):
        # No proxy can reach this machine's own 127.0.0.1, so the proxy variables are not
        # read: requests reads all of os.environ on every request otherwise, a third of the
        # CPU time of a load from a local ModelServer (and a busy machine slows the network).
        session.trust_env = False
    adapter = HTTPAdapter(pool_connections=4, pool_maxsize=max(10, max_workers))
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def http_io(url: str, *, weight_path_prefix: str | None = None, on_progress: ProgressCallback | None = None,
            session: requests.Session | None = None, timeout: float | tuple[float, float] = (5.0, 30.0),
            retries: int = 3, backoff: float = 0.2, max_workers: int = 6,
            allow_external_weights: bool = False, tfhub: bool = False,
            max_download_bytes: int | None = 200 * 1024 * 1024,
            headers: Mapping[str, str] | None = None, deadline: float | None = None) -> HttpIOHandler:
    """An IO handler that loads the model at ``url`` (a model.json URL) over HTTP(S).

    ``on_progress(fraction, bytes_done, bytes_total)`` follows the weight bytes and ends at
    exactly 1.0; ``timeout`` is ``(connect, read)`` seconds; ``tfhub=True`` takes a TF Hub
    model URL as ``fromTFHub`` does; weight paths that leave the model's folder are refused
    unless ``allow_external_weights``; ``max_download_bytes`` caps the bytes downloaded for
    model.json, and for all the weights together (the download stops as soon as it is passed).
    ``session`` (a ``requests.Session``) may carry the caller's own adapters, auth or proxies.
    ``deadline`` (seconds, default None: none) bounds a whole load, every request and retry
    included, where ``timeout`` only bounds each read: it counts from :meth:`~HttpIOHandler.load`
    (or ``reset_counters()``, which ``load_artifacts`` calls as it starts); past it the load
    stops with one ModelLoadError saying how many bytes of which files had arrived.
    """
    return HttpIOHandler(url, weight_path_prefix=weight_path_prefix, on_progress=on_progress,
                         session=session, timeout=timeout, retries=retries, backoff=backoff,
                         max_workers=max_workers, allow_external_weights=allow_external_weights,
                         tfhub=tfhub, max_download_bytes=max_download_bytes, headers=headers,
                         deadline=deadline)


__all__ = ["http_io", "HttpIOHandler", "ModelJsonResult", "FetchedModel"]
