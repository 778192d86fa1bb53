"""``io_for``: pick the IO handler from a URL or path, as TensorFlow.js's IORouterRegistry does."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Union
from urllib.parse import unquote, urlsplit

from ..errors import ModelLoadError
from ..transport.urls import is_http_url
from .file_storage_io import FileStorageIO, file_storage_io
from .folder_io import FolderIO, folder_io
from .http_io import HttpIOHandler, http_io
from .local_storage_io import LocalStorageIO, local_storage_io

#: URL schemes for the WeChat-style storages (``wxstorage://<key>`` needs ``store=``).
LOCAL_STORAGE_SCHEMES = ("wxstorage://", "localstorage://")
FILE_STORAGE_SCHEME = "wxfile://"
#: options that name a storage for the storage schemes; other handlers do not take them
STORAGE_OPTIONS = ("store", "folder")


Handler = Union[HttpIOHandler, FolderIO, LocalStorageIO, FileStorageIO]


def io_for(url_or_path: str | os.PathLike[str], **options: Any) -> Handler:
    """The IO handler for ``http(s)://``, ``file://``, a local folder or model.json path.

    Also ``wxstorage://<key>`` (with ``store=`` a WxStorage) and ``wxfile://<prefix>`` (with
    ``folder=``), so model management can name storages by URL as TensorFlow.js does.
    HTTP options (timeout, session, ...) are passed on to :func:`http_io`.
    """
    if isinstance(url_or_path, os.PathLike):
        return folder_io(url_or_path)
    if not isinstance(url_or_path, str) or not url_or_path:
        raise ModelLoadError(f"cannot load a model from {url_or_path!r}: expected a URL or a path.")
    lowered = url_or_path.lower()
    if is_http_url(url_or_path):
        return http_io(url_or_path, **{k: v for k, v in options.items() if k not in STORAGE_OPTIONS})
    if lowered.startswith("file://"):
        return folder_io(Path(unquote(urlsplit(url_or_path).path)))
    for scheme in LOCAL_STORAGE_SCHEMES:
        if lowered.startswith(scheme):
            store = options.get("store")
            if store is None:
                raise ModelLoadError(f"{url_or_path} names a storage key: pass store= a WxStorage.")
            return local_storage_io(store, url_or_path[len(scheme):])
    if lowered.startswith(FILE_STORAGE_SCHEME):
        folder = options.get("folder")
        if folder is None:
            raise ModelLoadError(f"{url_or_path} names a file storage model: pass folder=.")
        return file_storage_io(folder, url_or_path[len(FILE_STORAGE_SCHEME):])
    if "://" in url_or_path:
        raise ModelLoadError(f"cannot load a model from {url_or_path}: unsupported URL scheme.")
    return folder_io(url_or_path)
