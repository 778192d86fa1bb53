"""A one-line text progress bar for the terminal (stderr), safe to call from worker threads."""

from __future__ import annotations

import sys
import threading
import time
from typing import TextIO

from .._html import human_bytes


class ProgressLine:
    """``label [#####-----]  42%  1.2 MB / 2.9 MB``, redrawn in place; silent when not a TTY
    unless ``force`` is set, except for the final line."""

    def __init__(self, label: str, *, stream: TextIO | None = None, width: int = 28, force: bool = False):
        self.label = label
        self.stream = stream or sys.stderr
        self.width = width
        self.live = force or bool(getattr(self.stream, "isatty", lambda: False)())
        self._lock = threading.Lock()
        self._last = 0.0
        self._done = False

    def __call__(self, fraction: float, done: int = 0, total: int = 0) -> None:
        with self._lock:
            now = time.monotonic()
            if self._done or (fraction < 1.0 and now - self._last < 0.05):
                return
            self._last = now
            filled = int(round(max(0.0, min(1.0, fraction)) * self.width))
            bar = "#" * filled + "-" * (self.width - filled)
            sizes = f"  {human_bytes(done)} / {human_bytes(total)}" if total else ""
            line = f"\r{self.label} [{bar}] {fraction * 100:3.0f}%{sizes}"
            if fraction >= 1.0:
                self._done = True
                if self.live:
                    self.stream.write(line + "\n")
                    self.stream.flush()
            elif self.live:
                self.stream.write(line)
                self.stream.flush()

    def close(self) -> None:
        with self._lock:
            if self.live and not self._done and self._last:
                self.stream.write("\n")
                self.stream.flush()
            self._done = True
