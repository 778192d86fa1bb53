"""simulate_population: the rules over many users, and a real sample of the same users against it.

The computed distribution is checked against users run for real through ModelServer (a tiny
model, two fast custom profiles): the same stale launches and downloads exactly, and medians
of network-bound launch times within a generous tolerance (the real runs share this machine's
two cores and pay jitter the latency model counts only on average). The speed of 100,000
users is printed by benchmarks/bench_population.py, never asserted here.
"""

from __future__ import annotations

import numpy as np
import pytest

import tfcache_nb as tc
from tfcache_nb.format.synthetic import write_synthetic_mobilenet

MIX = {tc.Profile(rtt_ms=40, down_kbps=40_000, jitter_ms=5, name="fast-a"): 0.5,
       tc.Profile(rtt_ms=80, down_kbps=20_000, jitter_ms=10, name="fast-b"): 0.5}
LOCAL = tc.LocalTimes(read_s=0.01, save_s=0.05, nosave_s=0.02, check_overhead_s=0.0)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return write_synthetic_mobilenet(tmp_path_factory.mktemp("tiny") / "tiny", alpha=0.25, num_classes=10,
                                     max_shard_bytes=64 * 1024)


def test_users_whose_own_data_leaves_no_room_download_every_launch(tiny):
    other = np.array([0, 9.5 * 2 ** 20] * 500)
    pop = tc.simulate_population(tiny, users=1000, network_mix=MIX, launches=10, updates=[4], other_data_bytes=other,
                                 strategies=["cacheFirst", "latest", "networkOnly"], local=LOCAL)
    fits = other == 0
    cache_first = pop.outcome["cacheFirst"]
    assert np.all(cache_first.downloads[fits] == 1) and np.all(cache_first.downloads[~fits] == 10)
    assert np.all(cache_first.stale[fits] == 6) and np.all(cache_first.stale[~fits] == 0)
    assert np.all(pop.outcome["latest"].downloads[fits] == 2) and np.all(pop.outcome["latest"].stale == 0)
    assert np.all(pop.outcome["networkOnly"].downloads == 10) and np.all(pop.outcome["networkOnly"].hits == 0)
    rows = {r["strategy"]: r for r in pop.summary()}
    assert rows["cacheFirst"]["hit_rate"] == pytest.approx(0.5 * 9 / 10)
    assert rows["networkOnly"]["bytes_saved_per_user"] == 0
    assert rows["cacheFirst"]["bytes_saved_per_user"] == pytest.approx(0.5 * 9 * pop.model.download_bytes)
    assert "50% of users have too much other data" in str(pop)


def test_launch_times_come_from_the_latency_model_and_the_local_times(tiny):
    pop = tc.simulate_population(tiny, users=200, network_mix=MIX, launches=4, updates=[2],
                                 strategies=["networkOnly", "latest"], local=LOCAL, seed=3)
    cold = {p.name: tc.expected_load_time(tiny, p).total_s for p in MIX}
    names = np.array([pop.profiles[i].name for i in pop.profile_of])
    assert set(names) == {"fast-a", "fast-b"}
    for name, seconds in cold.items():
        assert np.allclose(pop.outcome["networkOnly"].launch_s[names == name], seconds)
        rtt = next(p for p in MIX if p.name == name).mean_rtt_s()
        latest = pop.outcome["latest"].launch_s[names == name]
        assert np.allclose(latest[:, 0], seconds + LOCAL.save_s)                  # first download
        assert np.allclose(latest[:, 1], LOCAL.read_s + rtt)                     # a 304
        assert np.allclose(latest[:, 2], LOCAL.read_s + seconds + LOCAL.save_s)  # read, changed, fetched


def test_a_304_launch_pays_its_own_local_time(tiny):
    """A 304 launch reads the copy and records the check: its local time is its own part, the
    cache read's unless given; a launch trusting max_age reads only."""
    local = tc.LocalTimes(read_s=0.01, save_s=0.05, nosave_s=0.02, check_overhead_s=0.003, check_local_s=0.04)
    pop = tc.simulate_population(tiny, users=100, network_mix=MIX, launches=3, updates=[],
                                 strategies=["latest", tc.Strategy("latest", max_age=48 * 3600)], local=local)
    rtt = np.array([pop.profiles[i].mean_rtt_s() for i in pop.profile_of])
    assert np.allclose(pop.outcome["latest"].launch_s[:, 1], rtt + 0.003 + 0.04)
    trusting = pop.outcome["latest (max_age 48 h)"].launch_s
    assert np.allclose(trusting[:, 1:], 0.01)
    assert LOCAL.check_local_s == LOCAL.read_s


def test_a_real_sample_agrees_with_the_computed_population(tiny):
    pop = tc.simulate_population(tiny, users=2000, network_mix=MIX, launches=5, updates=[2],
                                 other_data_bytes=(0, 10 * 2 ** 20), strategies=["cacheFirst", "latest", "networkOnly"],
                                 seed=1)
    sample = pop.run_sample(4, concurrency=4)
    rows = {r["strategy"]: r for r in sample.compare()}
    for name, row in rows.items():
        assert row["real_stale"] == row["model_stale"], name
        downloads_real = sum(r["how"] == "download" for r in sample.records if r["strategy"] == name)
        assert downloads_real == int(pop.outcome[name].downloads[:4].sum()), name
        assert row["model_bytes"] <= row["real_bytes"] <= row["model_bytes"] * 1.01, name
    for name in ("latest", "networkOnly"):  # medians set by the network: round trips, transfers
        assert 0.7 <= rows[name]["ratio"] <= 1.4, (name, rows[name])
    print()
    print(sample)
    held = sample.held_out()
    assert [r["real_stale"] for r in held.compare()] == [r["real_stale"] for r in sample.compare()]
    assert "local times from the other users of the sample (2 groups)" in str(held)
    fig = tc.plot_population(pop, held)
    gids = {line.get_gid() for line in fig.axes[0].lines}
    assert {"computed:latest", "measured:latest", "measured:networkOnly", "held-out:latest"} <= gids


def _records(pop, n, read_of_user, save_s=0.3, strategy="cacheFirst"):
    """Launch records as run_user writes them, for users whose model fits under a strategy that
    reads the cache after its first download: a download first, then cache reads taking
    ``read_of_user(i)`` seconds."""
    cold = pop.inputs.cold_s
    return [{"strategy": strategy, "user": i, "launch": k, "how": "download" if k == 0 else "cache",
             "total_s": float(cold[i] + save_s) if k == 0 else read_of_user(i), "network_s": float(cold[i]) if k == 0 else 0.0,
             "saved": k == 0, "save_refused": False, "stale": False, "bytes_network": 0}
            for i in range(n) for k in range(pop.schedule.launches)]


def test_local_times_from_measured_launches():
    fallback = tc.LocalTimes(read_s=[0.5, 0.7], save_s=0.4, nosave_s=0.2, check_overhead_s=[0.01, 0.03])
    recs = [{"how": "cache", "total_s": 0.011, "network_s": 0.0, "launch": 3, "saved": False},
            {"how": "cache", "total_s": 0.013, "network_s": 0.0, "launch": 4, "saved": False},
            {"how": "download", "total_s": 2.25, "network_s": 2.0, "launch": 0, "saved": True},
            {"how": "download", "total_s": 9.0, "network_s": 2.0, "launch": 5, "saved": True},  # read first: not a save
            {"how": "download", "total_s": 2.5, "network_s": 2.4, "launch": 2, "saved": False, "save_refused": True},
            {"how": "checked (304)", "total_s": 0.2, "network_s": 0.19, "launch": 1, "saved": False}]
    local = tc.LocalTimes.from_launches(recs, fallback=fallback)
    assert local.samples["read_s"] == (0.011, 0.013)
    assert local.save_s == pytest.approx(0.25) and "save_s" not in local.samples
    assert local.nosave_s == pytest.approx(0.1)
    assert local.samples["check_overhead_s"] == (0.01, 0.03)   # a 304 mixes the link in: the fallback's
    assert local.check_local_s == pytest.approx(0.01)           # the 304's time besides its request
    only_reads = tc.LocalTimes.from_launches(recs[:1], fallback=fallback)
    assert (only_reads.read_s, only_reads.save_s, only_reads.nosave_s) == (0.011, 0.4, 0.2)
    assert only_reads.samples["check_local_s"] == (0.5, 0.7)   # the fallback's: its reads, as none was given


def test_held_out_computes_each_group_with_the_other_groups_local_times(tiny):
    pop = tc.simulate_population(tiny, users=500, network_mix=MIX, launches=5, updates=[],
                                 strategies=["cacheFirst"], local=LOCAL, seed=2)
    n = 9
    recs = _records(pop, n, lambda i: 0.2 if i % 3 == 0 else 0.5 + 0.1 * (i % 3))
    sample = tc.PopulationSample(pop, n, recs, elapsed_s=1.0, concurrency=1)
    assert np.array_equal(sample.computed_s("cacheFirst"), pop.outcome["cacheFirst"].launch_s[:n])
    held = sample.held_out(3)
    computed = held.computed_s("cacheFirst")
    cold = pop.inputs.cold_s[:n]
    assert np.allclose(computed[:, 0], cold + 0.3)            # the others' saves, on each user's own link
    assert set(np.round(computed[0::3, 1:].ravel(), 9)) <= {0.6, 0.7}   # group 0: groups 1 and 2's reads only
    assert set(np.round(computed[1::3, 1:].ravel(), 9)) <= {0.2, 0.7}
    assert set(np.round(computed[2::3, 1:].ravel(), 9)) <= {0.2, 0.6}
    assert len(set(np.round(computed[0::3, 1:].ravel(), 9))) == 2   # drawn, not one number
    row = held.compare()[0]
    assert row["model_median_s"] == pytest.approx(float(np.median(computed)))
    assert row["real_median_s"] == pytest.approx(float(np.median(sample.launch_s("cacheFirst"))))
    kinds = {r["how"]: r for r in held.compare_kinds()}
    assert kinds["download"]["ratio"] == pytest.approx(1.0)
    with pytest.raises(tc.InvalidArgumentError, match="2 to 9 groups"):
        sample.held_out(10)
    # a strategy's launches are computed from the same strategy's launches of the others
    both = tc.simulate_population(tiny, users=500, network_mix=MIX, launches=5, updates=[],
                                  strategies=["cacheFirst", "versioned"], local=LOCAL, seed=2)
    recs = _records(both, 4, lambda i: 0.2) + _records(both, 4, lambda i: 0.8, save_s=0.5, strategy="versioned cacheFirst")
    held = tc.PopulationSample(both, 4, recs, elapsed_s=1.0, concurrency=1).held_out()
    assert np.all(held.computed_s("cacheFirst")[:, 1:] == 0.2)
    assert np.all(held.computed_s("versioned cacheFirst")[:, 1:] == 0.8)
    assert np.allclose(held.computed_s("versioned cacheFirst")[:, 0], both.inputs.cold_s[:4] + 0.5)
    with pytest.raises(tc.InvalidArgumentError, match="2 to 9 groups"):
        sample.held_out(1)


def test_bad_arguments(tiny):
    with pytest.raises(tc.InvalidArgumentError, match="network_mix"):
        tc.simulate_population(tiny, users=10, network_mix={"4g": 0, "wifi": 0}, local=LOCAL)
    with pytest.raises(tc.InvalidArgumentError, match="unknown network profile"):
        tc.simulate_population(tiny, users=10, network_mix={"5g": 1}, local=LOCAL)
    with pytest.raises(tc.InvalidArgumentError, match="reversed"):
        tc.simulate_population(tiny, users=10, other_data_bytes=(5, 1), local=LOCAL)
    with pytest.raises(tc.InvalidArgumentError, match="one value per user"):
        tc.simulate_population(tiny, users=10, other_data_bytes=[1, 2, 3], local=LOCAL)
    with pytest.raises(tc.InvalidArgumentError, match="users must be"):
        tc.simulate_population(tiny, users=0, local=LOCAL)
    with pytest.raises(tc.InvalidArgumentError, match="cacheOnly"):
        tc.simulate_population(tiny, users=10, strategies=["cacheOnly"], local=LOCAL)



def test_the_sample_and_recompute_refuse_user_numbers_that_name_no_user(tiny):
    """numpy would read user -1 as the last one and 0.5 as the first: each is refused instead."""
    pop = tc.simulate_population(tiny, users=50, network_mix=MIX, launches=3, updates=[],
                                 strategies=["cacheFirst"], local=LOCAL)
    assert pop.recompute("cacheFirst", [0, 49], LOCAL).shape == (2, 3)
    assert pop.recompute("cacheFirst", [], LOCAL).shape == (0, 3)
    for users in ([50], [-1], [0.5], [[0, 1]]):
        with pytest.raises(tc.InvalidArgumentError, match=r"user numbers in 0\.\.49"):
            pop.recompute("cacheFirst", users, LOCAL)
    for n in (0, -1, 2.5, True):
        with pytest.raises(tc.InvalidArgumentError, match="run_sample needs a whole number of users"):
            pop.run_sample(n)
    recs = _records(pop, 4, lambda i: 0.01)
    sample = tc.PopulationSample(pop, 4, recs, elapsed_s=1.0, concurrency=1)
    for folds in ("2", 2.5, True):
        with pytest.raises(tc.InvalidArgumentError, match="2 to 4 groups"):
            sample.held_out(folds)
    with pytest.raises(tc.InvalidArgumentError, match="needs a LocalTimes as fallback, not NoneType"):
        tc.LocalTimes.from_launches(recs, fallback=None)
    with pytest.raises(tc.InvalidArgumentError, match="a launch record has no 'total_s'"):
        tc.LocalTimes.from_launches([{"how": "cache"}], fallback=LOCAL)

def test_the_computed_spread_follows_the_sampled_local_times(tiny):
    """Each launch draws its local time from the samples: cache reads spread as the samples do."""
    reads = np.linspace(0.005, 0.090, 18)  # a long tail, as real reads on a loaded machine
    checks = [0.001, 0.002, 0.020]
    local = tc.LocalTimes(read_s=reads, save_s=[0.04, 0.06], nosave_s=0.02, check_overhead_s=checks)
    assert local.read_s == pytest.approx(np.median(reads)) and local.nosave_s == 0.02
    assert local.spread("nosave_s") == [0.02, 0.02, 0.02]
    pop = tc.simulate_population(tiny, users=5000, network_mix=MIX, launches=6, updates=[3],
                                 strategies=["cacheFirst", "latest"], local=local, seed=7)
    hits = pop.outcome["cacheFirst"].launch_s[:, 1:]          # every later launch is a cache read
    for q in (5, 25, 50, 75, 95):
        assert np.percentile(hits, q) == pytest.approx(np.percentile(reads, q), abs=0.006), q
    assert set(np.unique(hits)) <= set(reads)
    downloads = pop.outcome["cacheFirst"].launch_s[:, 0]
    cold = np.array([tc.expected_load_time(tiny, pop.profiles[i]).total_s for i in pop.profile_of])
    assert set(np.round(downloads - cold, 9)) == {0.04, 0.06}
    names = np.array([pop.profiles[i].name for i in pop.profile_of])
    rtt = np.array([next(p for p in MIX if p.name == name).mean_rtt_s() for name in names])
    checked = pop.outcome["latest"].launch_s[:, 1] - rtt     # a 304: a read plus the check's own work
    assert np.all(checked >= reads.min() + min(checks) - 1e-9) and np.all(checked <= reads.max() + max(checks) + 1e-9)
    assert np.std(checked) > 0.02
    again = tc.simulate_population(tiny, users=5000, network_mix=MIX, launches=6, updates=[3],
                                   strategies=["latest"], local=local, seed=7)
    assert np.array_equal(again.outcome["latest"].launch_s, pop.outcome["latest"].launch_s)  # seeded, per strategy
    other = tc.simulate_population(tiny, users=5000, network_mix=MIX, launches=6, updates=[3],
                                   strategies=["cacheFirst"], local=local, seed=8)
    assert not np.array_equal(other.outcome["cacheFirst"].launch_s, hits)


def test_plain_numbers_are_a_distribution_without_spread(tiny):
    pop = tc.simulate_population(tiny, users=300, network_mix=MIX, launches=4, updates=[],
                                 strategies=["cacheFirst"], local=LOCAL)
    assert np.all(pop.outcome["cacheFirst"].launch_s[:, 1:] == LOCAL.read_s) and LOCAL.samples == {}
    with pytest.raises(tc.InvalidArgumentError, match="read_s must be a number of seconds or a non-empty"):
        tc.LocalTimes(read_s=[], save_s=0.1, nosave_s=0.1, check_overhead_s=0.0)
    with pytest.raises(tc.InvalidArgumentError, match="save_s must be finite"):
        tc.LocalTimes(read_s=0.1, save_s=[0.1, float("nan")], nosave_s=0.1, check_overhead_s=0.0)


def test_local_times_are_sampled_from_real_loads_into_sqlite_files(tiny, tmp_path):
    fast = tc.Profile(rtt_ms=20, down_kbps=20_000, name="fast")
    local = tc.LocalTimes.measure(tiny, repeat=3, concurrency=3, others_on=[fast], workdir=tmp_path)
    rounds = len(local.samples["save_s"])                          # at least 3, until the others loaded twice
    assert rounds >= 3 and {len(local.samples[p]) for p in ("nosave_s", "check_overhead_s", "check_local_s")} == {rounds}
    assert len(local.samples["read_s"]) == 3 * rounds
    assert all(v > 0 for values in local.samples.values() for v in values)
    assert local.read_s == pytest.approx(np.median(local.samples["read_s"]))
    assert len(list(tmp_path.glob("measure-*.sqlite"))) == 2 * rounds  # files, as on a device
    others = sorted(tmp_path.glob("other-*.sqlite"))                 # the users loading meanwhile
    assert len(others) == 2 and all(f.stat().st_size > 100_000 for f in others)  # they saved the model
