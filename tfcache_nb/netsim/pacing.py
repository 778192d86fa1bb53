"""Pacing for the simulated network: one shared download link and a limit of connections.

The server reserves each small chunk of a response body on one schedule (:class:`Link`), so
concurrent bodies share the bandwidth evenly, as on a phone's link; :class:`Slots` lets at
most ``max_connections`` requests be served at once. The latency model replays these rules.
"""

from __future__ import annotations

import threading
import time

MAX_CHUNK = 16 * 1024
MIN_CHUNK = 512
CHUNK_S = 0.002  # each chunk is about 2 ms of link time, so concurrent bodies interleave finely
CATCH_UP_S = 0.05  # how far a stream may catch up on its own schedule after oversleeping


class Aborted(Exception):
    """The server is stopping or going offline: drop this connection."""


class Link:
    """The shared download link: chunks are reserved in turn on one schedule."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._next_free = 0.0

    def reserve(self, nbytes: int, bytes_per_s: float, stream_prev_end: float | None) -> float:
        """Reserve ``nbytes`` and return when they are through the link (monotonic time)."""
        now = time.monotonic()
        with self._lock:
            start = max(self._next_free, now)
            if stream_prev_end is not None and stream_prev_end >= now - CATCH_UP_S:
                # this stream was sending back to back: do not count its oversleep as idle
                start = max(self._next_free, stream_prev_end)
            end = start + nbytes / bytes_per_s
            self._next_free = end
            return end


class Slots:
    """At most ``limit`` requests served at once (None: unlimited); the limit can change."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._active = 0
        self.limit: int | None = None

    def acquire(self, abort: threading.Event) -> None:
        with self._cond:
            while self.limit is not None and self._active >= self.limit:
                if abort.is_set():
                    raise Aborted
                self._cond.wait(0.05)
            self._active += 1

    def release(self) -> None:
        with self._cond:
            self._active -= 1
            self._cond.notify_all()

    def set_limit(self, limit: int | None) -> None:
        with self._cond:
            self.limit = limit
            self._cond.notify_all()
