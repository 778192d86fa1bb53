"""How far a latency experiment has got and how long it still needs, from the latency model.

A slow-3G trial takes about 50 s, so a run must say where it is while it waits. Before the
run, every trial gets the latency model's expected cold-load time (``expected_load_time``);
what a trial costs beyond that (the save, the warm load, the removal) is learnt from the
trials already done. URL sources have no expectation: their trials are estimated from the
ones of the same source that are done, and the time left is unknown until one is.
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

    @property
    def left(self) -> int:
        """Trials not finished yet."""
        return self.total - self.done

    @property
    def fraction(self) -> float:
        """Trials done, plus the part of the current one its expectation says has passed."""
        part = 0.0
        if self.phase != "done" and self.trial_expected_s:
            part = min(0.95, self.phase_s / self.trial_expected_s)
        return min(1.0, (self.done + part) / self.total) if self.total else 1.0

    def text(self) -> str:
        """``trial 4/12 (3 done, 9 left) · m · fast-3g · wx · cold load 12 s of ~14 s · about 2 min 05 s left``."""
        if self.phase == "done":
            return f"{self.total} trial{'' if self.total == 1 else 's'} done in {about(self.elapsed_s)}"
        parts = [f"trial {self.done + 1}/{self.total} ({self.done} done, {self.left} left)", self.model,
                 self.profile, self.storage]
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
    come from finished trials of the same group).
    """

    def __init__(self, expected: Sequence[float | None], groups: Sequence[str]) -> None:
        if len(expected) != len(groups):
            raise ValueError("one group per trial")
        self.expected = list(expected)
        self.groups = list(groups)
        self.took: list[float] = []   # seconds of each finished trial, in order

    def finished(self, seconds: float) -> None:
        self.took.append(float(seconds))

    def _overhead(self) -> float:
        """What a trial costs beyond its expected cold load (median over finished trials)."""
        extra = [t - e for t, e in zip(self.took, self.expected) if e is not None]
        return max(0.0, statistics.median(extra)) if extra else 0.0

    def trial_s(self, i: int) -> float | None:
        """The expected duration of trial ``i``."""
        if self.expected[i] is not None:
            return self.expected[i] + self._overhead()
        same = [t for t, g in zip(self.took, self.groups) if g == self.groups[i]]
        return statistics.median(same) if same else None

    def left_s(self, current_s: float = 0.0) -> float | None:
        """Seconds left: the rest of the current trial (``current_s`` into it) and the ones after."""
        i = len(self.took)
        if i >= len(self.expected):
            return 0.0
        total = 0.0
        for j in range(i, len(self.expected)):
            t = self.trial_s(j)
            if t is None:
                return None
            total += max(0.0, t - current_s) if j == i else t
        return total


class Tracker:
    """Tells where a run is: through ``on_progress(RunProgress)`` and/or a line on a stream.

    While a trial runs, a ticker thread reports every ``tick_s`` seconds, so a 50 s trial is
    not 50 s of silence. On a terminal the line is redrawn in place; on anything else
    (a log, a pipe) one line is written per finished trial.
    """

    def __init__(self, estimator: Estimator, *, stream: TextIO | None = None,
                 on_progress: Callable[[RunProgress], Any] | None = None, tick_s: float = 0.5) -> None:
        self.estimator = estimator
        self.total = len(estimator.expected)
        self.line = LiveLine(stream) if stream is not None else None
        self.on_progress = on_progress
        self.tick_s = tick_s
        self.started = time.monotonic()
        self._trial_started = self.started
        self._where = ("", "", "")
        self._phase = "cold"
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None
        if self.line is not None and not self.line.live:
            left = estimator.left_s()
            if left is not None:
                self.line.print(f"{self.total} trials; the latency model expects about {about(left)} in all")

    def snapshot(self) -> RunProgress:
        with self._lock:
            now = time.monotonic()
            done = len(self.estimator.took)
            over = done >= self.total
            in_trial = 0.0 if over else now - self._trial_started
            model, profile, storage = self._where
            return RunProgress(done=done, total=self.total, elapsed_s=now - self.started,
                               left_s=0.0 if over else self.estimator.left_s(in_trial),
                               model=model, profile=profile, storage=storage,
                               phase="done" if over else self._phase, phase_s=in_trial,
                               trial_expected_s=None if over else self.estimator.trial_s(done))

    def start_trial(self, model: str, profile: str, storage: str) -> None:
        with self._lock:
            self._where = (model, profile, storage)
            self._phase = "cold"
            self._trial_started = time.monotonic()
        if self._ticker is None and (self.on_progress is not None or (self.line and self.line.live)):
            self._ticker = threading.Thread(target=self._tick, name="tfcache-experiment-progress",
                                            daemon=True)
            self._ticker.start()
        self._report()

    def phase(self, name: str) -> None:
        with self._lock:
            self._phase = name
        self._report()

    def end_trial(self, summary: str = "") -> None:
        with self._lock:
            now = time.monotonic()
            self.estimator.finished(now - self._trial_started)
            self._trial_started, self._phase = now, "cold"  # the next trial starts now
        progress = self.snapshot()
        if self.line is not None and not self.line.live:
            left = _left(progress.left_s) if progress.left else ""
            where = SEP.join(x for x in (*self._where, summary, left) if x)
            self.line.print(f"trial {progress.done}/{self.total}{SEP}{where}")
        self._report(progress)

    def close(self) -> None:
        self._stop.set()
        if self._ticker is not None:
            self._ticker.join()
        if self.line is not None:
            self.line.end(self.snapshot().text() if self.line.live else None)

    def _report(self, progress: RunProgress | None = None) -> None:
        progress = progress or self.snapshot()
        if self.line is not None:
            self.line.show(progress.text())
        if self.on_progress is not None:
            self.on_progress(progress)

    def _tick(self) -> None:
        while not self._stop.wait(self.tick_s):
            self._report()


__all__ = ["RunProgress", "Estimator", "Tracker", "about"]
