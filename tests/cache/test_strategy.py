"""load_artifacts(strategy=...): what each strategy asks the server, and what it gets, while the model changes.

A real ModelServer on 127.0.0.1 serves a copy of the synthetic model; a new version is
published by changing one weight byte and writing a new model.json (new ETag). The server's
request log says which requests each load made.
"""

from __future__ import annotations

import json
import shutil

import pytest

import tfcache_nb as tc
from tfcache_nb.io.file_storage_io import list_file_models


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def folder(tmp_path, synthetic_dir):
    dst = tmp_path / "model"
    shutil.copytree(synthetic_dir, dst)
    return dst


@pytest.fixture
def served(folder):
    with tc.ModelServer(folder) as srv:
        yield srv, srv.url + "/model.json"


@pytest.fixture
def store(tmp_path):
    s = tc.WxStorage(tmp_path / "wx.sqlite3", app_id="wx1", user_id="u")
    yield s
    s.close()


def publish(folder, version: int) -> None:
    """A new version: one weight byte changed, model.json rewritten (so its ETag changes)."""
    doc = json.loads((folder / "model.json").read_text())
    shard = folder / doc["weightsManifest"][0]["paths"][0]
    data = bytearray(shard.read_bytes())
    data[4 * version] ^= 0x01
    shard.write_bytes(bytes(data))
    doc["userDefinedMetadata"] = {"version": version}
    (folder / "model.json").write_text(json.dumps(doc))


def requests_made(srv) -> list[str]:
    log = [r.path for r in srv.request_log]
    srv.reset_log()
    return log


def test_cache_first_is_the_default_and_never_asks_again(served, folder, store):
    srv, url = served
    first, cold = tc.load_artifacts(url, cache=store)
    assert cold.strategy == "cacheFirst" and cold.source == "network"
    publish(folder, 1)
    requests_made(srv)
    again, warm = tc.load_artifacts(url, cache=store, strategy="cacheFirst")
    assert warm.source == "cache" and requests_made(srv) == []
    assert again.weight_data == first.weight_data  # stale: the server has another version now


def test_latest_costs_one_request_when_unchanged_and_fetches_a_change(served, folder, store):
    srv, url = served
    tc.load_artifacts(url, cache=store)
    requests_made(srv)
    _, same = tc.load_artifacts(url, cache=store, strategy="latest")
    assert same.source == "cache" and same.revalidated == "not modified (304)"
    assert [(r.path, r.status) for r in srv.request_log] == [("/model.json", 304)] and same.bytes_network == 0
    srv.reset_log()
    publish(folder, 1)
    art, changed = tc.load_artifacts(url, cache=store, strategy="latest")
    assert changed.source == "network" and changed.saved and art.user_defined_metadata == {"version": 1}
    assert len(requests_made(srv)) > 1


def test_revalidate_true_is_an_alias_of_latest(served, store):
    srv, url = served
    tc.load_artifacts(url, cache=store)
    _, alias = tc.load_artifacts(url, cache=store, revalidate=True)
    assert alias.strategy == "latest" and alias.revalidated == "not modified (304)"
    _, both = tc.load_artifacts(url, cache=store, revalidate=True, strategy="latest")
    assert both.strategy == "latest"
    with pytest.raises(tc.InvalidArgumentError, match="contradicts"):
        tc.load_artifacts(url, cache=store, revalidate=True, strategy="cacheFirst")


def test_max_age_asks_at_most_every_t_seconds_by_the_injected_clock(served, folder, store):
    srv, url = served
    clock = FakeClock()
    tc.load_artifacts(url, cache=store, clock=clock)
    publish(folder, 1)
    requests_made(srv)
    clock.now += 5 * 3600
    old, trusted = tc.load_artifacts(url, cache=store, strategy="latest", max_age=6 * 3600, clock=clock)
    assert trusted.source == "cache" and requests_made(srv) == [] and "not asked" in trusted.revalidated
    assert old.user_defined_metadata != {"version": 1}
    clock.now += 2 * 3600  # 7 h since the download: past max_age
    new, asked = tc.load_artifacts(url, cache=store, max_age=6 * 3600, clock=clock)  # max_age alone = latest
    assert asked.strategy == "latest (max_age 6 h)" and asked.source == "network"
    assert new.user_defined_metadata == {"version": 1}
    clock.now += 3600
    requests_made(srv)
    _, after = tc.load_artifacts(url, cache=store, strategy=tc.Strategy("latest", max_age=6 * 3600), clock=clock)
    assert after.source == "cache" and requests_made(srv) == []
    # the times come from the injected clock, not the machine's
    meta = tc.local_storage_io(store, after.cache_key).read_metadata()
    assert meta.last_used == clock.now and meta.checked_at == clock.now - 3600


def test_a_304_restarts_the_max_age_clock(served, store):
    srv, url = served
    clock = FakeClock()
    tc.load_artifacts(url, cache=store, clock=clock)
    clock.now += 7200
    _, checked = tc.load_artifacts(url, cache=store, strategy="latest", max_age=3600, clock=clock)
    assert checked.revalidated == "not modified (304)"
    clock.now += 1800
    requests_made(srv)
    _, trusted = tc.load_artifacts(url, cache=store, strategy="latest", max_age=3600, clock=clock)
    assert trusted.source == "cache" and requests_made(srv) == []


def test_network_first_downloads_every_time_and_falls_back_to_the_cache(served, store):
    srv, url = served
    art, first = tc.load_artifacts(url, cache=store, strategy="networkFirst")
    _, second = tc.load_artifacts(url, cache=store, strategy="networkFirst")
    assert first.source == second.source == "network" and second.saved
    assert second.bytes_network >= len(art.weight_data)
    srv.offline = True
    back, fallback = tc.load_artifacts(url, cache=store, strategy="networkFirst", retries=0, timeout=2)
    assert fallback.source == "cache" and fallback.stale and back.weight_data == art.weight_data
    assert "network failed" in fallback.revalidated


def test_network_only_never_touches_the_cache(served, store):
    _, url = served
    store.set("app", 1)
    _, report = tc.load_artifacts(url, cache=store, strategy="networkOnly")
    assert report.source == "network" and not report.saved and report.cache_key is None
    assert store.keys() == ["app"]


def test_cache_only_never_uses_the_network(served, store):
    srv, url = served
    requests_made(srv)
    with pytest.raises(tc.ModelLoadError, match="cacheOnly"):
        tc.load_artifacts(url, cache=store, strategy="cacheOnly")
    assert requests_made(srv) == [] and store.keys() == []
    tc.load_artifacts(url, cache=store)
    requests_made(srv)
    _, report = tc.load_artifacts(url, cache=store, strategy="cacheOnly")
    assert report.source == "cache" and requests_made(srv) == []


def test_versioned_keys_miss_on_a_new_version_and_evict_the_old_one(served, folder, store):
    srv, url = served
    store.set("app", {"level": 3})
    _, v1 = tc.load_artifacts(url, cache=store, cache_key="net", version="1")
    assert v1.cache_key == "net@1" and v1.saved
    _, hit = tc.load_artifacts(url, cache=store, cache_key="net", version="1")
    assert hit.source == "cache"
    publish(folder, 2)
    art, v2 = tc.load_artifacts(url, cache=store, cache_key="net", version=2)
    assert v2.source == "network" and v2.cache_key == "net@2" and v2.evicted == ["net@1"]
    assert sorted(tc.list_models(store)) == ["net@2"] and store.get("app") == {"level": 3}
    assert art.user_defined_metadata == {"version": 2}
    with pytest.raises(tc.InvalidArgumentError, match="version"):
        tc.load_artifacts(url, cache=store, cache_key="net", version="../x")


def test_bad_strategy_arguments_are_one_clear_error(served, store):
    _, url = served
    with pytest.raises(tc.InvalidArgumentError, match="unknown cache strategy 'stale-while-revalidate'"):
        tc.load_artifacts(url, cache=store, strategy="stale-while-revalidate")
    with pytest.raises(tc.InvalidArgumentError, match="max_age only applies"):
        tc.load_artifacts(url, cache=store, strategy="cacheFirst", max_age=60)
    with pytest.raises(tc.InvalidArgumentError, match="max_age must be"):
        tc.load_artifacts(url, cache=store, max_age=-1)
    with pytest.raises(tc.InvalidArgumentError, match="clock"):
        tc.load_artifacts(url, cache=store, clock=5)
    assert store.keys() == []


@pytest.mark.parametrize("kind", ["folder", "tiered"])
def test_a_new_version_evicts_the_old_one_from_file_storage_too(served, folder, store, tmp_path, kind):
    _, url = served
    files = tmp_path / "files"
    cache = files if kind == "folder" else tc.TieredCache(store, files)
    old = tc.file_storage_io(files, "net@1") if kind == "folder" else cache.file("net@1")
    _, v1 = tc.load_artifacts(url, cache=cache, cache_key="net", version="1")
    if kind == "tiered":  # as if v1 had been too big for local storage: it sits in the file tier
        cache.local("net@1").remove()
        cache.file("net@1").save(tc.load_artifacts(url)[0])
    assert v1.saved and old.exists()
    publish(folder, 2)
    _, v2 = tc.load_artifacts(url, cache=cache, cache_key="net", version="2")
    assert v2.saved and v2.evicted == ["net@1"] and not old.exists()
    models = tc.list_models(cache) if kind == "tiered" else list_file_models(files)
    assert sorted(models) == ["net@2"]


def test_network_first_falls_back_to_the_file_tier(served, store, tmp_path):
    srv, url = served
    cache = tc.TieredCache(store, tmp_path / "files")
    art, _ = tc.load_artifacts(url, cache=cache, cache_key="m", strategy="networkFirst")
    cache.local("m").remove()
    cache.file("m").save(art)
    srv.offline = True
    back, fallback = tc.load_artifacts(url, cache=cache, cache_key="m", strategy="networkFirst",
                                       retries=0, timeout=2)
    assert fallback.source == "cache" and fallback.stale and fallback.tier == "file"
    assert back.weight_data == art.weight_data


def stored_rows(store) -> dict[str, str]:
    return {k: store.get_text(k) for k in store.keys()}


@pytest.mark.parametrize("fault, options", [
    (tc.Fault.status(503, path="*shard*"), {}),
    (tc.Fault.short_body(path="*shard*"), {}),
    (tc.Fault.reset(path="*shard*"), {}),
    (tc.Fault.stall(30, path="*shard*"), {"deadline": 1.0}),
], ids=["5xx", "broken shard", "connection reset", "deadline"])
@pytest.mark.parametrize("how", [{"strategy": "latest"}, {"revalidate": True}], ids=["latest", "revalidate"])
def test_latest_serves_the_cached_copy_when_the_changed_model_cannot_be_downloaded(served, folder, store,
                                                                                  fault, options, how):
    srv, url = served
    clock = FakeClock()
    first, _ = tc.load_artifacts(url, cache=store, clock=clock)
    publish(folder, 1)
    srv.add_fault(fault)
    rows = stored_rows(store)
    requests_made(srv)
    clock.now += 60
    art, report = tc.load_artifacts(url, cache=store, clock=clock, retries=0, timeout=2, **options, **how)
    assert report.requests == 2  # asked (model.json changed), then tried the download once
    assert report.source == "cache" and report.stale and art.weight_data == first.weight_data
    assert report.revalidated.startswith("changed on the server but could not be downloaded, cached copy used: ")
    assert "shard" in report.revalidated or "deadline" in report.revalidated, report.revalidated
    assert not report.saved and report.save_error is None and report.cache_miss_reason is None
    assert "may be stale" in str(report)
    # nothing saved or removed: the same entry, only its last-used time moved (not its checked time)
    after = stored_rows(store)
    assert after.keys() == rows.keys()
    assert all(after[k] == rows[k] for k in rows if not k.endswith("/info"))
    meta = tc.local_storage_io(store, report.cache_key).read_metadata()
    assert meta.last_used == clock.now and meta.checked_at == clock.now - 60


def test_latest_without_a_usable_cached_copy_still_raises_when_the_download_fails(served, folder, store):
    srv, url = served
    srv.add_fault(tc.Fault.status(503, path="*shard*"))
    with pytest.raises(tc.ModelLoadError, match="503"):
        tc.load_artifacts(url, cache=store, strategy="latest", retries=0, timeout=2)
    assert store.keys() == []


@pytest.mark.parametrize("fault, error", [
    (tc.Fault.html_error_page(path="model.json"), tc.ModelLoadError),
    (tc.Fault.body('{"format": "graph-model", "modelTopology": {"node": [', content_type="application/json",
                   path="model.json"), tc.ModelFormatError),
], ids=["captive portal page", "truncated model.json"])
@pytest.mark.parametrize("how", [{"strategy": "latest"}, {"revalidate": True}, {"strategy": "networkFirst"}],
                         ids=["latest", "revalidate", "networkFirst"])
def test_an_answer_that_is_not_a_model_falls_back_to_the_cached_copy(served, folder, store, tmp_path, how,
                                                                     fault, error):
    """The server answers model.json with something that is not a model (a captive portal's page,
    a deploy cut short): a strategy that may use the cache serves the copy it has, marked stale;
    with nothing cached, the load fails with what was wrong."""
    srv, url = served
    first, _ = tc.load_artifacts(url, cache=store)
    publish(folder, 1)
    srv.add_fault(fault)
    rows = stored_rows(store)
    art, report = tc.load_artifacts(url, cache=store, retries=0, timeout=2, **how)
    assert report.source == "cache" and report.stale and art.weight_data == first.weight_data
    assert not report.saved and stored_rows(store).keys() == rows.keys()
    said = (report.revalidated or "") + (report.cache_error or "") + str(report)
    assert "cached copy" in said or "stale" in said, said
    empty = tc.WxStorage(tmp_path / "empty.sqlite3")
    try:
        with pytest.raises(error):
            tc.load_artifacts(url, cache=empty, retries=0, timeout=2, **how)
        assert empty.keys() == []
    finally:
        empty.close()
