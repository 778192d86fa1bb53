"""How far a latency experiment has got and how long it still needs, from the latency model.

A slow-3G trial takes about 50 s, so a run must say where it is while it waits. Before the
run, every trial gets the latency model's expected cold-load time (``expected_load_time``);
what a trial costs beyond that (the save, the warm load, the removal) is learnt from the
trials already done. URL sources have no expectation: their trials are estimated from the
ones of the same source that are done, and the time left is unknown until one is. When
trials run concurrently, the time left is the end of a schedule: the trials still waiting
are given, in run order, to whichever simulated user becomes free first.
"""

from __future__ import annotations

import statistics
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Sequence, TextIO

from .._console import LiveLine

SEP = " \u00b7 "


@dataclass(frozen=True)
class RunProgress:
    """One moment of a run: what is running, trials done and left, the expected time left."""

    done: int
    total: int
    elapsed_s: float
    left_s: float | None          # None: no estimate yet (a URL source before its first trial)
    model: str
    profile: str
    storage: str
    phase: str                    # "cold", "warm", or "done" when the run is over
    phase_s: float                # seconds in the current trial so far
    trial_expected_s: float | None  # what the current trial should take in all
    running: int = 1              # trials running now (the fields above describe the oldest)
    in_flight: float | None = None  # with several running: the expected part of them done

    @property
    def waiting(self) -> int:
        """Trials not started yet."""
        return max(0, self.total - self.done - self.running)

    @property
    def left(self) -> int:
        """Trials not finished yet."""
        return self.total - self.done

    @property
    def fraction(self) -> float:
        """Trials done, plus the part of the current one its expectation says has passed."""
        part = 0.0
        if self.in_flight is not None:
            part = self.in_flight
        elif self.phase != "done" and self.trial_expected_s:
            part = min(0.95, self.phase_s / self.trial_expected_s)
        return min(1.0, (self.done + part) / self.total) if self.total else 1.0

    def text(self) -> str:
        """``trial 4/12 (3 done, 9 left) · m · fast-3g · wx · cold load 12 s of ~14 s · about 2 min 05 s left``."""
        if self.phase == "done":
            return f"{self.total} trial{'' if self.total == 1 else 's'} done in {about(self.elapsed_s)}"
        if self.running > 1:  # concurrent: the oldest running trial is the one described
            head = (f"{self.total} trials: {self.done} done, {self.running} running, "
                    f"{self.waiting} left to start; oldest")
        else:
            head = f"trial {self.done + 1}/{self.total} ({self.done} done, {self.left} left)"
        parts = [head, self.model, self.profile, self.storage]
        step = f"{self.phase} load {about(self.phase_s)}"
        if self.trial_expected_s:
            step += f" of ~{about(self.trial_expected_s)}"
        parts.append(step)
        parts.append(_left(self.left_s) or "time left unknown yet")
        return SEP.join(parts)


def about(seconds: float) -> str:
    """A duration as a person says it: '0.4 s', '14 s', '2 min 05 s', '1 h 03 min'."""
    s = max(0.0, float(seconds))
    if s < 10:
        return f"{s:.1f} s"
    s = round(s)
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {s % 3600 // 60:02d} min"


def _left(seconds: float | None) -> str:
    return "" if seconds is None else f"about {about(seconds)} left"


class Estimator:
    """The time left of a run whose trials have known (or unknown) expected cold times.

    ``expected[i]``: the latency model's cold-load seconds of trial ``i``, in run order, or
    None; ``groups[i]``: which source trial ``i`` belongs to (estimates for unknown trials
    come from finished trials of the same group). ``workers``: trials run at once (each
    starts as soon as a simulated user is free: in run order with one user, the longest
    expected first with several).
    """

    def __init__(self, expected: Sequence[float | None], groups: Sequence[str], *,
                 workers: int = 1) -> None:
        if len(expected) != len(groups):
            raise ValueError("one group per trial")
        self.expected = list(expected)
        self.groups = list(groups)
        self.workers = max(1, int(workers))
        self.took: dict[int, float] = {}   # seconds of each finished trial, by its index

    def finished(self, seconds: float, index: int | None = None) -> None:
        """Trial ``index`` (default: the first not finished) took ``seconds``."""
        if index is None:
            index = next(i for i in range(len(self.expected)) if i not in self.took)
        self.took[index] = float(seconds)

    def _overhead(self) -> float:
        """What a trial costs beyond its expected cold load (median over finished trials)."""
        extra = [t - self.expected[i] for i, t in self.took.items() if self.expected[i] is not None]
        return max(0.0, statistics.median(extra)) if extra else 0.0

    def trial_s(self, i: int) -> float | None:
        """The expected duration of trial ``i``."""
        if self.expected[i] is not None:
            return self.expected[i] + self._overhead()
        same = [t for j, t in self.took.items() if self.groups[j] == self.groups[i]]
        return statistics.median(same) if same else None

    def left_s(self, current_s: float = 0.0, running: dict[int, float] | None = None) -> float | None:
        """Seconds left. ``running``: ``{trial index: seconds it has run}``; without it, the
        first unfinished trial is taken to be running for ``current_s`` seconds."""
        if running is None:
            first = next((i for i in range(len(self.expected)) if i not in self.took), None)
            running = {} if first is None else {first: current_s}
        frees: list[float] = []  # when each simulated user is free, seconds from now
        for i, ran in running.items():
            t = self.trial_s(i)
            if t is None:
                return None
            frees.append(max(0.0, t - ran))
        frees += [0.0] * max(0, self.workers - len(frees))
        waiting = [j for j in range(len(self.expected)) if j not in self.took and j not in running]
        if self.workers > 1:  # concurrent users take the longest trials first
            waiting.sort(key=lambda j: -(self.expected[j] or 0.0))
        for j in waiting:
            t = self.trial_s(j)
            if t is None:
                return None
            k = frees.index(min(frees))
            frees[k] += t
        return max(frees) if frees else 0.0


@dataclass
class _Running:
    index: int
    where: tuple[str, str, str]
    started: float
    phase: str = "cold"


class Tracker:
    """Tells where a run is: through ``on_progress(RunProgress)`` and/or a line on a stream.

    While trials run, a ticker thread reports every ``tick_s`` seconds, so a 50 s trial is
    not 50 s of silence. On a terminal the line is redrawn in place; on anything else
    (a log, a pipe) one line is written per finished trial. Trials may run concurrently:
    each is named by its index in run order (``start_trial`` returns it).
    """

    def __init__(self, estimator: Estimator, *, stream: TextIO | None = None,
                 on_progress: Callable[[RunProgress], Any] | None = None, tick_s: float = 0.5) -> None:
        self.estimator = estimator
        self.total = len(estimator.expected)
        self.line = LiveLine(stream) if stream is not None else None
        self.on_progress = on_progress
        self.tick_s = tick_s
        self.started = time.monotonic()
        self._running: dict[int, _Running] = {}
        self._last_where = ("", "", "")
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None
        if self.line is not None and not self.line.live:
            left = estimator.left_s()
            if left is not None:
                workers = estimator.workers
                at_once = f", {workers} at once" if workers > 1 else ""
                self.line.print(f"{self.total} trials{at_once}; the latency model expects about "
                                f"{about(left)} in all")

    def snapshot(self) -> RunProgress:
        with self._lock:
            now = time.monotonic()
            done = len(self.estimator.took)
            over = done >= self.total
            running = sorted(self._running.values(), key=lambda r: r.index)
            oldest = running[0] if running else None
            in_trial = now - oldest.started if oldest else 0.0
            ran = {r.index: now - r.started for r in running}
            if over:
                left = 0.0
            elif running:
                left = self.estimator.left_s(running=ran)
            else:  # between two sequential trials: the next one starts now
                left = self.estimator.left_s()
            next_index = oldest.index if oldest else next(
                (i for i in range(self.total) if i not in self.estimator.took), None)
            in_flight = None
            if len(running) > 1:
                in_flight = 0.0
                for r in running:
                    t = self.estimator.trial_s(r.index)
                    in_flight += min(0.95, ran[r.index] / t) if t else 0.0
            model, profile, storage = oldest.where if oldest else self._last_where
            return RunProgress(done=done, total=self.total, elapsed_s=now - self.started,
                               left_s=left, model=model, profile=profile, storage=storage,
                               phase="done" if over else (oldest.phase if oldest else "cold"),
                               phase_s=in_trial,
                               trial_expected_s=None if over or next_index is None
                               else self.estimator.trial_s(next_index),
                               running=len(running) if running else (0 if over else 1),
                               in_flight=in_flight)

    def start_trial(self, model: str, profile: str, storage: str, index: int | None = None) -> int:
        """A trial starts (``index``: its place in run order; default the next one)."""
        with self._lock:
            if index is None:
                taken = set(self.estimator.took) | set(self._running)
                index = next(i for i in range(self.total) if i not in taken)
            self._running[index] = _Running(index, (model, profile, storage), time.monotonic())
            self._last_where = (model, profile, storage)
            start_ticker = self._ticker is None and (
                self.on_progress is not None or (self.line is not None and self.line.live))
            if start_ticker:
                self._ticker = threading.Thread(target=self._tick, name="tfcache-experiment-progress",
                                                daemon=True)
                self._ticker.start()
        self._report()
        return index

    def phase(self, name: str, index: int | None = None) -> None:
        with self._lock:
            run = self._current(index)
            if run is not None:
                run.phase = name
        self._report()

    def end_trial(self, summary: str = "", index: int | None = None) -> None:
        with self._lock:
            run = self._current(index)
            if run is None:
                return
            del self._running[run.index]
            self.estimator.finished(time.monotonic() - run.started, run.index)
            progress = self.snapshot()
        if self.line is not None and not self.line.live:
            left = _left(progress.left_s) if progress.left else ""
            where = SEP.join(x for x in (*run.where, summary, left) if x)
            self.line.print(f"trial {progress.done}/{self.total}{SEP}{where}")
        self._report(progress)

    def _current(self, index: int | None) -> _Running | None:
        if index is not None:
            return self._running.get(index)
        return min(self._running.values(), key=lambda r: r.index, default=None)

    def close(self) -> None:
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join()
        if self.line is not None:
            self.line.end(self.snapshot().text() if self.line.live else None)

    def _report(self, progress: RunProgress | None = None) -> None:
        progress = progress or self.snapshot()
        with self._lock:  # reports from several trials' threads arrive one at a time
            if self.line is not None:
                self.line.show(progress.text())
            if self.on_progress is not None:
                self.on_progress(progress)

    def _tick(self) -> None:
        while not self._stop.wait(self.tick_s):
            self._report()


__all__ = ["RunProgress", "Estimator", "Tracker", "about"]
