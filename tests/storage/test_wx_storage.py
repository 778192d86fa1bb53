"""WxStorage only: the SQLite file, its sharing, persistence and failures."""

from __future__ import annotations

import os
import pickle
import sqlite3
import sys
import threading
from pathlib import Path

import pytest

import tfcache_nb as tc
from tfcache_nb.storage import paths
from tfcache_nb.storage.wx_storage import SCHEMA_VERSION


def _behind_the_apis_back(path, sql: str) -> None:
    """Change the file with sqlite3 directly, as damage or another program would."""
    raw = sqlite3.connect(path)
    try:
        raw.execute(sql)
        raw.commit()
    finally:
        raw.close()


def test_default_path_honours_tfcache_nb_home(monkeypatch, tmp_path):
    home = tmp_path / "deep" / "home"   # folders are created
    monkeypatch.setenv("TFCACHE_NB_HOME", str(home))
    with tc.WxStorage() as store:
        store.set("k", 1)
        assert store.path == home / "wxstorage.sqlite3"
    assert (home / "wxstorage.sqlite3").is_file()
    with tc.WxStorage(None) as again:
        assert again.get("k") == 1


@pytest.mark.skipif(sys.platform != "linux", reason="XDG cache folder is the Linux convention")
def test_default_folder_without_env_is_the_xdg_cache(monkeypatch, tmp_path):
    monkeypatch.delenv("TFCACHE_NB_HOME", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert paths.default_storage_path() == tmp_path / "xdg" / "tfcache_nb" / "wxstorage.sqlite3"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert paths.cache_home() == Path.home() / ".cache" / "tfcache_nb"


def test_wal_mode_and_schema_version(tmp_path):
    path = tmp_path / "s.sqlite3"
    with tc.WxStorage(path) as store:
        store.set("k", "v")
        assert store.journal_mode() == "wal"
    raw = sqlite3.connect(path)
    try:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert raw.execute("SELECT key, value, size FROM entries").fetchall() == [("k", '"v"', 4)]
    finally:
        raw.close()
    with tc.WxStorage(":memory:") as mem:
        assert mem.path == ":memory:" and mem.journal_mode() == "memory"


def test_persistence_across_reopen(tmp_path):
    path = tmp_path / "s.sqlite3"
    with tc.WxStorage(str(path), app_id="app", user_id="u") as store:
        store.update({"a": [1, "é"], "b": {"c": None}})
        store.remove("b")
        store.set("c", 2.5)
    with tc.WxStorage(path, app_id="app", user_id="u") as store:
        assert store.keys() == ["a", "c"] and store.get("a") == [1, "é"]
        assert store.used_bytes == (1 + 8) + (1 + 3) == store.recount()  # [1,"é"] and 2.5
        store.check()


def test_many_objects_and_namespaces_share_one_file(tmp_path):
    path = tmp_path / "shared.sqlite3"
    writer = tc.WxStorage(path, app_id="app", user_id="alice")
    reader = tc.WxStorage(path, app_id="app", user_id="alice")
    bob = tc.WxStorage(path, app_id="app", user_id="bob", limit_bytes=100)
    other_app = tc.WxStorage(path, app_id="other", user_id="alice")
    try:
        writer.set("k", "from writer")
        assert reader.get("k") == "from writer"          # a second object sees the write
        bob.set("k", "bob")
        other_app.set("k", 1)
        assert writer.get("k") == "from writer" and bob.get("k") == "bob" and other_app.get("k") == 1
        assert writer.namespaces() == [("app", "alice"), ("app", "bob"), ("other", "alice")]
        with pytest.raises(tc.StorageQuotaError):       # bob's limit is his own
            bob.set("big", "x" * 100)
        writer.set("big", "x" * 100)
        reader.clear()
        assert writer.keys() == [] and bob.keys() == ["k"]
        writer.check()
    finally:
        for s in (writer, reader, bob, other_app):
            s.close()


def test_for_namespace_shares_the_file_and_limits(tmp_path):
    with tc.WxStorage(tmp_path / "s.sqlite3", limit_bytes=5000, max_value_bytes=800,
                      timeout=3) as store:
        view = store.for_namespace("app", "carol")
        assert (view.path, view.limit_bytes, view.max_value_bytes, view.timeout) == (
            store.path, 5000, 800, 3.0)
        view.set("k", 1)
        view.close()                      # closing a view leaves the original usable
        store.set("j", 2)
        assert store.for_namespace("app", "carol").get("k") == 1
    mem = tc.WxStorage(":memory:")
    mem.for_namespace("a", "b").set("k", "in memory")
    assert mem.namespaces() == [("a", "b")]
    assert mem.for_namespace("a", "b").get("k") == "in memory"
    mem.close()


def test_file_that_is_not_a_database(tmp_path):
    bad = tmp_path / "notes.sqlite3"
    bad.write_bytes(b"this is a text file, not SQLite\n" * 200)
    with pytest.raises(tc.StorageError, match="not a SQLite database") as err:
        tc.WxStorage(bad)
    assert err.value.__cause__ is None and not isinstance(err.value, sqlite3.Error)
    assert bad.read_bytes().startswith(b"this is a text file")   # left alone


def test_path_that_is_a_folder_or_under_a_file(tmp_path):
    with pytest.raises(tc.StorageError, match="folder"):
        tc.WxStorage(tmp_path)
    blocker = tmp_path / "file.txt"
    blocker.write_text("x")
    with pytest.raises(tc.StorageError, match="Cannot create the storage folder"):
        tc.WxStorage(blocker / "sub" / "s.sqlite3")


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root ignores file permissions")
def test_unreadable_file(tmp_path):
    path = tmp_path / "s.sqlite3"
    tc.WxStorage(path).close()
    path.chmod(0)
    try:
        with pytest.raises(tc.StorageError, match="s.sqlite3"):
            tc.WxStorage(path).get("k")
    finally:
        path.chmod(0o600)


def test_file_from_a_newer_version_is_refused(tmp_path):
    path = tmp_path / "s.sqlite3"
    _behind_the_apis_back(path, f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(tc.StorageError, match="newer"):
        tc.WxStorage(path)


def test_check_detects_a_wrong_running_total(tmp_path):
    path = tmp_path / "s.sqlite3"
    with tc.WxStorage(path, app_id="a", user_id="u") as store:
        store.set("k", "value")
        store.check()
        _behind_the_apis_back(path, "UPDATE namespaces SET used = used + 1")
        with pytest.raises(tc.StorageError, match="'a'.*'u'.*records 9 bytes in use but its entries hold 8"):
            store.check()
        assert store.recount() == 8


def test_threads_share_one_object(tmp_path):
    store = tc.WxStorage(tmp_path / "s.sqlite3", limit_bytes=20_000, max_value_bytes=2_000)
    errors: list[BaseException] = []

    def work(t: int) -> None:
        try:
            for i in range(60):
                try:
                    store.set(f"t{t}-{i % 5}", "x" * (i * 37 % 1500))
                except tc.StorageQuotaError:
                    pass
                store.get(f"t{(t + 1) % 4}-{i % 5}")
                if i % 7 == 0:
                    store.update(remove_keys=[f"t{t}-{i % 3}"])
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    assert store.used_bytes == store.recount() <= 20_000
    store.check()
    store.close()


def test_pickle_reopens_the_same_file_and_namespace(tmp_path):
    with tc.WxStorage(tmp_path / "s.sqlite3", app_id="a", user_id="u", limit_bytes=999) as store:
        store.set("k", 1)
        copy = pickle.loads(pickle.dumps(store))
        assert (copy.app_id, copy.user_id, copy.limit_bytes, copy.get("k")) == ("a", "u", 999, 1)
        copy.close()
    with pytest.raises(TypeError, match="in-memory"):
        pickle.dumps(tc.WxStorage(":memory:"))


def test_large_chunked_values_roundtrip(tmp_path):
    # the cache's shape: ~3 MB of base64 in 800 KB text chunks, saved all at once
    chunk = 800 * 1024
    text = ("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/" * (3 * 1024 * 1024 // 64))
    parts = {f"tensorflowjs_models/m/weight_data:{i}": text[i * chunk:(i + 1) * chunk]
             for i in range((len(text) + chunk - 1) // chunk)}
    with tc.WxStorage(tmp_path / "s.sqlite3") as store:
        store.update(parts)
        joined = "".join(store.get_text(k)[1:-1] for k in parts)
        assert joined == text
        assert store.used_bytes == sum(len(k) + len(v) + 2 for k, v in parts.items())


def test_repr_names_path_and_namespace(tmp_path):
    with tc.WxStorage(tmp_path / "s.sqlite3", app_id="a<b>", user_id="u") as store:
        assert "s.sqlite3" in repr(store) and "a<b>" in repr(store)
        store.set("<k>", 1)
        assert "&lt;k&gt;" in store._repr_html_() and "a&lt;b&gt;" in store._repr_html_()
    assert "closed" in repr(store)


def test_repair_fixes_totals_after_edits_behind_the_api(tmp_path):
    path = tmp_path / "wx.sqlite3"
    store = tc.WxStorage(path, app_id="a", user_id="u")
    store.set("one", "x" * 1000)
    store.set("two", "y" * 500)
    other = store.for_namespace("b", "v")
    other.set("kept", 1)
    _behind_the_apis_back(path, "DELETE FROM entries WHERE key='one'")
    with pytest.raises(tc.StorageError, match="records"):
        store.check()
    assert store.repair() == 1
    store.check()
    assert store.used_bytes == store.recount() == len("two") + len('"' + "y" * 500 + '"')
    assert other.get("kept") == 1 and other.used_bytes == other.recount()
    store.close()
