"""A deadline for a whole load: one clock for every request and retry of it.

``timeout`` bounds each read, so a server that sends one byte a second never trips it; a
:class:`Deadline` bounds the sum. Reads of a body block until a whole chunk has arrived, so
checking the clock between chunks is not enough: :meth:`Deadline.watch` closes the socket
of a response the moment the deadline passes, and the blocked read returns at once.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import socket
import threading
import time
from typing import Any, Callable, Iterator

from ..errors import ModelLoadError

#: the deadline of a load whose expected time is unknown (a real URL): generous, but finite
DEFAULT_DEADLINE_S = 300.0


def deadline_for(expected_s: float | None) -> float:
    """A deadline with room to spare for a load the latency model expects to take
    ``expected_s`` seconds: 3x that plus 30 s (CPU-bound phases, a loaded machine, retries),
    or :data:`DEFAULT_DEADLINE_S` when there is no expectation."""
    if expected_s is None:
        return DEFAULT_DEADLINE_S
    return 3.0 * float(expected_s) + 30.0


class DeadlinePassed(ModelLoadError):
    """A request was cut off because the whole load's deadline passed; ``where`` says how
    far it had got ("12 bytes of it received", "before attempt 3 (...)")."""

    where: str = ""


class Deadline:
    """``seconds`` from ``started`` (a ``time.monotonic()`` value; default now)."""

    def __init__(self, seconds: float, started: float | None = None) -> None:
        seconds = float(seconds)
        if not seconds > 0:
            raise ValueError("a deadline must be a positive number of seconds")
        self.seconds = seconds
        self.at = (time.monotonic() if started is None else started) + seconds

    def remaining(self) -> float:
        return self.at - time.monotonic()

    def expired(self) -> bool:
        return self.remaining() <= 0

    def cap(self, timeout: Any) -> Any:
        """``timeout`` (seconds or ``(connect, read)``) shortened to the time left."""
        left = max(0.001, self.remaining())
        if isinstance(timeout, (tuple, list)):
            return tuple(left if t is None else min(float(t), left) for t in timeout)
        return left if timeout is None else min(float(timeout), left)

    @contextlib.contextmanager
    def watch(self, response: Any) -> Iterator[threading.Event]:
        """While inside, close ``response``'s socket when the deadline passes; the event
        yielded tells whether it did."""
        fired = threading.Event()
        sock = _socket_of(response)

        def cut() -> None:
            fired.set()
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

        entry = _WATCHDOG.add(self.at, cut)
        try:
            yield fired
        finally:
            _WATCHDOG.cancel(entry)

    def __repr__(self) -> str:
        return f"Deadline({self.seconds:g} s, {self.remaining():.2f} s left)"


class _Watchdog:
    """One thread runs every deadline's cut-off (a Timer per request is a thread per request,
    hundreds a second when many simulated users load at once)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[list] = []  # [when, sequence, callback or None when cancelled]
        self._count = itertools.count()
        self._thread: threading.Thread | None = None

    def add(self, when: float, callback: Callable[[], None]) -> list:
        entry = [when, next(self._count), callback]
        with self._cond:
            heapq.heappush(self._heap, entry)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="tfcache-deadlines", daemon=True)
                self._thread.start()
            self._cond.notify()
        return entry

    def cancel(self, entry: list) -> None:
        with self._cond:
            entry[2] = None

    def _run(self) -> None:
        while True:
            with self._cond:
                while self._heap and self._heap[0][2] is None:
                    heapq.heappop(self._heap)
                if not self._heap:
                    self._cond.wait()
                    continue
                wait = self._heap[0][0] - time.monotonic()
                if wait > 0:
                    self._cond.wait(wait)
                    continue
                callback = heapq.heappop(self._heap)[2]
            if callback is not None:
                with contextlib.suppress(Exception):
                    callback()


_WATCHDOG = _Watchdog()


def _socket_of(response: Any) -> socket.socket | None:
    """The socket under a ``requests`` response (None for adapters without one)."""
    raw = getattr(response, "raw", None)
    conn = getattr(raw, "connection", None) or getattr(raw, "_connection", None)
    sock = getattr(conn, "sock", None)
    if isinstance(sock, socket.socket):
        return sock
    fp = getattr(getattr(raw, "_fp", None), "fp", None)  # http.client's buffered socket file
    sock = getattr(getattr(fp, "raw", None), "_sock", None)
    return sock if isinstance(sock, socket.socket) else None


__all__ = ["Deadline", "DeadlinePassed", "deadline_for", "DEFAULT_DEADLINE_S"]
