"""Concurrent trials: independent simulated users overlap, each on its own link and storage.

The profile has a deliberate round trip of 1.2 s and a fast link, so a cold load of the
tiny model is about two round trips: the time is the simulated delay, not this machine's
speed, and the tolerances are generous.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest

from tfcache_nb.experiments.progress import Estimator, RunProgress
from tfcache_nb.experiments.runner import run_experiment
from tfcache_nb.format.weights import encode_weights
from tfcache_nb.netsim.latency_model import expected_load_time
from tfcache_nb.netsim.profiles import Profile

SLOW_RTT = Profile(rtt_ms=1200.0, down_kbps=50_000.0, name="slow-rtt")


def _tiny_model(folder: Path) -> Path:
    """Three shards of 3 KB: a cold load is model.json, then the shards in parallel."""
    specs, data = encode_weights([("w", np.random.default_rng(1).standard_normal(2304).astype("float32"))])
    paths = [f"group1-shard{i + 1}of3" for i in range(3)]
    folder.mkdir(parents=True)
    for i, name in enumerate(paths):
        (folder / name).write_bytes(data[i * 3072:(i + 1) * 3072])
    (folder / "model.json").write_text(json.dumps({
        "format": "layers-model", "generatedBy": "tests/experiments",
        "modelTopology": {"class_name": "Sequential", "config": {"name": "tiny", "layers": []}},
        "weightsManifest": [{"paths": paths, "weights": specs}]}))
    return folder


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    return _tiny_model(tmp_path_factory.mktemp("concurrency") / "tiny")


def test_concurrent_trials_overlap_and_keep_their_own_timings(tiny, tmp_path):
    expected = expected_load_time(tiny, SLOW_RTT).total_s
    assert 2.0 < expected < 3.0                               # two round trips of 1.2 s
    seen: list[RunProgress] = []
    t0 = time.monotonic()
    results = run_experiment(tiny, SLOW_RTT, storages=("wx",), trials=4, concurrency=4,
                             workdir=tmp_path, on_progress=seen.append)
    wall = time.monotonic() - t0
    cold = [r for r in results.records if r["kind"] == "cold"]
    assert [r["trial"] for r in cold] == [0, 1, 2, 3]           # run order, whatever finished first
    trial_s = sum(r["total_s"] for r in results.records)
    assert trial_s > 4 * expected
    assert wall < 0.75 * trial_s, (wall, trial_s)               # overlapped: sequential would be > trial_s
    for r in cold:                                              # each its own link: no slowdown
        assert r["network_over_expected"] == pytest.approx(1.0, abs=0.1), r
        assert r["server_requests"] == 4                        # its own server saw only its requests
    assert all(r["warm_from_cache"] for r in results.records if r["kind"] == "warm")
    assert len({r["user"] for r in cold}) == 4                  # four users at once...
    assert sorted(p.name for p in tmp_path.glob("*.sqlite3")) == [  # ...each with its own storage
        "experiment-user2.sqlite3", "experiment-user3.sqlite3", "experiment-user4.sqlite3",
        "experiment.sqlite3"]
    assert results.meta["concurrency"] == 4
    # progress said how many ran at once, and expected the run to take one trial's time, not four
    assert max(p.running for p in seen) == 4
    busy = next(p for p in seen if p.running == 4)
    assert "4 running" in busy.text() and busy.left_s < 2 * expected
    assert seen[-1].phase == "done" and seen[-1].done == 4


def test_one_user_per_trial_when_sequential(tiny, tmp_path):
    results = run_experiment(tiny, SLOW_RTT.with_(rtt_ms=100.0), trials=2, workdir=tmp_path)
    assert {r["user"] for r in results.records} == {0}
    assert [p.name for p in tmp_path.glob("*.sqlite3")] == ["experiment.sqlite3"]
    assert results.meta["concurrency"] == 1


@pytest.mark.parametrize("bad", [0, -2, True])
def test_concurrency_must_be_a_positive_count(tiny, bad):
    with pytest.raises(ValueError, match="concurrency must be at least 1"):
        run_experiment(tiny, SLOW_RTT, trials=1, concurrency=bad)


def test_the_time_left_is_a_schedule_over_the_users():
    est = Estimator([10.0] * 6, ["m"] * 6, workers=3)
    assert est.left_s() == pytest.approx(20.0)                 # two rounds of three
    assert est.left_s(running={0: 4.0, 1: 4.0, 2: 4.0}) == pytest.approx(16.0)
    est.finished(10.0, index=1)                                # out of order is fine
    assert est.left_s(running={0: 9.0, 2: 9.0, 3: 0.0}) == pytest.approx(11.0)


def test_bench_runs_users_at_once_and_says_so(tiny, capsys):
    import json as _json

    from tfcache_nb.cli.main import main

    rc = main(["bench", "--model-dir", str(tiny), "--profile", "lte", "--profile", "4g", "--trials", "2",
               "--concurrency", "4", "--json"])
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    doc = _json.loads(captured.out)
    assert doc["meta"]["concurrency"] == 4
    assert "up to 4 at once" in captured.err
    assert "running" in captured.err or "trial 4/4" in captured.err   # the progress lines


def test_bench_deadline_stops_a_load_in_one_line(tiny, capsys):
    from tfcache_nb.cli.main import main

    assert main(["bench", "--model-dir", str(tiny), "--profile", "4g", "--trials", "1",
                 "--deadline", "0.05", "--no-progress"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert "the deadline of 0.05 s passed" in err[-1] and "Traceback" not in "\n".join(err)
    with pytest.raises(SystemExit) as usage:                                     # a usage error
        main(["bench", "--model-dir", str(tiny), "--deadline", "0"])
    assert usage.value.code == 2
    assert "must be a number of seconds above 0" in capsys.readouterr().err


def test_a_failing_user_stops_the_run_with_its_error(tiny):
    from tfcache_nb.errors import ModelLoadError

    t0 = time.monotonic()
    with pytest.raises(ModelLoadError, match="deadline of 0.3 s passed"):
        run_experiment(tiny, SLOW_RTT, trials=3, concurrency=3, deadline=0.3)
    assert time.monotonic() - t0 < 10                       # the other users were stopped too
