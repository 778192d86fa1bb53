"""Network faults end to end: each load succeeds or fails with ONE typed error, the cache untouched.

Every case goes through ``tc.load_artifacts(url, cache=store)`` against a real ModelServer
on 127.0.0.1 with fault injection. Model ``a`` is cached first, with a user's own key beside
it; after each fault the raw SQLite rows must be identical (nothing half-saved) and ``a``
must still load from the cache while the network misbehaves.
"""

from __future__ import annotations

import re
import socket
from dataclasses import dataclass, field
from typing import Any, Callable

import pytest

import tfcache_nb as tc
from rel_helpers import one_sentence, raw_rows

SHARD = "/b/group1-shard2of3"


@dataclass
class Case:
    name: str
    faults: list = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)
    error: type | None = None  # None: the load must succeed
    cause: str = ""  # regex the message must match besides the URL
    url_part: str = "/b/model.json"  # what URL the message must name
    prepare: Callable | None = None  # damage the served files


def _grow_shard(root):
    with open(root / "b" / "group1-shard3of3", "ab") as f:
        f.write(b"\0" * 12)


CASES = [
    Case("timeout on model.json", [tc.Fault.slow_first_byte(1.5, path="/b/model.json")],
         {"timeout": (2.0, 0.4), "retries": 0}, tc.ModelLoadError, r"timed out after 0\.4 s"),
    Case("stall in the middle of a shard", [tc.Fault.stall(1.5, after_bytes=3000, path=SHARD)],
         {"timeout": (2.0, 0.4), "retries": 0}, tc.ModelLoadError, r"timed out", SHARD),
    Case("stall once, the retry recovers", [tc.Fault.stall(1.5, after_bytes=3000, path=SHARD, times=1)],
         {"timeout": (2.0, 0.4), "retries": 1, "backoff": 0.01}),
    Case("reset in the middle of a shard", [tc.Fault.reset(after_bytes=3000, path=SHARD)],
         {"retries": 1, "backoff": 0.01}, tc.ModelLoadError,
         r"reset|closed|shorter than its Content-Length", SHARD),
    Case("reset before the answer", [tc.Fault.reset(after_bytes=None, path=SHARD)],
         {"retries": 0}, tc.ModelLoadError, r"reset|closed", SHARD),
    Case("404 on a shard", [tc.Fault.status(404, path=SHARD)],
         {"retries": 2, "backoff": 0.01}, tc.ModelLoadError, r"HTTP 404 Not Found", SHARD),
    Case("500 on model.json always", [tc.Fault.status(500, path="/b/model.json")],
         {"retries": 1, "backoff": 0.01}, tc.ModelLoadError, r"HTTP 500 .*after 2 attempts"),
    Case("500 then success", [tc.Fault.status(500, path=SHARD, times=2)],
         {"retries": 3, "backoff": 0.01}),
    Case("503 on model.json then success", [tc.Fault.status(503, path="/b/model.json", times=1)],
         {"retries": 2, "backoff": 0.01}),
    Case("short body", [tc.Fault.short_body(after_bytes=100, path=SHARD)],
         {"retries": 1, "backoff": 0.01}, tc.ModelLoadError, r"shorter than its Content-Length", SHARD),
    Case("short body once, the retry recovers", [tc.Fault.short_body(after_bytes=100, path=SHARD, times=1)],
         {"retries": 1, "backoff": 0.01}),
    Case("Content-Length too large", [tc.Fault.wrong_length(delta=25, path=SHARD)],
         {"retries": 0, "timeout": (2.0, 2.0)}, tc.ModelLoadError, r"shorter than its Content-Length|closed",
         SHARD),
    Case("Content-Length too small", [tc.Fault.wrong_length(delta=-25, path=SHARD)],
         {"retries": 0}, tc.ModelLoadError, r"manifest says", "/b/group1-shard1of3"),
    Case("HTML page instead of model.json", [tc.Fault.html_error_page(path="/b/model.json")],
         {}, tc.ModelLoadError, r"HTML page"),
    Case("HTML page instead of a shard", [tc.Fault.html_error_page(path=SHARD)],
         {}, tc.ModelLoadError, r"manifest says", "/b/group1-shard1of3"),
    Case("invalid JSON", [tc.Fault.body('{"modelTopology": {"a": 1}, "weightsMan', path="/b/model.json",
                                        content_type="application/json")],
         {}, tc.ModelFormatError, r"not valid JSON"),
    Case("JSON that is not a model", [tc.Fault.body('{"hello": "world"}', path="/b/model.json",
                                                    content_type="application/json")],
         {}, tc.ModelFormatError, r"not a model"),
    Case("shard larger than the manifest says", [], {}, tc.ModelLoadError, r"manifest says",
         "/b/group1-shard1of3", prepare=_grow_shard),
]


@pytest.fixture
def server(models_root):
    with tc.ModelServer(models_root) as srv:
        yield srv


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_fault_ends_in_success_or_one_typed_error_and_the_cache_is_unchanged(
        case, server, models_root, store, store_path, session, figures):
    url_a, url_b = server.url + "/a/model.json", server.url + "/b/model.json"
    cached_a, first = tc.load_artifacts(url_a, cache=store, session=session)
    assert first.saved
    store.set("user-progress", {"level": 3, "名字": "测试"})
    before = raw_rows(store_path)
    if case.prepare:
        case.prepare(models_root)
    for fault in case.faults:
        server.add_fault(fault)
    figures["network_faults_tried"] += 1

    if case.error is None:
        art, report = tc.load_artifacts(url_b, cache=store, session=session, **case.options)
        assert report.source == "network" and report.saved
        source = tc.io_for(models_root / "b").load()
        assert art.weights_sha256() == source.weights_sha256()
        warm, again = tc.load_artifacts(url_b, cache=store, session=session)
        assert again.source == "cache" and warm.weights_sha256() == source.weights_sha256()
        figures["network_faults_recovered"] += 1
    else:
        with pytest.raises(tc.TfcacheError) as info:
            tc.load_artifacts(url_b, cache=store, session=session, **case.options)
        err = info.value
        assert type(err) is case.error, f"{type(err).__name__}: {err}"
        message = str(err)
        assert one_sentence(message)
        assert case.url_part in message, message
        assert server.url in message
        assert re.search(case.cause, message), message
        assert raw_rows(store_path) == before, "a failed load changed the storage"
        figures["network_faults_typed_error"] += 1

    # the model cached before the fault is still usable while the network misbehaves
    server.add_fault(tc.Fault.status(500))
    again_a, report_a = tc.load_artifacts(url_a, cache=store, session=session, retries=0)
    assert report_a.source == "cache" and report_a.bytes_network == 0
    assert again_a.weights_sha256() == cached_a.weights_sha256()
    store.check()


def test_connection_refused_names_the_url_and_leaves_the_cache(models_root, store, store_path, session, figures):
    with tc.ModelServer(models_root) as srv:
        url_a, url_b = srv.url + "/a/model.json", srv.url + "/b/model.json"
        tc.load_artifacts(url_a, cache=store, session=session)
    before = raw_rows(store_path)
    figures["network_faults_tried"] += 1
    with pytest.raises(tc.ModelLoadError) as info:
        tc.load_artifacts(url_b, cache=store, session=session, retries=1, backoff=0.01)
    assert str(info.value) == f"Could not fetch {url_b}: connection refused (after 2 attempts)."
    assert info.value.url == url_b and info.value.cause == "connection refused"
    assert raw_rows(store_path) == before
    _, report = tc.load_artifacts(url_a, cache=store, session=session, retries=0)
    assert report.source == "cache"
    _, stale = tc.load_artifacts(url_a, cache=store, session=session, retries=0, revalidate=True)
    assert stale.source == "cache" and stale.stale and "failed" in stale.revalidated
    figures["network_faults_typed_error"] += 1


def test_a_host_that_does_not_resolve(store, store_path, session, figures):
    url = "http://model-host.invalid/models/m/model.json"
    store.set("keep", [1, 2, 3])
    before = raw_rows(store_path)
    figures["network_faults_tried"] += 1
    with pytest.raises(tc.ModelLoadError) as info:
        tc.load_artifacts(url, cache=store, session=session, retries=2, backoff=0.01)
    assert str(info.value) == f"Could not fetch {url}: host not found."
    assert raw_rows(store_path) == before
    figures["network_faults_typed_error"] += 1


def test_server_going_offline_mid_session_keeps_cached_models(server, store, store_path, session, figures):
    url_a, url_b = server.url + "/a/model.json", server.url + "/b/model.json"
    art_a, _ = tc.load_artifacts(url_a, cache=store, session=session)
    server.offline = True
    before = raw_rows(store_path)
    figures["network_faults_tried"] += 1
    with pytest.raises(tc.ModelLoadError, match=re.escape(url_b)):
        tc.load_artifacts(url_b, cache=store, session=session, retries=0)
    warm, report = tc.load_artifacts(url_a, cache=store, session=session, retries=0)
    assert report.source == "cache" and warm.weight_data == art_a.weight_data
    assert [r[:4] for r in raw_rows(store_path)] == [r[:4] for r in before]  # only last-used changed
    server.offline = False
    _, back = tc.load_artifacts(url_b, cache=store, session=session)
    assert back.source == "network" and back.saved
    figures["network_faults_typed_error"] += 1


def test_no_socket_is_opened_for_an_invalid_host(monkeypatch, session):
    """``.invalid`` never resolves (RFC 6761): the failure comes from the resolver, no traffic leaves."""
    connects = []
    real = socket.socket.connect

    def spy(self, address):
        connects.append(address)
        return real(self, address)

    monkeypatch.setattr(socket.socket, "connect", spy)
    with pytest.raises(tc.ModelLoadError):
        tc.load_artifacts("http://weights.invalid/model.json", session=session, retries=0)
    assert [a for a in connects if not (isinstance(a, tuple) and a[0] in ("127.0.0.1", "::1"))] == []
