"""The command line: --help everywhere, one-line errors, and each command doing its job."""

from __future__ import annotations

import subprocess
import time

import pytest
import requests

import tfcache_nb as tc
from tfcache_nb._units import human_bytes
from cli_helpers import EXE, run_cli
from tfcache_nb.cli.main import COMMANDS, main



@pytest.mark.parametrize("command", [[], *([c] for c in COMMANDS)])
def test_every_command_has_help(command):
    result = run_cli(*command, "--help")
    assert result.returncode == 0, result.stderr
    assert "usage: tfcache-nb" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_demo_with_a_local_model_folder(synthetic_dir, tmp_path):
    result = run_cli("demo", "--model-dir", str(synthetic_dir), "--storage", str(tmp_path / "s.sqlite3"))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "cold  network" in out and "warm  cache" in out
    assert f"of {human_bytes(10 * 1024 * 1024)}" in out and "speed-up" in out
    assert "top-5 for grace_hopper.jpg" in out


def test_storage_commands(synthetic_dir, tmp_path, capsys):
    path = str(tmp_path / "s.sqlite3")
    store = tc.WxStorage(path, app_id="a", user_id="u")
    tc.load_artifacts(str(synthetic_dir), cache=store, cache_key="mobilenet")
    store.set("other", 1)
    store.close()
    common = ["--path", path, "--app-id", "a", "--user-id", "u"]
    assert main(["storage", "info", *common]) == 0
    assert "of 10 MiB" in capsys.readouterr().out
    assert main(["storage", "ls", *common]) == 0
    assert "mobilenet" in capsys.readouterr().out
    assert main(["storage", "rm", "mobilenet", *common]) == 0
    assert main(["storage", "rm", "mobilenet", *common]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no model named 'mobilenet'" in err and "Traceback" not in err
    assert main(["storage", "clear", *common]) == 0
    assert tc.WxStorage(path, app_id="a", user_id="u").keys() == []


def test_errors_are_one_line_without_traceback(tmp_path):
    result = run_cli("demo", "--model-dir", str(tmp_path / "nothing-here"))
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0
    assert "no model.json" in result.stderr and "Traceback" not in result.stderr
    bad = tmp_path / "bad.sqlite3"
    bad.write_bytes(b"this is not a database" * 100)
    result = run_cli("storage", "info", "--path", str(bad))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip().count("\n") == 0


def test_classify_prints_the_top_k(synthetic_dir, tmp_path):
    from tfcache_nb.inference.samples import sample_image_path

    result = run_cli("classify", str(sample_image_path()), "--model-dir", str(synthetic_dir), "--topk", "3",
                     "--path", str(tmp_path / "s.sqlite3"))
    assert result.returncode == 0, result.stderr
    assert "grace_hopper.jpg" in result.stdout
    assert result.stdout.count("%") == 3
    assert "synthetic" in result.stdout and "mean nothing" in result.stdout


def test_classify_a_missing_image_is_one_line(synthetic_dir, tmp_path):
    result = run_cli("classify", str(tmp_path / "missing.jpg"), "--model-dir", str(synthetic_dir),
                     "--path", str(tmp_path / "s.sqlite3"))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "missing.jpg" in result.stderr


def test_serve_serves_a_folder_with_cors(synthetic_dir):
    proc = subprocess.Popen([*EXE, "serve", str(synthetic_dir), "--port", "0"], stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert line.startswith("serving ")
        url = line.split(" at ")[1].split()[0]
        deadline = time.monotonic() + 10
        while True:
            try:
                response = requests.get(url, timeout=5)
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        assert response.status_code == 200 and "weightsManifest" in response.json()
        assert response.headers["Access-Control-Allow-Origin"] == "*"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_demo_through_a_simulated_network(synthetic_dir, capsys):
    fast = "wifi"  # 28 ms round trips, 5 Mbit/s: a few seconds for the 1.9 MB model
    assert main(["demo", "--model-dir", str(synthetic_dir), "--profile", fast, "--no-classify"]) == 0
    out = capsys.readouterr().out
    assert "through a simulated wifi network" in out
    cold = next(line for line in out.splitlines() if line.startswith("cold  network"))
    assert cold.split()[3] == "s"  # "cold network 2.9 s ...": seconds, not ms: the network was paced


def test_storage_ls_flags_a_damaged_model(synthetic_dir, tmp_path, capsys):
    path = str(tmp_path / "s.sqlite3")
    store = tc.WxStorage(path)
    tc.load_artifacts(str(synthetic_dir), cache=store, cache_key="good")
    tc.load_artifacts(str(synthetic_dir), cache=store, cache_key="bad")
    store.set("tensorflowjs_models/bad/info", "{truncated")
    store.close()
    assert main(["storage", "ls", "--path", path]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert any(line.startswith("bad\tDAMAGED") for line in lines)
    assert any(line.startswith("good\t") and "of weights" in line for line in lines)
