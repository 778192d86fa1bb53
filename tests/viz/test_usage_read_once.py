"""The storage table and chart read each namespace once, and each model's info entry once."""

from __future__ import annotations

import math

from tfcache_nb._html import human_seconds
from tfcache_nb.io.local_storage_io import LocalStorageIO
from tfcache_nb.viz.html import storage_html, usage_html
from tfcache_nb.viz.storage_usage import namespace_usage


def test_namespace_usage_reads_each_info_entry_once(two_users, monkeypatch):
    alice, _, saved, _ = two_users
    calls = []
    original = LocalStorageIO.read_info

    def counting(self):
        calls.append(self.key)
        return original(self)

    monkeypatch.setattr(LocalStorageIO, "read_info", counting)
    u = namespace_usage(alice)
    assert calls == [saved.cache_key]
    assert u.models[0].raw_weight_bytes == saved.weight_bytes


def test_storage_html_is_usage_html_of_the_namespace(two_users):
    alice, bob, _, _ = two_users
    for store in (alice, bob):
        assert storage_html(store) == usage_html(namespace_usage(store))


def test_human_seconds_shows_a_missing_figure_as_a_dash():
    assert human_seconds(None) == human_seconds(math.nan) == "-"
    assert human_seconds(0.0142) == "14.2 ms" and human_seconds(2.5) == "2.50 s"
