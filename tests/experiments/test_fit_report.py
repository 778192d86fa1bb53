"""The fit advisor: predicted stored bytes against real saves, costs, conversions, output forms."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import numpy as np
import pytest

import tfcache_nb as tc
from tfcache_nb.cache.loader import load_artifacts as policy_load  # saves exactly one form, no runner
from tfcache_nb.experiments.fit import FORMS

REPO = Path(__file__).resolve().parents[2]


def _shared() -> Path | None:
    env = os.environ.get("TFCACHE_NB_MODEL_DIR")
    for candidate in ([Path(env).parent] if env else []) + [REPO.parent / "shared"]:
        if (candidate / "models").is_dir():
            return candidate
    return None


SHARED = _shared()
MOBILENETS = ["mobilenet_v1_0.25_224", "mobilenet_v1_0.75_224", "mobilenet_v1_025_224_graph"]
ZOO = sorted(p.name for p in (SHARED / "zoo").iterdir() if (p / "model.json").is_file()) \
    if SHARED is not None and (SHARED / "zoo").is_dir() else []
REAL = [f"models/{m}" for m in MOBILENETS] + [f"zoo/{m}" for m in ZOO]


def _real(name: str) -> Path:
    if SHARED is None or not (SHARED / name / "model.json").is_file():
        pytest.skip(f"real model {name} absent: ../shared not found and $TFCACHE_NB_MODEL_DIR unset")
    return SHARED / name


@pytest.mark.parametrize("name", REAL or ["models/mobilenet_v1_0.25_224"])
def test_predicted_stored_bytes_match_a_real_save_of_each_form(name, tmp_path):
    folder = _real(name)
    report = tc.fit_report(folder, measure=False)
    assert [f.form for f in report.forms] == list(FORMS)
    for fit in report.forms:
        store = tc.WxStorage(tmp_path / f"{fit.form}.sqlite3", limit_bytes=1 << 30, max_value_bytes=1 << 30)
        _, saved = policy_load(folder, cache=store, quantize=None if fit.form == "as-is" else fit.form)
        assert saved.saved, saved.save_error
        actual = store.info().current_size
        assert abs(actual - fit.stored_bytes) <= 256, (name, fit.form, fit.stored_bytes, actual)
        largest_value = max(size - len(key.encode()) for key, size in store.entry_sizes("").items())
        assert fit.fits == (actual <= 10 * 1024 * 1024 and largest_value <= 1024 * 1024)
        store.close()


def test_mobilenet_forms_fit_and_cost_is_measured(models_dir):
    report = tc.fit_report(models_dir / "mobilenet_v1_0.75_224")
    as_is, f16, u16, u8 = report.forms
    assert not as_is.fits and f16.fits and u16.fits and u8.fits  # 9.9 MB of float32 is 13 MB of base64
    assert as_is.drift == 0.0 and as_is.top1_agreement == 1.0
    assert 0 < u16.drift < 0.05 and u16.top1_agreement == 1.0
    assert u8.drift > u16.drift and u8.stored_bytes < u16.stored_bytes / 1.8
    assert report.runnable and report.classifier and report.suggested.form in ("uint16", "float16")
    assert all(f.warm_load_s > 0 for f in report.forms)
    doc = report.to_dict()
    assert doc["suggested"] == report.suggested.form and len(doc["forms"]) == 4
    html = report._repr_html_()
    assert "uint16" in html and "<table" in html
    assert "quantize='auto' would store" in str(report)


def test_fits_free_checks_the_given_store(synthetic_dir, tmp_path):
    store = tc.WxStorage(tmp_path / "wx.sqlite3")
    for i in range(9):
        store.set(f"someone-else-{i}", "x" * 1_000_000)
    report = tc.fit_report(synthetic_dir, store=store, measure=False)
    as_is = report.form("as-is")
    assert as_is.fits and not as_is.fits_free  # 2.6 MB fits 10 MB, not the 1 MB left
    assert report.free_bytes == store.limit_bytes - store.used_bytes
    assert report.form("uint8").fits_free is (report.form("uint8").stored_bytes <= report.free_bytes)
    store.close()


def _as_float16(artifacts: tc.ModelArtifacts) -> tc.ModelArtifacts:
    return artifacts.quantize("float16")


def test_float16_weights_are_converted_to_uint8_and_int32_kept(synthetic_artifacts):
    half = _as_float16(synthetic_artifacts)
    u8 = half.quantize("uint8")
    for before, after in zip(half.weight_specs, u8.weight_specs):
        if before["dtype"] == "float32":
            assert after["quantization"]["dtype"] == "uint8"
            assert after["quantization"]["original_dtype"] == "float32"
        else:
            assert after == before
    assert len(u8.weight_data) < len(half.weight_data)
    # a two-byte form of a float16 model changes nothing, so 'auto' does not offer it
    assert half.quantize("uint16").weight_data == half.weight_data
    ints = tc.ModelArtifacts(model_topology={}, weight_specs=[
        {"name": "i", "shape": [3], "dtype": "int32"}, {"name": "b", "shape": [2], "dtype": "bool"},
        {"name": "w", "shape": [2], "dtype": "float32", "quantization": {"dtype": "uint16", "min": -1.0,
                                                                          "scale": 0.001, "original_dtype": "float32"}}],
        weight_data=np.array([1, 2, 3], "<i4").tobytes() + b"\x01\x00" + np.array([0, 2000], "<u2").tobytes())
    small = ints.quantize("uint8")
    assert small.weight_specs[:2] == ints.weight_specs[:2]
    assert small.weight_specs[2]["quantization"]["dtype"] == "uint8"
    np.testing.assert_allclose(small.decode_weights()["w"], [-1.0, 1.0], atol=0.01)


def test_auto_saves_a_float16_model_as_uint8_when_only_that_fits(synthetic_artifacts, tmp_path):
    half = _as_float16(synthetic_artifacts)
    folder = tmp_path / "half"
    tc.folder_io(folder).save(half)
    advice = tc.fit_report(folder, measure=False)
    assert not advice.form("float16").changed and not advice.form("uint16").changed
    store = tc.WxStorage(tmp_path / "wx.sqlite3", limit_bytes=advice.form("uint8").stored_bytes + 1000)
    _, report = tc.load_artifacts(folder, cache=store, quantize="auto")
    assert report.saved and report.quantization == "uint8", report.save_error
    assert report.drift is not None and report.drift > 0 and "drift" in str(report)
    store.close()


def test_max_drift_refuses_costly_forms_and_says_so(synthetic_dir, tmp_path):
    store = tc.WxStorage(tmp_path / "wx.sqlite3", limit_bytes=2_000_000)  # only quantized forms fit
    _, report = tc.load_artifacts(synthetic_dir, cache=store, quantize="auto", max_drift=0)
    assert not report.saved and "max_drift 0" in report.save_error and store.keys() == []
    _, loose = tc.load_artifacts(synthetic_dir, cache=store, quantize="auto", max_drift=0.5)
    assert loose.saved and loose.drift <= 0.5
    with pytest.raises(tc.InvalidArgumentError, match="max_drift"):
        tc.load_artifacts(synthetic_dir, cache=store, max_drift=-1)
    store.close()


def test_a_model_that_cannot_run_has_no_drift_and_says_why(synthetic_artifacts, tmp_path):
    topology = json.loads(json.dumps(synthetic_artifacts.model_topology))
    broken = synthetic_artifacts.replace(model_topology={"node": [
        {"name": "in", "op": "Placeholder", "attr": {"dtype": {"type": "DT_FLOAT"}}},
        {"name": "x", "op": "NoSuchOp", "input": ["in"]}]},
                                         format="graph-model")
    folder = tmp_path / "broken"
    tc.folder_io(folder).save(broken)
    report = tc.fit_report(folder)
    assert not report.runnable and "NoSuchOp" in report.drift_error
    assert all(f.drift is None for f in report.forms) and "drift not measured" in str(report)
    assert synthetic_artifacts.model_topology == topology  # the original was not touched
    store = tc.WxStorage(tmp_path / "wx.sqlite3", limit_bytes=2_000_000)
    _, auto = tc.load_artifacts(folder, cache=store, quantize="auto")  # documented order then
    assert auto.saved and auto.quantization in ("uint16", "float16") and "NoSuchOp" in auto.drift_error
    store.close()


def test_given_inputs_are_used(models_dir):
    from matplotlib import cbook

    report = tc.fit_report(models_dir / "mobilenet_v1_0.25_224", inputs=[cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)])
    assert report.inputs == "1 given inputs" and report.form("uint16").top1_agreement in (0.0, 1.0)


def test_plot_shows_each_form_against_the_cap(synthetic_dir):
    fig = tc.fit_report(synthetic_dir).plot()
    ax = fig.axes[0]
    texts = " ".join(t.get_text() for t in ax.texts)
    assert "10 MiB cap" in texts and "drift" in texts
    assert len(ax.patches) >= 4 and not math.isnan(ax.get_xlim()[1])


@pytest.mark.parametrize("measure", [True, False])
def test_the_suggestion_is_what_a_real_auto_save_stores(measure, tmp_path):
    """The advisor asks the cache policy itself, so it names the form a real save chose: by
    measured drift (the public loader's drift meter) or, unmeasured, by the policy's order."""
    folder = _real("models/mobilenet_v1_0.75_224")  # 13 MB as it is: a quantized form must be chosen
    advice = tc.fit_report(folder, measure=measure)
    assert not advice.form("as-is").fits and advice.suggested is not None
    store = tc.WxStorage(tmp_path / "wx.sqlite3")
    load = tc.load_artifacts if measure else policy_load  # with the numpy drift meter, or without
    _, saved = load(folder, cache=store, quantize="auto")
    store.close()
    assert saved.saved, saved.save_error
    assert saved.quantization == advice.suggested.form
    assert advice.to_dict()["suggested"] == saved.quantization
    if measure:
        assert saved.drift == pytest.approx(advice.suggested.drift, rel=1e-6)


def test_the_suggestion_follows_the_given_storage_limit(synthetic_dir, tmp_path):
    sizes = tc.fit_report(synthetic_dir, measure=False)
    limit = sizes.form("uint8").stored_bytes + 1000  # only uint8 fits
    store = tc.WxStorage(tmp_path / "wx.sqlite3", limit_bytes=limit)
    advice = tc.fit_report(synthetic_dir, store=store)
    _, saved = tc.load_artifacts(synthetic_dir, cache=store, quantize="auto")
    store.close()
    assert saved.saved and saved.quantization == "uint8" == advice.suggested.form
    empty = tc.WxStorage(tmp_path / "tiny.sqlite3", limit_bytes=limit // 4)
    assert tc.fit_report(synthetic_dir, store=empty, measure=False).suggested is None
    empty.close()


def test_each_form_is_made_once_and_the_suggestion_reuses_it(synthetic_dir, monkeypatch):
    """The suggestion runs the policy over the forms the report already made: no form is
    quantized a second time (a 13 MB model pays ~25 ms per form)."""
    from tfcache_nb.format.artifacts import ModelArtifacts

    calls: list[str] = []
    real = ModelArtifacts.quantize
    monkeypatch.setattr(ModelArtifacts, "quantize", lambda self, dtype: calls.append(dtype) or real(self, dtype))
    limit = tc.fit_report(synthetic_dir, measure=False).form("uint8").stored_bytes + 1000  # only uint8 fits
    calls.clear()
    store = tc.DictStorage(limit_bytes=limit)
    advice = tc.fit_report(synthetic_dir, store=store, measure=False)
    assert advice.suggested.form == "uint8"
    assert sorted(calls) == ["float16", "uint16", "uint8"]


def test_candidate_forms_offer_forms_already_made_in_the_same_order(synthetic_artifacts):
    from tfcache_nb.cache.policy import candidate_forms

    fresh = list(candidate_forms(synthetic_artifacts, "auto"))
    made = {form: stored for form, stored in fresh if form is not None}
    again = list(candidate_forms(synthetic_artifacts, "auto", made=made))
    assert [form for form, _ in again] == [form for form, _ in fresh]
    assert all(stored is made[form] for form, stored in again if form is not None)
    without_uint16 = {form: stored for form, stored in made.items() if form != "uint16"}
    assert [form for form, _ in candidate_forms(synthetic_artifacts, "auto", made=without_uint16)] \
        == [form for form, _ in fresh if form != "uint16"]
    assert list(candidate_forms(synthetic_artifacts, "uint8", made={})) == []


def test_sizes_only_says_why_drift_was_not_measured(synthetic_dir):
    text = str(tc.fit_report(synthetic_dir, measure=False))
    assert "drift not measured: sizes only (measure=False)" in text and "None" not in text
