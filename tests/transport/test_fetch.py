"""fetch(): retries, back-off and one clear ModelLoadError per failure, against a real server."""

from __future__ import annotations

import time

import pytest

from tfcache_nb.errors import ModelLoadError
from tfcache_nb.netsim.faults import Fault
from tfcache_nb.transport.http import fetch
from transport_helpers import closed_port, request_log

SHARD = "group1-shard1of3"


def _get(url, session, **kw):
    kw.setdefault("timeout", (1.0, 1.0))
    kw.setdefault("backoff", 0.01)
    return fetch(url, session=session, **kw)


def test_fetch_streams_the_whole_body_and_reports_bytes(tiny_model, serve, session):
    server = serve(tiny_model)
    seen = []
    result = _get(f"{server.url}/{SHARD}", session, on_bytes=seen.append)
    assert result.status == 200
    assert result.body == (tiny_model / SHARD).read_bytes()
    assert sum(seen) == len(result.body)
    assert result.attempts == 1
    assert result.headers["ETag"]


def test_500_twice_then_success_recovers(tiny_model, serve, session):
    server = serve(tiny_model, faults=[Fault.status(500, path=SHARD, times=2)])
    retried = []
    result = _get(f"{server.url}/{SHARD}", session, retries=3,
                  on_retry=lambda n, cause: retried.append((n, cause)))
    assert result.body == (tiny_model / SHARD).read_bytes()
    assert result.attempts == 3
    assert retried == [(2, "HTTP 500 Internal Server Error"), (3, "HTTP 500 Internal Server Error")]
    assert [r.status for r in request_log(server, 3)] == [500, 500, 200]


def test_5xx_past_the_retries_is_one_clear_error(tiny_model, serve, session):
    server = serve(tiny_model, faults=[Fault.status(503, path=SHARD)])
    url = f"{server.url}/{SHARD}"
    with pytest.raises(ModelLoadError) as info:
        _get(url, session, retries=2)
    assert str(info.value) == f"Could not fetch {url}: HTTP 503 Service Unavailable (after 3 attempts)."
    assert info.value.url == url and info.value.cause == "HTTP 503 Service Unavailable"
    assert len(request_log(server, 3)) == 3


def test_404_is_not_retried(tiny_model, serve, session):
    server = serve(tiny_model)
    url = f"{server.url}/missing.bin"
    with pytest.raises(ModelLoadError, match="HTTP 404 Not Found") as info:
        _get(url, session, retries=3)
    assert url in str(info.value)
    assert len(request_log(server, 1)) == 1


def test_backoff_doubles_between_attempts(tiny_model, serve, session):
    server = serve(tiny_model, faults=[Fault.status(500, path=SHARD)])
    start = time.perf_counter()
    with pytest.raises(ModelLoadError):
        _get(f"{server.url}/{SHARD}", session, retries=2, backoff=0.1)
    # two waits: 0.1 s then 0.2 s
    assert time.perf_counter() - start >= 0.3 - 0.02
    log = sorted(request_log(server, 3, settle=0), key=lambda r: r.start)
    gaps = [b.start - a.start for a, b in zip(log, log[1:])]
    assert gaps[1] > gaps[0] + 0.05


def test_connection_refused(session):
    url = f"http://127.0.0.1:{closed_port()}/model.json"
    with pytest.raises(ModelLoadError) as info:
        _get(url, session, retries=1)
    assert info.value.cause == "connection refused"
    assert str(info.value).startswith(f"Could not fetch {url}: connection refused")
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_host_not_found(session):
    url = "http://nonexistent.invalid/model.json"
    with pytest.raises(ModelLoadError) as info:
        _get(url, session, retries=3)
    assert info.value.cause == "host not found"
    assert str(info.value) == f"Could not fetch {url}: host not found."  # not retried


def test_slow_first_byte_times_out_naming_the_url(tiny_model, serve, session):
    server = serve(tiny_model, faults=[Fault.slow_first_byte(1.5, path=SHARD)])
    url = f"{server.url}/{SHARD}"
    start = time.perf_counter()
    with pytest.raises(ModelLoadError) as info:
        _get(url, session, timeout=(1.0, 0.5), retries=0)
    assert info.value.cause == "timed out after 0.5 s"
    assert str(info.value) == f"Could not fetch {url}: timed out after 0.5 s."
    assert 0.4 < time.perf_counter() - start < 1.4


def test_stall_in_the_body_times_out(tiny_model, serve, session):
    server = serve(tiny_model, faults=[Fault.stall(1.5, after_bytes=1000, path=SHARD)])
    with pytest.raises(ModelLoadError, match="timed out after 0.5 s"):
        _get(f"{server.url}/{SHARD}", session, timeout=(1.0, 0.5), retries=0)


def test_timeout_then_success_recovers(tiny_model, serve, session):
    server = serve(tiny_model, faults=[Fault.slow_first_byte(1.0, path=SHARD, times=1)])
    result = _get(f"{server.url}/{SHARD}", session, timeout=(1.0, 0.3), retries=1)
    assert result.attempts == 2 and result.body == (tiny_model / SHARD).read_bytes()


def test_short_body_is_an_error(tiny_model, serve, session):
    size = (tiny_model / SHARD).stat().st_size
    server = serve(tiny_model, faults=[Fault.short_body(after_bytes=100, path=SHARD)])
    with pytest.raises(ModelLoadError) as info:
        _get(f"{server.url}/{SHARD}", session, retries=1)
    assert info.value.cause == f"body shorter than its Content-Length (100 of {size} bytes)"
    assert len(request_log(server, 2)) == 2  # a cut connection is worth one more try


def test_short_body_once_then_success(tiny_model, serve, session):
    server = serve(tiny_model, faults=[Fault.short_body(path=SHARD, times=1)])
    seen = []
    result = _get(f"{server.url}/{SHARD}", session, retries=1, on_bytes=seen.append)
    assert result.body == (tiny_model / SHARD).read_bytes() and result.attempts == 2
    assert sum(seen) > len(result.body)  # the cut attempt's bytes were downloaded too


def test_reset_mid_body(tiny_model, serve, session):
    server = serve(tiny_model, faults=[Fault.reset(after_bytes=500, path=SHARD)])
    with pytest.raises(ModelLoadError) as info:
        _get(f"{server.url}/{SHARD}", session, retries=0)
    # a RST may throw away bytes already received, so the count is not checked
    assert (info.value.cause == "connection reset by the server"
            or info.value.cause.startswith("body shorter than its Content-Length ("))
    assert "Traceback" not in str(info.value) and "urllib3" not in str(info.value)


def test_length_against_the_manifest(tiny_model, serve, session):
    server = serve(tiny_model)
    url = f"{server.url}/{SHARD}"
    with pytest.raises(ModelLoadError) as info:
        _get(url, session, expected_length=4000)
    assert info.value.cause == "5000 bytes but the manifest says 4000"
    assert len(request_log(server, 1)) == 1  # not retried: the file itself is wrong


def test_max_bytes_aborts(tiny_model, serve, session):
    server = serve(tiny_model)
    with pytest.raises(ModelLoadError, match="larger than the limit of 1000 bytes"):
        _get(f"{server.url}/{SHARD}", session, max_bytes=1000)


def test_max_bytes_aborts_without_content_length(tiny_model, serve, session):
    # a Content-Length of 0 that lies: the body is read until the cap, not trusted
    server = serve(tiny_model, faults=[Fault.wrong_length(10**9, path=SHARD)])
    with pytest.raises(ModelLoadError, match="larger than the limit of 1000 bytes"):
        _get(f"{server.url}/{SHARD}", session, max_bytes=1000)


def test_304_is_a_result(tiny_model, serve, session):
    server = serve(tiny_model)
    url = f"{server.url}/model.json"
    etag = _get(url, session).headers["ETag"]
    result = _get(url, session, headers={"If-None-Match": etag})
    assert result.status == 304 and result.body == b""


def test_callback_errors_pass_through_unretried(tiny_model, serve, session):
    server = serve(tiny_model)

    def boom(n):
        raise KeyError("from the callback")

    with pytest.raises(KeyError):
        _get(f"{server.url}/{SHARD}", session, on_bytes=boom)
    assert len(request_log(server, 1)) == 1
