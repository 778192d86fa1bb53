"""A plain file storage folder as ``cache=``: saves are planned like every other area.

The folder has no limit and nothing to evict, but ``max_drift`` and the drift-based choice of
a quantized form apply there exactly as in local storage. A real ModelServer on 127.0.0.1
serves the synthetic MobileNet; drift is measured by the numpy runner (tc.load_artifacts).
"""

from __future__ import annotations

import json

import pytest

import tfcache_nb as tc
from tfcache_nb.io.file_storage_io import MODELS_DIR, list_file_models


@pytest.fixture
def url(synthetic_dir):
    with tc.ModelServer(synthetic_dir) as srv:
        yield srv.url + "/model.json"


def test_max_drift_refuses_a_costly_form_in_a_folder_and_says_why(url, tmp_path):
    folder = tmp_path / "usr"
    _, report = tc.load_artifacts(url, cache=folder, cache_key="m", quantize="uint8", max_drift=0)
    assert report.source == "network" and not report.saved
    assert "uint8" in report.save_error and "max_drift 0" in report.save_error, report.save_error
    assert "free" not in report.save_error  # a folder has no limit: space is not the reason
    assert report.bytes_needed is None and report.bytes_free is None
    assert list_file_models(folder) == []  # nothing written

    with pytest.raises(tc.StorageError, match="refused.*uint8.*max_drift 0"):
        tc.load_artifacts(url, cache=folder, cache_key="m", quantize="uint8", max_drift=0, on_full="error")
    assert list_file_models(folder) == []


def test_max_drift_without_a_meter_refuses_every_quantized_form(url, tmp_path):
    from tfcache_nb.cache.loader import load_artifacts  # the cache layer alone: no drift meter

    folder = tmp_path / "usr"
    _, report = load_artifacts(url, cache=folder, quantize="float16", max_drift=0.5)
    assert not report.saved and "could not be measured" in report.save_error
    assert list_file_models(folder) == []


def test_an_acceptable_quantized_form_is_saved_with_its_measured_drift(url, tmp_path):
    folder = tmp_path / "usr"
    art, report = tc.load_artifacts(url, cache=folder, cache_key="m", quantize="uint16", max_drift=0.5)
    assert report.saved and report.quantization == "uint16" and report.tier == "file"
    assert report.drift is not None and 0 < report.drift <= 0.5
    # the plugin's fileStorageIO layout, byte for byte
    base = folder / MODELS_DIR
    assert sorted(p.name for p in base.iterdir()) == ["m_info.json", "m_model_without_weight.json", "m_weight_data"]
    stored, warm = tc.load_artifacts(url, cache=folder, cache_key="m")
    assert warm.source == "cache" and warm.quantization == "uint16"
    assert (base / "m_weight_data").read_bytes() == stored.weight_data
    assert json.loads((base / "m_model_without_weight.json").read_text())["weightSpecs"] \
        == stored.weight_specs
    assert len(stored.weight_data) < len(art.weight_data)


def test_auto_with_max_drift_0_stores_the_model_as_it_is_in_a_folder(url, tmp_path):
    folder = tmp_path / "usr"
    art, report = tc.load_artifacts(url, cache=folder, quantize="auto", max_drift=0)
    assert report.saved and report.quantization is None and report.drift == 0.0
    stored, warm = tc.load_artifacts(url, cache=folder)
    assert warm.source == "cache" and stored.weight_data == art.weight_data
