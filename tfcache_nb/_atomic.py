"""Files written whole or not at all: a temporary file beside the target, then a rename.

A reader (or a crash) never sees half a file. One helper for every writer in the package, so
they all agree: ordinary permissions (the umask, not mkstemp's 0600), data flushed to disk
before the rename, the temporary file removed on any failure.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

#: the names of temporary files (a killed writer may leave one behind: sweepers match this glob)
TEMP_GLOB = ".tmp-*.part"


def write_temp(folder: Path, payload: bytes) -> Path:
    """``payload`` in a new hidden file in ``folder``, flushed to disk; the caller renames it."""
    temp = folder / TEMP_GLOB.replace("*", secrets.token_hex(8))
    try:
        with open(temp, "xb") as handle:  # "xb", not mkstemp: the usual permissions
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return temp


def atomic_write(path: str | os.PathLike[str], payload: bytes) -> None:
    """Replace ``path`` with ``payload`` in one step (raises OSError; nothing is left behind)."""
    target = Path(path)
    temp = write_temp(target.parent, payload)
    try:
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
