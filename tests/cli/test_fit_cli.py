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
