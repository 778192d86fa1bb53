"""One line of text redrawn in place on a terminal, for progress that would otherwise be silent.

Each redraw pads to the previous line's length, so a shorter text leaves no tail of the
longer one behind it (the "1.81 MiBMB" a bare carriage return leaves). Safe from threads.
"""

from __future__ import annotations

import sys
import threading
from typing import TextIO


class LiveLine:
    """``show(text)`` redraws the line when the stream is a terminal (or ``live=True``);
    ``end(text)`` writes the final line, which is written even when not live."""

    def __init__(self, stream: TextIO | None = None, *, live: bool | None = None) -> None:
        self.stream = stream or sys.stderr
        self.live = bool(getattr(self.stream, "isatty", lambda: False)()) if live is None else live
        self._width = 0
        self._lock = threading.Lock()
        self._ended = False

    def show(self, text: str) -> None:
        with self._lock:
            if self.live and not self._ended:
                self._write(text)

    def end(self, text: str | None = None) -> None:
        """Finish the line: ``text`` as its last state (also when not live), else a newline."""
        with self._lock:
            if self._ended:
                return
            self._ended = True
            if text is not None:
                if self.live:
                    self._write(text)
                    self.stream.write("\n")
                else:
                    self.stream.write(text + "\n")
            elif self._width:
                self.stream.write("\n")
            self.stream.flush()

    def print(self, text: str) -> None:
        """A line of its own above the live one (or alone when not live)."""
        with self._lock:
            if self.live and self._width:
                self.stream.write("\r" + " " * self._width + "\r")
                self._width = 0
            self.stream.write(text + "\n")
            self.stream.flush()

    def _write(self, text: str) -> None:
        pad = max(0, self._width - len(text))
        self.stream.write("\r" + text + " " * pad)
        self.stream.flush()
        self._width = len(text)
