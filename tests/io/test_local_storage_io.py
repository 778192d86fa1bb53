"""local_storage_io: the plugin's key scheme and base64 chunks, atomic saves, damage detection."""

from __future__ import annotations

import base64
import json

import pytest

import tfcache_nb as tc
from tfcache_nb.io.cache_metadata import CacheMetadata
from tfcache_nb.io.local_storage_io import CHUNK_CHARS


@pytest.fixture
def store(tmp_path):
    s = tc.WxStorage(tmp_path / "wx.sqlite3", app_id="app", user_id="alice")
    yield s
    s.close()


def snapshot(store):
    return {k: store.get_text(k) for k in store.keys()}


def test_save_writes_exactly_the_plugin_keys(store, synthetic_artifacts):
    tc.local_storage_io(store, "mobilenet").save(synthetic_artifacts)
    b64_len = len(base64.b64encode(synthetic_artifacts.weight_data))
    n_chunks = -(-b64_len // CHUNK_CHARS)
    expected = {"tensorflowjs_models/mobilenet/info", "tensorflowjs_models/mobilenet/model_without_weight",
                "tensorflowjs_models/mobilenet/weight_data_size"}
    expected |= {f"tensorflowjs_models/mobilenet/weight_data:{i}" for i in range(n_chunks)}
    assert set(store.keys()) == expected
    assert store.get("tensorflowjs_models/mobilenet/weight_data_size") == n_chunks


def test_values_are_what_a_mini_program_would_hold(store, synthetic_artifacts):
    tc.local_storage_io(store, "m").save(synthetic_artifacts)
    info = store.get("tensorflowjs_models/m/info")
    assert isinstance(info, str)  # the plugin stores JSON.stringify(info): a string
    info_doc = json.loads(info)
    assert info_doc["modelTopologyType"] == "JSON"
    assert info_doc["weightDataBytes"] == len(synthetic_artifacts.weight_data)
    assert info_doc["dateSaved"].endswith("Z")
    body = json.loads(store.get("tensorflowjs_models/m/model_without_weight"))
    assert body["modelTopology"] == synthetic_artifacts.model_topology
    assert body["weightSpecs"] == synthetic_artifacts.weight_specs
    assert "weightData" not in body
    count = store.get("tensorflowjs_models/m/weight_data_size")
    chunks = [store.get(f"tensorflowjs_models/m/weight_data:{i}") for i in range(count)]
    assert all(len(c) <= CHUNK_CHARS for c in chunks)
    assert all(len(c) == CHUNK_CHARS for c in chunks[:-1])
    assert base64.b64decode("".join(chunks)) == synthetic_artifacts.weight_data
    for key, size in store.entry_sizes().items():
        assert size - len(key.encode()) <= store.max_value_bytes


def test_round_trip_is_byte_identical(store, synthetic_artifacts):
    handler = tc.local_storage_io(store, "m")
    result = handler.save(synthetic_artifacts)
    assert result.model_artifacts_info.weight_data_bytes == len(synthetic_artifacts.weight_data)
    loaded = handler.load()
    assert loaded.weight_data == synthetic_artifacts.weight_data
    assert loaded.weight_specs == synthetic_artifacts.weight_specs
    assert loaded.model_topology == synthetic_artifacts.model_topology


def test_saving_a_smaller_model_removes_stale_chunks(store, synthetic_artifacts):
    handler = tc.local_storage_io(store, "m")
    handler.save(synthetic_artifacts)
    before = store.get("tensorflowjs_models/m/weight_data_size")
    small = synthetic_artifacts.quantize("uint8")
    handler.save(small)
    after = store.get("tensorflowjs_models/m/weight_data_size")
    assert after < before
    chunk_keys = [k for k in store.keys() if ":" in k.rsplit("/", 1)[-1]]
    assert len(chunk_keys) == after
    assert handler.load().weight_data == small.weight_data


def test_a_save_that_does_not_fit_changes_nothing(tmp_path, synthetic_artifacts):
    store = tc.WxStorage(tmp_path / "wx.sqlite3", limit_bytes=1_000_000)
    store.set("user-data", {"score": 42})
    before = snapshot(store)
    with pytest.raises(tc.StorageQuotaError, match="exceed storage max size"):
        tc.local_storage_io(store, "m").save(synthetic_artifacts)
    assert snapshot(store) == before
    store.close()


def test_loading_a_model_that_is_not_there(store):
    with pytest.raises(tc.ModelLoadError, match="no model named 'ghost'"):
        tc.local_storage_io(store, "ghost").load()


@pytest.mark.parametrize("key", ["", None, 3])
def test_bad_model_keys_are_refused(store, key):
    with pytest.raises(tc.TfcacheError):
        tc.local_storage_io(store, key)


def _saved(store, artifacts):
    handler = tc.local_storage_io(store, "m")
    handler.save(artifacts, metadata=CacheMetadata(sha256=artifacts.weights_sha256()))
    return handler


def test_a_flipped_character_fails_the_sha256_check(store, synthetic_artifacts):
    handler = _saved(store, synthetic_artifacts)
    chunk = store.get("tensorflowjs_models/m/weight_data:1")
    flipped = chunk[:100] + ("A" if chunk[100] != "A" else "B") + chunk[101:]
    store.set("tensorflowjs_models/m/weight_data:1", flipped)
    with pytest.raises(tc.CacheIntegrityError, match="SHA-256"):
        handler.load()


def test_a_missing_chunk_is_detected(store, synthetic_artifacts):
    handler = _saved(store, synthetic_artifacts)
    store.remove("tensorflowjs_models/m/weight_data:0")
    with pytest.raises(tc.CacheIntegrityError, match="missing weight chunk 0"):
        handler.load()


def test_a_truncated_chunk_is_detected(store, synthetic_artifacts):
    handler = _saved(store, synthetic_artifacts)
    last = store.get("tensorflowjs_models/m/weight_data_size") - 1
    key = f"tensorflowjs_models/m/weight_data:{last}"
    store.set(key, store.get(key)[:-8])
    with pytest.raises(tc.CacheIntegrityError):
        handler.load()


def test_info_pointing_at_the_wrong_size_is_detected(store, synthetic_artifacts):
    handler = _saved(store, synthetic_artifacts)
    info = json.loads(store.get("tensorflowjs_models/m/info"))
    info["weightDataBytes"] += 4
    store.set("tensorflowjs_models/m/info", json.dumps(info))
    with pytest.raises(tc.CacheIntegrityError, match="info says"):
        handler.load()


def test_invalid_base64_is_detected(store, synthetic_artifacts):
    handler = _saved(store, synthetic_artifacts)
    store.set("tensorflowjs_models/m/weight_data:0", "!!!not base64!!!")
    with pytest.raises(tc.CacheIntegrityError):
        handler.load()


def test_remove_takes_every_key_and_nothing_else(store, synthetic_artifacts):
    store.set("tensorflowjs_models/other/info", "kept")
    store.set("unrelated", 1)
    handler = _saved(store, synthetic_artifacts)
    store.set("tensorflowjs_models/m/weight_data:99", "stray")
    assert handler.remove() is True
    assert sorted(store.keys()) == ["tensorflowjs_models/other/info", "unrelated"]
    assert handler.remove() is False


def test_stored_bytes_is_the_quota_the_model_takes(store, synthetic_artifacts):
    handler = _saved(store, synthetic_artifacts)
    assert handler.stored_bytes() == store.info().current_size
    # base64 makes the weights about a third larger
    assert handler.stored_bytes() > len(synthetic_artifacts.weight_data) * 4 / 3


def test_a_damaged_copy_is_dropped_only_if_nobody_replaced_it(store, synthetic_artifacts):
    handler = _saved(store, synthetic_artifacts)
    seen = handler.info_text()
    # another process saves a fresh copy between our damaged read and our clean-up
    fresh = synthetic_artifacts.quantize("float16")
    handler.save(fresh, metadata=CacheMetadata(sha256=fresh.weights_sha256()))
    assert handler.remove(only_if_info=seen) is False
    assert handler.load().weight_data == fresh.weight_data
    assert handler.remove(only_if_info=handler.info_text()) is True
    assert store.keys() == []
