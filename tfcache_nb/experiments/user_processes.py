"""Concurrent simulated users in processes of their own, so they do not queue for one interpreter.

A Python process runs one thread at a time. With many users at once in one process, every
user's per-request work (the client's and the server's HTTP parsing, the link's pacing)
queues there, and a fast profile's many short requests come out late: on 2 cores, 24 users
in threads put the fast profiles' cold loads 20% to 2x over the latency model, in processes
(started as below) at most 8%. Each
toolkit trial therefore runs in a worker process (one simulated user at a time per worker,
with its own storage slot) and tells the parent's progress tracker where it is through a
queue. Workers are forked from a server process that has imported the toolkit once, so
starting them costs milliseconds. The first users start a quarter of a second apart, the
longest trials first: a user's first second (a new process, model.json, the first shards)
is its busiest, and the short trials of fast profiles, whose many short requests suffer
most from a busy machine, then run once the others are past theirs. Workers need nothing
from the caller's script, which multiprocessing would otherwise run again in each of them
(a script without an ``if __name__ == "__main__":`` guard would start the experiment again).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import sys
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import Any, Iterator, Sequence

#: seconds between the starts of the first users
RAMP_S = 0.25

_events: Any = None   # in a worker: the queue to the parent's tracker
_slot = 0             # in a worker: its user number (its storage file)


def _context() -> Any:
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["tfcache_nb.experiments.trials"])
        return ctx
    return multiprocessing.get_context("spawn")


def _start_worker(events: Any, slots: Any) -> None:
    global _events, _slot
    _events, _slot = events, slots.get()


class _TrackerInParent:
    """What the runner's trial code calls on its tracker, sent to the parent."""

    def start_trial(self, model: str, profile: str, storage: str, index: int | None = None) -> int | None:
        _events.put(("start", index, model, profile, storage))
        return index

    def phase(self, name: str, index: int | None = None) -> None:
        _events.put(("phase", index, name))


def _run_trial(job: Any, quantize: str | None, workdir: str, deadline: float | None,
               start_at: float) -> tuple:
    from .trials import SimulatedUsers

    time.sleep(max(0.0, start_at - time.time()))
    try:
        return SimulatedUsers(Path(workdir), 1, None, deadline, first=_slot).run(job, quantize, _TrackerInParent())
    finally:
        _events.put(("done", job.index))


@contextlib.contextmanager
def _main_script_hidden() -> Iterator[None]:
    main = sys.modules.get("__main__")
    if main is None:
        yield
        return
    saved = {k: main.__dict__[k] for k in ("__file__", "__spec__") if k in main.__dict__}
    main.__dict__.pop("__file__", None)
    main.__dict__["__spec__"] = None
    try:
        yield
    finally:
        main.__dict__.pop("__spec__", None)
        main.__dict__.update(saved)


class UserProcesses:
    """Up to ``count`` toolkit trials at once, each in a worker process; ``tracker`` (the
    parent's :class:`~tfcache_nb.experiments.progress.Tracker`) hears of their starts and phases."""

    def __init__(self, workdir: Path, count: int, deadline: float | None, tracker: Any) -> None:
        ctx = _context()
        self.workdir, self.deadline, self.tracker, self.count = workdir, deadline, tracker, count
        self._events = ctx.Queue()
        slots = ctx.Queue()
        for k in range(count):
            slots.put(k)
        self._pool = ProcessPoolExecutor(max_workers=count, mp_context=ctx, initializer=_start_worker,
                                         initargs=(self._events, slots))
        self._done: set[int] = set()
        self._cond = threading.Condition()
        self._relay = threading.Thread(target=self._forward, name="tfcache-user-events", daemon=True)
        self._relay.start()

    def submit_all(self, jobs: Sequence[Any], quantize: str | None) -> list[Future]:
        """Queue every job, the longest expected first, the first ``count`` of them
        :data:`RAMP_S` apart (the workers start now, without the caller's script)."""
        order = sorted(range(len(jobs)), key=lambda i: -(jobs[i].expected or 0.0))
        now = time.time()
        futures: dict[int, Future] = {}
        with _main_script_hidden():
            for position, i in enumerate(order):
                start_at = now + RAMP_S * position if position < self.count else 0.0
                futures[i] = self._pool.submit(_run_trial, jobs[i], quantize, str(self.workdir),
                                               self.deadline, start_at)
        return [futures[i] for i in range(len(jobs))]

    def relayed(self, index: int, timeout: float = 5.0) -> None:
        """Wait until trial ``index``'s events have reached the tracker (before it is ended)."""
        with self._cond:
            self._cond.wait_for(lambda: index in self._done, timeout)

    def _forward(self) -> None:
        while True:
            event = self._events.get()
            if event is None:
                return
            kind, index, *rest = event
            if kind == "start":
                self.tracker.start_trial(*rest, index=index)
            elif kind == "phase":
                self.tracker.phase(rest[0], index)
            else:
                with self._cond:
                    self._done.add(index)
                    self._cond.notify_all()

    def close(self, abort: bool = False) -> None:
        """Stop the workers (at once when ``abort``: a failed trial or Ctrl-C) and the relay."""
        if abort:
            for process in list(getattr(self._pool, "_processes", {}).values()):
                process.terminate()
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._events.put(None)
        self._relay.join()


__all__ = ["UserProcesses"]
