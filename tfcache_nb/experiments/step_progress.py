"""Progress of a job made of a known number of steps (the fit advisor: fetch, size each form,
run the model, measure each form), on stderr, so a few seconds of work are not silent.

On a terminal the step under way is redrawn in place (:class:`~tfcache_nb._console.LiveLine`);
on anything else (a log, a pipe) one line is written per finished step; both end with a line
saying how long it all took. Nothing goes to stdout, where a command's JSON may be.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

from .._console import LiveLine


class StepProgress:
    """``label: step 3/10 · running the model as it is · 1.2 s``: call :meth:`step` as each
    step begins (the previous one is then done) and :meth:`close` at the end."""

    def __init__(self, label: str, total: int, *, stream: TextIO | None = None) -> None:
        self.label = label
        self.total = max(1, int(total))
        self.line = LiveLine(stream or sys.stderr)
        self.done = 0
        self.current: str | None = None
        self.started = time.perf_counter()

    def step(self, what: str) -> None:
        """Step ``what`` begins."""
        self._finish_current()
        self.current = what
        self.line.show(f"{self.label}: step {min(self.done + 1, self.total)}/{self.total} \u00b7 {what}"
                       f" \u00b7 {self._elapsed()}")

    def skip(self, steps: int = 1) -> None:
        """Steps that will not happen (a form that could not be made is not measured)."""
        self.total = max(self.done + 1, self.total - int(steps))

    def close(self, ok: bool = True) -> None:
        """The job is over: when ``ok``, the last step is done and a final line says how long
        it all took; else (an error follows) a live line is only ended, so the error starts
        a line of its own."""
        if ok:
            self._finish_current()
            self.line.end(f"{self.label}: done, {self.done} steps in {self._elapsed()}")
        else:
            self.line.end()

    def _finish_current(self) -> None:
        if self.current is None:
            return
        self.done += 1
        if not self.line.live:
            self.line.print(f"{self.label}: {self.done}/{self.total} {self.current} done ({self._elapsed()})")
        self.current = None

    def _elapsed(self) -> str:
        return f"{time.perf_counter() - self.started:.1f} s"


__all__ = ["StepProgress"]
