"""Fixtures for the chart and dashboard tests: real SQLite storages and served models."""

from __future__ import annotations

import pytest

from tfcache_nb.cache.loader import load_artifacts
from tfcache_nb.netsim.server import ModelServer
from tfcache_nb.storage.wx_storage import WxStorage


@pytest.fixture(scope="module")
def two_users(tmp_path_factory, synthetic_dir):
    """alice cached the synthetic model; bob tried a model that does not fit in a 2 MB cap."""
    path = tmp_path_factory.mktemp("viz") / "s.sqlite3"
    alice = WxStorage(path, app_id="photo-app", user_id="alice")
    bob = WxStorage(path, app_id="photo-app", user_id="bob", limit_bytes=2 * 1024 * 1024)
    bob.set("settings", {"theme": "dark"})
    with ModelServer(synthetic_dir) as srv:
        _, saved = load_artifacts(srv.url + "/model.json", cache=alice)
        _, failed = load_artifacts(srv.url + "/model.json", cache=bob)
    assert saved.saved and not failed.saved
    yield alice, bob, saved, failed
    alice.close()
    bob.close()
