"""The storage chart shows which tier of a TieredCache holds each model."""

from __future__ import annotations

import tfcache_nb as tc
from tfcache_nb.cache.loader import load_artifacts
from tfcache_nb.viz.storage_usage import storage_usage


def test_storage_chart_shows_both_tiers(synthetic_dir, tmp_path):
    store = tc.WxStorage(tmp_path / "wx.sqlite3", limit_bytes=2_000_000)  # the 2.6 MB model goes to files
    cache = tc.TieredCache(store, tmp_path / "usr")
    _, report = load_artifacts(synthetic_dir, cache=cache)
    assert report.tier == "file"
    (usage,) = storage_usage(cache)
    assert usage.models == [] and [m.key for m in usage.file_tier.models] == [report.cache_key]
    assert usage.file_tier.used_bytes == cache.file_used_bytes() and usage.file_tier.limit_bytes == cache.limit_bytes
    fig = tc.plot_storage(cache)
    texts = [t for t in fig.axes[0].texts if t.get_gid() == "file-tier"]
    assert len(texts) == 1 and report.cache_key in texts[0].get_text() and "of 200 MiB" in texts[0].get_text()
    plain = storage_usage(store)[0]
    assert plain.file_tier is None
    store.close()
