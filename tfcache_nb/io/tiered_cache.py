"""Two tiers for one cache: WeChat local storage first, the plugin's file storage next.

The plugin's answer to a model that does not fit the 10 MB local storage is ``fileStorageIO``
(raw files under ``wx.env.USER_DATA_PATH``, no base64), but a mini-program must choose it by
hand. A :class:`TieredCache` holds both: the cache policy tries the local storage first and
falls back to files in ``folder`` only when no acceptable form of the model fits there.
WeChat limits a mini-program's user files too (200 MB today); ``limit_bytes`` emulates that
limit over every file in ``folder``, the toolkit's or not.
"""

from __future__ import annotations

import dataclasses
import os
import time
from pathlib import Path

from .._atomic import TEMP_GLOB
from ..errors import InvalidArgumentError, StorageError
from ..storage.base import KeyValueStorage
from .file_storage_io import MODELS_DIR, FileStorageIO, file_storage_io, list_file_models
from .local_storage_io import LocalStorageIO, local_storage_io

#: WeChat's limit on a mini-program's user files (wx.env.USER_DATA_PATH)
FILE_LIMIT_BYTES = 200 * 1024 * 1024
LOCAL, FILE = "local", "file"


@dataclasses.dataclass(frozen=True)
class TieredCache:
    """A WeChat local storage (``store``) and a file storage folder, used as one cache."""

    store: KeyValueStorage
    folder: Path
    limit_bytes: int = FILE_LIMIT_BYTES

    def __init__(self, store: KeyValueStorage, folder: str | os.PathLike[str],
                 limit_bytes: int = FILE_LIMIT_BYTES) -> None:
        if not isinstance(store, KeyValueStorage):
            raise InvalidArgumentError(f"TieredCache needs a WxStorage (or DictStorage) first, not {type(store).__name__}.")
        if not isinstance(folder, (str, os.PathLike)) or not os.fspath(folder):
            raise InvalidArgumentError(f"TieredCache needs a folder for its file tier, not {folder!r}.")
        if isinstance(limit_bytes, bool) or not isinstance(limit_bytes, int) or limit_bytes <= 0:
            raise InvalidArgumentError(f"limit_bytes must be a positive whole number of bytes, not {limit_bytes!r}.")
        if Path(folder).exists() and not Path(folder).is_dir():
            raise InvalidArgumentError(f"the file tier's folder '{folder}' exists and is not a folder.")
        object.__setattr__(self, "store", store)
        object.__setattr__(self, "folder", Path(folder))
        object.__setattr__(self, "limit_bytes", limit_bytes)

    def local(self, key: str) -> LocalStorageIO:
        return local_storage_io(self.store, key)

    def file(self, key: str) -> FileStorageIO:
        return file_storage_io(self.folder, key)

    def entries(self, key: str) -> tuple[LocalStorageIO, FileStorageIO]:
        """Model ``key`` in each tier, local first (the order loads look in)."""
        return self.local(key), self.file(key)

    def tier_of(self, key: str) -> str | None:
        """``"local"``, ``"file"`` or None: where model ``key`` is saved now."""
        if self.local(key).exists():
            return LOCAL
        return FILE if self.file(key).exists() else None

    def file_used_bytes(self) -> int:
        """Bytes of every file under ``folder``: what WeChat counts against the file limit."""
        total = 0
        if not self.folder.is_dir():
            return 0
        try:
            for root, _dirs, files in os.walk(self.folder):
                for name in files:
                    try:
                        total += (Path(root) / name).stat().st_size
                    except FileNotFoundError:  # removed meanwhile by another process
                        continue
        except OSError as exc:
            raise StorageError(f"could not measure the file tier {self.folder}: {exc.strerror or exc}.") from None
        return total

    def sweep_temp_files(self, older_than_s: float = 60.0) -> int:
        """Remove temporary files a killed save left in the file tier (they count against the
        limit); files younger than ``older_than_s`` may be another process's save in flight."""
        base = self.folder / MODELS_DIR
        removed = 0
        if not base.is_dir():
            return 0
        now = time.time()
        for temp in base.glob(TEMP_GLOB):
            try:
                if now - temp.stat().st_mtime > older_than_s:
                    temp.unlink()
                    removed += 1
            except FileNotFoundError:
                continue
        return removed

    def file_models(self) -> list[str]:
        return list_file_models(self.folder)

    def __repr__(self) -> str:
        return (f"TieredCache({self.store!r}, '{self.folder}', "
                f"limit_bytes={self.limit_bytes:,})")
