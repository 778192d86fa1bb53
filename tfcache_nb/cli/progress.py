"""A one-line text progress bar for the terminal (stderr), safe to call from worker threads."""

from __future__ import annotations

import threading
import time
from typing import TextIO

from .._console import LiveLine
from .._units import human_bytes


class ProgressLine:
    """``label [#####-----]  42%  1.20 MiB / 2.90 MiB``, redrawn in place; silent when not a
    TTY unless ``force`` is set, except for the final line."""

    def __init__(self, label: str, *, stream: TextIO | None = None, width: int = 28, force: bool = False):
        self.label = label
        self.width = width
        self.line = LiveLine(stream, live=True if force else None)
        self._lock = threading.Lock()
        self._last = 0.0

    @property
    def live(self) -> bool:
        return self.line.live

    def __call__(self, fraction: float, done: int = 0, total: int = 0) -> None:
        with self._lock:
            now = time.monotonic()
            if fraction < 1.0 and now - self._last < 0.05:
                return
            self._last = now
            filled = int(round(max(0.0, min(1.0, fraction)) * self.width))
            bar = "#" * filled + "-" * (self.width - filled)
            sizes = f"  {human_bytes(done)} / {human_bytes(total)}" if total else ""
            text = f"{self.label} [{bar}] {fraction * 100:3.0f}%{sizes}"
            if fraction >= 1.0:
                if self.live:
                    self.line.end(text)
                else:
                    self.line.end()
            else:
                self.line.show(text)

    def close(self) -> None:
        self.line.end()
