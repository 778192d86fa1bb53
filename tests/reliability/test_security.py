"""Security: weight paths stay inside the model's folder, downloads are capped, nothing is
unpickled or evaluated, HTML escapes everything, and ModelServer serves only its folder on 127.0.0.1."""

from __future__ import annotations

import html
import inspect
import json
import re
import socket
from pathlib import Path

import pytest

import tfcache_nb as tc
from rel_helpers import FIGURES, make_artifacts, raw_rows, write_model

PACKAGE = Path(tc.__file__).resolve().parent
ESCAPING = ["../secret.bin", "../../secret.bin", "/secret.bin", "http://evil.invalid/w.bin",
            "//evil.invalid/w.bin", "%2e%2e/secret.bin", "..%2fsecret.bin", "..\\secret.bin",
            "a/../../secret.bin", "https:w.bin", "\\\\evil\\share\\w.bin"]


def _model_with_path(folder: Path, path: str) -> None:
    art = make_artifacts(100, seed=9)
    folder.mkdir(parents=True, exist_ok=True)
    doc = art.to_model_json([{"paths": [path], "weights": art.weight_specs}])
    (folder / "model.json").write_text(json.dumps(doc))
    (folder.parent / "secret.bin").write_bytes(art.weight_data)  # what an escape would reach


@pytest.mark.parametrize("path", ESCAPING)
def test_weight_paths_cannot_leave_the_model_folder_over_http(tmp_path, path, store, store_path, session):
    _model_with_path(tmp_path / "site" / "m", path)
    store.set("keep", 1)
    before = raw_rows(store_path)
    with tc.ModelServer(tmp_path / "site") as server:
        url = server.url + "/m/model.json"
        with pytest.raises(tc.ModelLoadError) as info:
            tc.load_artifacts(url, cache=store, session=session, retries=0)
        assert repr(path) in str(info.value) and url in str(info.value)
        assert "allow_external_weights" in str(info.value)
        assert [r.path for r in server.request_log] == ["/m/model.json"]  # no shard was requested
    assert raw_rows(store_path) == before
    FIGURES["escaping_weight_paths_refused"] += 1


def test_a_weight_path_that_leaves_is_fetched_only_when_allowed(tmp_path, session):
    _model_with_path(tmp_path / "site" / "m", "../secret.bin")
    with tc.ModelServer(tmp_path / "site") as server:
        art, _ = tc.load_artifacts(server.url + "/m/model.json", session=session, allow_external_weights=True)
    assert art.weight_data == make_artifacts(100, seed=9).weight_data


@pytest.mark.parametrize("path", [p for p in ESCAPING if "://" not in p and not p.startswith(("//", "\\\\"))]
                         + ["/etc/passwd", "sub/../../secret.bin"])
def test_weight_paths_cannot_leave_a_local_folder(tmp_path, path, store, store_path):
    _model_with_path(tmp_path / "site" / "m", path)
    store.set("keep", 1)
    before = raw_rows(store_path)
    with pytest.raises(tc.TfcacheError) as info:
        tc.load_artifacts(tmp_path / "site" / "m", cache=store)
    assert isinstance(info.value, (tc.ModelFormatError, tc.ModelLoadError))
    assert raw_rows(store_path) == before
    FIGURES["escaping_weight_paths_refused"] += 1


def test_download_cap_has_a_sane_default_and_is_configurable():
    default = inspect.signature(tc.http_io).parameters["max_download_bytes"].default
    assert isinstance(default, int) and 10 * 2**20 <= default <= 2**30
    assert tc.http_io("http://127.0.0.1:9/model.json").max_download_bytes == default


def test_download_cap_is_enforced_against_a_server_that_sends_more(tmp_path, store, store_path, session):
    """Each shard is under the cap, the manifest has no fixed size (a string weight), the total is over it."""
    folder = tmp_path / "m"
    write_model(folder, n_floats=60_000, seed=4, shard_bytes=50_000)  # 240 KB in 5 shards
    doc = json.loads((folder / "model.json").read_text())
    doc["weightsManifest"][0]["weights"] = [{"name": "blob", "shape": [1], "dtype": "string"}]
    (folder / "model.json").write_text(json.dumps(doc))
    store.set("keep", 1)
    before = raw_rows(store_path)
    with tc.ModelServer(folder) as server:
        handler = tc.http_io(server.url + "/model.json", session=session, max_download_bytes=100_000,
                             retries=0)
        with pytest.raises(tc.ModelLoadError, match="limit of 100000 bytes") as info:
            tc.load_artifacts(handler, cache=store)
        assert server.url in str(info.value)
    assert handler.bytes_downloaded <= 100_000 + 16 * 1024
    assert raw_rows(store_path) == before
    FIGURES["download_cap_enforced"] += 1


def test_download_cap_refuses_a_manifest_that_is_too_big_before_fetching(tmp_path, session):
    folder = write_model(tmp_path / "m", n_floats=60_000, seed=4, shard_bytes=50_000)
    with tc.ModelServer(folder) as server:
        with pytest.raises(tc.ModelLoadError, match="max_download_bytes"):
            tc.load_artifacts(server.url + "/model.json", session=session, max_download_bytes=100_000)
        assert [r.path for r in server.request_log] == ["/model.json"]


def test_the_package_never_unpickles_or_evaluates():
    patterns = [r"\bpickle\.loads?\(", r"\bcPickle\b", r"(?<![\w.])eval\(", r"(?<![\w.])exec\(",
                r"allow_pickle\s*=\s*True", r"\byaml\.load\(", r"\bmarshal\.loads?\(", r"\bshelve\.",
                r"__import__\(", r"\bnp\.load\((?![^)]*allow_pickle\s*=\s*False)",
                r"\bnumpy\.load\((?![^)]*allow_pickle\s*=\s*False)", r"\bjoblib\.load\(", r"\btorch\.load\("]
    found = []
    files = sorted(PACKAGE.rglob("*.py"))
    assert len(files) > 20
    for file in files:
        for n, line in enumerate(file.read_text(encoding="utf-8").splitlines(), 1):
            code = line.split("#", 1)[0]
            for pattern in patterns:
                if re.search(pattern, code):
                    found.append(f"{file.relative_to(PACKAGE)}:{n}: {line.strip()}")
    assert found == []


EVIL = "<script>alert('x')</script>\"'><img src=x onerror=alert(1)>&"


def _assert_escaped(markup: str) -> None:
    assert "<script" not in markup.lower() and "<img" not in markup.lower()
    assert "onerror=alert" not in markup or html.escape("<img src=x onerror=alert(1)>") in markup
    assert html.escape("<script>", quote=True) in markup


def test_load_report_html_escapes_everything():
    from tfcache_nb.cache.report import LoadReport

    report = LoadReport(source="network", url="http://h/" + EVIL, cache_key=EVIL, save_error=EVIL,
                        cache_miss_reason=EVIL, cache_error=EVIL, revalidated=EVIL, evicted=[EVIL],
                        phases={EVIL: 0.1})
    _assert_escaped(report._repr_html_())
    report.source = EVIL
    _assert_escaped(report._repr_html_())


def test_storage_info_html_escapes_keys_and_names(tmp_path):
    store = tc.WxStorage(tmp_path / "x.sqlite3", app_id=EVIL, user_id=EVIL)
    store.set(EVIL, EVIL)
    for markup in (store.info()._repr_html_(), store._repr_html_()):
        _assert_escaped(markup)
    store.close()
    _assert_escaped(store._repr_html_())


def test_other_html_reprs_escape_model_strings(tmp_path):
    from tfcache_nb.inference.mobilenet import Prediction

    fields = inspect.signature(Prediction).parameters
    kwargs = {name: (EVIL if name == "class_name" else 0.5 if name == "probability" else 1) for name in fields}
    _assert_escaped(Prediction(**kwargs)._repr_html_())


# ------------------------------------------------------------------------- ModelServer

TRAVERSALS = ["/../secret.txt", "/%2e%2e/secret.txt", "/%2E%2E/secret.txt", "/..%2fsecret.txt",
              "/%2e%2e%2fsecret.txt", "/m/../../secret.txt", "/..\\secret.txt", "/%5c..%5csecret.txt",
              "//../secret.txt", "/./../secret.txt", "/m/%2e%2e/%2e%2e/secret.txt", "/secret.txt%00.json",
              "http://127.0.0.1/../secret.txt", "/%252e%252e/secret.txt", "/m/link/secret.txt",
              "/....//secret.txt", "/C:/secret.txt"]


def _raw_get(port: int, target: str) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(f"GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode("latin-1"))
        chunks = []
        while True:
            part = s.recv(65536)
            if not part:
                return b"".join(chunks)
            chunks.append(part)


@pytest.mark.parametrize("target", TRAVERSALS)
def test_model_server_serves_only_its_folder(tmp_path, target):
    (tmp_path / "secret.txt").write_text("TOP-SECRET-CONTENT")
    served = tmp_path / "site"
    (served / "m").mkdir(parents=True)
    (served / "m" / "model.json").write_text("{}")
    (served / "m" / "link").symlink_to(tmp_path, target_is_directory=True)
    with tc.ModelServer(served) as server:
        answer = _raw_get(server.port, target)
    status = answer.split(b"\r\n", 1)[0]
    assert b"TOP-SECRET-CONTENT" not in answer
    assert re.match(rb"HTTP/1\.[01] (400|403|404)", status), status
    FIGURES["traversal_attempts_refused"] += 1


def test_model_server_binds_to_loopback_by_default(tmp_path):
    assert inspect.signature(tc.ModelServer).parameters["host"].default == "127.0.0.1"
    with tc.ModelServer(tmp_path) as server:
        assert server.address[0] == "127.0.0.1"
        assert server.url.startswith("http://127.0.0.1:")
