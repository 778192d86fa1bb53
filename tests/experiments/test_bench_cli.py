"""`tfcache-nb bench`, in process and as a real subprocess."""

from __future__ import annotations

import csv
import os
import subprocess
import sys

from tfcache_nb.cli.main import main

PNG = b"\x89PNG\r\n\x1a\n"


def test_bench_prints_the_table_and_writes_csv_and_png(model_folder, tmp_path, capsys):
    out_csv, out_png = tmp_path / "bench.csv", tmp_path / "bench.png"
    rc = main(["bench", "--model-dir", str(model_folder), "--profile", "lte", "--profile", "4g",
               "--trials", "1", "--csv", str(out_csv), "--plot", str(out_png)])
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    lines = captured.out.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("model "))
    assert "cold median" in lines[header] and "speed-up" in lines[header]
    rows = lines[header + 2: header + 4]
    assert [r.split()[1] for r in rows] == ["lte", "4g"]
    assert all(r.split()[0] == model_folder.name for r in rows)
    assert "trial 2/2" in captured.err  # the progress line
    records = list(csv.DictReader(out_csv.open(newline="", encoding="utf-8")))
    assert len(records) == 4 and {r["kind"] for r in records} == {"cold", "warm"}
    assert all(float(r["total_s"]) > 0 for r in records)
    assert out_png.read_bytes()[:8] == PNG


def test_bench_without_a_model_uses_the_rule_and_says_so(tmp_path):
    (tmp_path / "no_models").mkdir()  # no local models: the rule's next choice is the embedded one
    env = {**os.environ, "TFCACHE_NB_MODEL_DIR": str(tmp_path / "no_models"), "TFCACHE_NB_INTERNET": "0"}
    env["TFCACHE_NB_HOME"] = str(tmp_path / "home")
    out_csv, out_png = tmp_path / "b.csv", tmp_path / "b.png"
    proc = subprocess.run([sys.executable, "-m", "tfcache_nb.cli.main", "bench", "--profile", "lte",
                           "--trials", "1", "--storage", "file", "--csv", str(out_csv),
                           "--plot", str(out_png)],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "no model given: mobilenet_v1_0.25_224, the real model shipped inside tfcache_nb" in proc.stdout
    assert "cold median" in proc.stdout and "lte" in proc.stdout
    assert len(list(csv.DictReader(out_csv.open(newline="")))) == 2
    assert out_png.read_bytes()[:8] == PNG
    assert "Traceback" not in proc.stderr


def test_a_folder_without_a_model_is_a_usage_error(tmp_path, capsys):
    import pytest

    with pytest.raises(SystemExit) as exc:
        main(["bench", "--model-dir", str(tmp_path)])
    assert exc.value.code == 2
    assert "no model.json" in capsys.readouterr().err
