"""Saving plans forms lazily: a model whose float32 form fits is never quantized."""

from __future__ import annotations

import pytest

import tfcache_nb as tc
from tfcache_nb.cache.policy import candidate_forms, entry_size, items_size
from tfcache_nb.format.artifacts import ModelArtifacts
from tfcache_nb.io.http_io import HttpIOHandler, ModelJsonResult


@pytest.fixture
def server(synthetic_dir):
    with tc.ModelServer(synthetic_dir) as srv:
        yield srv


@pytest.fixture
def quantize_calls(monkeypatch):
    calls: list[str] = []
    real = ModelArtifacts.quantize

    def counting(self, dtype):
        calls.append(dtype)
        return real(self, dtype)

    monkeypatch.setattr(ModelArtifacts, "quantize", counting)
    return calls


def test_candidate_forms_are_made_one_at_a_time(synthetic_artifacts, quantize_calls):
    forms = candidate_forms(synthetic_artifacts, "auto")
    assert next(forms) == (None, synthetic_artifacts) and quantize_calls == []
    second, third, fourth = (form for form, _ in forms)
    assert {second, third} == {"uint16", "float16"} and fourth == "uint8"
    assert sorted(quantize_calls) == ["float16", "uint16", "uint8"]


def test_auto_does_not_quantize_when_float32_fits(server, tmp_path, quantize_calls):
    store = tc.WxStorage(tmp_path / "wx.sqlite3")
    _, report = tc.load_artifacts(server.url + "/model.json", cache=store, quantize="auto")
    assert report.saved and report.quantization is None and quantize_calls == []
    assert list(report.phases) == ["network", "quantize", "save"]
    _, on_disk = tc.load_artifacts(server.url + "/model.json", cache=tmp_path / "usr", quantize="auto")
    assert on_disk.saved and on_disk.quantization is None and quantize_calls == []
    store.close()


def test_auto_quantizes_only_as_far_as_needed_without_a_drift_meter(server, tmp_path, quantize_calls):
    from tfcache_nb.cache.loader import load_artifacts as policy_only  # no runner: the documented order

    store = tc.WxStorage(tmp_path / "wx.sqlite3", limit_bytes=2_000_000)  # float32 needs ~2.6 MB
    _, report = policy_only(server.url + "/model.json", cache=store, quantize="auto")
    assert report.saved and report.quantization in ("uint16", "float16")
    assert sorted(quantize_calls) == ["float16", "uint16"]
    assert report.drift is None and "drift" not in report.phases
    store.close()


def test_auto_with_the_runner_measures_every_fitting_form_and_keeps_the_least_drift(server, tmp_path,
                                                                                     quantize_calls):
    store = tc.WxStorage(tmp_path / "wx.sqlite3", limit_bytes=2_000_000)
    _, report = tc.load_artifacts(server.url + "/model.json", cache=store, quantize="auto")
    assert sorted(quantize_calls) == ["float16", "uint16", "uint8"]  # uint8 fits too, so it is measured
    assert report.saved and report.quantization in ("uint16", "float16")
    assert 0 < report.drift < 0.01 and report.phases["drift"] > 0
    store.close()


def test_a_form_that_cannot_be_made_is_a_save_error(server, tmp_path, monkeypatch):
    def refuse(self, dtype):
        raise tc.ModelFormatError(f"cannot make {dtype}.")

    monkeypatch.setattr(ModelArtifacts, "quantize", refuse)
    url = server.url + "/model.json"
    store = tc.WxStorage(tmp_path / "wx.sqlite3", limit_bytes=2_000_000)
    _, explicit = tc.load_artifacts(url, cache=store, quantize="uint8")
    assert not explicit.saved and explicit.save_error == "could not quantize the model: cannot make uint8."
    _, auto = tc.load_artifacts(url, cache=store, quantize="auto")
    assert not auto.saved and auto.save_error == "could not quantize the model: cannot make uint16."
    assert store.keys() == []
    store.close()


def test_entry_sizes_are_what_the_storage_counts(tmp_path, synthetic_artifacts):
    store = tc.WxStorage(tmp_path / "wx.sqlite3")
    handler = tc.local_storage_io(store, "mobilenet")
    items = handler.planned_items(synthetic_artifacts)
    handler.save(synthetic_artifacts, items=items)
    assert items_size(items) == store.used_bytes == handler.stored_bytes()
    assert entry_size("clé", {"é": [1, 2.5, None]}) == len("clé".encode()) + len('{"é":[1,2.5,null]}'.encode())
    store.close()


def test_a_304_to_a_plain_request_is_a_clear_error(server, tmp_path, monkeypatch):
    url = server.url + "/model.json"
    monkeypatch.setattr(HttpIOHandler, "fetch_model_json",
                        lambda self, **kw: ModelJsonResult(None, None, None, True, 0, self.url))
    store = tc.WxStorage(tmp_path / "wx.sqlite3")
    with pytest.raises(tc.ModelLoadError, match="answered 304 Not Modified to a plain request"):
        tc.load_artifacts(url, cache=store)
    assert store.keys() == []
    store.close()
