"""`storage info|ls|rm|clear --json`: one JSON document on stdout, sizes in bytes."""

from __future__ import annotations

import json

import tfcache_nb as tc
from tfcache_nb.cli.main import main
from tfcache_nb.io.management import list_models


def test_storage_json(synthetic_dir, tmp_path, capsys):
    path = str(tmp_path / "s.sqlite3")
    store = tc.WxStorage(path, app_id="a", user_id="u")
    tc.load_artifacts(str(synthetic_dir), cache=store, cache_key="mobilenet")
    store.set("other", 1)
    expected = store.info()
    weights = list_models(store)["mobilenet"].weight_data_bytes
    store.close()
    common = ["--path", path, "--app-id", "a", "--user-id", "u", "--json"]

    assert main(["storage", "info", *common]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info == {"path": path, "app_id": "a", "user_id": "u", "used_bytes": expected.current_size,
                    "limit_bytes": 10 * 1024 * 1024, "free_bytes": expected.free_size,
                    "keys": len(expected.keys), "models": 1}

    assert main(["storage", "ls", *common]) == 0
    (model,) = json.loads(capsys.readouterr().out)["models"]
    assert model["key"] == "mobilenet" and model["weight_bytes"] == weights and model["damaged"] is None
    assert model["date_saved"].startswith("20")

    assert main(["storage", "rm", "mobilenet", *common]) == 0
    assert json.loads(capsys.readouterr().out) == {"removed": "mobilenet"}
    assert main(["storage", "ls", *common]) == 0
    assert json.loads(capsys.readouterr().out)["models"] == []
    assert main(["storage", "clear", *common]) == 0
    assert json.loads(capsys.readouterr().out) == {"cleared_keys": 1}


def test_storage_text_stays_the_default(synthetic_dir, tmp_path, capsys):
    path = str(tmp_path / "s.sqlite3")
    tc.WxStorage(path, app_id="a", user_id="u").close()
    assert main(["storage", "info", "--path", path, "--app-id", "a", "--user-id", "u"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("storage ") and "of 10 MiB" in out and "0 keys, 0 models" in out
