"""run_experiment(clients=[...]) and `tfcache-nb bench --client`: the toolkit and the real
TensorFlow.js in Chromium run the same trials against the same kind of server, side by side."""

from __future__ import annotations

import csv
import io

import pytest

from tfcache_nb.cli.main import main
from tfcache_nb.experiments.runner import run_experiment
from tfcache_nb.netsim.profiles import Profile

pytestmark = pytest.mark.browser

BOTH = ["tfcache_nb", "tfjs-chromium"]
#: where only the cache matters, not the network
FAST = Profile(rtt_ms=20.0, down_kbps=200_000.0, name="test-fast")


@pytest.fixture
def tfjs_env(tfjs_js, monkeypatch):
    """The runner starts its own browser client: point it at the session's tf.min.js."""
    monkeypatch.setenv("TFCACHE_NB_TFJS", str(tfjs_js))


def _files(folder):
    import json

    doc = json.loads((folder / "model.json").read_text())
    return 1 + sum(len(g["paths"]) for g in doc["weightsManifest"])


def test_both_clients_run_the_same_trials_side_by_side(tfjs_env, tiny_model, seconds_profile, tmp_path):
    results = run_experiment(tiny_model, [seconds_profile], clients=BOTH, storages=["wx", "indexeddb"],
                             trials=1, seed=3, concurrency=2, workdir=tmp_path)
    by = {(r["client"], r["kind"]): r for r in results.records}
    assert set(by) == {(c, k) for c in BOTH for k in ("cold", "warm")}
    assert by[("tfcache_nb", "cold")]["storage"] == "wx"
    assert by[("tfjs-chromium", "cold")]["storage"] == "indexeddb"
    for client in BOTH:
        cold, warm = by[(client, "cold")], by[(client, "warm")]
        assert cold["server_requests"] == _files(tiny_model) and cold["source"] == "network"
        assert cold["saved"] and warm["warm_from_cache"] and warm["server_requests"] == 0
        # the same seeded profile: each client's network phase within 20% of the latency model
        assert cold["expected_s"] > 1.0
        assert abs(cold["network_over_expected"] - 1) < 0.20, (client, cold)
    # and of each other
    toolkit, browser = (by[(c, "cold")]["phase_network_s"] for c in BOTH)
    assert abs(browser / toolkit - 1) < 0.20
    assert results.meta["clients"] == BOTH and "4.22.0" in results.meta["tfjs"]
    assert results.warnings == []

    rows = results.summary()
    assert [(r["client"], r["storage"]) for r in rows] == [("tfcache_nb", "wx"), ("tfjs-chromium", "indexeddb")]
    assert "expected cold" in str(results.table()) and "tfjs-chromium" in str(results.table(wide=True))
    table_csv = list(csv.DictReader(io.StringIO(results.to_csv())))
    assert sorted({r["client"] for r in table_csv}) == BOTH
    fig = results.plot()
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert any("tfjs-chromium" in label for label in labels) and any("tfcache_nb" in label for label in labels)


def test_a_model_that_does_not_fit_localstorage_is_reported(tfjs_env, big_model, tmp_path):
    results = run_experiment(big_model, [FAST], clients=["tfjs-chromium"],
                             storages=["localstorage"], trials=1, workdir=tmp_path)
    cold, warm = results.records
    assert cold["client"] == "tfjs-chromium" and not cold["saved"]
    assert "does not fit in Chromium's localStorage" in cold["note"]
    assert not warm["warm_from_cache"] and warm["source"] == "failed" and warm["server_requests"] == 0
    assert any("not the cache" in w for w in results.warnings)
    assert "!" in str(results.table())


def test_bench_client_option_runs_both(tfjs_env, tiny_model, tmp_path, capsys):
    out_csv = tmp_path / "bench.csv"
    rc = main(["bench", "--model-dir", str(tiny_model), "--profile", "lte", "--client", "tfcache_nb",
               "--client", "tfjs-chromium", "--trials", "1", "--csv", str(out_csv), "--no-progress"])
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    lines = captured.out.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("model "))
    assert "client" in lines[header]
    rows = lines[header + 2: header + 4]
    assert [r.split()[2][:8] for r in rows] == ["tfcache_", "tfjs-chr"]
    records = list(csv.DictReader(out_csv.open(newline="", encoding="utf-8")))
    assert sorted({(r["client"], r["storage"]) for r in records}) == [("tfcache_nb", "wx"),
                                                                       ("tfjs-chromium", "indexeddb")]


def test_the_run_deadline_cuts_a_trickling_server_off_in_the_browser_too(tfjs_env, tiny_model, tmp_path):
    import time

    from tfcache_nb.errors import ModelLoadError
    from tfcache_nb.netsim.faults import Fault

    trickle = FAST.with_(faults=(Fault.trickle(1.0, path="*shard*"),))  # 1 byte a second
    start = time.monotonic()
    with pytest.raises(ModelLoadError, match="took longer than 3 s"):
        run_experiment(tiny_model, [trickle], clients=["tfjs-chromium"], trials=1, deadline=3,
                       workdir=tmp_path)
    assert time.monotonic() - start < 20  # the deadline, plus starting Chromium and closing up


def test_bench_storage_file_with_both_clients_names_what_each_used(tfjs_env, tiny_model, tmp_path, capsys):
    """The browser cannot use the toolkit's file storage: it uses its default, and says so."""
    import json

    out_csv = tmp_path / "bench.csv"
    rc = main(["bench", "--model-dir", str(tiny_model), "--profile", "lte", "--storage", "file",
               "--client", "tfcache_nb", "--client", "tfjs-chromium", "--trials", "1", "--csv", str(out_csv),
               "--no-progress", "--json"])
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    assert "clients tfcache_nb (storage file), tfjs-chromium (storage indexeddb)" in captured.err
    doc = json.loads(captured.out)
    assert doc["meta"]["client_storages"] == {"tfcache_nb": ["file"], "tfjs-chromium": ["indexeddb"]}
    assert doc["meta"]["storages"] == ["file", "indexeddb"]
    assert [(r["client"], r["storage"]) for r in doc["summary"]] == [("tfcache_nb", "file"),
                                                                     ("tfjs-chromium", "indexeddb")]
    records = list(csv.DictReader(out_csv.open(newline="", encoding="utf-8")))
    assert sorted({(r["client"], r["storage"]) for r in records}) == [("tfcache_nb", "file"),
                                                                       ("tfjs-chromium", "indexeddb")]
    rc = main(["bench", "--model-dir", str(tiny_model), "--profile", "lte", "--storage", "file",
               "--client", "tfcache_nb", "--client", "tfjs-chromium", "--trials", "1", "--no-progress"])
    table = capsys.readouterr().out.splitlines()
    header = next(i for i, line in enumerate(table) if line.startswith("model "))
    assert "storage" in table[header]
    rows = table[header + 2: header + 4]
    assert "file" in rows[0] and "indexeddb" in rows[1] and "file" not in rows[1]
