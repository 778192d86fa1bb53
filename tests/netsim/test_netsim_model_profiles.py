"""The latency model's arithmetic and the presets' published figures."""

from __future__ import annotations

import math
from dataclasses import FrozenInstanceError

import pytest

import tfcache_nb as tc


def test_single_request_is_round_trip_plus_transfer():
    p = tc.Profile(rtt_ms=150, down_kbps=1600)
    est = tc.expected_load_time([1000, []], p)
    assert est.total_s == pytest.approx(0.15 + 1000 * 8 / 1_600_000)
    assert est.requests == 1 and est.bytes == 1000
    assert est.transfer_s + est.round_trip_s == pytest.approx(est.total_s)


def test_small_shards_pay_a_round_trip_per_wave():
    p = tc.Profile(rtt_ms=100, down_kbps=8000, max_connections=6)  # 1 MB/s
    est = tc.expected_load_time([0, [1000] * 12], p, concurrency=4)
    assert est.concurrency == 4
    # 3 waves of 4: each one round trip plus 4 kB over 1 MB/s
    assert est.shards_s == pytest.approx(3 * (0.1 + 0.004))
    assert est.model_json_s == pytest.approx(0.1)


def test_equal_large_shards_go_in_waves():
    p = tc.Profile(rtt_ms=100, down_kbps=8000, max_connections=2)  # 1 MB/s
    est = tc.expected_load_time([0, [1_000_000] * 4], p)
    # two waves of two: each waits its round trip with the link idle
    assert est.shards_s == pytest.approx(2 * 0.1 + 4.0)
    assert est.transfer_s == pytest.approx(4.0)
    assert est.round_trip_s == pytest.approx(0.1 + 0.2)  # model.json's round trip too


def test_round_trips_overlap_a_large_transfer():
    p = tc.Profile(rtt_ms=100, down_kbps=8000, max_connections=2)
    est = tc.expected_load_time([0, [1_000_000, 10_000, 10_000]], p)
    # the small shards' round trips hide behind the big one: one round trip shows
    assert est.shards_s == pytest.approx(0.1 + 1.02)


def test_folder_and_sizes_agree(make_model):
    folder = make_model([3000, 4000, 5000])
    json_len = (folder / "model.json").stat().st_size
    p = tc.PROFILES["fast-3g"]
    a = tc.expected_load_time(folder, p)
    b = tc.expected_load_time(folder / "model.json", p)
    c = tc.expected_load_time([json_len, [3000, 4000, 5000]], "fast-3g")
    assert a.total_s == b.total_s == c.total_s
    assert a.requests == 4 and a.bytes == json_len + 12000
    assert a.total_s > 2 * p.rtt_ms / 1000
    assert "fast-3g" in str(a)


def test_missing_shard_and_bad_inputs(make_model):
    folder = make_model([10])
    (folder / "group1-shard1of1.bin").unlink()
    with pytest.raises(tc.ModelFormatError, match="group1-shard1of1.bin"):
        tc.expected_load_time(folder, "4g")
    with pytest.raises(tc.ModelFormatError):
        tc.expected_load_time(folder / "nothing", "4g")
    with pytest.raises(TypeError):
        tc.expected_load_time(42, "4g")
    with pytest.raises(ValueError, match="wifi"):
        tc.expected_load_time([1, []], "6g")


def test_jitter_counts_with_its_mean():
    base = tc.expected_load_time([0, [0]], tc.Profile(100, 1000)).total_s
    assert tc.expected_load_time([0, [0]], tc.Profile(100, 1000, jitter_ms=50)).total_s == \
        pytest.approx(base)
    # jitter larger than the round trip is clamped at zero, which raises the mean
    assert tc.Profile(10, 1000, jitter_ms=30).mean_rtt_s() == pytest.approx(
        (40 ** 2 / 120) / 1000)


def test_presets_carry_published_figures():
    for name in ("slow-3g", "fast-3g", "4g", "wifi", "distant"):
        p = tc.PROFILES[name]
        assert p.name == name and p.source and p.description
    assert (tc.PROFILES["slow-3g"].rtt_ms, tc.PROFILES["slow-3g"].down_kbps) == (2000, 400)
    assert (tc.PROFILES["fast-3g"].rtt_ms, tc.PROFILES["fast-3g"].down_kbps) == (562.5, 1440)
    assert tc.PROFILES["lighthouse-mobile"].rtt_ms == 150
    assert math.isclose(tc.PROFILES["lighthouse-mobile"].down_kbps, 1.6 * 1024 * 1.024)
    assert (tc.PROFILES["4g"].rtt_ms, tc.PROFILES["4g"].down_kbps) == (170, 9000)
    assert tc.PROFILES["distant"].rtt_ms >= 300


def test_profile_from_name_and_validation():
    assert tc.Profile.from_name("4g") is tc.PROFILES["4g"]
    with pytest.raises(ValueError) as info:
        tc.Profile.from_name("5g")
    assert "5g" in str(info.value) and "slow-3g" in str(info.value)
    with pytest.raises(FrozenInstanceError):
        tc.PROFILES["4g"].rtt_ms = 1
    with pytest.raises(ValueError):
        tc.Profile(rtt_ms=-1, down_kbps=10)
    with pytest.raises(ValueError):
        tc.Profile(rtt_ms=1, down_kbps=0)
    assert tc.PROFILES["4g"].with_(seed=3).seed == 3
    assert tc.Profile(0, 8).bytes_per_s == 1000
