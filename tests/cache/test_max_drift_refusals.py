"""max_drift in local storage: a refusal is told as a refusal (not as missing space), and a
full storage still evicts for the model as it is when every form that fits now is refused.

A real ModelServer on 127.0.0.1 serves the synthetic MobileNet; a real SQLite WxStorage holds
the cache; drift is measured by the numpy runner (tc.load_artifacts).
"""

from __future__ import annotations

import pytest

import tfcache_nb as tc


@pytest.fixture
def url(synthetic_dir):
    with tc.ModelServer(synthetic_dir) as srv:
        yield srv.url + "/model.json"


def test_a_refusal_with_room_to_spare_says_refused_not_free(url, tmp_path):
    store = tc.WxStorage(tmp_path / "wx.sqlite3")
    _, report = tc.load_artifacts(url, cache=store, quantize="uint8", max_drift=0)
    assert not report.saved and store.keys() == []
    assert report.save_error.startswith("max_drift refused every form: uint8 (drift "), report.save_error
    assert "free" not in report.save_error and report.bytes_needed is None
    with pytest.raises(tc.StorageError, match="not saved: max_drift refused every form") as info:
        tc.load_artifacts(url, cache=store, quantize="uint8", max_drift=0, on_full="error")
    assert not isinstance(info.value, tc.StorageQuotaError)  # nothing is full
    store.close()


def test_when_max_drift_refuses_what_fits_now_eviction_makes_room_for_the_model_as_it_is(url, tmp_path):
    first = tc.WxStorage(tmp_path / "wx.sqlite3")
    _, old = tc.load_artifacts(url, cache=first, cache_key="old")
    first.close()
    # the same file, with room for one float32 copy and a uint8 one, not for two float32 copies
    store = tc.WxStorage(tmp_path / "wx.sqlite3", limit_bytes=old.bytes_storage + old.bytes_storage // 2)
    store.set("game-progress", {"level": 7})
    art, new = tc.load_artifacts(url, cache=store, cache_key="new", quantize="auto", max_drift=0)
    assert new.saved and new.quantization is None and new.drift == 0.0, new.save_error
    assert new.evicted == ["old"] and sorted(tc.list_models(store)) == ["new"]
    assert store.get("game-progress") == {"level": 7}
    stored, warm = tc.load_artifacts(url, cache=store, cache_key="new")
    assert warm.source == "cache" and stored.weight_data == art.weight_data
    store.close()
