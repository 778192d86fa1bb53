"""One rule decides where a model comes from: named, $TFCACHE_NB_MODEL_DIR, ../shared/models, the
embedded model, Google's URL, a synthetic stand-in; tests never ask the real internet."""

from __future__ import annotations

import os
import shutil

import pytest
import requests

import tfcache_nb as tc
from tfcache_nb.errors import ModelLoadError
from tfcache_nb.experiments import sources
from tfcache_nb.experiments.serving import materialized, serve
from tfcache_nb.experiments.sources import ModelSource, find_model


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


def test_named_models_come_first_then_the_variable(synthetic_dir, tmp_path, monkeypatch):
    other = tmp_path / "other"
    shutil.copytree(synthetic_dir, other)
    monkeypatch.setenv("TFCACHE_NB_MODEL_DIR", str(other))
    assert find_model(model_dir=synthetic_dir).folder == synthetic_dir.resolve()
    assert find_model(model_url="http://example.invalid/m/model.json").url == "http://example.invalid/m/model.json"
    assert find_model().folder == other.resolve()


def _no_network(monkeypatch):
    def refuse(url, timeout=3.0):
        raise AssertionError(f"the rule asked the network ({url}) although a local model was there")
    monkeypatch.setattr(sources, "internet_reachable", refuse)


def test_shared_models_beside_the_checkout_come_before_the_embedded_model(synthetic_dir, tmp_path, monkeypatch):
    checkout = tmp_path / "clone"
    (checkout / "tfcache_nb").mkdir(parents=True)
    (checkout / "pyproject.toml").write_text("")
    shared = tmp_path / "shared" / "models"
    shared.mkdir(parents=True)
    os.symlink(synthetic_dir, shared / "mobilenet_v1_0.75_224")
    monkeypatch.delenv("TFCACHE_NB_MODEL_DIR", raising=False)
    monkeypatch.setattr(sources, "_checkouts", lambda: [checkout])
    _no_network(monkeypatch)
    assert find_model("mobilenet_v1_0.75_224").folder == (shared / "mobilenet_v1_0.75_224").resolve()
    assert find_model().embedded  # 0.25 is not in that shared folder: the package's own copy


def test_this_checkout_finds_the_shared_models_beside_it(models_dir, monkeypatch):
    monkeypatch.delenv("TFCACHE_NB_MODEL_DIR", raising=False)
    _no_network(monkeypatch)
    if models_dir.resolve() != (sources._checkouts()[0].parent / "shared" / "models").resolve():
        pytest.skip("the real models are not beside this checkout")
    assert find_model("mobilenet_v1_0.75_224").folder == (models_dir / "mobilenet_v1_0.75_224").resolve()


def test_offline_the_default_model_is_the_embedded_one_without_asking_the_network(tmp_path, monkeypatch):
    monkeypatch.setenv("TFCACHE_NB_MODEL_DIR", str(tmp_path))  # set: replaces ../shared; empty
    monkeypatch.delenv("TFCACHE_NB_INTERNET", raising=False)
    _no_network(monkeypatch)
    said: list[str] = []
    src = find_model(say=said.append)
    assert src.embedded and src.kind == "embedded" and not src.synthetic and said == []
    assert src.folder == sources.embedded_model_dir().resolve()
    assert "shipped inside tfcache_nb" in src.note


def test_the_embedded_model_is_the_real_one(tmp_path, monkeypatch):
    """Served on 127.0.0.1, it gives real ImageNet predictions (random weights could not)."""
    monkeypatch.setenv("TFCACHE_NB_MODEL_DIR", str(tmp_path))
    from tfcache_nb.inference.samples import sample_image_path

    with serve(find_model(), profile=None) as served:
        assert served.server is not None and "shipped inside tfcache_nb" in served.description
        net = tc.MobileNet.load(served.url)
    top5 = [p.class_name for p in net.classify(sample_image_path("grace_hopper.jpg"), topk=5)]
    assert {"bow tie, bow-tie, bowtie", "suit, suit of clothes", "military uniform"} <= set(top5)


def test_the_embedded_copy_is_byte_for_byte_the_shared_one(models_dir):
    ours = sources.embedded_model_dir()
    theirs = models_dir / "mobilenet_v1_0.25_224"
    for f in theirs.iterdir():
        assert (ours / f.name).read_bytes() == f.read_bytes(), f.name


def test_other_sizes_offline_fall_back_to_a_synthetic_model_and_say_so(tmp_path, monkeypatch):
    monkeypatch.setenv("TFCACHE_NB_MODEL_DIR", str(tmp_path))
    monkeypatch.setenv("TFCACHE_NB_INTERNET", "0")
    said: list[str] = []
    src = find_model("mobilenet_v1_0.75_224", say=said.append)
    assert src.synthetic and src.alpha == 0.75 and src.note == sources.SYNTHETIC_NOTE
    assert len(said) == 1 and "mean nothing" in said[0] and "mobilenet_v1_0.75_224" in said[0]
    assert src.cache_key != sources.SYNTHETIC_KEY and src.name == "synthetic_mobilenet_v1_0.75_224"
    with pytest.raises(ModelLoadError, match="mobilenet_v1_025_224_graph is not on this machine"):
        find_model("mobilenet_v1_025_224_graph")


def test_online_other_sizes_come_from_google(tmp_path, monkeypatch):
    monkeypatch.setenv("TFCACHE_NB_MODEL_DIR", str(tmp_path))
    monkeypatch.setenv("TFCACHE_NB_INTERNET", "1")  # "the internet answers", without asking it
    assert find_model("mobilenet_v1_0.75_224").url == sources.GOOGLE_URL.format("mobilenet_v1_0.75_224")
    graph = find_model("mobilenet_v1_025_224_graph")
    assert graph.tfhub and graph.load_options == {"tfhub": True}
    assert find_model().embedded  # the default model never needs the internet


def test_an_unreachable_host_is_asked_once(tmp_path, monkeypatch):
    monkeypatch.setenv("TFCACHE_NB_MODEL_DIR", str(tmp_path))
    monkeypatch.delenv("TFCACHE_NB_INTERNET", raising=False)
    monkeypatch.setattr(sources, "GOOGLE_URL", "http://tfcache-nb-test.invalid/{}/model.json")
    monkeypatch.setattr(sources, "_REACHABLE", {})
    calls = []
    real_head = requests.head
    monkeypatch.setattr(requests, "head", lambda *a, **k: calls.append(a[0]) or real_head(*a, **k))
    assert find_model("mobilenet_v1_0.75_224", say=lambda _m: None).synthetic  # .invalid never resolves
    assert find_model("mobilenet_v1_0.50_224", say=lambda _m: None).synthetic
    assert len(calls) == 1


def test_a_variable_naming_no_folder_is_one_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("TFCACHE_NB_MODEL_DIR", str(tmp_path / "typo"))
    with pytest.raises(ModelLoadError, match="TFCACHE_NB_MODEL_DIR is .*typo, which is not a folder"):
        find_model()


def test_the_synthetic_model_is_served_and_removed_afterwards():
    src = ModelSource.synthetic_model()
    with serve(src, profile=None) as served:
        assert served.cache_key == sources.SYNTHETIC_KEY and served.server is not None
        doc = requests.get(served.url, timeout=10).json()
        assert doc["userDefinedMetadata"]["synthetic"] is True
        folder = served.server.folder
    assert not folder.exists()  # the temporary copy is gone with the server


def test_serve_uses_a_folder_already_written_and_leaves_it():
    """A run serves the synthetic model for many trials: written once, served from there."""
    src = ModelSource.synthetic_model()
    with materialized(src) as folder:
        for _ in range(2):
            with serve(src, profile="wifi", folder=folder) as served:
                assert served.server.folder == folder and served.profile_applied
                assert requests.get(served.url, timeout=10).json()["userDefinedMetadata"]["synthetic"] is True
        assert (folder / "model.json").is_file()  # the caller's folder outlives each server
    assert not folder.exists()


def test_find_models_serves_each_and_says_where_it_came_from(tmp_path, monkeypatch):
    monkeypatch.setenv("TFCACHE_NB_MODEL_DIR", str(tmp_path))
    monkeypatch.setenv("TFCACHE_NB_INTERNET", "0")
    said: list[str] = []
    with tc.find_models(["mobilenet_v1_0.25_224", "mobilenet_v1_0.75_224", "mobilenet_v1_025_224_graph"],
                        say=said.append) as models:
        text = said[0]
        assert "mobilenet_v1_0.25_224: the real model shipped inside tfcache_nb" in text
        assert "mobilenet_v1_0.75_224: SYNTHETIC" in text and "mean nothing" in text
        assert "mobilenet_v1_025_224_graph: not available here" in text
        assert not models.synthetic("mobilenet_v1_0.25_224") and models.synthetic("mobilenet_v1_0.75_224")
        assert not models.has("mobilenet_v1_025_224_graph")
        with pytest.raises(ModelLoadError):
            models.url("mobilenet_v1_025_224_graph")
        url = models.url("mobilenet_v1_0.25_224")
        assert url.startswith("http://127.0.0.1:") and requests.get(url, timeout=10).ok
        assert url == models.url("mobilenet_v1_0.25_224")  # one server per model, kept
        folder = models.folder("mobilenet_v1_0.75_224")
        assert (folder / "model.json").is_file()
    assert not folder.exists()


def test_find_models_never_calls_a_synthetic_folder_real(synthetic_dir, monkeypatch):
    monkeypatch.setenv("TFCACHE_NB_MODEL_DIR", str(synthetic_dir.parent))  # a folder named like the real one
    said: list[str] = []
    with tc.find_models(["mobilenet_v1_0.25_224"], say=said.append) as models:
        assert models.synthetic("mobilenet_v1_0.25_224")
        assert "mobilenet_v1_0.25_224: SYNTHETIC stand-in" in said[0] and str(synthetic_dir) in said[0]
        assert "real model" not in said[0]


def test_the_dashboard_list_follows_the_rule(synthetic_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("TFCACHE_NB_MODEL_DIR", str(tmp_path))
    labels = [s.label for s in sources.preset_sources(real_urls=False)]
    assert "shipped inside tfcache_nb" in labels[0]  # nothing local: the embedded model first
    assert [s.alpha for s in sources.preset_sources(real_urls=False) if s.synthetic] == [0.25, 0.75]
    os.symlink(synthetic_dir, tmp_path / "mobilenet_v1_0.25_224")
    first = sources.preset_sources(real_urls=False)[0]
    assert first.folder == (tmp_path / "mobilenet_v1_0.25_224").resolve()
    assert not any(s.embedded for s in sources.preset_sources(real_urls=False))


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
