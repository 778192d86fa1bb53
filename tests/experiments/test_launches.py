"""run_launches: a series of real launches while the server publishes versions, per cache strategy.

A tiny synthetic model (about 0.9 MiB in 64 KiB shards) on a fast profile keeps each launch
to a fraction of a second; the hours between launches are simulated (nothing waits for them).
The counts expected below follow from the schedule: 6 launches 8 h apart, new versions
before launches 2 and 4.
"""

from __future__ import annotations

import csv

import pytest

import tfcache_nb as tc
from tfcache_nb.experiments.launches import ModelPublisher, Schedule, fill_other_data
from tfcache_nb.format.synthetic import write_synthetic_mobilenet

FAST = tc.Profile(rtt_ms=20, down_kbps=80_000, name="test-fast")
STRATEGIES = ["cacheFirst", "latest", tc.Strategy("latest", max_age=20 * 3600), "versioned", "networkOnly",
              "networkFirst"]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return write_synthetic_mobilenet(tmp_path_factory.mktemp("tiny") / "tiny", alpha=0.25, num_classes=10,
                                     max_shard_bytes=64 * 1024)


@pytest.fixture(scope="module")
def launches(tiny):
    return tc.run_launches(tiny, STRATEGIES, launches=6, updates=[2, 4], profile=FAST, hours_between=8)


def by_strategy(results):
    return {row["strategy"]: row for row in results.summary()}


def test_each_strategy_gets_what_its_rule_says(launches):
    rows = by_strategy(launches)
    expected = {  # (stale launches, downloads, 304s)
        "cacheFirst": (4, 1, 0),            # stale from launch 2 on, forever
        "latest": (0, 3, 3),                # a 304 when unchanged, a download after each update
        "latest (max_age 20 h)": (3, 2, 0),  # asks at 0 h and 24 h only: stale at 16, 32 and 40 h
        "versioned cacheFirst": (2, 3, 0),   # learns each version one launch late
        "networkOnly": (0, 6, 0),
        "networkFirst": (0, 6, 0),
    }
    got = {name: (r["stale_launches"], r["downloads"], r["checks_304"]) for name, r in rows.items()}
    assert got == expected


def test_stale_means_older_weights_than_the_server_has(launches):
    for rec in launches.records:
        assert rec["stale"] == (rec["loaded_version"] != rec["server_version"])
        assert rec["loaded_version"] is not None and rec["loaded_version"] <= rec["server_version"]
        assert rec["hours"] == rec["launch"] * 8
    cache_first = [r for r in launches.records if r["strategy"] == "cacheFirst"]
    assert [r["loaded_version"] for r in cache_first] == [0] * 6
    assert [r["server_version"] for r in cache_first] == [0, 0, 1, 1, 2, 2]


def test_bytes_and_requests_follow_the_launch_kind(launches, tiny):
    size = sum(p.stat().st_size for p in tiny.iterdir())
    for rec in launches.records:
        if rec["how"] == "download":
            assert size <= rec["bytes_network"] <= size + 200 and rec["server_bytes"] == rec["bytes_network"]
        elif rec["how"] == "checked (304)":
            assert rec["bytes_network"] == 0 and rec["requests"] == 1
        else:
            assert rec["bytes_network"] == 0 and rec["requests"] == 0
    rows = by_strategy(launches)
    assert rows["networkOnly"]["bytes_network"] > 5 * rows["cacheFirst"]["bytes_network"]


def test_versioned_keys_evict_the_previous_version(launches):
    versioned = [r for r in launches.records if r["strategy"] == "versioned cacheFirst"]
    assert [r["evicted"] for r in versioned] == ["", "", "", "model@0", "", "model@1"]


def test_the_population_model_counts_the_same_launches(launches, tiny):
    """The vectorised rules, for one user on the same schedule, give the same counts as the real run."""
    local = tc.LocalTimes(read_s=0.01, save_s=0.05, nosave_s=0.02, check_overhead_s=0.0)
    pop = tc.simulate_population(tiny, users=1, network_mix={FAST: 1.0}, launches=6, updates=[2, 4],
                                 hours_between=8, strategies=STRATEGIES, local=local)
    rows = by_strategy(launches)
    for name, outcome in pop.outcome.items():
        assert int(outcome.stale[0]) == rows[name]["stale_launches"], name
        assert int(outcome.downloads[0]) == rows[name]["downloads"], name


def test_table_csv_and_plot(launches, tmp_path):
    text = str(launches)
    assert "latest (max_age 20 h)" in text and "stale" in text and "6 launches 8 h apart on test-fast" in text
    assert "<table" in launches._repr_html_()
    path = launches.to_csv(tmp_path / "launches.csv")
    rows = list(csv.DictReader(path.open()))
    assert len(rows) == 6 * len(STRATEGIES) and {"stale", "bytes_network", "total_s"} <= set(rows[0])
    fig = tc.plot_launches(launches)
    gids = {line.get_gid() for ax in fig.axes for line in ax.lines}
    assert {f"strategy:{s}" for s in launches.strategies()} <= gids


def test_other_data_that_leaves_no_room_means_a_download_every_launch(tiny):
    results = tc.run_launches(tiny, ["cacheFirst"], launches=3, updates=[], profile=FAST,
                              other_data_bytes=9 * 1024 * 1024)
    assert [r["how"] for r in results.records] == ["download"] * 3
    assert all("bytes of storage" in r["note"] for r in results.records)


def test_fill_other_data_is_exact_by_the_storage_rule():
    store = tc.WxStorage(":memory:")
    try:
        written = fill_other_data(store, 2_500_000)
        assert 2_500_000 - 20 <= written <= 2_500_000 and store.info().current_size == written
    finally:
        store.close()


def test_a_published_version_changes_one_byte_and_model_json(tiny, tmp_path):
    pub = ModelPublisher(tiny, tmp_path / "root")
    before = (tmp_path / "root" / "current" / "model.json").read_bytes()
    shard = pub.shards[0]
    old = (tmp_path / "root" / "current" / shard).read_bytes()
    assert pub.publish() == 1
    new = (tmp_path / "root" / "current" / shard).read_bytes()
    assert sum(a != b for a, b in zip(old, new)) == 1 and len(old) == len(new)
    assert (tmp_path / "root" / "current" / "model.json").read_bytes() != before
    assert (tmp_path / "root" / "v0" / shard).read_bytes() == old  # the old version is kept as it was
    assert pub.version_of(b"".join((tmp_path / "root" / "v1" / p).read_bytes() for p in pub.shards)) == 1


def test_bad_arguments(tiny):
    with pytest.raises(tc.InvalidArgumentError, match="updates must be"):
        tc.run_launches(tiny, ["cacheFirst"], launches=4, updates=[0], profile=FAST)
    with pytest.raises(tc.InvalidArgumentError, match="updates must be"):
        Schedule(4, (4,))
    with pytest.raises(tc.InvalidArgumentError, match="cacheOnly"):
        tc.run_launches(tiny, ["cacheOnly"], launches=2, updates=[], profile=FAST)
    with pytest.raises(tc.InvalidArgumentError, match="unknown cache strategy"):
        tc.run_launches(tiny, ["fastest"], launches=2, updates=[], profile=FAST)


def test_an_error_during_the_launches_is_told_as_it_is_not_as_a_missing_model(tiny):
    with pytest.raises(tc.InvalidArgumentError, match="other_data_bytes must be >= 0"):
        tc.run_launches(tiny, ["cacheFirst"], launches=2, updates=[], profile=FAST, other_data_bytes=-1)
    with pytest.raises(tc.InvalidArgumentError, match="no model.json there"):
        tc.run_launches(tiny / "missing", ["cacheFirst"], launches=2, updates=[], profile=FAST)
