"""The bench's compact table, the wide one behind --wide, and --json for scripts."""

from __future__ import annotations

import csv
import json

from tfcache_nb.cli.main import main
from tfcache_nb.experiments.results import TEXT_WIDTH, ExperimentResults

COMPACT = ["model", "profile", "cold median", "warm median", "speed-up", "network/expected"]


def _bench(capsys, model_folder, *extra):
    rc = main(["bench", "--model-dir", str(model_folder), "--profile", "lte", "--profile", "4g",
               "--trials", "1", *extra])
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    return captured


def test_default_table_is_compact_and_fits_a_terminal(model_folder, capsys, tmp_path):
    out_csv = tmp_path / "b.csv"
    out = _bench(capsys, model_folder, "--no-progress", "--csv", str(out_csv)).out
    lines = out.splitlines()
    header = next(line for line in lines if line.startswith("model "))
    assert [h.strip() for h in header.split("  ") if h.strip()] == COMPACT
    assert "p5-p95" not in out and "±" not in out
    assert max(len(line) for line in lines) < TEXT_WIDTH, max(lines, key=len)
    assert "--wide" in out
    # the CSV keeps every figure of every load
    row = next(csv.DictReader(out_csv.open(newline="")))
    assert {"total_s", "bytes_network", "bytes_storage", "expected_s", "phase_network_s"} <= set(row)


def test_wide_table_has_every_figure(model_folder, capsys):
    out = _bench(capsys, model_folder, "--no-progress", "--wide").out
    header = next(line for line in out.splitlines() if line.startswith("model "))
    for column in ("storage", "cold p5-p95", "cold mean ±95% CI", "warm p5-p95", "expected cold",
                   "network/expected", "downloaded", "in storage"):
        assert column in header, column


def test_json_is_one_document_on_stdout(model_folder, capsys, tmp_path):
    captured = _bench(capsys, model_folder, "--json", "--csv", str(tmp_path / "b.csv"))
    doc = json.loads(captured.out)  # nothing else on stdout
    assert [r["profile"] for r in doc["summary"]] == ["lte", "4g"]
    row = doc["summary"][0]
    assert row["model"] == model_folder.name and row["n"] == 1 and row["speedup"] > 1
    assert row["expected_s"] > 0 and row["bytes_network"] > 0
    assert doc["meta"]["trials"] == 1 and doc["written"] == {"csv": str(tmp_path / "b.csv")}
    assert "bench:" in captured.err and "left" in captured.err  # the human lines and progress


def test_compact_table_names_the_storage_only_when_there_are_several():
    def rec(storage, kind, t):
        return {"model": "m" * 60, "source_url": "u", "profile": "4g", "storage": storage, "trial": 0,
                "kind": kind, "total_s": t, "bytes_network": 10, "bytes_storage": 10,
                "source": "cache" if kind == "warm" else "network", "expected_s": 1.0}

    one = ExperimentResults([rec("wx", "cold", 2.0), rec("wx", "warm", 0.01)])
    assert "storage" not in one.summary_table().splitlines()[0]
    two = ExperimentResults(one.records + [rec("file", "cold", 2.1), rec("file", "warm", 0.02)],
                            warnings=["w " * 120])
    text = two.summary_table()
    assert "storage" in text.splitlines()[0] and "file" in text
    assert max(len(line) for line in text.splitlines()) < TEXT_WIDTH  # long names and warnings too
    assert "200x" in text and "m" * 60 not in text
    html = two.table()._repr_html_()
    assert html.count("<tr>") == 3 and "wide=True" in html
