"""Fixtures for the storage tests: every backend behind one factory."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

import tfcache_nb as tc
from tfcache_nb.storage.base import KeyValueStorage

BACKENDS = ["sqlite-file", "sqlite-memory", "dict"]


@pytest.fixture(params=BACKENDS)
def make_store(request, tmp_path) -> Iterator[Callable[..., KeyValueStorage]]:
    """``make_store(**limits)``: a fresh, empty namespace of the backend under test."""
    opened = []

    def make(**kwargs):
        if request.param == "sqlite-file":
            store = tc.WxStorage(tmp_path / f"store{len(opened)}.sqlite3", **kwargs)
        elif request.param == "sqlite-memory":
            store = tc.WxStorage(":memory:", **kwargs)
        else:
            store = tc.DictStorage(**kwargs)
        opened.append(store)
        return store

    make.backend = request.param  # type: ignore[attr-defined]
    yield make
    for store in opened:
        store.close()


def _snapshot(store: KeyValueStorage) -> tuple[list[str], dict[str, str | None], int]:
    keys = store.keys()
    return keys, {k: store.get_text(k) for k in keys}, store.used_bytes


@pytest.fixture
def snapshot() -> Callable[[KeyValueStorage], tuple]:
    """``snapshot(store)``: key order, every raw JSON text, and bytes in use."""
    return _snapshot
