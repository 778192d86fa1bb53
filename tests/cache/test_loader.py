"""load_artifacts: cache first, then the network, then save; integrity, freshness, a full cache."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

import tfcache_nb as tc
from tfcache_nb.format.quantization import quantization_step


@pytest.fixture
def store(tmp_path):
    s = tc.WxStorage(tmp_path / "wx.sqlite3", app_id="wx123", user_id="alice")
    yield s
    s.close()


@pytest.fixture
def server(synthetic_dir):
    with tc.ModelServer(synthetic_dir) as srv:
        yield srv


def snapshot(store):
    return {k: store.get_text(k) for k in store.keys()}


def test_cold_then_warm(server, store):
    url = server.url + "/model.json"
    progress = []
    cold_art, cold = tc.load_artifacts(url, cache=store, on_progress=lambda f, *b: progress.append(f))
    warm_art, warm = tc.load_artifacts(url, cache=store)
    assert cold.source == "network" and cold.saved and cold.save_error is None
    assert warm.source == "cache"
    assert cold.bytes_network >= len(cold_art.weight_data) and warm.bytes_network == 0
    assert warm.bytes_storage == cold.bytes_storage > len(cold_art.weight_data)
    assert cold.cache_key == warm.cache_key == tc.default_cache_key(url)
    assert warm_art.weight_data == cold_art.weight_data
    for name, value in cold_art.decode_weights().items():
        np.testing.assert_array_equal(value, warm_art.decode_weights()[name])
    assert progress and progress[-1] == 1.0 and progress == sorted(progress)
    assert "network" in cold.phases and "save" in cold.phases
    assert "storage_read" in warm.phases and "decode" in warm.phases
    assert all(k.startswith(f"tensorflowjs_models/{cold.cache_key}/") for k in store.keys())


def test_real_model_cold_then_warm(models_dir, store):
    with tc.ModelServer(models_dir / "mobilenet_v1_0.25_224") as srv:
        url = srv.url + "/model.json"
        cold_art, cold = tc.load_artifacts(url, cache=store, cache_key="mobilenet")
        warm_art, warm = tc.load_artifacts(url, cache=store, cache_key="mobilenet")
    assert (cold.source, warm.source) == ("network", "cache")
    assert len(cold_art.weight_data) == 1_902_176
    a, b = cold_art.decode_weights(), warm_art.decode_weights()
    assert a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)
    keys = set(store.keys())
    assert {"tensorflowjs_models/mobilenet/info", "tensorflowjs_models/mobilenet/model_without_weight",
            "tensorflowjs_models/mobilenet/weight_data_size", "tensorflowjs_models/mobilenet/weight_data:0"} <= keys
    chunks = store.get("tensorflowjs_models/mobilenet/weight_data_size")
    assert keys == {"tensorflowjs_models/mobilenet/info", "tensorflowjs_models/mobilenet/model_without_weight",
                    "tensorflowjs_models/mobilenet/weight_data_size"} | {
        f"tensorflowjs_models/mobilenet/weight_data:{i}" for i in range(chunks)}


def test_big_real_model_does_not_fit_then_fits_quantized(models_dir, store):
    store.set("game-progress", {"level": 7})
    before = snapshot(store)
    with tc.ModelServer(models_dir / "mobilenet_v1_0.75_224") as srv:
        url = srv.url + "/model.json"
        art, report = tc.load_artifacts(url, cache=store)
        assert report.source == "network" and not report.saved
        assert "bytes of storage" in report.save_error
        assert snapshot(store) == before  # nothing else changed

        q_art, q = tc.load_artifacts(url, cache=store, quantize="uint8")
        assert q.saved and q.quantization == "uint8"
        stored, warm = tc.load_artifacts(url, cache=store)
        assert warm.source == "cache" and warm.quantization == "uint8"
        original = art.decode_weights()
        decoded = stored.decode_weights()
        specs = {s["name"]: s for s in stored.weight_specs}
        for name, value in original.items():
            step = quantization_step(specs[name])
            assert np.max(np.abs(decoded[name] - value)) <= step / 2 + 1e-6 * max(1.0, float(np.max(np.abs(value))))

        tc.remove_model(store, q.cache_key)
        _, auto = tc.load_artifacts(url, cache=store, quantize="auto")
        assert auto.saved and auto.quantization in ("uint16", "float16")
    assert store.get("game-progress") == {"level": 7}


def test_a_damaged_entry_is_fetched_again_and_replaced(server, store):
    url = server.url + "/model.json"
    _, cold = tc.load_artifacts(url, cache=store)
    key = f"tensorflowjs_models/{cold.cache_key}/weight_data:0"
    chunk = store.get(key)
    store.set(key, ("B" if chunk[10] == "A" else "A").join([chunk[:10], chunk[11:]]))
    art, again = tc.load_artifacts(url, cache=store)
    assert again.source == "network" and again.saved
    assert "damaged" in again.cache_miss_reason
    _, warm = tc.load_artifacts(url, cache=store)
    assert warm.source == "cache"


def test_revalidation(tmp_path, synthetic_dir, store):
    folder = tmp_path / "model"
    shutil.copytree(synthetic_dir, folder)
    with tc.ModelServer(folder) as srv:
        url = srv.url + "/model.json"
        tc.load_artifacts(url, cache=store)
        _, same = tc.load_artifacts(url, cache=store, revalidate=True)
        assert same.source == "cache" and "not modified" in same.revalidated
        assert same.bytes_network == 0 and same.requests == 1

        doc = json.loads((folder / "model.json").read_text())
        doc["userDefinedMetadata"] = {"version": 2}
        (folder / "model.json").write_text(json.dumps(doc))
        art, changed = tc.load_artifacts(url, cache=store, revalidate=True)
        assert changed.source == "network" and changed.saved and "changed" in changed.revalidated
        assert art.user_defined_metadata == {"version": 2}
        cached, warm = tc.load_artifacts(url, cache=store)
        assert warm.source == "cache" and cached.user_defined_metadata == {"version": 2}

        srv.offline = True
        _, offline = tc.load_artifacts(url, cache=store, revalidate=True, timeout=2, retries=0)
        assert offline.source == "cache" and offline.stale


def test_network_down_without_cache_is_one_clear_error(synthetic_dir, store):
    with tc.ModelServer(synthetic_dir) as srv:
        url = srv.url + "/model.json"
    with pytest.raises(tc.ModelLoadError) as err:
        tc.load_artifacts(url, cache=store, retries=0, timeout=2)
    assert url in str(err.value)
    assert store.keys() == []


def _two_models(tmp_path, synthetic_dir):
    a, b = tmp_path / "a", tmp_path / "b"
    shutil.copytree(synthetic_dir, a)
    shutil.copytree(synthetic_dir, b)
    return a, b


def test_full_cache_evicts_the_least_recently_used_model(tmp_path, synthetic_dir):
    store = tc.WxStorage(tmp_path / "wx.sqlite3", limit_bytes=4_000_000)
    store.set("user-key", "kept")
    a, b = _two_models(tmp_path, synthetic_dir)
    with tc.ModelServer(a) as sa, tc.ModelServer(b) as sb:
        _, ra = tc.load_artifacts(sa.url + "/model.json", cache=store, cache_key="a")
        _, rb = tc.load_artifacts(sb.url + "/model.json", cache=store, cache_key="b")
        assert ra.saved and rb.saved and rb.evicted == ["a"]
        assert sorted(tc.list_models(store)) == ["b"]
        assert store.get("user-key") == "kept"
        assert store.info().current_size <= store.limit_bytes

        _, skip = tc.load_artifacts(sa.url + "/model.json", cache=store, cache_key="a", on_full="skip")
        assert not skip.saved and skip.save_error and sorted(tc.list_models(store)) == ["b"]

        before = snapshot(store)
        with pytest.raises(tc.StorageQuotaError, match="exceed storage max size"):
            tc.load_artifacts(sa.url + "/model.json", cache=store, cache_key="a", on_full="error")
        assert snapshot(store) == before
    store.close()


def test_eviction_only_when_it_makes_room(tmp_path, synthetic_dir):
    store = tc.WxStorage(tmp_path / "wx.sqlite3", limit_bytes=5_000_000)
    a, b = _two_models(tmp_path, synthetic_dir)
    with tc.ModelServer(a) as sa, tc.ModelServer(b) as sb:
        _, ra = tc.load_artifacts(sa.url + "/model.json", cache=store, cache_key="a", quantize="uint8")
        assert ra.saved
        for i in range(5):  # keys the toolkit did not write fill most of the rest
            store.set(f"user-{i}", "x" * 700_000)
        before = snapshot(store)
        _, rb = tc.load_artifacts(sb.url + "/model.json", cache=store, cache_key="b")
        assert not rb.saved and "would not make room" in rb.save_error
        assert rb.evicted == [] and snapshot(store) == before
    store.close()


def test_least_recently_used_is_chosen_by_use_not_by_save(tmp_path, synthetic_dir):
    store = tc.WxStorage(tmp_path / "wx.sqlite3", limit_bytes=7_000_000)
    a, b = _two_models(tmp_path, synthetic_dir)
    c = tmp_path / "c"
    shutil.copytree(synthetic_dir, c)
    with tc.ModelServer(a) as sa, tc.ModelServer(b) as sb, tc.ModelServer(c) as sc:
        tc.load_artifacts(sa.url + "/model.json", cache=store, cache_key="a")
        tc.load_artifacts(sb.url + "/model.json", cache=store, cache_key="b")
        _, warm = tc.load_artifacts(sa.url + "/model.json", cache=store, cache_key="a")  # a used again
        assert warm.source == "cache"
        _, rc = tc.load_artifacts(sc.url + "/model.json", cache=store, cache_key="c")
        assert rc.evicted == ["b"]
        assert sorted(tc.list_models(store)) == ["a", "c"]
    store.close()


def test_a_save_failure_never_fails_the_load(server):
    store = tc.DictStorage(max_value_bytes=100_000)  # the topology alone is larger
    art, report = tc.load_artifacts(server.url + "/model.json", cache=store)
    assert report.source == "network" and not report.saved and report.save_error
    assert len(art.weight_data) > 0 and store.keys() == []


def test_file_storage_cache(server, tmp_path):
    url = server.url + "/model.json"
    _, cold = tc.load_artifacts(url, cache=tmp_path / "usr")
    _, warm = tc.load_artifacts(url, cache=tmp_path / "usr")
    assert (cold.source, warm.source) == ("network", "cache")
    assert (tmp_path / "usr" / "tensorflowjs_models" / f"{cold.cache_key}_weight_data").is_file()


def test_no_cache_and_local_folder_sources(synthetic_dir):
    art, report = tc.load_artifacts(str(synthetic_dir))
    assert report.source == "network" and report.origin == "local" and report.cache_key is None
    assert len(art.weight_data) > 0


def test_escaping_weight_paths_are_refused(tmp_path, synthetic_dir, store):
    folder = tmp_path / "evil"
    shutil.copytree(synthetic_dir, folder)
    doc = json.loads((folder / "model.json").read_text())
    doc["weightsManifest"][0]["paths"][0] = "../secret.bin"
    (folder / "model.json").write_text(json.dumps(doc))
    with tc.ModelServer(folder) as srv:
        with pytest.raises(tc.ModelLoadError, match="secret"):
            tc.load_artifacts(srv.url + "/model.json", cache=store)
    assert store.keys() == []


def test_bad_options_are_refused(server, store):
    with pytest.raises(tc.TfcacheError, match="quantize"):
        tc.load_artifacts(server.url + "/model.json", cache=store, quantize="int4")
    with pytest.raises(tc.TfcacheError, match="on_full"):
        tc.load_artifacts(server.url + "/model.json", cache=store, on_full="panic")


def test_default_cache_key_is_stable_and_readable():
    a = tc.default_cache_key("https://storage.googleapis.com/tfjs-models/tfjs/mobilenet_v1_0.25_224/model.json")
    b = tc.default_cache_key("HTTPS://STORAGE.googleapis.com/tfjs-models/tfjs/mobilenet_v1_0.25_224/model.json#x")
    assert a == b and a.startswith("mobilenet_v1_0.25_224-")
    assert a != tc.default_cache_key("https://storage.googleapis.com/tfjs-models/tfjs/mobilenet_v1_0.5_224/model.json")


def test_a_misspelled_option_is_named(synthetic_dir, store):
    with pytest.raises(tc.InvalidArgumentError, match="quantise"):
        tc.load_artifacts(str(synthetic_dir), cache=store, quantise="uint8")
    assert store.keys() == []


def test_a_cache_of_the_wrong_kind_is_an_invalid_argument(server):
    with pytest.raises(tc.InvalidArgumentError, match="cache must be a WxStorage, a TieredCache or a folder.*not dict"):
        tc.load_artifacts(server.url + "/model.json", cache={})
    assert server.request_log == []  # refused before any request
