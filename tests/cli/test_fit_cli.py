"""``tfcache-nb fit``: the table, JSON, given images, and one-line errors."""

from __future__ import annotations

import json

from cli_helpers import run_cli


def test_fit_prints_every_form_and_what_auto_would_store(synthetic_dir):
    out = run_cli("fit", str(synthetic_dir))
    assert out.returncode == 0, out.stderr
    for form in ("as-is", "float16", "uint16", "uint8"):
        assert form in out.stdout
    assert "quantize='auto' would store: as-is" in out.stdout and "cost measured on 3 sample photographs" in out.stdout


def test_fit_json_with_an_image(synthetic_dir):
    from matplotlib import cbook

    out = run_cli("fit", str(synthetic_dir), "--json", "--image", str(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)))
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert [f["form"] for f in doc["forms"]] == ["as-is", "float16", "uint16", "uint8"]
    assert doc["inputs"] == "1 given inputs" and doc["runnable"] is True
    assert all(isinstance(f["stored_bytes"], int) for f in doc["forms"])


def test_fit_errors_are_one_line(tmp_path, synthetic_dir):
    missing = run_cli("fit", str(tmp_path / "nothing-here"))
    assert missing.returncode == 1 and "Traceback" not in missing.stderr
    assert missing.stderr.count("\n") == 1 and "tfcache-nb fit: error:" in missing.stderr
    bad_image = run_cli("fit", str(synthetic_dir), "--image", str(tmp_path / "none.jpg"))
    assert bad_image.returncode == 1 and "none.jpg" in bad_image.stderr and bad_image.stderr.count("\n") == 1
    assert run_cli("fit", "--help").stdout.startswith("usage: tfcache-nb fit")
    unused = run_cli("fit", str(synthetic_dir), "--no-measure", "--image", str(tmp_path / "none.jpg"))
    assert unused.returncode == 1 and unused.stderr.count("\n") == 1 and "--no-measure" in unused.stderr


def test_fit_shows_each_step_on_stderr_and_keeps_the_json_clean(synthetic_dir):
    out = run_cli("fit", str(synthetic_dir), "--json")
    assert out.returncode == 0, out.stderr
    json.loads(out.stdout)  # stdout is the JSON document alone
    lines = out.stderr.splitlines()  # not a terminal: a line per finished step, then the total
    assert lines[0].startswith("fit: 1/10 fetching the model done (")
    assert [line.split()[1] for line in lines[:10]] == [f"{k}/10" for k in range(1, 11)]
    assert any("measuring uint8: drift and warm load done" in line for line in lines)
    assert lines[-1].startswith("fit: done, 10 steps in ") and len(lines) == 11
    quiet = run_cli("fit", str(synthetic_dir), "--no-measure", "--no-progress")
    assert quiet.returncode == 0 and quiet.stderr == ""
    sizes_only = run_cli("fit", str(synthetic_dir), "--no-measure")
    assert sizes_only.stderr.splitlines()[-1].startswith("fit: done, 5 steps in ")


def test_fit_progress_on_a_terminal_is_one_line_redrawn(synthetic_dir):
    import io

    import tfcache_nb as tc
    from test_cli_progress import terminal_view

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    screen = Terminal()
    report = tc.fit_report(synthetic_dir, progress=True, progress_stream=screen)
    written = screen.getvalue()
    assert "\r" in written and written.count("\n") == 1  # redrawn in place, one final line
    assert "fit: step 1/10 \u00b7 fetching the model" in written
    assert "fit: step 10/10 \u00b7 measuring uint8: drift and warm load" in written
    assert terminal_view(written)[0].startswith("fit: done, 10 steps in ")
    assert report.suggested is not None


def test_a_failed_fit_leaves_the_error_a_line_of_its_own(tmp_path):
    import io

    import pytest

    import tfcache_nb as tc

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    screen = Terminal()
    with pytest.raises(tc.ModelLoadError):
        tc.fit_report(tmp_path / "nothing-here", progress=True, progress_stream=screen)
    assert screen.getvalue().endswith("\n") and "fetching the model" in screen.getvalue()
