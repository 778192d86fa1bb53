"""The storage interface with WeChat mini-program semantics, shared by every backend.

WeChat gives one user of one mini-program a key-value storage of at most 10 MB, with at most
1 MB per value; values are stored as JSON. :class:`KeyValueStorage` holds those rules (key
checks, JSON encoding, sizes, the per-value cap, the namespace quota, error messages) so a
backend only implements a few small primitives, and every backend behaves the same.
"""

from __future__ import annotations

import html
import json
import math
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Callable

from ..errors import StorageError, StorageQuotaError, StorageValueTooLargeError
from .._units import human_bytes

#: WeChat's limits: 10 MB per user per mini-program, 1 MB per key.
DEFAULT_LIMIT_BYTES = 10 * 1024 * 1024
DEFAULT_MAX_VALUE_BYTES = 1024 * 1024

_NO_ITEMS: Mapping[str, Any] = MappingProxyType({})
_MAX_KEY_IN_MESSAGE = 60
_MAX_KEYS_IN_HTML = 200


def utf8_len(text: str) -> int:
    """UTF-8 length of ``text``, without a copy when it is ASCII (base64 chunks are)."""
    if text.isascii():
        return len(text)
    return len(text.encode("utf-8"))


def encode_value(value: Any) -> str:
    """The JSON text WeChat-style storage keeps for ``value`` (compact, non-ASCII kept).

    NaN and Infinity are refused: JSON cannot hold them, and JavaScript would silently turn
    them into ``null``.
    """
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except ValueError as exc:
        reason = ("NaN and Infinity cannot be stored as JSON" if "Out of range float" in str(exc)
                  else "it refers to itself" if "Circular" in str(exc) else "JSON cannot encode it")
        raise StorageError(f"Cannot store this value: {reason}.") from None
    except TypeError:
        raise StorageError(
            f"Cannot store a value of type {_type_name(value)}: storage holds only what JSON "
            "can (str, int, float, bool, None, lists and dicts of them)."
        ) from None
    except RecursionError:
        raise StorageError("Cannot store this value: it is nested too deeply for JSON.") from None


def _type_name(value: Any) -> str:
    # the offending type may be nested; name the outer one and say so when it is a container
    name = type(value).__name__
    return f"{name} (or something inside it)" if isinstance(value, (list, tuple, dict)) else name


def check_key(key: Any) -> str:
    """Return ``key`` if it can be a storage key (a non-empty, valid Unicode str)."""
    if not isinstance(key, str):
        raise StorageError(f"A storage key must be a str, not {type(key).__name__}.")
    if not key:
        raise StorageError("A storage key must not be empty.")
    _valid_utf8_len(key, lambda: f"The storage key {short_key(key)} is not valid Unicode (it has a lone surrogate).")
    return key


def _valid_utf8_len(text: str, message: Callable[[], str]) -> int:
    """:func:`utf8_len`, or one StorageError (``message()``) when ``text`` has a lone surrogate."""
    try:
        return utf8_len(text)
    except UnicodeEncodeError:
        raise StorageError(message()) from None


def short_key(key: str) -> str:
    """A key quoted for a message, cut short so a huge key never floods the message."""
    if len(key) > _MAX_KEY_IN_MESSAGE:
        key = key[:_MAX_KEY_IN_MESSAGE] + "..."
    return repr(key)


def size_label(n: int) -> str:
    """A limit written the way WeChat writes it (``10Mb``), exact for other sizes."""
    if n > 0 and n % (1024 * 1024) == 0:
        return f"{n // (1024 * 1024)}Mb"
    if n > 0 and n % 1024 == 0:
        return f"{n // 1024}Kb"
    return f"{n} bytes"


@dataclass(frozen=True)
class StorageInfo:
    """What ``wx.getStorageInfoSync`` returns: the keys, and the sizes in bytes and in KB."""

    keys: list[str]
    current_size: int
    limit_size: int
    app_id: str = ""
    user_id: str = ""
    max_value_size: int = field(default=DEFAULT_MAX_VALUE_BYTES, repr=False)

    @property
    def current_size_kb(self) -> int:
        """Bytes in use, in KB rounded up (WeChat's ``currentSize``)."""
        return math.ceil(self.current_size / 1024)

    @property
    def limit_size_kb(self) -> int:
        """The limit in KB, rounded up (WeChat's ``limitSize``: 10240 for 10 MB)."""
        return math.ceil(self.limit_size / 1024)

    @property
    def free_size(self) -> int:
        """Bytes still free in the namespace."""
        return max(0, self.limit_size - self.current_size)

    def __repr__(self) -> str:
        pct = 100.0 * self.current_size / self.limit_size if self.limit_size else 0.0
        ns = f"app_id={self.app_id!r}, user_id={self.user_id!r}, " if self.app_id or self.user_id else ""
        return (f"StorageInfo({ns}{len(self.keys)} keys, current_size={self.current_size} bytes "
                f"({human_bytes(self.current_size)}), limit_size={self.limit_size} bytes "
                f"({human_bytes(self.limit_size)}), {pct:.1f}% used)")

    def _repr_html_(self) -> str:
        esc = html.escape
        pct = 100.0 * self.current_size / self.limit_size if self.limit_size else 0.0
        bar = (f'<div style="width:240px;height:10px;background:#eee;border:1px solid #ccc">'
               f'<div style="width:{min(100.0, pct):.1f}%;height:100%;background:#4a8"></div></div>')
        rows = "".join(f"<li><code>{esc(k)}</code></li>" for k in self.keys[:_MAX_KEYS_IN_HTML])
        if len(self.keys) > _MAX_KEYS_IN_HTML:
            rows += f"<li>... and {len(self.keys) - _MAX_KEYS_IN_HTML} more</li>"
        ns = (f" &mdash; app <code>{esc(self.app_id)}</code>, user <code>{esc(self.user_id)}</code>"
              if self.app_id or self.user_id else "")
        return (f"<div><b>Storage</b>{ns}<br>"
                f"{human_bytes(self.current_size)} of {human_bytes(self.limit_size)} used ({pct:.1f}%), "
                f"{len(self.keys)} keys{bar}<ul>{rows}</ul></div>")


class KeyValueStorage(ABC):
    """One WeChat user's storage inside one mini-program: the interface every backend has.

    The public methods check keys, encode values and enforce the limits; a backend provides
    the primitives below (``_read_text``, ``_write``, ``_clear``, ``_keys``,
    ``_entry_sizes``, ``_used``, ``_keys_and_used``, ``namespaces``, ``for_namespace``).
    ``_write`` must apply its changes atomically and call :meth:`_plan_total` with the
    state it sees inside its own lock or transaction, so the quota check cannot race.
    """

    app_id: str
    user_id: str
    limit_bytes: int
    max_value_bytes: int

    def __init__(self, *, app_id: str = "default", user_id: str = "default",
                 limit_bytes: int = DEFAULT_LIMIT_BYTES,
                 max_value_bytes: int = DEFAULT_MAX_VALUE_BYTES) -> None:
        for name, v in (("app_id", app_id), ("user_id", user_id)):
            if not isinstance(v, str) or not v:
                raise StorageError(f"The storage {name} must be a non-empty str, not {v!r}.")
            _valid_utf8_len(v, lambda: f"The storage {name} {short_key(v)} is not valid Unicode "
                                       "(it has a lone surrogate).")
        for name, v in (("limit_bytes", limit_bytes), ("max_value_bytes", max_value_bytes)):
            if isinstance(v, bool) or not isinstance(v, int) or v <= 0:
                raise StorageError(f"The storage {name} must be a positive whole number of bytes, not {v!r}.")
        self.app_id = app_id
        self.user_id = user_id
        self.limit_bytes = limit_bytes
        self.max_value_bytes = max_value_bytes
        self._closed = False

    # ----------------------------------------------------------------- backend primitives
    @abstractmethod
    def _read_text(self, key: str) -> str | None:
        """The stored JSON text of ``key``, or None."""

    @abstractmethod
    def _write(self, sets: dict[str, tuple[str, int]], removes: list[str]) -> None:
        """Atomically remove ``removes`` and write ``sets`` (key -> (text, size)); disjoint."""

    @abstractmethod
    def _clear(self) -> None:
        """Remove every entry of this namespace."""

    @abstractmethod
    def _keys(self) -> list[str]:
        """The keys of this namespace, in the order they were first set."""

    @abstractmethod
    def _entry_sizes(self, prefix: str) -> dict[str, int]:
        """Size of every entry whose key starts with ``prefix``."""

    @abstractmethod
    def _used(self) -> int:
        """Bytes in use in this namespace (the running total)."""

    @abstractmethod
    def _keys_and_used(self) -> tuple[list[str], int]:
        """Keys and bytes in use, read together (one consistent snapshot)."""

    @abstractmethod
    def namespaces(self) -> list[tuple[str, str]]:
        """Every ``(app_id, user_id)`` that holds data in this backend, sorted."""

    @abstractmethod
    def for_namespace(self, app_id: str, user_id: str) -> KeyValueStorage:
        """Another namespace of the same backend, with the same limits."""

    def _count(self) -> int:
        return len(self._keys())

    def _has(self, key: str) -> bool:
        return self._read_text(key) is not None

    def _close(self) -> None:
        """Release the backend's resources (called once)."""

    # ----------------------------------------------------------------- shared semantics
    def _encode(self, key: str, value: Any) -> tuple[str, int]:
        """(JSON text, entry size) of one entry, after the per-value cap is checked."""
        text = encode_value(value)
        value_bytes = _valid_utf8_len(text, lambda: f"Cannot store the value of {short_key(key)}: it has text "
                                                    "that is not valid Unicode (a lone surrogate).")
        if value_bytes > self.max_value_bytes:
            raise StorageValueTooLargeError(
                f"The value of {short_key(key)} is {value_bytes} bytes of JSON, over the "
                f"per-key limit of {size_label(self.max_value_bytes)}"
                + ("." if size_label(self.max_value_bytes).endswith("bytes")
                   else f" ({self.max_value_bytes} bytes).")
            )
        return text, utf8_len(key) + value_bytes

    def _plan_total(self, used: int, old_sizes: Mapping[str, int],
                    sets: Mapping[str, tuple[str, int]]) -> int:
        """The namespace's total after a write, or :class:`StorageQuotaError`.

        ``old_sizes`` holds the current size of every touched key that exists. A write that
        does not grow the namespace is always allowed, so a namespace found over a (smaller)
        limit can still be cleaned up.
        """
        new_used = used - sum(old_sizes.values()) + sum(size for _, size in sets.values())
        if new_used > self.limit_bytes and new_used > used:
            if len(sets) == 1:
                what = f"key {short_key(next(iter(sets)))}"
            else:
                what = f"{len(sets)} keys"
            err = StorageQuotaError(
                f"setStorageSync:fail exceed storage max size {size_label(self.limit_bytes)}: "
                f"writing {what} would bring storage (app_id={self.app_id!r}, "
                f"user_id={self.user_id!r}) to {new_used} bytes, over its limit of "
                f"{self.limit_bytes} bytes ({used} bytes in use, {max(0, self.limit_bytes - used)} free)."
            )
            err.limit_bytes = self.limit_bytes  # type: ignore[attr-defined]
            err.used_bytes = used  # type: ignore[attr-defined]
            err.needed_bytes = new_used  # type: ignore[attr-defined]
            raise err
        return new_used

    def _check_open(self) -> None:
        if self._closed:
            raise StorageError(f"This storage (app_id={self.app_id!r}, user_id={self.user_id!r}) is closed.")

    # ----------------------------------------------------------------- public API
    def get(self, key: str, default: Any = None) -> Any:
        """The value stored under ``key`` (a fresh object each call), or ``default``."""
        text = self.get_text(key)
        if text is None:
            return default
        try:
            return json.loads(text)
        except ValueError:  # damaged behind the API's back: never a raw JSONDecodeError
            raise StorageError(f"The stored value of {short_key(key)} is damaged (not valid JSON).") from None

    def get_text(self, key: str) -> str | None:
        """The raw JSON text stored under ``key``, or None (no decoding, for large values)."""
        check_key(key)
        self._check_open()
        return self._read_text(key)

    def set(self, key: str, value: Any) -> None:
        """Store ``value`` (anything JSON holds) under ``key``, like ``wx.setStorageSync``."""
        check_key(key)
        self._check_open()
        self._write({key: self._encode(key, value)}, [])

    def remove(self, key: str) -> None:
        """Remove ``key``; a missing key is not an error (like ``wx.removeStorageSync``)."""
        check_key(key)
        self._check_open()
        self._write({}, [key])

    def clear(self) -> None:
        """Remove every key of this namespace (other namespaces are untouched)."""
        self._check_open()
        self._clear()

    def update(self, set_items: Mapping[str, Any] = _NO_ITEMS,
               remove_keys: Iterable[str] = ()) -> None:
        """Remove ``remove_keys`` and store ``set_items`` all at once, or change nothing.

        The quota is checked on the final state, so replacing a model by a new one of the
        same size fits. A key both removed and set ends up with its new value.
        """
        if isinstance(remove_keys, (str, bytes)):
            raise StorageError("update(remove_keys=...) needs an iterable of keys, not a single str.")
        if not isinstance(set_items, Mapping):
            raise StorageError(f"update(set_items=...) needs a mapping of key to value, not {type(set_items).__name__}.")
        sets = {check_key(k): v for k, v in set_items.items()}
        self._check_open()
        encoded = {k: self._encode(k, v) for k, v in sets.items()}
        removes = list(dict.fromkeys(k for k in map(check_key, remove_keys) if k not in encoded))
        if encoded or removes:
            self._write(encoded, removes)

    def keys(self) -> list[str]:
        """The keys of this namespace, in the order they were first set."""
        self._check_open()
        return self._keys()

    def entry_sizes(self, prefix: str = "") -> dict[str, int]:
        """Size in bytes (key plus JSON text) of every entry whose key starts with ``prefix``."""
        if not isinstance(prefix, str):
            raise StorageError(f"A key prefix must be a str, not {type(prefix).__name__}.")
        self._check_open()
        return self._entry_sizes(prefix)

    def info(self) -> StorageInfo:
        """Keys and sizes, like ``wx.getStorageInfoSync``."""
        self._check_open()
        keys, used = self._keys_and_used()
        return StorageInfo(keys=keys, current_size=used, limit_size=self.limit_bytes,
                           app_id=self.app_id, user_id=self.user_id,
                           max_value_size=self.max_value_bytes)

    @property
    def used_bytes(self) -> int:
        """Bytes in use in this namespace."""
        self._check_open()
        return self._used()

    @property
    def free_bytes(self) -> int:
        """Bytes still free in this namespace."""
        return max(0, self.limit_bytes - self.used_bytes)

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str) or not key:
            return False
        self._check_open()
        return self._has(key)

    def __len__(self) -> int:
        self._check_open()
        return self._count()

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())

    @property
    def closed(self) -> bool:
        """True once :meth:`close` was called."""
        return self._closed

    def close(self) -> None:
        """Release resources; later calls raise :class:`StorageError`. Closing twice is fine."""
        if not self._closed:
            self._closed = True
            self._close()

    @contextmanager
    def snapshot(self, write: bool = False) -> Iterator[None]:
        """Reads inside the block see one consistent state, even while other writers work.

        A model spans several keys; reading them in one snapshot means a save or a remove
        by another thread or process cannot make a whole entry look damaged. ``write=True``
        also makes a read and the write that depends on it one atomic step.
        """
        self._check_open()
        yield

    def __enter__(self) -> KeyValueStorage:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _repr_html_(self) -> str:
        if self._closed:
            return html.escape(repr(self))
        return self.info()._repr_html_()
