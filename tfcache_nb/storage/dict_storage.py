"""An in-process storage with exactly the WeChat semantics of :class:`WxStorage`.

Nothing is persisted. It is a fast stand-in for experiments, and a second backend that the
shared test suite holds to the same behaviour as the SQLite one.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from ..errors import StorageError
from .base import DEFAULT_LIMIT_BYTES, DEFAULT_MAX_VALUE_BYTES, KeyValueStorage, utf8_len

_Namespace = tuple[str, str]


class _Space:
    """Every namespace of one in-memory backend, shared by its ``for_namespace`` views."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.entries: dict[_Namespace, dict[str, tuple[str, int]]] = {}
        self.used: dict[_Namespace, int] = {}


class DictStorage(KeyValueStorage):
    """WeChat-style storage in a Python dict: same sizes, limits, errors and atomicity."""

    def __init__(self, *, app_id: str = "default", user_id: str = "default",
                 limit_bytes: int = DEFAULT_LIMIT_BYTES,
                 max_value_bytes: int = DEFAULT_MAX_VALUE_BYTES,
                 _space: _Space | None = None) -> None:
        super().__init__(app_id=app_id, user_id=user_id, limit_bytes=limit_bytes,
                         max_value_bytes=max_value_bytes)
        self._space = _space if _space is not None else _Space()
        self._ns: _Namespace = (app_id, user_id)

    def __repr__(self) -> str:
        state = ", closed" if self._closed else ""
        return (f"DictStorage(app_id={self.app_id!r}, user_id={self.user_id!r}, "
                f"limit_bytes={self.limit_bytes}, max_value_bytes={self.max_value_bytes}{state})")

    # ----------------------------------------------------------------- primitives
    def _read_text(self, key: str) -> str | None:
        with self._space.lock:
            entry = self._space.entries.get(self._ns, {}).get(key)
        return None if entry is None else entry[0]

    def _write(self, sets: dict[str, tuple[str, int]], removes: list[str]) -> None:
        space = self._space
        with space.lock:
            entries = space.entries.get(self._ns, {})
            used = space.used.get(self._ns, 0)
            old = {k: entries[k][1] for k in (*sets, *removes) if k in entries}
            new_used = self._plan_total(used, old, sets)
            # nothing below can fail, so the write is all or nothing
            for k in removes:
                entries.pop(k, None)
            entries.update(sets)
            if entries:
                space.entries[self._ns] = entries
                space.used[self._ns] = new_used
            else:
                space.entries.pop(self._ns, None)
                space.used.pop(self._ns, None)

    def _clear(self) -> None:
        with self._space.lock:
            self._space.entries.pop(self._ns, None)
            self._space.used.pop(self._ns, None)

    def _keys(self) -> list[str]:
        with self._space.lock:
            return list(self._space.entries.get(self._ns, {}))

    def _count(self) -> int:
        with self._space.lock:
            return len(self._space.entries.get(self._ns, {}))

    def _entry_sizes(self, prefix: str) -> dict[str, int]:
        with self._space.lock:
            items = list(self._space.entries.get(self._ns, {}).items())
        return {k: size for k, (_, size) in items if k.startswith(prefix)}

    def _used(self) -> int:
        with self._space.lock:
            return self._space.used.get(self._ns, 0)

    def _keys_and_used(self) -> tuple[list[str], int]:
        with self._space.lock:
            return self._keys(), self._used()

    # ----------------------------------------------------------------- namespaces
    def namespaces(self) -> list[tuple[str, str]]:
        """Every ``(app_id, user_id)`` holding data in this in-memory backend, sorted."""
        self._check_open()
        with self._space.lock:
            return sorted(self._space.entries)

    def for_namespace(self, app_id: str, user_id: str) -> DictStorage:
        """Another namespace sharing this backend's memory, with the same limits."""
        self._check_open()
        return DictStorage(app_id=app_id, user_id=user_id, limit_bytes=self.limit_bytes,
                           max_value_bytes=self.max_value_bytes, _space=self._space)

    @contextmanager
    def snapshot(self, write: bool = False) -> Iterator[None]:
        """Hold the shared lock: no other thread writes until the block ends."""
        self._check_open()
        with self._space.lock:
            yield

    # ----------------------------------------------------------------- integrity
    def recount(self) -> int:
        """Bytes in use recounted from the stored keys and texts (not the running total)."""
        self._check_open()
        with self._space.lock:
            items = list(self._space.entries.get(self._ns, {}).items())
        return sum(utf8_len(k) + utf8_len(text) for k, (text, _) in items)

    def check(self) -> None:
        """Raise :class:`StorageError` if any namespace's running total differs from a recount."""
        self._check_open()
        with self._space.lock:
            for ns, entries in self._space.entries.items():
                counted = sum(utf8_len(k) + utf8_len(text) for k, (text, _) in entries.items())
                recorded = self._space.used.get(ns, 0)
                if counted != recorded or any(utf8_len(k) + utf8_len(t) != s for k, (t, s) in entries.items()):
                    raise StorageError(
                        f"Storage namespace (app_id={ns[0]!r}, user_id={ns[1]!r}) records "
                        f"{recorded} bytes in use but its entries hold {counted} bytes."
                    )
