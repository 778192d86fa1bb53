"""Progress on long runs: trials done and left, and the time left the latency model expects."""

from __future__ import annotations

import io

import pytest

from tfcache_nb.experiments.progress import Estimator, RunProgress, Tracker, about
from tfcache_nb.experiments.runner import run_experiment
from tfcache_nb.netsim.latency_model import expected_load_time
from tfcache_nb.netsim.profiles import Profile


def test_estimate_starts_from_the_latency_model_and_learns_the_overhead():
    est = Estimator([10.0, 10.0, 50.0, 50.0], ["m"] * 4)
    assert est.left_s() == pytest.approx(120.0)          # nothing done: the model's figures alone
    assert est.left_s(current_s=4.0) == pytest.approx(116.0)
    est.finished(12.0)                                   # 2 s beyond the expectation: save, warm load
    assert est.trial_s(1) == pytest.approx(12.0)
    assert est.left_s() == pytest.approx(12.0 + 52.0 + 52.0)
    est.finished(11.0)
    est.finished(51.0)
    assert est.left_s(current_s=60.0) == 0.0             # a late trial never gives a negative time
    est.finished(51.5)
    assert est.left_s() == 0.0


def test_url_sources_are_estimated_from_their_own_finished_trials():
    est = Estimator([None, None, 5.0], ["url", "url", "folder"])
    assert est.left_s() is None                          # nothing to go on yet
    est.finished(3.0)
    assert est.left_s() == pytest.approx(3.0 + 5.0)


def test_progress_text_says_done_left_and_time_left():
    p = RunProgress(done=3, total=12, elapsed_s=40.0, left_s=125.0, model="m", profile="fast-3g",
                    storage="wx", phase="cold", phase_s=12.2, trial_expected_s=14.0)
    assert p.text() == ("trial 4/12 (3 done, 9 left) \u00b7 m \u00b7 fast-3g \u00b7 wx \u00b7 "
                        "cold load 12 s of ~14 s \u00b7 about 2 min 05 s left")
    assert p.fraction == pytest.approx((3 + 12.2 / 14.0) / 12)
    assert about(0.42) == "0.4 s" and about(3725) == "1 h 02 min"


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_long_trial_is_not_silent(model_folder):
    """A trial of about 1.5 s reports several times while it runs, with a shrinking time left."""
    slow = Profile(rtt_ms=150.0, down_kbps=12_000.0, name="slowish")
    expected = expected_load_time(model_folder, slow).total_s
    assert expected > 1.0
    seen: list[RunProgress] = []
    stream = _Terminal()
    run_experiment(model_folder, slow, trials=2, on_progress=seen.append, progress=True,
                   progress_stream=stream)
    first = [p for p in seen if p.done == 0]
    assert len(first) >= 3, [p.text() for p in seen]     # start, ticks, the switch to the warm load
    assert first[0].left_s == pytest.approx(2 * expected, abs=0.05)  # less the first instant
    assert first[0].trial_expected_s == pytest.approx(expected)
    lefts = [p.left_s for p in first]
    assert lefts == sorted(lefts, reverse=True) and lefts[-1] < lefts[0]
    assert {p.phase for p in first} == {"cold", "warm"}
    assert seen[-1].phase == "done" and seen[-1].left == 0 and seen[-1].left_s == 0.0
    # the terminal line was redrawn in place while the first trial ran
    drawn = stream.getvalue().split("\r")
    assert sum("trial 1/2 (0 done, 2 left)" in d for d in drawn) >= 3
    assert "about" in drawn[1] and drawn[-1].startswith("2 trials done in")


def test_tracker_without_a_stream_or_callback_starts_no_thread():
    t = Tracker(Estimator([1.0], ["m"]))
    t.start_trial("m", "4g", "wx")
    t.end_trial()
    t.close()
    assert t._ticker is None and t.snapshot().phase == "done"
