"""The dashboard driven without a browser: clicks and values, as a user would set them."""

from __future__ import annotations

import datetime

import pytest

from tfcache_nb.io.management import list_models
from tfcache_nb.netsim.profiles import Profile
from tfcache_nb.storage.wx_storage import WxStorage
from tfcache_nb.widgets.dashboard import Dashboard
from tfcache_nb.widgets.load_panel import TYPED
from tfcache_nb.widgets.predict_panel import UPLOADED

NOW = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
FAST = Profile(rtt_ms=1.0, down_kbps=2_000_000.0, name="test-fast")


@pytest.fixture
def dash(tmp_path):
    store = WxStorage(tmp_path / "s.sqlite3", app_id="demo-app", user_id="alice")
    d = Dashboard(store, model_dir=tmp_path / "no-models", background=False, real_urls=False,
                  profiles={"test-fast": FAST}, load_options={"retries": 0})
    synthetic = [k for k in d.load_panel.sources if "synthetic" in k]
    assert synthetic and "random weights" in synthetic[0]
    d.load_panel.source.value = synthetic[0]
    yield d, store
    d.close()
    store.close()


def test_load_warm_remove_clear(dash):
    d, store = dash
    lp = d.load_panel
    redraws = d.storage_panel.redraws
    chart = d.storage_panel.chart.value
    lp.load.click()
    assert d.error.value == ""
    assert "<b>network</b>" in lp.report.value and "random weights" in lp.report.value
    assert lp.progress.value == lp.progress.max
    assert d.storage_panel.redraws == redraws + 1 and d.storage_panel.chart.value != chart
    assert d.storage_panel.chart.value.tobytes().startswith(b"\x89PNG")
    assert len(list_models(store)) == 1

    lp.load.click()
    assert "<b>cache</b>" in lp.report.value
    lp.remove.click()
    assert list_models(store) == {} and "Removed model" in lp.report.value
    lp.remove.click()  # removing again: a readable error, the controls stay usable
    assert "no model named" in d.error.value and not lp.load.disabled

    store.set("other", 1)
    lp.load.click()
    assert d.error.value == ""
    lp.clear.click()
    assert store.keys() == [] and "Cleared" in lp.report.value


def test_other_user_is_isolated_and_shown(dash):
    d, store = dash
    lp = d.load_panel
    lp.load.click()
    lp.user_id.value = "bob"
    assert list_models(d.store()) == {}
    ticks = [t.get_text() for t in d.storage_panel.figure.axes[0].get_xticklabels()]
    assert ticks[0].startswith("app: demo-app, user: bob") and "user: alice" in ticks[1]
    lp.load.click()
    assert "<b>network</b>" in lp.report.value and len(list_models(store)) == 1


def test_model_that_does_not_fit_is_marked(tmp_path):
    store = WxStorage(tmp_path / "s.sqlite3", limit_bytes=1024 * 1024)
    d = Dashboard(store, model_dir=tmp_path, background=False, real_urls=False)
    try:
        d.load_panel.source.value = [k for k in d.load_panel.sources if "synthetic" in k][0]
        d.load_panel.load.click()
        assert "not saved" in d.load_panel.report.value or "no:" in d.load_panel.report.value
        ax = d.storage_panel.figure.axes[0]
        assert [p for p in ax.patches if (p.get_gid() or "").startswith("pending:")]
    finally:
        d.close()


def test_error_is_one_line_and_controls_stay_usable(dash):
    d, store = dash
    lp = d.load_panel
    lp.url.value = "http://127.0.0.1:9/model.json"
    assert lp.source.value == TYPED
    lp.load.click()
    assert "tfcache-error" in d.error._dom_classes
    assert "127.0.0.1:9" in d.error.value and "Traceback" not in d.error.value
    assert not any(b.disabled for b in lp.buttons)
    lp.url.value = "http://127.0.0.1:9/<script>x</script>"
    lp.load.click()
    assert "<script>" not in d.error.value
    lp.url.value = ""
    lp.source.value = [k for k in lp.sources if "synthetic" in k][0]
    lp.load.click()
    assert d.error.value == "" and "<b>network</b>" in lp.report.value


def test_background_load_disables_buttons_then_reenables(tmp_path):
    store = WxStorage(tmp_path / "s.sqlite3")
    d = Dashboard(store, model_dir=tmp_path, background=True, real_urls=False)
    try:
        d.load_panel.source.value = [k for k in d.load_panel.sources if "synthetic" in k][0]
        d.load_panel.load.click()
        d.wait(60)
        assert not d.jobs.busy and not d.load_panel.load.disabled
        assert "<b>network</b>" in d.load_panel.report.value, d.error.value
    finally:
        d.close()


def test_css_classes_for_browser_tests(dash):
    d, _ = dash
    assert "tfcache-dashboard" in d.widget._dom_classes
    assert "tfcache-load" in d.load_panel.load._dom_classes
    assert "tfcache-storage-chart" in d.storage_panel.chart._dom_classes
    bundle = d._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle


def test_experiment_panel_runs_one_trial(dash):
    d, _ = dash
    ep = d.experiment_panel
    ep.trials.value = 1
    ep.chosen.value = ("test-fast",)
    assert ep.plot.layout.display == "none"  # no broken-image icon before the first run
    ep.run.click()
    assert ep.plot.layout.display is None
    assert d.error.value == "", d.error.value
    assert ep.progress.value == ep.progress.max == 1.0 and ep.progress.description == "1/1 trials"
    assert ep.eta.value and "1 trial done in" in ep.eta.value
    assert ep.plot.value.tobytes().startswith(b"\x89PNG")
    assert "data:text/csv;base64," in ep.csv.value and ep.summary.value


def test_experiment_panel_runs_trials_at_once(dash):
    d, _ = dash
    ep = d.experiment_panel
    ep.trials.value, ep.concurrency.value = 2, 2
    ep.chosen.value = ("test-fast",)
    ep.run.click()
    assert d.error.value == "", d.error.value
    assert ep.results.meta["concurrency"] == 2 and len(ep.results.records) == 4
    assert {r["user"] for r in ep.results.records} <= {0, 1}   # at most two simulated users
    assert ep.progress.description == "2/2 trials" and "2 done, 0 running" in ep.progress.tooltip


def test_prediction_with_sample_and_upload(dash):
    d, _ = dash
    pp = d.predict_panel
    assert "grace_hopper.jpg" in pp.sample.options
    pp.sample.value = "grace_hopper.jpg"
    pp.topk.value = 3
    assert pp.chart.layout.display == "none"  # no broken-image icon before the first prediction
    pp.classify.click()  # nothing loaded yet: the selected model is loaded first
    assert d.error.value == "", d.error.value
    assert len(pp.predictions) == 3 and pp.chart.value.tobytes().startswith(b"\x89PNG")
    assert pp.chart.layout.display is None
    assert "random weights" in pp.table.value

    data = open(pp.samples["grace_hopper.jpg"], "rb").read()
    pp.upload.value = ({"name": "me.jpg", "type": "image/jpeg", "size": len(data),
                        "content": memoryview(data), "last_modified": NOW},)
    assert pp.sample.value == UPLOADED
    pp.classify.click()
    assert d.error.value == "" and len(pp.predictions) == 3

    pp.upload.value = ({"name": "bad.jpg", "type": "image/jpeg", "size": 3,
                        "content": memoryview(b"not"), "last_modified": NOW},)
    pp.classify.click()
    assert "cannot be decoded" in d.error.value and not pp.classify.disabled


def test_fit_table_for_the_selected_model_before_it_is_loaded(dash):
    d, store = dash
    d.fit_panel.check.click()
    assert d.error.value == ""
    html = d.fit_panel.table.value
    for form in ("as-is", "float16", "uint16", "uint8"):
        assert form in html
    assert "fits free" in html and "demo-app" in html
    assert list_models(store) == {}  # nothing was loaded or saved
    report = d.fit_panel.last_report
    assert report.form("as-is").fits_free is True and report.runnable
