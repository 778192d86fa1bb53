"""One place decides where a model comes from: folders, URLs, $TFCACHE_NB_MODEL_DIR, synthetic."""

from __future__ import annotations

import os
import shutil

import pytest
import requests

import tfcache_nb as tc
from tfcache_nb.errors import ModelLoadError
from tfcache_nb.experiments import sources
from tfcache_nb.experiments.sources import ModelSource, choose_source, serve


def test_a_folder_is_keyed_by_its_path_not_by_the_servers_port(synthetic_dir):
    source = ModelSource.from_folder(synthetic_dir)
    with serve(source) as first:
        url1 = first.url
    with serve(source) as second:
        url2 = second.url
    assert url1 != url2  # a new port each time...
    assert first.cache_key == second.cache_key == tc.default_cache_key(synthetic_dir)  # ...one key


def test_a_shared_models_folder_resolves_to_its_mobilenet_child(synthetic_dir, tmp_path):
    shared = tmp_path / "models"
    shared.mkdir()
    os.symlink(synthetic_dir, shared / "mobilenet_v1_0.25_224")
    assert sources.resolve_model_dir(shared).name == "mobilenet_v1_0.25_224"
    with pytest.raises(ModelLoadError, match="no model.json"):
        sources.resolve_model_dir(tmp_path / "empty")


def test_choose_source_order(synthetic_dir, tmp_path, monkeypatch):
    other = tmp_path / "other"
    shutil.copytree(synthetic_dir, other)
    monkeypatch.setenv("TFCACHE_NB_MODEL_DIR", str(other))
    assert choose_source(model_dir=synthetic_dir).folder == synthetic_dir.resolve()
    assert choose_source(model_url="http://example.invalid/m/model.json").url == "http://example.invalid/m/model.json"
    assert choose_source().folder == other.resolve()


def test_offline_falls_back_to_the_synthetic_model_and_says_so(monkeypatch):
    monkeypatch.delenv("TFCACHE_NB_MODEL_DIR", raising=False)
    said: list[str] = []
    src = choose_source(default_url="http://tfcache-nb-test.invalid/model.json", say=said.append)
    assert src.synthetic and src.note == sources.SYNTHETIC_NOTE
    assert len(said) == 1 and "mean nothing" in said[0]
    with serve(src, profile=None) as served:
        assert served.cache_key == sources.SYNTHETIC_KEY and served.server is not None
        doc = requests.get(served.url, timeout=10).json()
        assert doc["userDefinedMetadata"]["synthetic"] is True
        folder = served.server.folder
    assert not folder.exists()  # the temporary copy is gone with the server


def test_a_synthetic_folder_is_recognised(synthetic_dir):
    assert ModelSource.from_folder(synthetic_dir).synthetic


def test_a_url_is_never_served_and_no_profile_applies():
    src = ModelSource.from_url("http://127.0.0.1:9/model.json")
    with serve(src, profile="4g") as served:
        assert served.server is None and not served.profile_applied
        assert served.url == src.url and served.cache_key == tc.default_cache_key(src.url)


def test_a_profile_applies_to_a_local_folder(synthetic_dir):
    with serve(ModelSource.from_folder(synthetic_dir), profile="wifi") as served:
        assert served.profile_applied and served.server.profile.name == "wifi"


def test_the_runner_keys_folders_like_everyone_else(synthetic_dir, fast_profiles, tmp_path):
    from tfcache_nb.experiments.runner import run_experiment

    run_experiment(synthetic_dir, fast_profiles[:1], storages=("wx",), trials=1, workdir=tmp_path)
    store = tc.WxStorage(tmp_path / "experiment.sqlite3", app_id="tfcache-nb-experiment", user_id="bench")
    try:
        assert list(tc.list_models(store)) == [tc.default_cache_key(synthetic_dir)]
    finally:
        store.close()


def test_the_runner_takes_the_synthetic_source(fast_profiles):
    from tfcache_nb.experiments.runner import run_experiment

    results = run_experiment(ModelSource.synthetic_model(), fast_profiles[:1], storages=("memory",), trials=1)
    assert {r["model"] for r in results.records} == {sources.SYNTHETIC_NAME}
    assert [r["source"] for r in results.records] == ["network", "cache"]
