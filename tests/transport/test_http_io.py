"""http_io against a real ModelServer on 127.0.0.1: whole loads, parallelism, progress, failures."""

from __future__ import annotations

import json
import os
import threading
import time

import pytest
from requests.adapters import HTTPAdapter

from tfcache_nb.errors import ModelFormatError, ModelLoadError
from tfcache_nb.format.artifacts import ModelArtifacts
from tfcache_nb.io.handler import IOHandler
from tfcache_nb.io.http_io import http_io
from tfcache_nb.netsim.faults import Fault
from tfcache_nb.netsim.profiles import Profile

from transport_helpers import closed_port, model_bytes, request_log, write_tiny_model

TINY_WEIGHT_BYTES = 64 * 32 * 4 + 100 * 4 + 1000 * 4 + 10 * 4


def _io(server, session, path="/model.json", **kw):
    kw.setdefault("timeout", (1.0, 2.0))
    kw.setdefault("backoff", 0.01)
    return http_io(server.url + path, session=session, **kw)


def _max_overlap(records) -> int:
    events = sorted([(r.start, 1) for r in records] + [(r.end, -1) for r in records],
                    key=lambda e: (e[0], e[1]))
    level = best = 0
    for _, step in events:
        level += step
        best = max(best, level)
    return best


# ---------------------------------------------------------------------------- whole loads
def test_load_equals_the_files_byte_for_byte(tiny_model, serve, session):
    server = serve(tiny_model)
    handler = _io(server, session)
    artifacts = handler.load()
    doc = json.loads((tiny_model / "model.json").read_text())
    assert isinstance(artifacts, ModelArtifacts)
    assert artifacts.weight_data == model_bytes(tiny_model)
    assert len(artifacts.weight_data) == TINY_WEIGHT_BYTES
    assert artifacts.model_topology == doc["modelTopology"]
    assert [s["name"] for s in artifacts.weight_specs] == [
        "dense/kernel", "dense/bias", "out/kernel", "out/bias"]
    assert artifacts.format == "layers-model" and artifacts.generated_by == "tests/transport"
    assert handler.requests_made == 5
    assert handler.bytes_downloaded == TINY_WEIGHT_BYTES + (tiny_model / "model.json").stat().st_size
    assert set(handler.phases) == {"model_json", "weights"}
    assert sorted(r.path for r in request_log(server, 5)) == sorted(
        ["/model.json", "/group1-shard1of3", "/group1-shard2of3", "/group1-shard3of3",
         "/group2-shard1of1"])


def test_real_mobilenet_loads_byte_for_byte(models_dir, serve, session):
    folder = models_dir / "mobilenet_v1_0.25_224"
    server = serve(folder)
    artifacts = _io(server, session).load()
    assert artifacts.weight_data == model_bytes(folder)
    assert len(artifacts.weight_data) == 1_902_176
    assert len(request_log(server, 56, settle=0)) == 56  # model.json + 55 shards


def test_synthetic_mobilenet_in_small_shards(tmp_path, serve, session, synthetic_artifacts):
    from tfcache_nb.format.synthetic import write_synthetic_mobilenet

    write_synthetic_mobilenet(tmp_path / "m", alpha=0.25, max_shard_bytes=256 * 1024)
    server = serve(tmp_path / "m")
    artifacts = _io(server, session).load()
    assert artifacts.weight_data == synthetic_artifacts.weight_data


def test_handler_protocol_and_no_save(tiny_model, serve, session):
    handler = _io(serve(tiny_model), session)
    assert isinstance(handler, IOHandler)
    assert handler.can_save is False
    with pytest.raises(NotImplementedError, match="only load"):
        handler.save(handler.load())


def test_not_an_http_url():
    with pytest.raises(ModelLoadError, match="http:// or https://"):
        http_io("file:///tmp/model.json")


def test_injected_session_adapter_is_used(tiny_model, serve, session):
    sent = []

    class Counting(HTTPAdapter):
        def send(self, request, **kw):
            sent.append(request.url)
            return super().send(request, **kw)

    session.mount("http://", Counting())
    server = serve(tiny_model)
    _io(server, session).load()
    assert len(sent) == 5 and sent[0] == server.url + "/model.json"


# ---------------------------------------------------------------------------- shard URLs
def test_weight_path_prefix_fetches_shards_from_elsewhere(tiny_model, serve, session):
    models = serve(tiny_model)
    cdn = serve(tiny_model)
    artifacts = _io(models, session, weight_path_prefix=cdn.url + "/").load()
    assert artifacts.weight_data == model_bytes(tiny_model)
    assert [r.path for r in request_log(models, 1)] == ["/model.json"]
    assert len(request_log(cdn, 4)) == 4


def test_tfhub_url(tmp_path, serve, session):
    write_tiny_model(tmp_path / "google" / "m" / "1")
    server = serve(tmp_path)
    handler = _io(server, session, path="/google/m/1", tfhub=True)
    assert handler.url == server.url + "/google/m/1/model.json?tfjs-format=file"
    assert handler.load().weight_data == model_bytes(tmp_path / "google" / "m" / "1")


def _escaping_model(root):
    write_tiny_model(root / "m")
    doc = json.loads((root / "m" / "model.json").read_text())
    (root / "shared").mkdir()
    os.replace(root / "m" / "group2-shard1of1", root / "shared" / "group2-shard1of1")
    doc["weightsManifest"][1]["paths"] = ["../shared/group2-shard1of1"]
    (root / "m" / "model.json").write_text(json.dumps(doc))


def test_escaping_weight_path_is_refused_before_any_shard(tmp_path, serve, session):
    _escaping_model(tmp_path)
    server = serve(tmp_path)
    with pytest.raises(ModelLoadError, match=r"'\.\./shared/group2-shard1of1'.*allow_external_weights"):
        _io(server, session, path="/m/model.json").load()
    assert [r.path for r in request_log(server, 1)] == ["/m/model.json"]


def test_escaping_weight_path_allowed_with_the_option(tmp_path, serve, session):
    _escaping_model(tmp_path)
    server = serve(tmp_path)
    artifacts = _io(server, session, path="/m/model.json", allow_external_weights=True).load()
    assert artifacts.weight_data.endswith((tmp_path / "shared" / "group2-shard1of1").read_bytes())
    assert "/shared/group2-shard1of1" in [r.path for r in request_log(server, 5)]


# ---------------------------------------------------------------------------- parallelism, progress
def test_shards_are_fetched_in_parallel(tiny_model, serve, session):
    server = serve(tiny_model, Profile(rtt_ms=200, down_kbps=100_000))
    _io(server, session).load()
    shards = [r for r in request_log(server, 5) if r.path != "/model.json"]
    assert len(shards) == 4
    assert _max_overlap(shards) == 4


def test_one_worker_fetches_one_shard_at_a_time(tiny_model, serve, session):
    server = serve(tiny_model, Profile(rtt_ms=50, down_kbps=100_000))
    _io(server, session, max_workers=1).load()
    shards = [r for r in request_log(server, 5) if r.path != "/model.json"]
    assert _max_overlap(shards) == 1


def test_progress_is_serialised_monotonic_and_ends_at_one(tiny_model, serve, session):
    calls, threads = [], set()
    inside = threading.Lock()
    overlapped = []

    def on_progress(fraction, done, total):
        if not inside.acquire(blocking=False):
            overlapped.append(fraction)
            return
        try:
            threads.add(threading.current_thread().name)
            calls.append((fraction, done, total))
            time.sleep(0.002)
        finally:
            inside.release()

    # 400 kB/s shared by the shards: bodies arrive in many small chunks
    server = serve(tiny_model, Profile(rtt_ms=20, down_kbps=3200))
    _io(server, session, on_progress=on_progress).load()
    assert not overlapped
    assert len(calls) > 4
    fractions = [c[0] for c in calls]
    assert fractions == sorted(fractions) and len(set(fractions)) == len(fractions)
    assert all(c[2] == TINY_WEIGHT_BYTES for c in calls)
    assert [c[1] for c in calls] == sorted(c[1] for c in calls)
    assert calls[-1] == (1.0, TINY_WEIGHT_BYTES, TINY_WEIGHT_BYTES)
    assert fractions.count(1.0) == 1
    assert any(name.startswith("tfcache-http") for name in threads)


def test_progress_does_not_count_a_retried_shard_twice(tiny_model, serve, session):
    calls = []
    server = serve(tiny_model, faults=[Fault.short_body(path="group1-shard2of3", times=1)])
    handler = _io(server, session, on_progress=lambda *a: calls.append(a))
    handler.load()
    assert all(done <= total == TINY_WEIGHT_BYTES for _, done, total in calls)
    assert calls[-1] == (1.0, TINY_WEIGHT_BYTES, TINY_WEIGHT_BYTES)
    assert handler.requests_made == 6
    # the cut attempt's bytes were downloaded too
    assert handler.bytes_downloaded > TINY_WEIGHT_BYTES + (tiny_model / "model.json").stat().st_size


# ---------------------------------------------------------------------------- retries and failures
def test_500_twice_on_a_shard_then_success(tiny_model, serve, session):
    server = serve(tiny_model, faults=[Fault.status(500, path="group1-shard3of3", times=2)])
    handler = _io(server, session, retries=3)
    assert handler.load().weight_data == model_bytes(tiny_model)
    assert handler.requests_made == 7
    statuses = [r.status for r in request_log(server, 7) if r.path == "/group1-shard3of3"]
    assert statuses == [500, 500, 200]


def test_missing_shard_is_404_not_retried(tiny_model, serve, session):
    (tiny_model / "group2-shard1of1").unlink()
    server = serve(tiny_model)
    with pytest.raises(ModelLoadError) as info:
        _io(server, session, retries=3).load()
    assert str(info.value) == f"Could not fetch {server.url}/group2-shard1of1: HTTP 404 Not Found."
    assert info.value.url == f"{server.url}/group2-shard1of1"
    assert [r.path for r in request_log(server, 5)].count("/group2-shard1of1") == 1


def test_first_failure_is_reported_at_once_and_the_others_stop(tiny_model, serve, session):
    server = serve(tiny_model, faults=[Fault.status(404, path="group2-shard1of1"),
                                       Fault.stall(1.5, after_bytes=1000, path="group1-*")])
    start = time.perf_counter()
    with pytest.raises(ModelLoadError, match="group2-shard1of1: HTTP 404 Not Found"):
        _io(server, session, timeout=(1.0, 3.0)).load()
    assert time.perf_counter() - start < 1.2  # not held up by the stalled shards
    # the stalled shards were abandoned after their stall, not retried
    paths = [r.path for r in request_log(server, 5, settle=0.3)]
    assert paths.count("/group1-shard1of3") == 1 and len(paths) == 5


def test_missing_model_json(tiny_model, serve, session):
    server = serve(tiny_model)
    with pytest.raises(ModelLoadError, match=r"/nope/model.json: HTTP 404 Not Found"):
        _io(server, session, path="/nope/model.json").load()


def test_connection_refused(session):
    url = f"http://127.0.0.1:{closed_port()}/model.json"
    with pytest.raises(ModelLoadError) as info:
        http_io(url, session=session, retries=1, backoff=0.01).load()
    assert info.value.cause == "connection refused" and info.value.url == url


def test_host_not_found(session):
    url = "http://nonexistent.invalid/model.json"
    with pytest.raises(ModelLoadError) as info:
        http_io(url, session=session, retries=0).load()
    assert info.value.cause == "host not found"
    assert str(info.value) == f"Could not fetch {url}: host not found."


def test_model_json_timeout_names_the_url(tiny_model, serve, session):
    server = serve(tiny_model, faults=[Fault.slow_first_byte(1.2, path="/model.json")])
    with pytest.raises(ModelLoadError) as info:
        _io(server, session, timeout=(1.0, 0.5), retries=0).load()
    assert str(info.value) == f"Could not fetch {server.url}/model.json: timed out after 0.5 s."


def test_short_shard_body(tiny_model, serve, session):
    server = serve(tiny_model, faults=[Fault.short_body(after_bytes=10, path="group1-shard1of3")])
    with pytest.raises(ModelLoadError, match=r"group1-shard1of3: body shorter than its Content-Length"):
        _io(server, session, retries=1).load()


def test_single_shard_group_with_wrong_length(tiny_model, serve, session):
    with open(tiny_model / "group2-shard1of1", "ab") as f:
        f.write(b"\0" * 8)
    server = serve(tiny_model)
    with pytest.raises(ModelLoadError) as info:
        _io(server, session).load()
    assert info.value.cause == "48 bytes but the manifest says 40"
    assert f"{server.url}/group2-shard1of1" in str(info.value)


def test_multi_shard_group_with_wrong_total(tiny_model, serve, session):
    shard = tiny_model / "group1-shard2of3"
    shard.write_bytes(shard.read_bytes()[:-4])
    server = serve(tiny_model)
    with pytest.raises(ModelLoadError) as info:
        _io(server, session).load()
    assert info.value.cause == f"{TINY_WEIGHT_BYTES - 40 - 4} bytes but the manifest says {TINY_WEIGHT_BYTES - 40}"
    assert "weight group 1" in str(info.value) and "group1-shard1of3" in str(info.value)


# ---------------------------------------------------------------------------- bad model.json
def test_html_page_instead_of_model_json(tiny_model, serve, session):
    server = serve(tiny_model, faults=[Fault.html_error_page(path="/model.json")])
    with pytest.raises(ModelLoadError, match="HTML page") as info:
        _io(server, session).load()
    assert info.value.url == server.url + "/model.json"


def test_invalid_json(tiny_model, serve, session):
    server = serve(tiny_model, faults=[Fault.body('{"modelTopology": {', path="/model.json",
                                                  content_type="application/json")])
    with pytest.raises(ModelFormatError, match=r"model.json at http://127\.0\.0\.1:\d+/model.json is not valid JSON"):
        _io(server, session).load()


def test_nan_is_not_json(tiny_model, serve, session):
    server = serve(tiny_model, faults=[Fault.body('{"modelTopology": {"a": NaN}}', path="/model.json",
                                                  content_type="application/json")])
    with pytest.raises(ModelFormatError, match="not valid JSON"):
        _io(server, session).load()


def test_json_that_is_not_a_model(tiny_model, serve, session):
    server = serve(tiny_model, faults=[Fault.body('{"hello": "world"}', path="/model.json",
                                                  content_type="application/json")])
    with pytest.raises(ModelFormatError, match="is not a model"):
        _io(server, session).load()


def test_bad_manifest_is_refused_before_any_shard(tiny_model, serve, session):
    doc = json.loads((tiny_model / "model.json").read_text())
    doc["weightsManifest"][0]["weights"][1]["dtype"] = "float128"
    (tiny_model / "model.json").write_text(json.dumps(doc))
    server = serve(tiny_model)
    with pytest.raises(ModelFormatError, match=r"/model.json is not a valid model: weight 'dense/bias'"):
        _io(server, session).load()
    assert len(request_log(server, 1)) == 1


# ---------------------------------------------------------------------------- limits
def test_max_download_bytes_refuses_before_fetching_shards(tiny_model, serve, session):
    server = serve(tiny_model)
    with pytest.raises(ModelLoadError, match=f"{TINY_WEIGHT_BYTES} bytes of weights, larger than "
                                             f"the limit of 10000 bytes"):
        _io(server, session, max_download_bytes=10_000).load()
    assert len(request_log(server, 1)) == 1


def test_max_download_bytes_also_caps_model_json(tiny_model, serve, session):
    server = serve(tiny_model)
    with pytest.raises(ModelLoadError, match="larger than the limit of 100 bytes"):
        _io(server, session, max_download_bytes=100).load()


def test_max_download_bytes_aborts_during_download(tiny_model, serve, session):
    # string weights: the manifest cannot say their size, so only the download can be capped
    doc = json.loads((tiny_model / "model.json").read_text())
    doc["weightsManifest"][0]["weights"].append({"name": "vocab", "shape": [1], "dtype": "string"})
    (tiny_model / "model.json").write_text(json.dumps(doc))
    server = serve(tiny_model)
    with pytest.raises(ModelLoadError, match="larger than the limit of 10000 bytes"):
        _io(server, session, max_download_bytes=10_000).load()


# ---------------------------------------------------------------------------- conditional requests
def test_conditional_request_not_modified(tiny_model, serve, session):
    server = serve(tiny_model)
    handler = _io(server, session)
    first = handler.fetch_model_json()
    assert not first.not_modified and first.etag and first.last_modified
    assert first.doc == json.loads((tiny_model / "model.json").read_text())
    assert first.nbytes == (tiny_model / "model.json").stat().st_size

    again = handler.fetch_model_json(etag=first.etag)
    assert again.not_modified and again.doc is None and again.nbytes == 0
    assert again.etag == first.etag

    by_date = handler.fetch_model_json(last_modified=first.last_modified)
    assert by_date.not_modified


def test_conditional_request_after_a_change(tiny_model, serve, session):
    server = serve(tiny_model)
    handler = _io(server, session)
    first = handler.fetch_model_json()
    doc = dict(first.doc, generatedBy="v2")
    (tiny_model / "model.json").write_text(json.dumps(doc))
    os.utime(tiny_model / "model.json", (time.time() + 5, time.time() + 5))
    changed = handler.fetch_model_json(etag=first.etag)
    assert not changed.not_modified and changed.doc["generatedBy"] == "v2"
    assert changed.etag != first.etag
    assert handler.fetch_weights(changed.doc) == model_bytes(tiny_model)
