"""The charts: the right artists, readable labels, PNG output, odd names survived."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure

from tfcache_nb.cache.report import LoadReport
from tfcache_nb.storage.wx_storage import WxStorage
from tfcache_nb.viz.charts import figure_png, plot_load_times, plot_predictions, plot_storage
from tfcache_nb.viz.storage_usage import PendingModel, namespace_usage, storage_usage

PNG = b"\x89PNG\r\n\x1a\n"
MB = 1024 * 1024


def _gids(ax, prefix):
    return [p for p in ax.patches if (p.get_gid() or "").startswith(prefix)]


def _texts(fig):
    return "\n".join(t.get_text() for ax in fig.axes for t in ax.texts + [a for a in ax.get_children()
                                                                          if hasattr(a, "get_text")])


def test_usage_splits_models_by_kind(two_users):
    alice, bob, saved, _ = two_users
    u = namespace_usage(alice)
    assert [m.key for m in u.models] == [saved.cache_key]
    m = u.models[0]
    assert m.info_bytes > 0 and m.topology_bytes > 0
    assert m.raw_weight_bytes == saved.weight_bytes
    # base64 makes the weights about a third larger
    assert 1.30 < m.weight_bytes / m.raw_weight_bytes < 1.36
    assert m.total_bytes == u.used_bytes == alice.used_bytes
    b = namespace_usage(bob)
    assert b.models == [] and b.other_keys == 1 and b.other_bytes == bob.used_bytes


def test_two_users_chart_tells_the_story(two_users):
    alice, bob, saved, failed = two_users
    fig = plot_storage([alice, bob], pending={("photo-app", "bob"): [failed]})
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    # one bar per namespace, each with its own cap line at its limit (MB)
    assert [t.get_text().split("\n")[0] for t in ax.get_xticklabels()] == [
        "app: photo-app, user: alice", "app: photo-app, user: bob"]
    caps = [c for c in ax.collections if c.get_gid() == "cap"]
    assert sorted(round(seg[0][1], 3) for c in caps for seg in c.get_segments()) == [2.0, 10.0]
    assert len(_gids(ax, "weights:")) == 1 and len(_gids(ax, "base64:")) == 1
    assert len(_gids(ax, "pending:")) == 1
    ghost = _gids(ax, "pending:")[0]
    assert ghost.get_y() + ghost.get_height() > 2.0  # drawn past bob's cap
    texts = _texts(fig)
    assert "did NOT fit" in texts and "\u26a0" in texts
    assert "raw \u2192" in texts and "as base64" in texts
    assert "MiB" in ax.get_ylabel()
    assert ax.get_legend() is not None and ax.get_title()
    assert figure_png(fig).startswith(PNG)


def test_cap_line_at_ten_megabytes_and_free_space(tmp_path):
    store = WxStorage(tmp_path / "s.sqlite3")
    store.set("k", "v" * 1000)
    fig = plot_storage(store)
    ax = fig.axes[0]
    (cap,) = [c for c in ax.collections if c.get_gid() == "cap"]
    assert cap.get_segments()[0][0][1] == pytest.approx(10.0)
    assert _gids(ax, "free") and "free" in _texts(fig)
    assert not _gids(ax, "pending:") and "did NOT fit" not in _texts(fig)


def test_all_namespaces_of_the_file(two_users):
    alice, _, _, _ = two_users
    usages = storage_usage(alice, namespaces="all")
    assert [(u.app_id, u.user_id) for u in usages] == [("photo-app", "alice"), ("photo-app", "bob")]
    fig = plot_storage(alice, namespaces="all")
    assert len(fig.axes[0].get_xticklabels()) == 2


def test_pending_pairs_and_hostile_names(tmp_path):
    store = WxStorage(tmp_path / "s.sqlite3", app_id="\u5fae\u4fe1" * 30, user_id="$\\frac{x}$ <b>")
    store.set("tensorflowjs_models/" + "\u00e9" * 200 + "$x^/info", "{}")
    fig = plot_storage(store, pending=[("model $with$ dollars " + "x" * 300, 12 * MB),
                                       PendingModel("\u26a0<script>alert(1)</script>", MB)])
    assert len(_gids(fig.axes[0], "pending:")) == 2
    assert figure_png(fig).startswith(PNG)  # long, unicode and '$' names neither crash nor overflow
    assert all(len(line) < 80 for line in _texts(fig).split("\n"))


def test_pending_from_a_saved_report_is_ignored(two_users):
    alice, _, saved, _ = two_users
    fig = plot_storage(alice, pending=[saved])
    assert not _gids(fig.axes[0], "pending:")


def test_bad_inputs_are_refused_clearly(tmp_path):
    with pytest.raises(ValueError, match="at least one"):
        plot_storage([])
    with pytest.raises(TypeError, match="WxStorage"):
        plot_storage(["nope"])
    with pytest.raises(ValueError, match="not plotted"):
        plot_storage(WxStorage(":memory:"), pending={("x", "y"): [("m", 1)]})


def test_load_times_from_reports():
    cold = LoadReport(source="network", cache_key="m", total_s=0.9, phases={"network": 0.7, "save": 0.1})
    warm = LoadReport(source="cache", cache_key="m", total_s=0.05, phases={"storage_read": 0.03, "decode": 0.01})
    fig = plot_load_times([cold, warm])
    ax = fig.axes[0]
    assert {p.get_gid() for p in ax.patches} >= {"phase:network", "phase:save", "phase:storage_read",
                                                 "phase:decode", "phase:other"}
    by_y = {round(t.get_position()[1]): t.get_text() for t in ax.get_yticklabels()}
    assert by_y[1].startswith("#1 cold: network") and by_y[0].startswith("#2 warm: cache")  # first on top
    assert "ms" in ax.get_xlabel() and "faster" in ax.get_title()
    assert figure_png(fig).startswith(PNG)
    with pytest.raises(ValueError):
        plot_load_times([])


def test_load_times_from_experiment_results_delegates():
    class Results:
        records = []

        def plot(self, ax=None):
            return "the results' own chart"

    assert plot_load_times(Results()) == "the results' own chart"


def test_prediction_chart():
    from tfcache_nb.inference.mobilenet import Prediction

    image = np.zeros((40, 60, 3), np.uint8)
    image[:, :30] = 255
    preds = [Prediction(1, "goldfish, Carassius auratus", 0.7), Prediction(2, "x" * 200 + "$", 0.2)]
    fig = plot_predictions(image, preds, note="synthetic model: random weights")
    img_ax, bar_ax = fig.axes
    assert img_ax.images and img_ax.images[0].get_array().shape[:2] == (40, 60)
    bars = [p for p in bar_ax.patches if p.get_gid() == "prediction"]
    assert [round(b.get_width(), 3) for b in bars] == [0.7, 0.2]
    names = sorted(t.get_text() for t in bar_ax.get_yticklabels())
    assert names[0] == "goldfish, Carassius auratus"
    assert names[1].endswith("\u2026") and len(names[1]) <= 36  # a long class name is cut
    assert any("random weights" in t.get_text() for t in fig.texts)
    assert figure_png(fig).startswith(PNG)


def test_charts_draw_from_a_thread(two_users):
    import threading

    alice = two_users[0]
    out = {}
    t = threading.Thread(target=lambda: out.setdefault("png", figure_png(plot_storage(alice.for_namespace(
        "photo-app", "alice")))))
    t.start()
    t.join(30)
    assert out["png"].startswith(PNG)


def test_a_pending_report_lands_on_the_namespace_it_was_loaded_for(tmp_path, synthetic_dir):
    import tfcache_nb as tc

    alice = tc.WxStorage(tmp_path / "wx.sqlite3", app_id="app", user_id="alice")
    bob = alice.for_namespace("app", "bob")
    small = tc.WxStorage(tmp_path / "wx.sqlite3", app_id="app", user_id="bob", limit_bytes=1_000_000)
    _, report = tc.load_artifacts(str(synthetic_dir), cache=small)
    assert not report.saved and report.namespace == ("app", "bob")
    assert report.bytes_needed > report.bytes_free
    usages = storage_usage([alice, bob], pending=[report])
    assert [len(u.pending) for u in usages] == [0, 1]
    assert usages[1].pending[0].bytes_needed == report.bytes_needed
