"""The server honours its deliberate simulated delays, as the latency model predicts (10%)."""

from __future__ import annotations

import threading
import time

import pytest
import requests

import tfcache_nb as tc

TOLERANCE = 0.10


def test_large_body_matches_model(make_model):
    folder = make_model([2_000_000])
    profile = tc.Profile(rtt_ms=150, down_kbps=1600)
    expected = tc.expected_load_time([0, [2_000_000]], profile).shards_s
    assert expected == pytest.approx(0.15 + 2_000_000 * 8 / 1_600_000)
    with tc.ModelServer(folder, profile) as server:
        t = time.monotonic()
        r = requests.get(server.url + "/group1-shard1of1.bin", timeout=30)
        elapsed = time.monotonic() - t
    assert len(r.content) == 2_000_000
    assert abs(elapsed - expected) <= TOLERANCE * expected, (elapsed, expected)


def test_many_shards_limited_connections_match_model(make_model):
    sizes = [20_000] * 24
    folder = make_model(sizes)
    profile = tc.Profile(rtt_ms=100, down_kbps=1600, max_connections=2)
    estimate = tc.expected_load_time(folder, profile, concurrency=6)
    assert estimate.concurrency == 2
    with tc.ModelServer(folder, profile) as server:
        r = requests.get(server.url + "/model.json", timeout=10)
        paths = [p for g in r.json()["weightsManifest"] for p in g["paths"]]
        queue = list(reversed(paths))
        lock = threading.Lock()
        got: list[int] = []

        def worker() -> None:
            with requests.Session() as s:
                while True:
                    with lock:
                        if not queue:
                            return
                        p = queue.pop()
                    n = len(s.get(f"{server.url}/{p}", timeout=30).content)
                    with lock:
                        got.append(n)

        t = time.monotonic()
        threads = [threading.Thread(target=worker) for _ in range(6)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        elapsed = time.monotonic() - t
        log = server.request_log
    assert sorted(got) == sizes
    expected = estimate.shards_s
    assert abs(elapsed - expected) <= TOLERANCE * expected, (elapsed, expected)
    # never more than two requests in service at once: each waits its turn in the queue
    served = sorted((rec.start + rec.queued_s, rec.end) for rec in log[1:])
    for i, (start, _) in enumerate(served):
        overlapping = sum(1 for s, e in served[:i] if e > start + 0.01)
        assert overlapping <= 1


def test_bandwidth_is_shared_by_concurrent_bodies(make_model):
    folder = make_model([100_000, 100_000])
    profile = tc.Profile(rtt_ms=0, down_kbps=1600)  # 200 kB/s: both together take ~1 s
    with tc.ModelServer(folder, profile) as server:
        ends: list[float] = []

        def fetch(name: str) -> None:
            requests.get(f"{server.url}/{name}", timeout=10)
            ends.append(time.monotonic())

        t = time.monotonic()
        threads = [threading.Thread(target=fetch, args=(f"group1-shard{i}of2.bin",))
                   for i in (1, 2)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
    durations = [e - t for e in ends]
    for d in durations:  # each alone would take 0.5 s; shared, both end near 1 s
        assert abs(d - 1.0) <= TOLERANCE * 1.0, durations


def test_jitter_is_seeded_and_reproducible(model_folder):
    def delays(seed: int) -> list[float]:
        profile = tc.Profile(rtt_ms=40, down_kbps=100_000, jitter_ms=30, seed=seed)
        with tc.ModelServer(model_folder, profile) as server, requests.Session() as s:
            for _ in range(6):
                t = time.monotonic()
                s.get(server.url + "/model.json", timeout=5)
                assert time.monotonic() - t >= server.request_log[-1].rtt_s
            return [rec.rtt_s for rec in server.request_log]

    first, again, other = delays(7), delays(7), delays(8)
    assert first == again
    assert first != other
    assert len(set(first)) > 1 and all(0.01 <= d <= 0.07 for d in first)
    assert first == tc.Profile(rtt_ms=40, down_kbps=1, jitter_ms=30, seed=7).rtt_samples(6)


def test_unthrottled_server_adds_no_delay(model_folder):
    with tc.ModelServer(model_folder) as server:
        requests.get(server.url + "/model.json", timeout=5)
        assert server.request_log[-1].rtt_s == 0.0
        assert tc.expected_load_time(model_folder, None).total_s == 0.0
