"""Model management and the router: list, remove, copy, move, io_for."""

from __future__ import annotations

import pytest

import tfcache_nb as tc
from tfcache_nb.io.folder_io import FolderIO
from tfcache_nb.io.http_io import HttpIOHandler
from tfcache_nb.io.local_storage_io import LocalStorageIO


@pytest.fixture
def store(tmp_path):
    s = tc.WxStorage(tmp_path / "wx.sqlite3")
    yield s
    s.close()


def test_list_and_remove(store, synthetic_artifacts):
    assert tc.list_models(store) == {}
    tc.local_storage_io(store, "a").save(synthetic_artifacts)
    tc.local_storage_io(store, "b/with/slashes").save(synthetic_artifacts)
    store.set("tensorflowjs_models_not_a_model", 1)
    models = tc.list_models(store)
    assert sorted(models) == ["a", "b/with/slashes"]
    assert models["a"].weight_data_bytes == len(synthetic_artifacts.weight_data)
    assert models["a"].model_topology_bytes > 0
    tc.remove_model(store, "a")
    assert sorted(tc.list_models(store)) == ["b/with/slashes"]
    with pytest.raises(tc.ModelLoadError, match="no model named 'a'"):
        tc.remove_model(store, "a")


def test_copy_and_move_between_users(tmp_path, synthetic_artifacts):
    alice = tc.WxStorage(tmp_path / "wx.sqlite3", user_id="alice")
    bob = tc.WxStorage(tmp_path / "wx.sqlite3", user_id="bob")
    tc.local_storage_io(alice, "m").save(synthetic_artifacts)
    tc.copy_model(tc.local_storage_io(alice, "m"), tc.local_storage_io(bob, "m2"))
    assert tc.local_storage_io(bob, "m2").load().weight_data == synthetic_artifacts.weight_data
    assert "m" in tc.list_models(alice)
    tc.move_model("wxstorage://m", "wxstorage://moved", store=alice)
    assert sorted(tc.list_models(alice)) == ["moved"]
    assert sorted(tc.list_models(bob)) == ["m2"]
    alice.close()
    bob.close()


def test_copy_from_a_folder_into_storage_and_back(tmp_path, store, synthetic_dir):
    tc.copy_model(str(synthetic_dir), "wxstorage://m", store=store)
    out = tmp_path / "exported"
    tc.copy_model("wxstorage://m", str(out), store=store)
    assert tc.io_for(str(out)).load().weight_data == tc.io_for(str(synthetic_dir)).load().weight_data


def test_router_picks_the_handler(tmp_path, store):
    assert isinstance(tc.io_for("http://127.0.0.1:9/model.json"), HttpIOHandler)
    assert isinstance(tc.io_for("https://example.invalid/m/model.json"), HttpIOHandler)
    assert isinstance(tc.io_for(str(tmp_path)), FolderIO)
    assert isinstance(tc.io_for(tmp_path / "model.json"), FolderIO)
    assert isinstance(tc.io_for(tmp_path.as_uri()), FolderIO)
    assert isinstance(tc.io_for("wxstorage://k", store=store), LocalStorageIO)
    with pytest.raises(tc.ModelLoadError, match="unsupported URL scheme"):
        tc.io_for("ftp://host/model.json")
    with pytest.raises(tc.ModelLoadError, match="store="):
        tc.io_for("wxstorage://k")


def test_folder_save_writes_the_converter_layout(tmp_path, synthetic_artifacts):
    out = tmp_path / "new" / "folder"
    tc.io_for(str(out)).save(synthetic_artifacts)
    assert (out / "model.json").is_file()
    shards = sorted(p for p in out.iterdir() if p.name != "model.json")
    assert shards and all(p.stat().st_size <= 4 * 1024 * 1024 for p in shards)
    assert tc.io_for(str(out)).load().weight_data == synthetic_artifacts.weight_data


def test_missing_folder_is_a_load_error(tmp_path):
    with pytest.raises(tc.ModelLoadError):
        tc.io_for(str(tmp_path / "nothing")).load()


def test_moving_or_copying_a_model_onto_itself_loses_nothing(tmp_path, synthetic_artifacts):
    a = tc.WxStorage(tmp_path / "wx.sqlite3", user_id="u")
    b = tc.WxStorage(tmp_path / "wx.sqlite3", user_id="u")  # another object, same data
    tc.local_storage_io(a, "m").save(synthetic_artifacts)
    for op in (tc.move_model, tc.copy_model):
        with pytest.raises(tc.ModelLoadError, match="onto itself"):
            op(tc.local_storage_io(a, "m"), tc.local_storage_io(b, "m"))
    assert sorted(tc.list_models(a)) == ["m"]
    files = tc.file_storage_io(tmp_path / "usr", "p")
    files.save(synthetic_artifacts)
    with pytest.raises(tc.ModelLoadError, match="onto itself"):
        tc.move_model(files, tc.file_storage_io(tmp_path / "usr", "p"))
    assert files.load().weight_data == synthetic_artifacts.weight_data
    a.close()
    b.close()


def test_copy_from_a_url_into_storage(synthetic_dir, store):
    with tc.ModelServer(synthetic_dir) as server:
        tc.copy_model(server.url + "/model.json", "wxstorage://m", store=store)
    assert sorted(tc.list_models(store)) == ["m"]


def test_a_damaged_entry_is_listed_as_damaged(store, synthetic_artifacts):
    tc.local_storage_io(store, "m").save(synthetic_artifacts)
    store.set("tensorflowjs_models/m/info", "{not json")
    info = tc.list_models(store)["m"]
    assert info.damaged and "not valid JSON" in info.damaged
