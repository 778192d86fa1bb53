"""One HTTP GET, done carefully: streamed, retried, length-checked, with one clear error.

Every failure of :func:`fetch` is a single :class:`ModelLoadError` whose message names the
URL and the cause in words ("connection refused", "HTTP 404 Not Found", "timed out after
5 s"), so nothing from requests or urllib3 reaches the user. The session is passed in, so
tests and callers can mount their own adapters.
"""

from __future__ import annotations

import contextlib
import dataclasses
import http.client
import socket
import time
from typing import Any, Callable, Iterator, Mapping

import requests

from ..errors import ModelLoadError
from .deadline import Deadline, DeadlinePassed

CHUNK_BYTES = 16 * 1024


@dataclasses.dataclass
class HttpResult:
    """A finished response: ``body`` is empty for 304 Not Modified."""

    url: str
    status: int
    headers: Mapping[str, str]
    body: bytes
    elapsed_s: float
    attempts: int


class _Failure(Exception):
    """A failed attempt: the cause in words, and whether trying again may help."""

    def __init__(self, cause: str, retry: bool):
        super().__init__(cause)
        self.cause = cause
        self.retry = retry


def fetch(url: str, *, session: requests.Session, timeout: float | tuple[float, float],
          retries: int = 3, backoff: float = 0.2, headers: Mapping[str, str] | None = None,
          expected_length: int | None = None, max_bytes: int | None = None,
          on_bytes: Callable[[int], None] | None = None,
          on_retry: Callable[[int, str], None] | None = None,
          deadline: Deadline | None = None) -> HttpResult:
    """GET ``url``, retrying connection errors, timeouts and 5xx with exponential back-off.

    ``on_bytes(n)`` is called as each chunk of n bytes arrives (a retried attempt sends its
    bytes again); ``on_retry(attempt, cause)`` before each new attempt. ``expected_length``
    is the size the manifest gives; ``max_bytes`` aborts the download as soon as it is passed.
    ``deadline`` bounds every attempt and back-off together: when it passes, the request is
    cut off and :class:`DeadlinePassed` (a ModelLoadError) is raised, never retried.
    Exceptions raised by the callbacks pass through unchanged and are not retried.
    """
    start = time.perf_counter()
    attempt = 0
    while True:
        attempt += 1
        if deadline is not None and deadline.expired():
            raise _passed(url, deadline, 0)
        try:
            status, resp_headers, body = _attempt(url, session, timeout, headers, expected_length,
                                                  max_bytes, on_bytes, deadline)
            return HttpResult(url, status, resp_headers, body, time.perf_counter() - start, attempt)
        except _Failure as failure:
            if not failure.retry or attempt > retries:
                tries = f" (after {attempt} attempts)" if attempt > 1 else ""
                raise ModelLoadError(f"Could not fetch {url}: {failure.cause}{tries}.",
                                     url=url, cause=failure.cause) from None
            pause = backoff * 2 ** (attempt - 1)
            if deadline is not None and pause >= deadline.remaining():
                raise _passed(url, deadline, 0, f"before attempt {attempt + 1} ({failure.cause})")
            if on_retry is not None:
                on_retry(attempt + 1, failure.cause)
            time.sleep(pause)


def _passed(url: str, deadline: Deadline, received: int, when: str = "") -> DeadlinePassed:
    where = when or f"{received} bytes of it received"
    cause = f"the deadline of {deadline.seconds:g} s passed"
    error = DeadlinePassed(f"Could not fetch {url}: {cause} ({where}).", url=url, cause=cause)
    error.where = where
    return error


def _attempt(url: str, session: requests.Session, timeout: Any, headers: Mapping[str, str] | None,
             expected_length: int | None, max_bytes: int | None,
             on_bytes: Callable[[int], None] | None,
             deadline: Deadline | None) -> tuple[int, Mapping[str, str], bytes]:
    counted = [0]  # bytes of this attempt, for the deadline's message

    def counting(n: int) -> None:
        counted[0] += n
        if on_bytes is not None:
            on_bytes(n)

    try:
        response = session.get(url, headers=dict(headers or {}), stream=True,
                               timeout=deadline.cap(timeout) if deadline is not None else timeout)
    except requests.RequestException as exc:
        if deadline is not None and deadline.expired():
            raise _passed(url, deadline, 0) from None
        raise _Failure(*_describe(exc, timeout)) from None
    with deadline.watch(response) if deadline is not None else contextlib.nullcontext() as fired:
        try:
            return _read(response, timeout, expected_length, max_bytes, counting)
        except _Failure:
            if deadline is not None and (fired.is_set() or deadline.expired()):
                raise _passed(url, deadline, counted[0]) from None
            raise


def _read(response: requests.Response, timeout: Any, expected_length: int | None,
          max_bytes: int | None,
          on_bytes: Callable[[int], None] | None) -> tuple[int, Mapping[str, str], bytes]:
    with response:
        status = response.status_code
        if status == 304:
            return status, response.headers, b""
        if not 200 <= status < 300:
            cause = f"HTTP {status} {_phrase(status, response.reason)}"
            raise _Failure(cause, retry=status >= 500)
        declared = _content_length(response)
        if declared is not None and response.headers.get("Content-Encoding", "identity") == "identity":
            _check_sizes(declared, expected_length, max_bytes)
        parts: list[bytes] = []
        received = 0
        try:
            for chunk in _chunks(response):
                received += len(chunk)
                if max_bytes is not None and received > max_bytes:
                    raise _Failure(f"the body is larger than the limit of {max_bytes} bytes", retry=False)
                if expected_length is not None and received > expected_length:
                    raise _Failure(f"the body has more than the {expected_length} bytes "
                                   f"the manifest says", retry=False)
                parts.append(chunk)
                if on_bytes is not None:
                    on_bytes(len(chunk))
        except requests.RequestException as exc:
            cause, retry = _describe(exc, timeout)
            # urllib3 drops the bytes it buffered when the body ends early: count them anyway.
            arrived = max(received, _raw_bytes_read(response, received))
            if arrived > received and on_bytes is not None:
                on_bytes(arrived - received)
            if isinstance(exc, requests.exceptions.ChunkedEncodingError) and declared is not None:
                cause = f"body shorter than its Content-Length ({arrived} of {declared} bytes)"
            raise _Failure(cause, retry) from None
        body = b"".join(parts)
        raw_read = _raw_bytes_read(response, len(body))
        if declared is not None and raw_read < declared:
            raise _Failure(f"body shorter than its Content-Length ({raw_read} of {declared} bytes)",
                           retry=True)
        if expected_length is not None and len(body) != expected_length:
            raise _Failure(f"{len(body)} bytes but the manifest says {expected_length}", retry=False)
        return status, response.headers, body


def _chunks(response: requests.Response) -> Iterator[bytes]:
    for chunk in response.iter_content(chunk_size=CHUNK_BYTES):
        if chunk:
            yield chunk


def _check_sizes(declared: int, expected_length: int | None, max_bytes: int | None) -> None:
    """Refuse before reading when the Content-Length already says the body is wrong."""
    if expected_length is not None and declared != expected_length:
        raise _Failure(f"{declared} bytes but the manifest says {expected_length}", retry=False)
    if max_bytes is not None and declared > max_bytes:
        raise _Failure(f"{declared} bytes, larger than the limit of {max_bytes} bytes", retry=False)


def _content_length(response: requests.Response) -> int | None:
    value = response.headers.get("Content-Length")
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _raw_bytes_read(response: requests.Response, fallback: int) -> int:
    """Bytes that came over the wire (before any gzip decoding)."""
    try:
        return int(response.raw.tell())
    except Exception:  # a test adapter's raw object may not count
        return fallback


def _phrase(status: int, reason: str | None) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return reason or "error"


def _timeout_s(timeout: Any, which: int) -> str:
    value = timeout[which] if isinstance(timeout, (tuple, list)) else timeout
    return f"{value:g} s" if isinstance(value, (int, float)) else "the time limit"


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception and every exception it wraps (requests nests urllib3's, which nest socket's)."""
    seen: set[int] = set()
    todo = [exc]
    while todo:
        e = todo.pop()
        if id(e) in seen:
            continue
        seen.add(id(e))
        yield e
        todo.extend(a for a in getattr(e, "args", ()) if isinstance(a, BaseException))
        for attr in ("reason", "__cause__", "__context__"):
            inner = getattr(e, attr, None)
            if isinstance(inner, BaseException):
                todo.append(inner)


def _describe(exc: requests.RequestException, timeout: Any) -> tuple[str, bool]:
    """``(cause in words, worth retrying)`` for an exception from requests."""
    import urllib3.exceptions as u3

    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return f"timed out after {_timeout_s(timeout, 0)} while connecting", True
    if isinstance(exc, (requests.exceptions.MissingSchema, requests.exceptions.InvalidSchema,
                        requests.exceptions.InvalidURL, requests.exceptions.URLRequired)):
        return "not a valid http(s) URL", False
    if isinstance(exc, requests.exceptions.TooManyRedirects):
        return "too many redirects", False
    chain = list(_chain(exc))
    kinds = tuple(type(e) for e in chain)

    def has(*types: type) -> bool:
        return any(issubclass(k, types) for k in kinds)

    if has(u3.ReadTimeoutError, socket.timeout, TimeoutError) or isinstance(exc, requests.exceptions.ReadTimeout):
        return f"timed out after {_timeout_s(timeout, 1)}", True
    if has(socket.gaierror, getattr(u3, "NameResolutionError", socket.gaierror)):
        return "host not found", False  # a wrong name or no network: trying again rarely helps
    if has(ConnectionRefusedError):
        return "connection refused", True
    if has(ConnectionResetError):
        return "connection reset by the server", True
    if isinstance(exc, requests.exceptions.SSLError):
        return "TLS/SSL error", False
    if has(http.client.IncompleteRead, u3.IncompleteRead) or isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return "connection closed before the body was complete", True
    if has(http.client.RemoteDisconnected, u3.ProtocolError):
        return "connection closed by the server", True
    if isinstance(exc, requests.exceptions.ConnectionError):
        return "connection failed", True
    return f"request failed ({type(exc).__name__})", True


__all__ = ["fetch", "HttpResult", "CHUNK_BYTES", "DeadlinePassed"]
