"""The second tier (file storage in a TieredCache) keeps the storages' promises.

- A model that fits no acceptable form in local storage lands in the file tier, loads from
  there warm, byte for byte, and the report and ``list_models`` say which tier holds it.
- SIGKILL during saves, for real: afterwards every model found loads whole and is exactly a
  version that was saved, or its damage is caught by the SHA-256 check and the next load
  fetches it again; no temporary file outlives a sweep; the file limit holds.
- Damaged files (truncated weights, bad JSON, a missing file) are misses, never used.
- Eviction in the file tier removes only the toolkit's own models, least recently used first.
- Threads loading through one TieredCache at once all get correct models.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import tfcache_nb as tc
from rel_helpers import SOAK, hold_lock, make_artifacts, raw_exec, write_model
from tfcache_nb._atomic import TEMP_GLOB
from tfcache_nb.cache.loader import load_artifacts

WORKER = Path(__file__).resolve().parent / "tiered_kill_worker.py"
SIZES = (20_000, 150_000, 400_000, 700_000)  # 80 KB .. 2.8 MB of float32: local fits only the small


def _sources(tmp_path: Path) -> Path:
    root = tmp_path / "sources"
    for n in SIZES:
        for seed in (1, 2):
            write_model(root / f"{n}_{seed}", n_floats=n, seed=seed, shard_bytes=4_000_000)
    return root


def _cache(tmp_path: Path, limit: int = 8_000_000) -> tc.TieredCache:
    return tc.TieredCache(tc.WxStorage(tmp_path / "wx.sqlite3", limit_bytes=1_000_000), tmp_path / "usr",
                          limit_bytes=limit)


def test_a_model_too_big_for_local_storage_lands_in_files_and_loads_back_byte_for_byte(tmp_path):
    source = write_model(tmp_path / "big", n_floats=400_000, seed=3, shard_bytes=4_000_000)
    cache = _cache(tmp_path)
    first, cold = load_artifacts(source, cache=cache, max_drift=0, quantize="auto")
    assert cold.saved and cold.tier == "file" and cold.quantization is None, cold.save_error
    assert "file storage" in str(cold)
    warm_art, warm = load_artifacts(source, cache=cache)
    assert warm.source == "cache" and warm.tier == "file" and "read from file storage" in str(warm)
    assert warm_art.weight_data == first.weight_data and warm_art.weight_specs == first.weight_specs
    listed = tc.list_models(cache)
    assert [(k, v.tier) for k, v in listed.items()] == [(cold.cache_key, "file")]
    small = write_model(tmp_path / "small", n_floats=20_000, seed=4)
    _, local = load_artifacts(small, cache=cache)
    assert local.tier == "local" and tc.list_models(cache)[local.cache_key].tier == "local"
    assert cache.file_used_bytes() <= cache.limit_bytes


def test_mobilenet_075_float32_with_max_drift_0_goes_to_file_storage(models_dir, tmp_path):
    cache = tc.TieredCache(tc.WxStorage(tmp_path / "wx.sqlite3"), tmp_path / "usr")
    source = models_dir / "mobilenet_v1_0.75_224"
    model = tc.load_model(source, cache=cache, quantize="auto", max_drift=0)
    assert model.report.tier == "file" and model.report.quantization is None and model.report.drift == 0.0
    warm = tc.load_model(source, cache=cache, quantize="auto", max_drift=0)
    assert warm.report.source == "cache" and warm.report.tier == "file"
    assert warm.artifacts.weight_data == model.artifacts.weight_data
    assert warm.artifacts.weight_data == tc.folder_io(source).load().weight_data  # byte for byte


def test_a_model_that_fits_nowhere_is_not_saved_and_the_report_says_both(tmp_path):
    source = write_model(tmp_path / "big", n_floats=700_000, seed=5, shard_bytes=4_000_000)
    cache = _cache(tmp_path, limit=1_000_000)
    _, report = load_artifacts(source, cache=cache, max_drift=0, quantize="auto")
    assert not report.saved
    assert "local storage:" in report.save_error and "file storage:" in report.save_error
    with pytest.raises(tc.StorageQuotaError, match="file storage"):
        load_artifacts(source, cache=cache, on_full="error")


@pytest.mark.parametrize("damage", ["truncate weights", "bad info json", "missing topology", "flip a byte"])
def test_damaged_files_are_misses_fetched_again(tmp_path, damage, figures):
    source = write_model(tmp_path / "big", n_floats=400_000, seed=6, shard_bytes=4_000_000)
    cache = _cache(tmp_path)
    original, saved = load_artifacts(source, cache=cache)
    assert saved.tier == "file"
    entry = cache.file(saved.cache_key)
    if damage == "truncate weights":
        entry.weight_path.write_bytes(entry.weight_path.read_bytes()[:1000])
    elif damage == "bad info json":
        entry.info_path.write_text("{not json", encoding="utf-8")
    elif damage == "missing topology":
        entry.model_path.unlink()
    else:
        data = bytearray(entry.weight_path.read_bytes())
        data[len(data) // 2] ^= 0xFF
        entry.weight_path.write_bytes(bytes(data))
    figures["file_tier_damage_cases"] += 1
    again, report = load_artifacts(source, cache=cache)
    assert report.source == "network" and "damaged" in (report.cache_miss_reason or ""), report.cache_miss_reason
    assert again.weight_data == original.weight_data and report.saved and report.tier == "file"
    _, warm = load_artifacts(source, cache=cache)
    assert warm.source == "cache"


def test_file_tier_eviction_removes_only_the_toolkits_own_models(tmp_path):
    cache = _cache(tmp_path, limit=6_000_000)
    foreign = cache.folder / "someone_elses_photo.jpg"
    cache.folder.mkdir(parents=True)
    foreign.write_bytes(b"x" * 1_000_000)
    plugin_saved = cache.file("by-the-plugin")  # saved without the toolkit's record
    plugin_saved.save(make_artifacts(100_000, 9))
    a = write_model(tmp_path / "a", n_floats=400_000, seed=1, shard_bytes=4_000_000)
    b = write_model(tmp_path / "b", n_floats=400_000, seed=2, shard_bytes=4_000_000)
    _, ra = load_artifacts(a, cache=cache)
    assert ra.tier == "file"
    _, rb = load_artifacts(b, cache=cache)  # 1.6 + 1.6 + 1 + 0.4 MB > 6 MB? no: fits
    assert rb.tier == "file"
    c = write_model(tmp_path / "c", n_floats=600_000, seed=3, shard_bytes=4_000_000)
    _, rc = load_artifacts(c, cache=cache)
    assert rc.saved and rc.tier == "file" and rc.evicted == [ra.cache_key]  # the least recently used
    assert foreign.is_file() and plugin_saved.exists()
    assert cache.file_used_bytes() <= cache.limit_bytes


def test_threads_loading_through_one_tiered_cache_get_correct_models(tmp_path, figures):
    sources = _sources(tmp_path)
    cache = _cache(tmp_path, limit=40_000_000)
    names = sorted(p.name for p in sources.iterdir())
    expected = {name: tc.folder_io(sources / name).load().weight_data for name in names}
    errors: list[str] = []

    def work(index: int) -> None:
        for round_ in range(3 * SOAK):
            name = names[(index + round_) % len(names)]
            try:
                art, _ = load_artifacts(sources / name, cache=cache, cache_key=name)
            except tc.TfcacheError as exc:
                errors.append(f"{name}: {exc}")
                continue
            if art.weight_data != expected[name]:
                errors.append(f"{name}: wrong weights")
            figures["file_tier_thread_loads"] += 1

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    tiers = {k: v.tier for k, v in tc.list_models(cache).items()}
    assert set(tiers.values()) == {"local", "file"}


def _check_after_kill(cache: tc.TieredCache, sources: Path) -> None:
    for key in ("m0", "m1"):
        for entry in cache.entries(key):
            if not entry.exists():
                continue
            try:
                art = entry.load(verify=True)
            except tc.CacheIntegrityError:
                # a weight file replaced but not its info: caught; the loader fetches it again
                meta = entry.read_metadata()
                again, report = load_artifacts(sources / meta.source.split("/")[-2], cache=cache, cache_key=key)
                assert report.source == "network" and "damaged" in report.cache_miss_reason
                continue
            meta = entry.read_metadata()
            name = Path(meta.source).parent.name
            assert art.weight_data == tc.folder_io(sources / name).load().weight_data, f"{key} is a mix"


def test_kill_during_tiered_saves_leaves_old_or_new_never_a_mix(tmp_path, figures):
    sources = _sources(tmp_path)
    path, folder = tmp_path / "wx.sqlite3", tmp_path / "usr"
    cache = tc.TieredCache(tc.WxStorage(path, limit_bytes=1_000_000), folder, limit_bytes=8_000_000)
    kills = 6 * SOAK
    in_file_tier_loads = 0  # kills that landed inside a load of a model only the file tier holds
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(WORKER.parent)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p])}
    for kill in range(kills):
        proc = subprocess.Popen([sys.executable, str(WORKER), str(path), str(folder), str(sources), str(kill)],
                                stdout=subprocess.PIPE, text=True, env=env)
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(0.2 + 0.15 * (kill % 5))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        last = (proc.stdout.read().splitlines() or ["ready"])[-1].split()
        if last[0] == "begin" and int(last[3].split("_")[0]) >= SIZES[2]:
            in_file_tier_loads += 1
        figures["file_tier_kills"] += 1
        _check_after_kill(cache, sources)
        for temp in (folder / "tensorflowjs_models").glob(TEMP_GLOB):
            os.utime(temp, (time.time() - 120, time.time() - 120))  # as if the kill was long ago
        cache.sweep_temp_files()
        assert not list((folder / "tensorflowjs_models").glob(TEMP_GLOB))
        assert cache.file_used_bytes() <= cache.limit_bytes
    assert in_file_tier_loads > 0, "no kill landed inside a file-tier load: the test proved nothing"


def test_sweep_removes_only_old_temporary_files_of_the_real_writer(tmp_path):
    from tfcache_nb._atomic import write_temp  # the writer every save uses

    cache = _cache(tmp_path)
    base = cache.folder / "tensorflowjs_models"
    base.mkdir(parents=True)
    old, young = write_temp(base, b"x" * 1000), write_temp(base, b"y" * 1000)  # names as a killed save leaves
    os.utime(old, (time.time() - 120, time.time() - 120))
    foreign = base / "notes.part"
    foreign.write_bytes(b"z")
    os.utime(foreign, (time.time() - 120, time.time() - 120))
    assert cache.file_used_bytes() == 2001  # temporary files count against the limit until swept
    assert cache.sweep_temp_files() == 1
    assert not old.exists() and young.exists() and foreign.exists()
    assert cache.file_used_bytes() == 1001


def test_file_tier_evicts_the_least_recently_used_by_use_not_by_save(tmp_path):
    cache = _cache(tmp_path, limit=5_000_000)
    a = write_model(tmp_path / "a", n_floats=400_000, seed=1, shard_bytes=4_000_000)
    b = write_model(tmp_path / "b", n_floats=400_000, seed=2, shard_bytes=4_000_000)
    c = write_model(tmp_path / "c", n_floats=600_000, seed=3, shard_bytes=4_000_000)
    assert load_artifacts(a, cache=cache, cache_key="a")[1].tier == "file"
    assert load_artifacts(b, cache=cache, cache_key="b")[1].tier == "file"
    _, warm = load_artifacts(a, cache=cache, cache_key="a")  # a used again: b is now the least recent
    assert warm.source == "cache" and warm.tier == "file"
    _, rc = load_artifacts(c, cache=cache, cache_key="c")
    assert rc.saved and rc.tier == "file" and rc.evicted == ["b"]
    assert sorted(tc.list_models(cache)) == ["a", "c"]
    assert cache.file_used_bytes() <= cache.limit_bytes


def test_file_tier_evicts_nothing_when_eviction_would_not_make_room(tmp_path):
    cache = _cache(tmp_path, limit=4_000_000)
    a = write_model(tmp_path / "a", n_floats=400_000, seed=1, shard_bytes=4_000_000)
    b = write_model(tmp_path / "b", n_floats=600_000, seed=2, shard_bytes=4_000_000)
    assert load_artifacts(a, cache=cache, cache_key="a")[1].tier == "file"
    foreign = cache.folder / "photos" / "big.jpg"  # not the toolkit's: counts, never evicted
    foreign.parent.mkdir()
    foreign.write_bytes(b"x" * 2_000_000)
    kept = cache.file("a").weight_path.read_bytes()
    _, rb = load_artifacts(b, cache=cache, cache_key="b")
    assert not rb.saved and "would not make room" in rb.save_error and rb.evicted == []
    assert cache.file("a").weight_path.read_bytes() == kept and foreign.stat().st_size == 2_000_000
    assert sorted(tc.list_models(cache)) == ["a"]


def test_a_new_version_saved_in_one_tier_removes_the_old_copy_from_the_other(tmp_path):
    folder = tmp_path / "served"
    cache = _cache(tmp_path)
    with tc.ModelServer(write_model(folder, n_floats=400_000, seed=1, shard_bytes=4_000_000)) as srv:
        url = srv.url + "/model.json"
        big, first = load_artifacts(url, cache=cache, cache_key="m")
        assert first.tier == "file" and cache.tier_of("m") == "file"
        write_model(folder, n_floats=20_000, seed=2)  # the server now has a small version
        small, changed = load_artifacts(url, cache=cache, cache_key="m", revalidate=True)
        assert changed.source == "network" and changed.saved and changed.tier == "local"
        assert not cache.file("m").exists()  # the big old copy is gone, not left behind
        write_model(folder, n_floats=400_000, seed=3, shard_bytes=4_000_000)  # and big again
        big3, grown = load_artifacts(url, cache=cache, cache_key="m", revalidate=True)
        assert grown.saved and grown.tier == "file"
        assert not cache.local("m").exists()  # else loads would find the stale local copy first
        warm_art, warm = load_artifacts(url, cache=cache, cache_key="m")
        assert warm.source == "cache" and warm.tier == "file" and warm_art.weight_data == big3.weight_data
        assert big3.weight_data != big.weight_data and small.weight_data != big.weight_data



def test_a_damaged_local_tier_leaves_the_file_tier_usable_for_loads_and_saves(tmp_path):
    store_path = tmp_path / "wx.sqlite3"
    cache = tc.TieredCache(tc.WxStorage(store_path, limit_bytes=1_000_000), tmp_path / "usr", limit_bytes=8_000_000)
    big = write_model(tmp_path / "big", n_floats=400_000, seed=3, shard_bytes=4_000_000)
    small = write_model(tmp_path / "small", n_floats=20_000, seed=4)
    first, cold = load_artifacts(big, cache=cache, cache_key="big")
    assert cold.tier == "file"
    raw_exec(store_path, "DROP TABLE entries")  # another program damages the local storage file
    with pytest.raises(tc.StorageError):
        cache.store.keys()
    art, warm = load_artifacts(big, cache=cache, cache_key="big")
    assert warm.source == "cache" and warm.tier == "file" and art.weight_data == first.weight_data
    assert warm.cache_error.startswith("local storage: ") and "no such table" in warm.cache_error
    assert "local storage" in str(warm)
    # a model local storage would take goes to the file tier while local storage is unusable
    s_art, saved = load_artifacts(small, cache=cache, cache_key="small")
    assert saved.source == "network" and saved.saved and saved.tier == "file", saved.save_error
    assert saved.cache_error.startswith("local storage: ") and saved.save_error is None
    _, hit = load_artifacts(small, cache=cache, cache_key="small", strategy="cacheOnly")
    assert hit.source == "cache" and hit.tier == "file"
    _, again = load_artifacts(small, cache=cache, cache_key="small", strategy="networkFirst", version="2")
    assert again.source == "network" and again.saved and again.tier == "file", again.save_error
    assert again.evicted == ["small"] and cache.file_models() == ["big", "small@2"]
    assert cache.file("small@2").load().weight_data == s_art.weight_data


def test_a_local_tier_locked_by_another_writer_sends_the_save_to_the_file_tier(tmp_path):
    store_path = tmp_path / "wx.sqlite3"
    store = tc.WxStorage(store_path, limit_bytes=1_000_000, timeout=0.2)
    cache = tc.TieredCache(store, tmp_path / "usr", limit_bytes=8_000_000)
    small = write_model(tmp_path / "small", n_floats=20_000, seed=4)
    proc = hold_lock(store_path, 30, "normal")  # WAL: reads go on, writes wait and give up
    try:
        art, report = load_artifacts(small, cache=cache, cache_key="small")
        assert report.source == "network" and report.saved and report.tier == "file", report.save_error
        assert report.cache_error.startswith("local storage: ") and "locked" in report.cache_error
    finally:
        proc.kill()
        proc.wait(10)
    assert not cache.local("small").exists() and cache.file("small").load().weight_data == art.weight_data
    _, warm = load_artifacts(small, cache=cache, cache_key="small")
    assert warm.source == "cache" and warm.tier == "file" and warm.cache_error is None
    store.close()
