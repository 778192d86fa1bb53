"""Small shared pieces of the dashboard: error messages and the background job runner."""

from __future__ import annotations

import threading
from typing import Any, Callable, Iterable

from .._html import esc
from ..errors import TfcacheError

ERROR_STYLE = ("color:#b71c1c;background:#ffebee;border:1px solid #ef9a9a;padding:4px 8px;"
               "font-family:sans-serif;font-size:13px;border-radius:3px")


def one_line(exc: BaseException, limit: int = 300) -> str:
    """An error as one readable line: the toolkit's own message, else the type and message."""
    text = str(exc) if isinstance(exc, TfcacheError) else f"{type(exc).__name__}: {exc}"
    text = " ".join(text.split()) or type(exc).__name__
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def error_html(message: str) -> str:
    return f"<div style='{ERROR_STYLE}'>\u26a0 {esc(message)}</div>"


class Jobs:
    """Runs long work in one background thread (or inline), disabling buttons meanwhile."""

    def __init__(self, background: bool, buttons: Callable[[], Iterable[Any]],
                 on_error: Callable[[BaseException], None], status: Any,
                 on_start: Callable[[], None] = lambda: None) -> None:
        self.background = background
        self._buttons = buttons
        self._on_error = on_error
        self._status = status
        self._on_start = on_start
        self._thread: threading.Thread | None = None

    @property
    def busy(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def run(self, what: str, work: Callable[[], None]) -> None:
        if self.busy:
            self._on_error(RuntimeError(f"still busy; {what} was not started"))
            return
        self._on_start()
        buttons = list(self._buttons())
        for b in buttons:
            b.disabled = True
        self._status.value = f"<i>{esc(what)}\u2026</i>"

        def body() -> None:
            try:
                work()
            except BaseException as exc:  # shown in the dashboard, never as a traceback
                self._on_error(exc)
            finally:
                for b in buttons:
                    b.disabled = False
                self._status.value = ""

        if self.background:
            self._thread = threading.Thread(target=body, name=f"tfcache-dashboard: {what}", daemon=True)
            self._thread.start()
        else:
            body()

    def wait(self, timeout: float | None = None) -> None:
        t = self._thread
        if t is not None:
            t.join(timeout)
