"""Every fault kind, as a plain requests (or http.client) client sees it."""

from __future__ import annotations

import http.client
import time

import pytest
import requests

import tfcache_nb as tc

SHARD = "/group1-shard1of2.bin"  # 5000 bytes


def test_status_times_then_success(model_folder):
    with tc.ModelServer(model_folder, faults=[tc.Fault.status(500, path="*shard*", times=2)]) \
            as server:
        codes = [requests.get(server.url + SHARD, timeout=5).status_code for _ in range(3)]
        assert codes == [500, 500, 200]
        assert requests.get(server.url + "/model.json", timeout=5).status_code == 200
        assert [r.fault for r in server.request_log[:3]] == ["status", "status", None]


@pytest.mark.parametrize("code", [404, 503])
def test_status_codes_and_small_body(model_folder, code):
    with tc.ModelServer(model_folder) as server:
        server.add_fault(tc.Fault.status(code, path="/model.json"))
        r = requests.get(server.url + "/model.json", timeout=5)
        assert r.status_code == code and 0 < len(r.content) < 200
        assert requests.get(server.url + SHARD, timeout=5).status_code == 200
        server.clear_faults()
        assert requests.get(server.url + "/model.json", timeout=5).status_code == 200


def test_nth_only(model_folder):
    with tc.ModelServer(model_folder, faults=[tc.Fault.status(503, path="model.json", nth=2)]) \
            as server:
        codes = [requests.get(server.url + "/model.json", timeout=5).status_code
                 for _ in range(3)]
        assert codes == [200, 503, 200]


def test_faults_chain_in_order(model_folder):
    faults = [tc.Fault.status(500, path="*shard*", times=1),
              tc.Fault.reset(path="*shard*", times=1)]
    with tc.ModelServer(model_folder, faults=faults) as server:
        assert requests.get(server.url + SHARD, timeout=5).status_code == 500
        with pytest.raises(requests.RequestException):
            requests.get(server.url + SHARD, timeout=5)
        assert requests.get(server.url + SHARD, timeout=5).status_code == 200


def test_reset_after_bytes(model_folder):
    with tc.ModelServer(model_folder, faults=[tc.Fault.reset(after_bytes=1000, path="*shard*")]) \
            as server:
        with pytest.raises((requests.ConnectionError, requests.exceptions.ChunkedEncodingError)):
            requests.get(server.url + SHARD, timeout=5)
        rec = server.request_log[-1]
        assert rec.fault == "reset" and rec.bytes_sent == 1000


def test_reset_before_response(model_folder):
    with tc.ModelServer(model_folder, faults=[tc.Fault.reset(after_bytes=None)]) as server:
        with pytest.raises(requests.ConnectionError):
            requests.get(server.url + "/model.json", timeout=5)


def test_stall_then_continue(model_folder):
    with tc.ModelServer(model_folder, faults=[tc.Fault.stall(0.6, after_bytes=1000,
                                                             path="*shard*")]) as server:
        t = time.monotonic()
        r = requests.get(server.url + SHARD, timeout=5)
        elapsed = time.monotonic() - t
        assert r.content == (model_folder / SHARD[1:]).read_bytes()
        assert 0.6 <= elapsed < 0.6 * 1.1 + 0.1


def test_stall_longer_than_client_read_timeout(model_folder):
    with tc.ModelServer(model_folder, faults=[tc.Fault.stall(1.5, after_bytes=1000)]) as server:
        t = time.monotonic()
        with pytest.raises((requests.Timeout, requests.ConnectionError)) as info:
            requests.get(server.url + SHARD, timeout=(2, 0.3))
        assert "timed out" in str(info.value).lower()
        assert time.monotonic() - t < 1.4


def test_stall_then_close_gives_a_short_body(model_folder):
    with tc.ModelServer(model_folder, faults=[tc.Fault.stall(0.2, after_bytes=700,
                                                             then="close")]) as server:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
        conn.request("GET", SHARD)
        resp = conn.getresponse()
        with pytest.raises(http.client.IncompleteRead) as info:
            resp.read()
        assert len(info.value.partial) == 700
        conn.close()


def test_short_body(model_folder):
    with tc.ModelServer(model_folder, faults=[tc.Fault.short_body(after_bytes=1234,
                                                                  path="*shard*")]) as server:
        with pytest.raises(requests.RequestException):
            requests.get(server.url + SHARD, timeout=5)
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
        conn.request("GET", SHARD)
        resp = conn.getresponse()
        assert resp.getheader("Content-Length") == "5000"
        with pytest.raises(http.client.IncompleteRead) as info:
            resp.read()
        assert len(info.value.partial) == 1234
        conn.close()


def test_wrong_length_smaller(model_folder):
    with tc.ModelServer(model_folder, faults=[tc.Fault.wrong_length(10, path="*shard*")]) \
            as server:
        r = requests.get(server.url + SHARD, timeout=5)
        assert r.headers["Content-Length"] == "10" and len(r.content) == 10
        assert (model_folder / SHARD[1:]).stat().st_size == 5000
        assert requests.get(server.url + SHARD, timeout=5).status_code == 200  # new connection


def test_wrong_length_larger(model_folder):
    with tc.ModelServer(model_folder, faults=[tc.Fault.wrong_length(delta=100,
                                                                    path="*shard*")]) as server:
        with pytest.raises(requests.RequestException):
            requests.get(server.url + SHARD, timeout=5)
        assert server.request_log[-1].bytes_sent == 5000


def test_slow_first_byte(model_folder):
    with tc.ModelServer(model_folder, faults=[tc.Fault.slow_first_byte(0.5, path="/model.json",
                                                                       times=1)]) as server:
        t = time.monotonic()
        r = requests.get(server.url + "/model.json", timeout=5)
        first = time.monotonic() - t
        assert r.status_code == 200 and 0.5 <= first < 0.5 * 1.1 + 0.05
        assert r.elapsed.total_seconds() >= 0.5  # time to the headers
        t = time.monotonic()
        requests.get(server.url + "/model.json", timeout=5)
        assert time.monotonic() - t < 0.5


def test_html_body_where_json_expected(model_folder):
    with tc.ModelServer(model_folder, faults=[tc.Fault.html_error_page(path="/model.json")]) \
            as server:
        r = requests.get(server.url + "/model.json", timeout=5)
        assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/html")
        assert r.text.startswith("<!DOCTYPE html>")
        with pytest.raises(ValueError):
            r.json()


def test_invalid_json_body(model_folder):
    fault = tc.Fault.body(b'{"format": "layers-model", ', content_type="application/json")
    with tc.ModelServer(model_folder, faults=[fault]) as server:
        r = requests.get(server.url + "/model.json", timeout=5)
        assert r.headers["Content-Type"] == "application/json"
        with pytest.raises(ValueError):
            r.json()


def test_profile_can_carry_faults(model_folder):
    profile = tc.Profile(0, 100_000, faults=(tc.Fault.status(503, times=1),))
    with tc.ModelServer(model_folder, profile) as server:
        assert [requests.get(server.url + "/model.json", timeout=5).status_code
                for _ in range(2)] == [503, 200]
        server.clear_faults()  # the profile's faults stay
        assert tc.Fault.status(503, times=1) in server.faults


def test_fault_validation():
    with pytest.raises(ValueError):
        tc.Fault("teleport")
    with pytest.raises(ValueError):
        tc.Fault.status(99)
    with pytest.raises(ValueError):
        tc.Fault.stall(1, then="explode")
    assert tc.Fault.status(500, path="*shard*").matches("/group1-shard1of2.bin")
    assert tc.Fault.status(500, path="model.json").matches("/sub/model.json")
    assert not tc.Fault.status(500, path="/model.json").matches("/sub/model.json")
