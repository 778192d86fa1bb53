"""Where a command's output goes: human lines beside a JSON document, and files checked up front."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from ..errors import InvalidArgumentError


class Say:
    """Human lines: on stdout, or on stderr when stdout carries the JSON document."""

    def __init__(self, to_stderr: bool) -> None:
        self.stream = sys.stderr if to_stderr else sys.stdout

    def __call__(self, text: str) -> None:
        print(text, file=self.stream, flush=True)


def checked_output_path(value: str, option: str) -> Path:
    """Where ``option`` writes: a file name in a folder that exists and can be written, checked
    before any work so that a long run never ends on a bad path."""
    path = Path(value).expanduser()
    if path.is_dir():
        raise InvalidArgumentError(f"{option} {value}: is a folder; give a file name.")
    if not path.parent.is_dir():
        raise InvalidArgumentError(f"{option} {value}: the folder {path.parent} does not exist.")
    if not os.access(path.parent, os.W_OK):
        raise InvalidArgumentError(f"{option} {value}: the folder {path.parent} is not writable.")
    return path


def checked_plot_path(value: str) -> Path:
    """Where the plot really goes: matplotlib adds ``.png`` to a name without a suffix."""
    from matplotlib.backend_bases import FigureCanvasBase

    path = Path(value).expanduser()
    if path.is_dir():
        raise InvalidArgumentError(f"--plot {value}: is a folder; give a file name.")
    if not path.suffix:
        path = path.with_name(path.name + ".png")
    formats = FigureCanvasBase.get_supported_filetypes()
    if path.suffix[1:].lower() not in formats:
        raise InvalidArgumentError(f"--plot {value}: matplotlib cannot write {path.suffix} files; use one of "
                         f"{', '.join('.' + f for f in sorted(formats))}.")
    return checked_output_path(str(path), "--plot")


__all__ = ["Say", "checked_output_path", "checked_plot_path"]
