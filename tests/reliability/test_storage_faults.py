"""Damaged caches and broken storage files: detected, never used, and the network still works.

The damage is done the way it happens in life: behind the API's back, by editing the SQLite
file directly (a truncated value, a flipped bit, a lost row, a wrong size), so the storage's
own running totals do not know about it either.
"""

from __future__ import annotations

import base64
import json
import os
import time

import pytest

import tfcache_nb as tc
from rel_helpers import hold_lock, one_sentence, raw_exec, raw_rows, raw_value, write_model

NS = ("wx-app", "alice")


@pytest.fixture(scope="module")
def big_root(tmp_path_factory):
    """A model of about 800 KB: two base64 chunks in storage (a chunk holds 600 KB)."""
    root = tmp_path_factory.mktemp("big")
    write_model(root / "m", n_floats=200_000, seed=5, shard_bytes=300_000)
    return root


@pytest.fixture(scope="module")
def server(big_root):
    with tc.ModelServer(big_root) as srv:
        yield srv


def _key(report, suffix: str) -> str:
    return f"tensorflowjs_models/{report.cache_key}/{suffix}"


def _set_raw(path, key: str, value: str) -> None:
    assert raw_exec(path, "UPDATE entries SET value=? WHERE app_id=? AND user_id=? AND key=?",
                    (value, *NS, key)) == 1


def truncate_chunk_keep_json(path, report):
    key = _key(report, "weight_data:1")
    text = raw_value(path, key, *NS)
    _set_raw(path, key, text[: len(text) // 2] + '"')


def truncate_chunk_raw(path, report):
    key = _key(report, "weight_data:0")
    text = raw_value(path, key, *NS)
    _set_raw(path, key, text[:1000])


def flip_a_bit(path, report):
    key = _key(report, "weight_data:1")
    data = bytearray(base64.b64decode(json.loads(raw_value(path, key, *NS))))
    data[12345] ^= 0x10
    _set_raw(path, key, json.dumps(base64.b64encode(bytes(data)).decode()))


def bad_base64(path, report):
    key = _key(report, "weight_data:0")
    text = raw_value(path, key, *NS)
    _set_raw(path, key, text[:50] + "*" + text[51:])


def drop_a_chunk(path, report):
    assert raw_exec(path, "DELETE FROM entries WHERE app_id=? AND user_id=? AND key=?",
                    (*NS, _key(report, "weight_data:1"))) == 1


def drop_the_topology(path, report):
    assert raw_exec(path, "DELETE FROM entries WHERE app_id=? AND user_id=? AND key=?",
                    (*NS, _key(report, "model_without_weight"))) == 1


def info_wrong_size(path, report):
    key = _key(report, "info")
    info = json.loads(json.loads(raw_value(path, key, *NS)))
    info["weightDataBytes"] += 4
    _set_raw(path, key, json.dumps(json.dumps(info)))


def info_wrong_hash(path, report):
    key = _key(report, "info")
    info = json.loads(json.loads(raw_value(path, key, *NS)))
    info["tfcacheNb"]["sha256"] = "0" * 64
    _set_raw(path, key, json.dumps(json.dumps(info)))


def info_truncated(path, report):
    key = _key(report, "info")
    _set_raw(path, key, raw_value(path, key, *NS)[:40])


def chunk_count_too_high(path, report):
    _set_raw(path, _key(report, "weight_data_size"), "3")


def chunk_count_too_low(path, report):
    _set_raw(path, _key(report, "weight_data_size"), "1")


def chunk_count_not_a_number(path, report):
    _set_raw(path, _key(report, "weight_data_size"), '"two"')


def topology_truncated(path, report):
    key = _key(report, "model_without_weight")
    _set_raw(path, key, raw_value(path, key, *NS)[:-30])


def topology_shape_changed(path, report):
    key = _key(report, "model_without_weight")
    doc = json.loads(json.loads(raw_value(path, key, *NS)))
    doc["weightSpecs"][0]["shape"] = [199_999]
    _set_raw(path, key, json.dumps(json.dumps(doc)))


def chunk_not_a_string(path, report):
    _set_raw(path, _key(report, "weight_data:0"), "12345")


DAMAGE = [truncate_chunk_keep_json, truncate_chunk_raw, flip_a_bit, bad_base64, drop_a_chunk,
          drop_the_topology, info_wrong_size, info_wrong_hash, info_truncated, chunk_count_too_high,
          chunk_count_too_low, chunk_count_not_a_number, topology_truncated, topology_shape_changed,
          chunk_not_a_string]
ROW_LOST = (drop_a_chunk, drop_the_topology)


@pytest.mark.parametrize("damage", DAMAGE, ids=[d.__name__ for d in DAMAGE])
def test_damaged_entry_is_detected_never_used_and_fetched_again(damage, server, big_root, store, store_path,
                                                                session, figures):
    url = server.url + "/m/model.json"
    original, cold = tc.load_artifacts(url, cache=store, session=session)
    assert cold.saved and store.get(_key(cold, "weight_data_size")) == 2
    store.set("user-key", "kept")
    damage(store_path, cold)
    figures["storage_damage_cases"] += 1

    art, report = tc.load_artifacts(url, cache=store, session=session)
    assert report.source == "network", "a damaged entry was used"
    assert report.cache_miss_reason and "damaged" in report.cache_miss_reason
    assert one_sentence(report.cache_miss_reason)
    assert art.weight_data == original.weight_data
    assert report.saved
    figures["damaged_entries_detected"] += 1

    warm, again = tc.load_artifacts(url, cache=store, session=session)
    assert again.source == "cache" and warm.weight_data == original.weight_data
    assert store.get("user-key") == "kept"
    if damage in ROW_LOST:
        # a row deleted behind the API's back leaves the running total counting it: check() says so
        with pytest.raises(tc.StorageError, match="records .* bytes in use but its entries hold"):
            store.check()
    else:
        store.check()


def test_damaged_entry_while_offline_is_one_clear_error_and_not_used(server, store, store_path, session):
    url = server.url + "/m/model.json"
    _, cold = tc.load_artifacts(url, cache=store, session=session)
    flip_a_bit(store_path, cold)
    server.offline = True
    try:
        with pytest.raises(tc.ModelLoadError, match="connection refused"):
            tc.load_artifacts(url, cache=store, session=session, retries=0)
    finally:
        server.offline = False
    assert not any(k.startswith(f"tensorflowjs_models/{cold.cache_key}/") for k in store.keys())
    store.check()


# ------------------------------------------------------------------------- broken files


def test_file_locked_by_another_writer(server, store_path, session, figures):
    url = server.url + "/m/model.json"
    store = tc.WxStorage(store_path, app_id=NS[0], user_id=NS[1], timeout=0.3)
    store.set("user-key", 1)
    before = raw_rows(store_path)
    proc = hold_lock(store_path, 2.5, "normal")
    try:
        art, report = tc.load_artifacts(url, cache=store, session=session)
        assert report.source == "network" and not report.saved
        assert "locked by another process" in report.save_error and one_sentence(report.save_error)
        with pytest.raises(tc.StorageError, match="locked by another process"):
            store.set("x", 1)
        assert store.get("user-key") == 1  # WAL: readers do not wait for the writer
    finally:
        proc.wait(10)
    assert raw_rows(store_path) == before
    _, later = tc.load_artifacts(url, cache=store, session=session)
    assert later.saved and later.source == "network"
    store.check()
    store.close()
    figures["storage_file_faults"] += 1


def test_file_locked_exclusively_is_a_clear_error_and_the_network_still_works(server, store_path, session,
                                                                              figures):
    url = server.url + "/m/model.json"
    store = tc.WxStorage(store_path, app_id=NS[0], user_id=NS[1])
    tc.load_artifacts(url, cache=store, session=session)
    store.close()
    proc = hold_lock(store_path, 2.0, "exclusive")
    try:
        with pytest.raises(tc.StorageError, match="locked by another process") as info:
            tc.WxStorage(store_path, app_id=NS[0], user_id=NS[1], timeout=0.2)
        assert one_sentence(str(info.value)) and str(store_path) in str(info.value)
        art, report = tc.load_artifacts(url, session=session)
        assert report.source == "network" and len(art.weight_data) == 800_064
    finally:
        proc.wait(10)
    store = tc.WxStorage(store_path, app_id=NS[0], user_id=NS[1])
    _, after = tc.load_artifacts(url, cache=store, session=session)
    assert after.source == "cache"
    store.check()
    store.close()
    figures["storage_file_faults"] += 1


def test_not_a_database(server, tmp_path, session, figures):
    path = tmp_path / "garbage.sqlite3"
    path.write_bytes(os.urandom(8192))
    with pytest.raises(tc.StorageError) as info:
        tc.WxStorage(path)
    assert "not a SQLite database" in str(info.value) and one_sentence(str(info.value))
    assert str(path) in str(info.value)
    art, report = tc.load_artifacts(server.url + "/m/model.json", session=session)
    assert report.source == "network" and len(art.weight_data) == 800_064
    figures["storage_file_faults"] += 1


def test_file_overwritten_while_open(server, store_path, session, figures):
    url = server.url + "/m/model.json"
    store = tc.WxStorage(store_path, app_id=NS[0], user_id=NS[1])
    original, _ = tc.load_artifacts(url, cache=store, session=session)
    # another program clobbers the file (and its WAL) while the store is open
    for p in (store_path, store_path.with_name(store_path.name + "-wal")):
        if p.exists():
            with open(p, "r+b") as f:
                f.write(os.urandom(4096))
    art, report = tc.load_artifacts(url, cache=store, session=session)
    # SQLite may still serve its own pages; whatever it returns passed the SHA-256 check
    assert art.weight_data == original.weight_data
    if report.source == "network":
        problem = report.cache_error or report.save_error or report.cache_miss_reason
        assert problem and one_sentence(problem)
    store.close()
    try:  # closing may have checkpointed good pages back; either way: a clean store or a clear error
        reopened = tc.WxStorage(store_path, app_id=NS[0], user_id=NS[1])
        reopened.check()
        again, _ = tc.load_artifacts(url, cache=reopened, session=session)
        assert again.weight_data == original.weight_data
        reopened.close()
    except tc.StorageError as exc:
        assert one_sentence(str(exc)) and str(store_path) in str(exc)
    figures["storage_file_faults"] += 1


def test_unreadable_paths(server, tmp_path, session, figures):
    folder = tmp_path / "a-folder"
    folder.mkdir()
    with pytest.raises(tc.StorageError, match="is a folder"):
        tc.WxStorage(folder)
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    with pytest.raises(tc.StorageError, match="Cannot create the storage folder"):
        tc.WxStorage(blocker / "sub" / "wx.sqlite3")
    if os.geteuid() != 0:  # root reads any file, so only a normal user can test permissions
        locked = tmp_path / "locked.sqlite3"
        tc.WxStorage(locked).close()
        locked.chmod(0)
        try:
            with pytest.raises(tc.StorageError):
                tc.WxStorage(locked)
        finally:
            locked.chmod(0o600)
    _, report = tc.load_artifacts(server.url + "/m/model.json", session=session)
    assert report.source == "network"
    figures["storage_file_faults"] += 1


def test_a_slow_lock_is_waited_for(server, store_path, session):
    """A lock shorter than the timeout is simply waited out: the save succeeds."""
    store = tc.WxStorage(store_path, app_id=NS[0], user_id=NS[1], timeout=10)
    store.set("k", 1)
    proc = hold_lock(store_path, 0.8, "normal")
    t0 = time.monotonic()
    try:
        _, report = tc.load_artifacts(server.url + "/m/model.json", cache=store, session=session)
    finally:
        proc.wait(10)
    assert report.saved and time.monotonic() - t0 >= 0.5
    store.check()
    store.close()
