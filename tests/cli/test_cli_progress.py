"""The progress line as a terminal shows it: a shorter redraw leaves no tail of the longer one."""

from __future__ import annotations

import io
import time

from tfcache_nb._console import LiveLine
from tfcache_nb.cli.progress import ProgressLine


def terminal_view(written: str) -> list[str]:
    """What a terminal displays for text with carriage returns: each \\r overwrites in place."""
    lines = []
    for raw in written.split("\n"):
        screen: list[str] = []
        for part in raw.split("\r"):
            screen[: len(part)] = list(part)
        lines.append("".join(screen).rstrip())
    return lines


def test_final_line_has_no_tail_of_a_longer_one():
    out = io.StringIO()
    bar = ProgressLine("cold load", stream=out, force=True)
    bar(0.54, 1023 * 1024, 1_902_176)       # "1023.0 KiB / 1.81 MiB": longer than the final one
    time.sleep(0.06)
    bar(1.0, 1_902_176, 1_902_176)
    shown = [line for line in terminal_view(out.getvalue()) if line]
    assert shown == ["cold load [############################] 100%  1.81 MiB / 1.81 MiB"], shown
    assert "MiBB" not in out.getvalue().replace(" ", "") and "MBMB" not in out.getvalue()


def test_not_a_terminal_stays_quiet_until_the_end():
    out = io.StringIO()
    line = LiveLine(out)
    line.show("working 1/3")
    assert out.getvalue() == ""
    line.end("done 3/3")
    assert out.getvalue() == "done 3/3\n"
    line.end("twice")  # ended once: nothing more
    assert out.getvalue() == "done 3/3\n"


def test_print_clears_the_live_line_first():
    out = io.StringIO()
    line = LiveLine(out, live=True)
    line.show("trial 1/4  about 40 s left")
    line.print("warning: x")
    line.show("trial 2/4")
    line.end()
    assert terminal_view(out.getvalue()) == ["warning: x", "trial 2/4", ""]
