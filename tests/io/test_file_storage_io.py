"""file_storage_io: the plugin's raw binary files, written atomically, checked on load."""

from __future__ import annotations

import pytest

import tfcache_nb as tc
from tfcache_nb.io.cache_metadata import CacheMetadata


def test_files_and_round_trip(tmp_path, synthetic_artifacts):
    handler = tc.file_storage_io(tmp_path, "mobilenet")
    handler.save(synthetic_artifacts, metadata=CacheMetadata(sha256=synthetic_artifacts.weights_sha256()))
    names = sorted(p.name for p in (tmp_path / "tensorflowjs_models").iterdir())
    assert names == ["mobilenet_info.json", "mobilenet_model_without_weight.json", "mobilenet_weight_data"]
    assert (tmp_path / "tensorflowjs_models" / "mobilenet_weight_data").read_bytes() == synthetic_artifacts.weight_data
    loaded = handler.load()
    assert loaded.weight_data == synthetic_artifacts.weight_data
    assert loaded.model_topology == synthetic_artifacts.model_topology


def test_damaged_weight_file_is_detected(tmp_path, synthetic_artifacts):
    handler = tc.file_storage_io(tmp_path, "m")
    handler.save(synthetic_artifacts, metadata=CacheMetadata(sha256=synthetic_artifacts.weights_sha256()))
    path = tmp_path / "tensorflowjs_models" / "m_weight_data"
    data = bytearray(path.read_bytes())
    data[1234] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(tc.CacheIntegrityError, match="SHA-256"):
        handler.load()
    path.write_bytes(bytes(data[:-10]))
    with pytest.raises(tc.CacheIntegrityError, match="info says"):
        handler.load()


def test_missing_model_and_bad_prefix(tmp_path):
    with pytest.raises(tc.ModelLoadError):
        tc.file_storage_io(tmp_path, "ghost").load()
    for prefix in ("", "../escape", "a/b", ".."):
        with pytest.raises(tc.InvalidArgumentError, match="non-empty name without path separators") as info:
            tc.file_storage_io(tmp_path, prefix)
        assert repr(prefix) in str(info.value)
    with pytest.raises(tc.InvalidArgumentError, match="a model key must be a non-empty string, not ''"):
        tc.local_storage_io(tc.DictStorage(), "")


def test_remove(tmp_path, synthetic_artifacts):
    handler = tc.file_storage_io(tmp_path, "m")
    handler.save(synthetic_artifacts)
    assert handler.remove() is True
    assert not any((tmp_path / "tensorflowjs_models").iterdir())
    assert handler.remove() is False
