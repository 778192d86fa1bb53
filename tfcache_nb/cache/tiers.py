"""The tiers a cache argument stands for, and what a load does when one of them fails.

A cache is a ``WxStorage`` (local storage), a folder (the plugin's file storage) or a
:class:`TieredCache` (both, local first). The loader and the save path see it as a list of
entries, one per tier; a tier whose storage fails is passed over for that load.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..errors import InvalidArgumentError, StorageError
from ..io.file_storage_io import FileStorageIO, file_storage_io
from ..io.local_storage_io import LocalStorageIO, local_storage_io
from ..io.tiered_cache import FILE, LOCAL, TieredCache
from ..storage.base import KeyValueStorage
from .report import LoadReport


def cache_entries(cache: Any, key: str) -> list[LocalStorageIO | FileStorageIO]:
    """Model ``key`` in each tier of ``cache``, in the order loads look and saves try."""
    if cache is None:
        return []
    if isinstance(cache, TieredCache):
        return list(cache.entries(key))
    if isinstance(cache, KeyValueStorage):
        return [local_storage_io(cache, key)]
    if isinstance(cache, (str, os.PathLike)):
        return [file_storage_io(Path(cache), key)]
    raise InvalidArgumentError(f"cache must be a WxStorage, a TieredCache or a folder for file storage, "
                       f"not {type(cache).__name__}.")


def tier_of(entry: Any) -> str:
    """The tier an entry is in, as reports name it (``"local"`` or ``"file"``)."""
    return LOCAL if isinstance(entry, LocalStorageIO) else FILE


def tier_name(entry: Any) -> str:
    """The tier an entry is in, as messages name it."""
    return "local storage" if isinstance(entry, LocalStorageIO) else "file storage"


def storage_failed(report: LoadReport, entries: list[Any], entry: Any, exc: StorageError,
                   broken: list[Any]) -> None:
    """One tier's storage failed: this load passes it over, and ``cache_error`` says why
    (naming the tier when the cache has two)."""
    if entry not in broken:
        broken.append(entry)
    text = f"{tier_name(entry)}: {exc}" if len(entries) > 1 else str(exc)
    report.cache_error = text if report.cache_error is None else f"{report.cache_error}; {text}"


def same_tier(entry: LocalStorageIO | FileStorageIO, key: str) -> LocalStorageIO | FileStorageIO:
    """Model ``key`` in ``entry``'s tier (an eviction victim beside the model being saved)."""
    return (local_storage_io(entry.store, key) if isinstance(entry, LocalStorageIO)
            else file_storage_io(entry.folder, key))
