"""run_experiment against a real ModelServer on 127.0.0.1 with fast simulated profiles."""

from __future__ import annotations

import csv
import io
import math

import pytest

from tfcache_nb.experiments.results import ExperimentResults
from tfcache_nb.cli.bench import storages_said
from tfcache_nb.experiments.runner import client_storages, derive_seed, run_experiment
from tfcache_nb.netsim.latency_model import expected_load_time
from tfcache_nb.netsim.profiles import Profile
from tfcache_nb.netsim.server import ModelServer


def _pairs(records):
    cold = {(r["profile"], r["storage"], r["trial"]): r for r in records if r["kind"] == "cold"}
    warm = {(r["profile"], r["storage"], r["trial"]): r for r in records if r["kind"] == "warm"}
    assert cold.keys() == warm.keys()
    return [(cold[k], warm[k]) for k in cold]


def test_every_trial_is_a_cold_network_load_then_a_faster_warm_cache_load(experiment, fast_profiles, model_folder):
    results, _ = experiment
    assert len(results.records) == len(fast_profiles) * 3 * 2
    pairs = _pairs(results.records)
    assert len(pairs) == 9
    for cold, warm in pairs:
        assert cold["source"] == "network" and cold["saved"] is True
        assert warm["source"] == "cache" and warm["warm_from_cache"] is True
        assert warm["total_s"] < cold["total_s"]
        assert cold["bytes_network"] > 1_000_000 and warm["bytes_network"] == 0
        assert cold["requests"] >= 2 and warm["requests"] == 0
        assert warm["bytes_storage"] > 1_000_000
        # the simulated network's deliberate delays were honoured (lower bound only)
        assert cold["phase_network_s"] >= 0.8 * cold["expected_s"]
        assert warm["phase_network_s"] == 0.0 and warm["phase_storage_read_s"] > 0
        assert cold["model"] == model_folder.name and cold["source_url"].startswith("http://127.0.0.1:")
    assert results.warnings == []


def test_every_record_has_every_column_with_phases(experiment, fast_profiles):
    results, _ = experiment
    columns = results.columns()
    for r in results.records:
        assert list(r) == columns
    for name in ("model", "source_url", "profile", "storage", "trial", "kind", "total_s",
                 "bytes_network", "bytes_storage", "requests", "source", "expected_s",
                 "phase_network_s", "phase_save_s", "phase_storage_read_s"):
        assert name in columns
    assert {r["profile"] for r in results.records} == {p.name for p in fast_profiles}


def test_callback_is_called_once_per_trial(experiment):
    results, calls = experiment
    assert [c[0] for c in calls] == list(range(1, 10))
    assert {c[1] for c in calls} == {9}
    for _, _, trial in calls:
        assert trial["cold"]["kind"] == "cold" and trial["warm"]["kind"] == "warm"
        assert trial["cold"]["trial"] == trial["trial"]
    assert [c[2]["cold"]["total_s"] for c in calls] == \
        [r["total_s"] for r in results.records if r["kind"] == "cold"]


def test_summary_has_every_figure_and_they_agree(experiment, fast_profiles, model_folder):
    results, _ = experiment
    rows = results.summary()
    assert [r["profile"] for r in rows] == [p.name for p in fast_profiles]
    for row, profile in zip(rows, fast_profiles):
        assert row["n"] == 3 and row["warm_from_cache"] == 3 and row["storage"] == "wx"
        for kind in ("cold", "warm"):
            assert row[f"{kind}_p5_s"] <= row[f"{kind}_median_s"] <= row[f"{kind}_p95_s"]
            assert row[f"{kind}_ci_low_s"] <= row[f"{kind}_mean_s"] <= row[f"{kind}_ci_high_s"]
            times = sorted(r["total_s"] for r in results.records
                           if r["kind"] == kind and r["profile"] == profile.name)
            assert row[f"{kind}_median_s"] == pytest.approx(times[1])
            assert row[f"{kind}_mean_s"] == pytest.approx(sum(times) / 3)
        assert row["speedup"] == pytest.approx(row["cold_median_s"] / row["warm_median_s"])
        assert row["speedup"] > 1
        assert row["expected_s"] == pytest.approx(expected_load_time(model_folder, profile).total_s)
        assert row["measured_over_expected"] == pytest.approx(
            row["cold_network_median_s"] / row["expected_s"])
        assert math.isfinite(row["measured_over_expected"]) and row["measured_over_expected"] > 0.8


def test_summary_table_and_html(experiment, fast_profiles):
    results, _ = experiment
    lines = results.summary_table(wide=True).splitlines()
    assert "cold median" in lines[0] and "speed-up" in lines[0] and "expected cold" in lines[0]
    assert len(lines) == 2 + len(fast_profiles)
    for p in fast_profiles:
        assert any(p.name in line for line in lines[2:])
    html = results._repr_html_()
    assert html.count("<tr>") == 1 + len(fast_profiles) and "speed-up" in html


def test_html_escapes_names_from_users():
    rec = {"model": "<script>alert(1)</script>", "source_url": "http://x/?a=<b>", "profile": "p&q",
           "storage": "wx", "trial": 0, "total_s": 1.0, "bytes_network": 10, "bytes_storage": 0,
           "requests": 1, "expected_s": 0.5}
    results = ExperimentResults([{**rec, "kind": "cold", "source": "network"},
                                 {**rec, "kind": "warm", "source": "cache", "total_s": 0.01,
                                  "expected_s": None}], warnings=["<img src=x onerror=1>"])
    html = results._repr_html_()
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<img" not in html and "p&amp;q" in html


def test_csv_has_one_row_per_load_and_parses_back(experiment, tmp_path):
    results, _ = experiment
    text = results.to_csv()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == len(results.records)
    for row, rec in zip(rows, results.records):
        assert row["kind"] == rec["kind"] and row["profile"] == rec["profile"]
        assert float(row["total_s"]) == pytest.approx(rec["total_s"])
        assert int(row["bytes_network"]) == rec["bytes_network"]
        assert float(row["phase_network_s"]) == pytest.approx(rec["phase_network_s"])
        assert (row["expected_s"] == "") == (rec["expected_s"] is None)
    path = results.to_csv(tmp_path / "out.csv")
    assert path.read_text(encoding="utf-8") == text


def test_plot_is_a_log_scale_png_with_the_expected_times_marked(experiment, fast_profiles, tmp_path):
    results, _ = experiment
    fig = results.plot()
    ax = fig.axes[0]
    assert ax.get_yscale() == "log"
    expected_marks = [ln for ln in ax.get_lines() if ln.get_gid() == "expected-cold"]
    assert all(ln.get_marker() == "_" for ln in expected_marks)
    assert sorted(float(ln.get_ydata()[0]) for ln in expected_marks) == \
        pytest.approx(sorted(r["expected_s"] for r in results.summary()))
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any("expected" in t for t in labels) and any("cold" in t for t in labels) \
        and any("warm" in t for t in labels)
    assert [t.get_text().split("\n")[0] for t in ax.get_xticklabels()] == [p.name for p in fast_profiles]
    assert "Cold" in ax.get_title() and "log" in ax.get_ylabel()
    out = tmp_path / "plot.png"
    fig.savefig(out)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plot_draws_into_a_given_axes():
    from matplotlib.figure import Figure

    fig = Figure()
    ax = fig.add_subplot()
    rec = {"model": "m", "source_url": "u", "profile": "p", "storage": "wx", "trial": 0,
           "bytes_network": 1, "bytes_storage": 1, "requests": 1}
    results = ExperimentResults([{**rec, "kind": "cold", "total_s": 2.0, "expected_s": 1.5, "source": "network"},
                                 {**rec, "kind": "warm", "total_s": 0.02, "expected_s": None, "source": "cache"}])
    assert results.plot(ax=ax) is fig and ax.get_yscale() == "log"


def test_same_seed_gives_the_same_jitter(model_folder):
    profile = Profile(rtt_ms=20.0, down_kbps=100_000.0, jitter_ms=15.0, name="jittery")

    def run(seed):
        res = run_experiment(model_folder, [profile], trials=2, seed=seed)
        cold = [r for r in res.records if r["kind"] == "cold"]
        return [r["jitter_seed"] for r in cold], [r["server_rtt_total_s"] for r in cold], cold

    seeds_a, rtt_a, cold_a = run(3)
    seeds_b, rtt_b, _ = run(3)
    seeds_c, rtt_c, _ = run(4)
    assert seeds_a == seeds_b == [derive_seed(3, 0), derive_seed(3, 1)]
    assert rtt_a == pytest.approx(rtt_b, abs=1e-12)
    assert seeds_c != seeds_a and rtt_c != pytest.approx(rtt_a, abs=1e-6)
    # the server drew exactly the profile's seeded sequence, one sample per request
    for seed, rtt, rec in zip(seeds_a, rtt_a, cold_a):
        samples = profile.with_(seed=seed).rtt_samples(rec["server_requests"])
        assert rtt == pytest.approx(sum(samples), abs=1e-9)
        assert len(set(samples)) > 1  # jitter is really there


def test_memory_and_file_storages_are_warm_too(model_folder, tmp_path):
    fast = Profile(rtt_ms=10.0, down_kbps=100_000.0, name="quick")
    res = run_experiment(str(model_folder), fast, storages=("memory", "file"), trials=1,
                         workdir=tmp_path)
    pairs = _pairs(res.records)
    assert {c["storage"] for c, _ in pairs} == {"memory", "file"}
    for cold, warm in pairs:
        assert warm["source"] == "cache" and warm["total_s"] < cold["total_s"]
    by_storage = {c["storage"]: w for c, w in pairs}
    # the plugin's file storage keeps raw bytes; local storage keeps base64 text (about 4/3)
    assert by_storage["memory"]["bytes_storage"] > 1.3 * by_storage["file"]["bytes_storage"]
    assert (tmp_path / "file_storage").is_dir()
    assert res.meta["storages"] == ["memory", "file"]
    assert res.meta["client_storages"] == {"tfcache_nb": ["memory", "file"]}


@pytest.mark.parametrize("clients, storages, used, said", [
    (["tfcache_nb", "tfjs-chromium"], ["file"], {"tfcache_nb": ["file"], "tfjs-chromium": ["indexeddb"]},
     "clients tfcache_nb (storage file), tfjs-chromium (storage indexeddb)"),
    (["tfcache_nb", "tfjs-chromium"], ["wx", "localstorage"],
     {"tfcache_nb": ["wx"], "tfjs-chromium": ["localstorage"]},
     "clients tfcache_nb (storage wx), tfjs-chromium (storage localstorage)"),
    (["tfjs-chromium"], ["wx"], {"tfjs-chromium": ["indexeddb"]}, "client tfjs-chromium (storage indexeddb)"),
    (["tfcache_nb"], ["memory", "file"], {"tfcache_nb": ["memory", "file"]}, "storage memory, file"),
])
def test_each_client_is_labelled_with_the_storage_it_really_uses(clients, storages, used, said):
    """The browser never uses the toolkit's storages: `bench --storage file` with both clients
    must not call the browser's storage "file" (records, settings line and meta use this)."""
    assert client_storages(clients, storages) == used
    assert storages_said(used) == said


def test_a_browser_storage_without_the_browser_client_is_refused():
    with pytest.raises(ValueError, match="belong to the tfjs-chromium client"):
        client_storages(["tfcache_nb"], ["wx", "indexeddb"])


def test_a_warm_load_that_misses_the_cache_is_flagged(tmp_path):
    from tfcache_nb.format.synthetic import write_synthetic_mobilenet

    big = write_synthetic_mobilenet(tmp_path / "mobilenet_v1_1.0_224", alpha=1.0)  # ~17 MB > 10 MB
    fast = Profile(rtt_ms=5.0, down_kbps=1_000_000.0, name="lan")
    res = run_experiment(big, fast, trials=1)
    cold, warm = _pairs(res.records)[0]
    assert cold["saved"] is False and "not saved" in cold["note"]
    assert warm["source"] == "network" and warm["warm_from_cache"] is False
    assert "NOT WARM" in warm["note"]
    assert res.warnings and "not the cache" in res.warnings[0]
    assert res.summary()[0]["warm_from_cache"] == 0
    assert "not cached!" in res.summary_table(wide=True) and "warning:" in res.summary_table(wide=True)
    compact = res.summary_table()
    assert " !" in compact.splitlines()[2] and "! = some of these warm loads did not come from the cache" in compact


def test_url_sources_are_loaded_directly_and_say_so(model_folder):
    with ModelServer(model_folder) as server:
        url = server.url + "/model.json"
        res = run_experiment(url, ["4g", "wifi"], trials=1)
    assert {r["profile"] for r in res.records} == {"direct"}
    assert len(res.records) == 2
    for r in res.records:
        assert r["profile_applied"] is False and "no network profile applied" in r["note"]
        assert r["expected_s"] is None and r["source_url"] == url
    assert any("cannot be applied" in w for w in res.warnings)
    assert math.isnan(res.summary()[0]["expected_s"])


def test_progress_on_a_log_is_one_line_per_trial_with_the_time_left(model_folder):
    stream = io.StringIO()  # not a terminal: no carriage returns, a line per finished trial
    run_experiment(model_folder, Profile(rtt_ms=5.0, down_kbps=200_000.0, name="quick"), trials=2,
                   progress=True, progress_stream=stream)
    lines = stream.getvalue().splitlines()
    assert "\r" not in stream.getvalue()
    assert lines[0].startswith("2 trials; the latency model expects about ")
    assert lines[1].startswith("trial 1/2 \u00b7 ") and "quick" in lines[1] and "warm" in lines[1]
    assert "left" in lines[1] and lines[2].startswith("trial 2/2 ") and len(lines) == 3


@pytest.mark.parametrize("kwargs, message", [
    ({"storages": ("cloud",)}, "unknown storage kind"),
    ({"trials": 0}, "trials must be at least 1"),
    ({"profiles": ("5g-ultra",)}, "unknown network profile"),
])
def test_bad_options_are_one_clear_error(model_folder, kwargs, message):
    with pytest.raises(ValueError, match=message):
        run_experiment(model_folder, **kwargs)


def test_a_folder_without_a_model_is_refused(tmp_path):
    with pytest.raises(ValueError, match="no model.json"):
        run_experiment(tmp_path)
