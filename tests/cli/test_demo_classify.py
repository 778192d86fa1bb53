"""demo and classify as a newcomer meets them: the embedded real model offline, a cold load over a
simulated 4G network, "warm" only for a load that came from the cache, --json for scripts."""

from __future__ import annotations

import functools
import json
import os
import subprocess
import time

import pytest

from cli_helpers import EXE
from tfcache_nb.cache.report import LoadReport
from tfcache_nb.cli import classify as classify_cmd
from tfcache_nb.cli import demo as demo_cmd
from tfcache_nb.cli.cache_notes import why_not_warm
from tfcache_nb.cli.main import main
from tfcache_nb.experiments import sources
from tfcache_nb.inference.samples import sample_image_path
from tfcache_nb.storage.wx_storage import WxStorage

GRACE = str(sample_image_path("grace_hopper.jpg"))
REAL_TOP = {"bow tie, bow-tie, bowtie", "suit, suit of clothes", "military uniform"}


@pytest.fixture
def offline(tmp_path, monkeypatch):
    """No models on disk (the variable points at an empty folder, so ../shared is not used),
    no internet; the rule must not even ask the network for the default model."""
    empty = tmp_path / "no_models"
    empty.mkdir()
    monkeypatch.setenv("TFCACHE_NB_MODEL_DIR", str(empty))
    monkeypatch.setenv("TFCACHE_NB_INTERNET", "0")
    monkeypatch.setattr(sources, "internet_reachable", lambda *a, **k: pytest.fail("asked the network"))
    return empty


def _env(models: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "TFCACHE_NB_DEBUG"}
    env.update(TFCACHE_NB_MODEL_DIR=models, TFCACHE_NB_INTERNET="0")
    return env


def test_demo_by_default_goes_through_4g_then_the_cache_and_predicts_for_real(offline, tmp_path):
    start = time.perf_counter()
    result = subprocess.run([*EXE, "demo"], capture_output=True, text=True, timeout=120, env=_env(str(offline)),
                            cwd=tmp_path)
    seconds = time.perf_counter() - start
    assert result.returncode == 0, result.stderr
    out = result.stdout
    print(out, f"\n(the demo took {seconds:.1f} s)")
    assert "the real model shipped inside tfcache_nb, served on http://127.0.0.1:" in out
    assert "through a simulated 4g network" in out
    cold = next(line for line in out.splitlines() if line.startswith("cold  network")).split()
    warm = next(line for line in out.splitlines() if line.startswith("warm  cache")).split()
    assert cold[3] == "s" and float(cold[2]) > 1.0  # paced: 55 shards over 170 ms round trips
    assert warm[3] == "ms"
    assert "speed-up: " in out and "x (the warm load took" in out
    bar = next(line for line in out.splitlines() if line.startswith("storage: ["))
    assert "#" in bar and "of weights as base64 chunks" in bar
    top5 = {line.split("%", 1)[1].strip() for line in out.split("top-5 for grace_hopper.jpg:")[1].splitlines()
            if "%" in line}
    assert REAL_TOP <= top5, out
    assert "meaningless" not in out and "synthetic" not in out


def test_demo_profile_none_is_full_speed(offline, capsys):
    assert main(["demo", "--profile", "none", "--no-classify"]) == 0
    out = capsys.readouterr().out
    assert "full speed over the loopback" in out and "simulated" not in out
    assert "warm  cache" in out


def _small_storage(monkeypatch, module, limit=1024 * 1024):
    monkeypatch.setattr(module, "WxStorage", functools.partial(WxStorage, limit_bytes=limit))


def test_demo_never_calls_a_network_load_warm(offline, monkeypatch, capsys):
    _small_storage(monkeypatch, demo_cmd)  # 1 MiB: the 1.8 MiB model cannot be cached
    assert main(["demo", "--profile", "none"]) == 0
    out = capsys.readouterr().out
    assert "warm" not in out.split("no warm load")[0].split("load  source")[1]
    assert "no warm load: not cached, too big: it needs" in out and "speed-up" not in out
    assert "the model is not in it" in out
    top5 = {line.split("%", 1)[1].strip() for line in out.split("top-5")[1].splitlines() if "%" in line}
    assert REAL_TOP <= top5  # predicted from the model just loaded, without a third download


def test_why_not_warm_names_each_reason():
    saved = LoadReport(source="network", saved=True)
    assert why_not_warm(saved, LoadReport(source="cache")) is None
    assert "evicted or removed" in why_not_warm(saved, LoadReport(source="network", cache_miss_reason="not in the cache"))
    assert "damaged entry" in why_not_warm(saved, LoadReport(source="network",
                                                             cache_miss_reason="damaged entry, fetched again: x"))
    assert "too big" in why_not_warm(LoadReport(source="network", save_error="needs more", bytes_needed=5 << 20,
                                                bytes_free=1 << 20), None)
    assert "not cached: quota" in why_not_warm(LoadReport(source="network", save_error="quota"), None)


def test_classify_offline_prints_the_real_top5_and_caches_it(offline, tmp_path):
    store = str(tmp_path / "s.sqlite3")
    runs = [subprocess.run([*EXE, "classify", GRACE, "--path", store], capture_output=True, text=True,
                           timeout=120, env=_env(str(offline)), cwd=tmp_path) for _ in range(2)]
    for r in runs:
        assert r.returncode == 0, r.stderr
        assert REAL_TOP <= {line.split("%", 1)[1].rsplit("(#", 1)[0].strip()
                            for line in r.stdout.splitlines() if "%" in line}
        assert "shipped inside tfcache_nb" in r.stdout and "synthetic" not in r.stdout
    assert "(network," in runs[0].stdout and "(cache," in runs[1].stdout


def test_classify_json_is_one_document_on_stdout(offline, tmp_path):
    missing = str(tmp_path / "missing.jpg")
    r = subprocess.run([*EXE, "classify", GRACE, missing, "--json", "--topk", "3", "--path",
                        str(tmp_path / "s.sqlite3")], capture_output=True, text=True, timeout=120,
                       env=_env(str(offline)), cwd=tmp_path)
    assert r.returncode == 1  # one image was bad
    doc = json.loads(r.stdout)  # the whole of stdout is one JSON document
    assert doc["model"]["kind"] == "embedded" and doc["model"]["synthetic"] is False
    assert doc["load"]["source"] == "network" and doc["load"]["saved"] is True
    [result] = doc["results"]
    assert result["image"] == GRACE and len(result["predictions"]) == 3
    assert result["predictions"][0]["class_name"] in REAL_TOP
    assert 0 < result["predictions"][0]["probability"] <= 1
    assert doc["errors"] == [{"image": missing, "error": f"the image file '{missing}' does not exist."}]
    assert "model: " in r.stderr and "does not exist" in r.stderr  # the human lines went to stderr


def test_classify_says_when_the_model_is_too_big_to_cache(offline, tmp_path, monkeypatch, capsys):
    _small_storage(monkeypatch, classify_cmd)
    store = str(tmp_path / "s.sqlite3")
    for _ in range(2):
        assert main(["classify", GRACE, "--path", store, "--topk", "1"]) == 0
        out = capsys.readouterr().out
        assert "(network," in out
        assert "note: not cached, too big: it needs" in out and "every run downloads it again" in out
        assert "--quantize auto" in out
    assert main(["classify", GRACE, "--path", store, "--topk", "1", "--quantize", "auto"]) == 0
    out = capsys.readouterr().out
    assert "note:" not in out
    assert main(["classify", GRACE, "--path", store, "--topk", "1", "--quantize", "auto"]) == 0
    assert "(cache," in capsys.readouterr().out
