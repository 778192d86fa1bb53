"""Where the toolkit keeps its files by default: ``$TFCACHE_NB_HOME`` or the user's cache folder."""

from __future__ import annotations

import os
import sys
from pathlib import Path

#: Name of the default SQLite file that holds every WeChat-style storage namespace.
DEFAULT_STORAGE_FILE = "wxstorage.sqlite3"


def cache_home() -> Path:
    """The toolkit's folder: ``$TFCACHE_NB_HOME`` if set, else ``<user cache folder>/tfcache_nb``.

    The user cache folder follows each platform's convention (XDG on Linux,
    ``~/Library/Caches`` on macOS, ``%LOCALAPPDATA%`` on Windows). Not created here.
    """
    env = os.environ.get("TFCACHE_NB_HOME")
    if env:
        return Path(env).expanduser()
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = str(Path.home() / "Library" / "Caches")
    else:
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base).expanduser() / "tfcache_nb"


def default_storage_path() -> Path:
    """The SQLite file ``WxStorage(path=None)`` uses."""
    return cache_home() / DEFAULT_STORAGE_FILE
