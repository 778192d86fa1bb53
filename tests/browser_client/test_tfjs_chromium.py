"""The real TensorFlow.js in headless Chromium as an experiment client.

Cold loads must go over the network to the throttled ModelServer (the server sees every file),
warm loads must come from TensorFlow.js's own cache (the server sees nothing), a new user must
start with no cache and no open connection, a model too big for localStorage must fail as it
does in the real client, and the browser's cold time must match the latency model for a
simulated delay of seconds (a deliberate delay, never the speed of our own code).
"""

from __future__ import annotations

import json

import pytest

from tfcache_nb.errors import BrowserClientError, ModelLoadError
from tfcache_nb.netsim.latency_model import expected_load_time
from tfcache_nb.netsim.server import ModelServer

pytestmark = pytest.mark.browser

#: the latency model against the browser's measured network phase (a seconds-scale delay)
TOLERANCE = 0.20


def _files(folder):
    doc = json.loads((folder / "model.json").read_text())
    shards = [p for g in doc["weightsManifest"] for p in g["paths"]]
    return ["/model.json"] + [f"/{p}" for p in shards]


def _model_bytes(folder):
    return sum((folder / f.lstrip("/")).stat().st_size for f in _files(folder))


def test_cold_from_the_network_warm_from_tfjs_own_indexeddb(client, tiny_model, seconds_profile):
    from tfcache_nb.experiments.clients.tfjs_chromium import is_graph_model

    graph = is_graph_model(tiny_model)
    assert graph is False  # a layers model: tf.loadLayersModel
    with ModelServer(tiny_model, profile=seconds_profile) as server:
        calls = []
        trial = client.user_trial(server.url + "/model.json", "tiny", "indexeddb", graph=graph,
                                  server=server, before_warm=lambda: calls.append("warm"))
    cold, warm, cold_log, warm_log = trial.cold, trial.warm, trial.cold_requests, trial.warm_requests
    assert calls == ["warm"]

    assert client.tfjs_version == "4.22.0" and client.backend == "cpu"
    # cold: every file over the network, each once, and saved to IndexedDB
    assert sorted(r.path for r in cold_log) == sorted(_files(tiny_model))
    assert {(r.method, r.status) for r in cold_log} == {("GET", 200)}
    assert cold.source == "network" and cold.requests == len(cold_log)
    assert cold.bytes_network == _model_bytes(tiny_model)
    assert cold.saved and cold.save_error is None
    assert cold.bytes_storage > 0.8 * _model_bytes(tiny_model)
    # warm: nothing asked of the server, the model came from TF.js's own cache
    assert warm_log == []
    assert warm.source == "cache" and warm.origin == "indexeddb" and warm.cache_miss_reason is None
    assert warm.bytes_storage == cold.bytes_storage
    # the browser's network time against the latency model, for this seconds-scale delay
    expected = expected_load_time(tiny_model, seconds_profile).total_s
    assert expected > 1.0
    assert abs(cold.phases["network"] / expected - 1) < TOLERANCE, (cold.phases, expected)
    assert cold.total_s >= cold.phases["network"]


def test_a_new_user_has_no_cache_and_no_open_connection(client, tiny_model, seconds_profile):
    with ModelServer(tiny_model, profile=seconds_profile.with_(rtt_ms=20.0, down_kbps=80_000.0)) as server:
        url = server.url + "/model.json"
        logs = []
        for _ in range(2):
            client.new_user()
            server.reset_log()
            report = client.cold(url, "tiny", "localstorage", graph=False, server=server)
            logs.append(server.request_log)
            assert report.source == "network" and report.saved
        first, second = ({r.connection_id for r in log} for log in logs)
        # the second user fetched every file again, on connections of its own
        assert sorted(r.path for r in logs[1]) == sorted(_files(tiny_model))
        assert first and second and not first & second
        # while the same user's later launch reads localStorage, not the server
        server.reset_log()
        warm = client.warm(url, "tiny", "localstorage", graph=False)
        assert warm.source == "cache" and server.request_log == []


def test_a_model_too_big_for_localstorage_fails_as_in_the_real_client(client, big_model):
    with ModelServer(big_model) as server:  # unthrottled: only the quota matters here
        url = server.url + "/model.json"
        client.new_user()
        cold = client.cold(url, "big", "localstorage", graph=False, server=server)
        server.reset_log()
        warm = client.warm(url, "big", "localstorage", graph=False)
        assert server.request_log == []
    assert cold.source == "network" and not cold.saved
    assert "localStorage" in cold.save_error and "quota" in cold.save_error.lower()
    assert warm.source == "failed"
    assert "localstorage://big" in warm.cache_miss_reason


def test_a_missing_model_is_one_load_error(client, tiny_model):
    with ModelServer(tiny_model) as server:
        client.new_user()
        with pytest.raises(ModelLoadError, match="could not load .*missing/model.json"):
            client.cold(server.url + "/missing/model.json", "nothing", "indexeddb", graph=False)


def test_unknown_storage_is_refused(client, tiny_model):
    with pytest.raises(BrowserClientError, match="unknown browser storage 'wx'"):
        client.warm("http://127.0.0.1:1/model.json", "k", "wx", graph=False)


def test_a_graph_model_goes_through_tf_loadgraphmodel(client, graph_model):
    from tfcache_nb.experiments.clients.tfjs_chromium import is_graph_model

    assert is_graph_model(graph_model)
    with ModelServer(graph_model) as server:
        trial = client.user_trial(server.url + "/model.json", "age", "indexeddb", graph=True,
                                  server=server)
    assert sorted(r.path for r in trial.cold_requests) == sorted(_files(graph_model))
    assert trial.cold.saved and trial.warm.source == "cache" and trial.warm_requests == []
