"""ModelServer serves a folder faithfully: files, validators, HEAD, CORS, safety, log, life cycle."""

from __future__ import annotations

import http.client
import os
import socket
import time

import pytest
import requests

import tfcache_nb as tc

SHARD = "/group1-shard1of2.bin"


def raw_get(server: tc.ModelServer, path: str, method: str = "GET",
            headers: dict | None = None) -> tuple[int, dict, bytes]:
    """A request whose path is sent exactly as written (requests would normalise it)."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    try:
        conn.request(method, path, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read()
    finally:
        conn.close()


def test_serves_files_with_types_and_lengths(model_folder):
    with tc.ModelServer(model_folder) as server:
        assert server.url.startswith("http://127.0.0.1:")
        r = requests.get(server.url + "/model.json", timeout=5)
        assert r.status_code == 200
        assert r.headers["Content-Type"] == "application/json"
        assert r.content == (model_folder / "model.json").read_bytes()
        assert int(r.headers["Content-Length"]) == len(r.content)
        s = requests.get(server.url + SHARD, timeout=5)
        assert s.headers["Content-Type"] == "application/octet-stream"
        assert s.content == (model_folder / SHARD[1:]).read_bytes()
        assert requests.get(server.url + "/missing.bin", timeout=5).status_code == 404
        assert requests.get(server.url + "/", timeout=5).status_code == 404  # no listing


def test_accepts_a_model_json_path_and_query_strings(model_folder):
    with tc.ModelServer(model_folder / "model.json") as server:
        r = requests.get(server.url + "/model.json?v=3", timeout=5)
        assert r.status_code == 200 and r.json()["format"] == "layers-model"


def test_etag_last_modified_and_conditional_requests(model_folder):
    with tc.ModelServer(model_folder) as server:
        url = server.url + "/model.json"
        r = requests.get(url, timeout=5)
        etag, last_mod = r.headers["ETag"], r.headers["Last-Modified"]
        assert etag.startswith('"') and etag.endswith('"') and not etag.startswith("W/")
        assert requests.get(url, timeout=5).headers["ETag"] == etag  # stable
        c = requests.get(url, headers={"If-None-Match": etag}, timeout=5)
        assert c.status_code == 304 and c.content == b"" and c.headers["ETag"] == etag
        assert requests.get(url, headers={"If-None-Match": '"other", ' + etag},
                            timeout=5).status_code == 304
        assert requests.get(url, headers={"If-None-Match": '"other"'},
                            timeout=5).status_code == 200
        assert requests.get(url, headers={"If-Modified-Since": last_mod},
                            timeout=5).status_code == 304
        old = "Mon, 01 Jan 2001 00:00:00 GMT"
        assert requests.get(url, headers={"If-Modified-Since": old}, timeout=5).status_code == 200
        # If-None-Match wins over If-Modified-Since
        assert requests.get(url, headers={"If-None-Match": '"other"',
                                          "If-Modified-Since": last_mod},
                            timeout=5).status_code == 200
        # new content -> new validator
        (model_folder / "model.json").write_text('{"format": "changed"}')
        os.utime(model_folder / "model.json", (time.time() + 5, time.time() + 5))
        r2 = requests.get(url, headers={"If-None-Match": etag}, timeout=5)
        assert r2.status_code == 200 and r2.headers["ETag"] != etag
        assert r2.json() == {"format": "changed"}


def test_head_sends_headers_only(model_folder):
    with tc.ModelServer(model_folder) as server:
        r = requests.head(server.url + SHARD, timeout=5)
        assert r.status_code == 200 and r.content == b""
        assert int(r.headers["Content-Length"]) == 5000
        assert r.headers["ETag"] == requests.get(server.url + SHARD, timeout=5).headers["ETag"]


def test_cors_headers_and_preflight(model_folder):
    with tc.ModelServer(model_folder) as server:
        r = requests.get(server.url + "/model.json", headers={"Origin": "http://example.org"},
                         timeout=5)
        assert r.headers["Access-Control-Allow-Origin"] == "*"
        exposed = [h.strip() for h in r.headers["Access-Control-Expose-Headers"].split(",")]
        assert "ETag" in exposed and "Last-Modified" in exposed
        p = requests.options(server.url + "/model.json", timeout=5, headers={
            "Origin": "http://example.org", "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "if-none-match"})
        assert p.status_code == 204
        assert p.headers["Access-Control-Allow-Origin"] == "*"
        assert "GET" in p.headers["Access-Control-Allow-Methods"]
        assert "if-none-match" in p.headers["Access-Control-Allow-Headers"].lower()
        assert requests.post(server.url + "/model.json", data=b"x", timeout=5).status_code == 405
    with tc.ModelServer(model_folder, cors=False) as server:
        r = requests.get(server.url + "/model.json", timeout=5)
        assert r.status_code == 200 and "Access-Control-Allow-Origin" not in r.headers


@pytest.mark.parametrize("path", [
    "/../secret.txt",
    "/%2e%2e/secret.txt",
    "/%2E%2E%2Fsecret.txt",
    "/..%2fsecret.txt",
    "/..%5csecret.txt",
    "/sub/../../secret.txt",
    "/./../secret.txt",
    "/%2e%2e%2f%2e%2e%2fsecret.txt",
    "//{secret}",
    "/{secret}",
    "/%00model.json",
])
def test_path_traversal_is_refused(tmp_path, model_folder, path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    with tc.ModelServer(model_folder) as server:
        status, _, body = raw_get(server, path.format(secret=str(secret).lstrip("/")))
        assert status in (403, 404)
        assert b"TOP-SECRET" not in body


def test_symlink_leaving_the_folder_is_refused(tmp_path, model_folder):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    try:
        (model_folder / "link.txt").symlink_to(secret)
    except OSError:
        pytest.skip("symlinks not supported here")
    with tc.ModelServer(model_folder) as server:
        status, _, body = raw_get(server, "/link.txt")
        assert status in (403, 404) and b"TOP-SECRET" not in body


def test_binds_loopback_by_default(model_folder):
    with tc.ModelServer(model_folder) as server:
        host, port = server.address
        assert host == "127.0.0.1" and port == server.port > 0


def test_request_log_and_bytes_sent(model_folder):
    with tc.ModelServer(model_folder) as server:
        with requests.Session() as s:
            s.get(server.url + "/model.json", timeout=5)
            s.get(server.url + SHARD, timeout=5)
            s.get(server.url + "/nope", timeout=5)
        log = server.request_log
        assert [(r.method, r.path, r.status) for r in log] == [
            ("GET", "/model.json", 200), ("GET", SHARD, 200), ("GET", "/nope", 404)]
        assert log[1].bytes_sent == 5000
        assert all(r.start <= r.end for r in log)
        assert len({r.connection_id for r in log}) == 1  # keep-alive reused one connection
        json_len = (model_folder / "model.json").stat().st_size
        assert server.bytes_sent == json_len + 5000 + log[2].bytes_sent
        requests.get(server.url + SHARD, timeout=5)  # a new connection
        assert server.request_log[-1].connection_id != log[0].connection_id
        server.reset_log()
        assert server.request_log == [] and server.bytes_sent == 0


def test_start_stop_idempotent_and_port_freed(model_folder):
    server = tc.ModelServer(model_folder)
    server.start()
    server.start()
    port = server.port
    with requests.Session() as s:  # an idle keep-alive connection must not block stop()
        assert s.get(server.url + "/model.json", timeout=5).status_code == 200
        server.stop()
        server.stop()
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://127.0.0.1:{port}/model.json", timeout=2)
    with socket.socket() as sock:  # the port is free again
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))


def test_offline_refuses_connections_then_comes_back(model_folder):
    with tc.ModelServer(model_folder) as server:
        session = requests.Session()
        assert session.get(server.url + "/model.json", timeout=5).status_code == 200
        port = server.port
        server.offline = True
        assert server.offline
        with pytest.raises(requests.ConnectionError):
            requests.get(server.url + "/model.json", timeout=2)
        with pytest.raises(requests.ConnectionError):  # pooled connection is gone too
            session.get(server.url + "/model.json", timeout=2)
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=2).close()
        server.offline = False
        assert server.port == port
        assert requests.get(server.url + "/model.json", timeout=5).status_code == 200
        assert session.get(server.url + "/model.json", timeout=5).status_code == 200


def test_offline_profile_starts_offline(model_folder):
    with tc.ModelServer(model_folder, tc.Profile(0, 1000, offline=True)) as server:
        assert server.offline
        with pytest.raises(requests.ConnectionError):
            requests.get(server.url + "/model.json", timeout=2)
        server.set_profile(None)
        assert requests.get(server.url + "/model.json", timeout=5).status_code == 200


def test_preset_names_and_bad_profiles(model_folder):
    with tc.ModelServer(model_folder, "wifi") as server:
        assert server.profile is tc.PROFILES["wifi"]
    with pytest.raises(ValueError, match="slow-3g"):
        tc.ModelServer(model_folder, "5g-ultra")
    with pytest.raises(tc.InvalidArgumentError):
        tc.ModelServer(model_folder / "absent")


def test_set_profile_while_running(model_folder):
    with tc.ModelServer(model_folder) as server:
        t = time.monotonic()
        requests.get(server.url + "/model.json", timeout=5)
        fast = time.monotonic() - t
        server.set_profile(tc.Profile(rtt_ms=400, down_kbps=100_000))
        t = time.monotonic()
        requests.get(server.url + "/model.json", timeout=5)
        slow = time.monotonic() - t
        assert 0.4 <= slow < 0.4 * 1.1 + 0.05
        assert fast < 0.4
        assert server.request_log[-1].rtt_s == pytest.approx(0.4)
