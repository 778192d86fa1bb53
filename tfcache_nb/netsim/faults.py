"""Faults the simulated server injects, so loaders can be tested against a misbehaving network.

A :class:`Fault` says *what* goes wrong (its ``kind``) and *when*: on requests whose URL
path matches the glob ``path`` (``"*shard*"``, ``"/model.json"``; a pattern without ``/``
is also tried against the file name alone), and among those only the first ``times``
requests, or only the ``nth`` one (1-based). Faults are tried in order; a request taken by
an earlier fault is not counted by later ones, so ``[Fault.status(500, times=2),
Fault.reset(times=1)]`` gives 500, 500, reset, then success.

Kinds (build them with the class methods):

- ``status``: answer with an HTTP status (404, 500, 503, ...) and a small text body.
- ``reset``: send the headers (full Content-Length) and ``after_bytes`` body bytes, then
  reset the TCP connection (RST). ``after_bytes=None`` resets before any response.
- ``stall``: send ``after_bytes`` body bytes, pause ``seconds``, then ``then="continue"``
  (send the rest) or ``then="close"`` (close the connection: a short body).
- ``short_body``: Content-Length says the full size, only ``after_bytes`` are sent, then
  the connection is closed.
- ``wrong_length``: send the full body under a Content-Length of ``content_length`` (or
  the true length plus ``length_delta``), then close the connection.
- ``slow_first_byte``: wait ``seconds`` more before the headers, then answer normally.
- ``trickle``: send ``after_bytes`` body bytes as usual, then the rest at ``rate`` bytes a
  second (one byte a second holds a client whose read timeout is longer than a second
  forever: only a deadline on the whole load stops it).
- ``body``: answer with ``content`` bytes of ``content_type`` (and ``status_code``) instead of
  the file: an HTML error page where JSON was expected, invalid JSON, ...
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass

from ..errors import InvalidArgumentError

KINDS = ("status", "reset", "stall", "short_body", "wrong_length", "slow_first_byte", "body",
         "trickle")


@dataclass(frozen=True)
class Fault:
    """One injected misbehaviour; see the module docstring for the kinds and matching."""

    kind: str
    path: str = "*"
    times: int | None = None
    nth: int | None = None
    status_code: int = 200
    after_bytes: int | None = 0
    seconds: float = 0.0
    then: str = "continue"
    content_length: int | None = None
    length_delta: int = 0
    content: bytes | None = None
    content_type: str = "text/plain; charset=utf-8"
    headers: tuple[tuple[str, str], ...] = ()
    rate: float = 0.0  # trickle: body bytes per second

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise InvalidArgumentError(f"unknown fault kind {self.kind!r}; choose one of {', '.join(KINDS)}")
        if self.times is not None and self.times < 0:
            raise InvalidArgumentError("Fault times must be >= 0")
        if self.nth is not None and self.nth < 1:
            raise InvalidArgumentError("Fault nth counts from 1")
        if self.then not in ("continue", "close"):
            raise InvalidArgumentError("Fault then must be 'continue' or 'close'")
        if self.after_bytes is not None and self.after_bytes < 0:
            raise InvalidArgumentError("Fault after_bytes must be >= 0")
        if self.seconds < 0:
            raise InvalidArgumentError("Fault seconds must be >= 0")
        if self.kind == "trickle" and not self.rate > 0:
            raise InvalidArgumentError("a trickle Fault needs a rate > 0 (bytes per second)")
        if self.kind == "status" and not 100 <= self.status_code <= 599:
            raise InvalidArgumentError(f"HTTP status {self.status_code} is out of range 100-599")

    # -- friendly constructors -------------------------------------------------------------
    @classmethod
    def status(cls, code: int, *, path: str = "*", times: int | None = None,
               nth: int | None = None, body: bytes | str | None = None,
               headers: dict[str, str] | None = None) -> "Fault":
        """Answer matching requests with HTTP ``code`` (e.g. 404, 500, 503)."""
        return cls("status", path, times, nth, status_code=code, content=_b(body),
                   headers=tuple((headers or {}).items()))

    @classmethod
    def reset(cls, *, after_bytes: int | None = 0, path: str = "*", times: int | None = None,
              nth: int | None = None) -> "Fault":
        """Reset the connection after ``after_bytes`` body bytes (None: before any response)."""
        return cls("reset", path, times, nth, after_bytes=after_bytes)

    @classmethod
    def stall(cls, seconds: float, *, after_bytes: int = 0, then: str = "continue",
              path: str = "*", times: int | None = None, nth: int | None = None) -> "Fault":
        """Stop sending after ``after_bytes`` for ``seconds``, then continue or close."""
        return cls("stall", path, times, nth, after_bytes=after_bytes, seconds=seconds, then=then)

    @classmethod
    def short_body(cls, *, after_bytes: int | None = None, path: str = "*",
                   times: int | None = None, nth: int | None = None) -> "Fault":
        """Promise the full Content-Length, send ``after_bytes`` (default: half), then close."""
        return cls("short_body", path, times, nth, after_bytes=after_bytes)

    @classmethod
    def wrong_length(cls, content_length: int | None = None, *, delta: int = 0, path: str = "*",
                     times: int | None = None, nth: int | None = None) -> "Fault":
        """Send the whole body under a wrong Content-Length (a value, or true length + delta)."""
        if content_length is None and delta == 0:
            delta = 1
        return cls("wrong_length", path, times, nth, content_length=content_length,
                   length_delta=delta)

    @classmethod
    def slow_first_byte(cls, seconds: float, *, path: str = "*", times: int | None = None,
                        nth: int | None = None) -> "Fault":
        """Wait ``seconds`` more before sending the response headers."""
        return cls("slow_first_byte", path, times, nth, seconds=seconds)

    @classmethod
    def trickle(cls, bytes_per_s: float = 1.0, *, after_bytes: int = 0, path: str = "*",
                times: int | None = None, nth: int | None = None) -> "Fault":
        """Send ``after_bytes`` as usual, then the rest of the body at ``bytes_per_s``."""
        return cls("trickle", path, times, nth, after_bytes=after_bytes, rate=float(bytes_per_s))

    @classmethod
    def body(cls, content: bytes | str, *, content_type: str = "text/html; charset=utf-8",
             status: int = 200, path: str = "*", times: int | None = None,
             nth: int | None = None) -> "Fault":
        """Replace the body (e.g. an HTML error page or invalid JSON) with ``content``."""
        return cls("body", path, times, nth, status_code=status, content=_b(content),
                   content_type=content_type)

    @classmethod
    def html_error_page(cls, *, path: str = "*", times: int | None = None,
                        nth: int | None = None) -> "Fault":
        """A captive-portal style HTML page with status 200 where a model file was expected."""
        page = ("<!DOCTYPE html><html><head><title>Network login</title></head>"
                "<body><h1>Please sign in to use this network</h1></body></html>")
        return cls.body(page, path=path, times=times, nth=nth)

    # -- matching ----------------------------------------------------------------------------
    def matches(self, url_path: str) -> bool:
        """Whether the glob ``path`` matches this URL path (or, without a ``/``, its name)."""
        if fnmatch.fnmatchcase(url_path, self.path):
            return True
        if "/" not in self.path:
            return fnmatch.fnmatchcase(url_path.rsplit("/", 1)[-1], self.path)
        return False

    def applies_to(self, count: int) -> bool:
        """Whether the ``count``-th matching request (1-based) gets this fault."""
        if self.nth is not None and count != self.nth:
            return False
        if self.times is not None and count > self.times:
            return False
        return True


def _b(value: bytes | str | None) -> bytes | None:
    return value.encode("utf-8") if isinstance(value, str) else value


__all__ = ["Fault", "KINDS"]
