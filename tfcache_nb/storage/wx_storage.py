"""WeChat mini-program storage on SQLite: one file, any number of namespaces and processes.

Each ``(app_id, user_id)`` pair is one WeChat user's storage inside one mini-program. A
running total per namespace, updated in the same ``BEGIN IMMEDIATE`` transaction as the
entries, makes the quota check cheap and race-free between threads and processes. The file
is in WAL mode, so readers never wait for a writer.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..errors import StorageError
from .base import DEFAULT_LIMIT_BYTES, DEFAULT_MAX_VALUE_BYTES, KeyValueStorage
from .paths import default_storage_path

#: Stored in ``PRAGMA user_version``; a file from a newer toolkit is refused, not rewritten.
SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    app_id  TEXT NOT NULL,
    user_id TEXT NOT NULL,
    key     TEXT NOT NULL,
    value   TEXT NOT NULL,
    size    INTEGER NOT NULL,
    PRIMARY KEY (app_id, user_id, key)
);
CREATE TABLE IF NOT EXISTS namespaces (
    app_id  TEXT NOT NULL,
    user_id TEXT NOT NULL,
    used    INTEGER NOT NULL,
    PRIMARY KEY (app_id, user_id)
);
"""

_SQL_GET = "SELECT value FROM entries WHERE app_id=? AND user_id=? AND key=?"
_SQL_HAS = "SELECT 1 FROM entries WHERE app_id=? AND user_id=? AND key=?"
_SQL_SIZE = "SELECT size FROM entries WHERE app_id=? AND user_id=? AND key=?"
_SQL_USED = "SELECT used FROM namespaces WHERE app_id=? AND user_id=?"
# rowid order is insertion order: the upsert below keeps an overwritten key's rowid
_SQL_KEYS = "SELECT key FROM entries WHERE app_id=? AND user_id=? ORDER BY rowid"
_SQL_COUNT = "SELECT count(*) FROM entries WHERE app_id=? AND user_id=?"
_SQL_SIZES_ALL = "SELECT key, size FROM entries WHERE app_id=? AND user_id=? ORDER BY rowid"
_SQL_SIZES = ("SELECT key, size FROM entries WHERE app_id=? AND user_id=? "
              "AND substr(key, 1, ?) = ? ORDER BY rowid")
_SQL_DELETE = "DELETE FROM entries WHERE app_id=? AND user_id=? AND key=?"
_SQL_UPSERT = ("INSERT INTO entries (app_id, user_id, key, value, size) VALUES (?, ?, ?, ?, ?) "
               "ON CONFLICT (app_id, user_id, key) DO UPDATE SET value=excluded.value, size=excluded.size")
_SQL_SET_USED = ("INSERT INTO namespaces (app_id, user_id, used) VALUES (?, ?, ?) "
                 "ON CONFLICT (app_id, user_id) DO UPDATE SET used=excluded.used")
_SQL_DROP_NS = "DELETE FROM namespaces WHERE app_id=? AND user_id=?"
_SQL_CLEAR = "DELETE FROM entries WHERE app_id=? AND user_id=?"
_SQL_RECOUNT = ("SELECT coalesce(sum(length(CAST(key AS BLOB)) + length(CAST(value AS BLOB))), 0) "
                "FROM entries WHERE app_id=? AND user_id=?")
_SQL_REPAIR_SIZES = "UPDATE entries SET size = length(CAST(key AS BLOB)) + length(CAST(value AS BLOB))"
_SQL_REPAIR_TOTALS = ("INSERT OR REPLACE INTO namespaces (app_id, user_id, used) "
                      "SELECT app_id, user_id, sum(size) FROM entries GROUP BY app_id, user_id")
_SQL_REPAIR_EMPTY = ("DELETE FROM namespaces WHERE NOT EXISTS (SELECT 1 FROM entries e "
                     "WHERE e.app_id = namespaces.app_id AND e.user_id = namespaces.user_id)")
_SQL_NAMESPACES = "SELECT app_id, user_id FROM namespaces WHERE used > 0 ORDER BY app_id, user_id"
_SQL_CHECK = """
SELECT app_id, user_id, sum(used), sum(total), sum(counted) FROM (
    SELECT app_id, user_id, used, 0 AS total, 0 AS counted FROM namespaces
    UNION ALL
    SELECT app_id, user_id, 0, size, length(CAST(key AS BLOB)) + length(CAST(value AS BLOB))
    FROM entries
) GROUP BY app_id, user_id
HAVING sum(used) != sum(total) OR sum(total) != sum(counted)
"""


class _Connection:
    """One SQLite connection and its lock, shared by the ``for_namespace`` views of a store.

    In a child process (after ``fork``) a file database is reopened: SQLite connections must
    not cross a fork.
    """

    def __init__(self, path: Path | str, timeout: float) -> None:
        self.path = path
        self.timeout = timeout
        self.users = 1
        self._abandoned: list[sqlite3.Connection] = []
        self._open()

    def _open(self) -> None:
        self.pid = os.getpid()
        self.lock = threading.RLock()
        self.conn = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None,
                                    check_same_thread=False)

    @contextmanager
    def locked(self) -> Iterator[sqlite3.Connection]:
        if self.pid != os.getpid() and self.path != ":memory:":
            self._abandoned.append(self.conn)  # closing it here could disturb the parent
            self._open()
        with self.lock:
            if self.conn is None:
                raise RuntimeError("closed")  # callers check first; kept as a guard
            yield self.conn

    def release(self) -> None:
        self.users -= 1
        if self.users <= 0 and self.conn is not None:
            with self.lock:
                try:
                    self.conn.close()
                except sqlite3.Error:
                    pass
                self.conn = None  # type: ignore[assignment]


class WxStorage(KeyValueStorage):
    """One WeChat user's storage inside one mini-program, kept in a SQLite file.

    ``path=None`` uses ``wxstorage.sqlite3`` under ``$TFCACHE_NB_HOME`` or the user's cache
    folder; ``":memory:"`` keeps it in memory; any other str or path names the file. Many
    objects, threads and processes may share one file; each sees its own namespace only.
    ``timeout`` is how long to wait, in seconds, for another process that holds the file.
    """

    def __init__(self, path: str | os.PathLike[str] | None = None, *, app_id: str = "default",
                 user_id: str = "default", limit_bytes: int = DEFAULT_LIMIT_BYTES,
                 max_value_bytes: int = DEFAULT_MAX_VALUE_BYTES, timeout: float = 10.0,
                 _shared: _Connection | None = None) -> None:
        super().__init__(app_id=app_id, user_id=user_id, limit_bytes=limit_bytes,
                         max_value_bytes=max_value_bytes)
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout >= 0:
            raise StorageError(f"The storage timeout must be a number of seconds >= 0, not {timeout!r}.")
        self.timeout = float(timeout)
        self._ns = (app_id, user_id)
        if _shared is not None:
            self.path: Path | str = _shared.path
            self._db = _shared
            _shared.users += 1
            return
        self.path = self._resolve_path(path)
        try:
            self._db = _Connection(self.path, self.timeout)
        except sqlite3.Error as exc:
            raise self._error(exc, "open") from None
        try:
            self._setup()
        except BaseException:
            self._db.release()
            raise

    @staticmethod
    def _resolve_path(path: str | os.PathLike[str] | None) -> Path | str:
        if path == ":memory:":
            return ":memory:"
        if path is None:
            resolved = default_storage_path()
        elif isinstance(path, (str, os.PathLike)) and os.fspath(path):
            resolved = Path(os.fspath(path)).expanduser()
        else:
            raise StorageError(f"A storage path must be None, ':memory:' or a file path, not {path!r}.")
        if resolved.is_dir():
            raise StorageError(f"The storage path {resolved} is a folder; give a file path.")
        try:
            resolved.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(
                f"Cannot create the storage folder {resolved.parent}: {exc.strerror or exc}."
            ) from None
        return resolved

    def _setup(self) -> None:
        """WAL mode and the schema, created once per file (never per call)."""
        with self._sql("open") as conn:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise StorageError(
                    f"The storage file {self.path} was written by a newer tfcache_nb "
                    f"(schema {version}, this one reads {SCHEMA_VERSION}); upgrade tfcache_nb."
                )
            if self.path != ":memory:":
                conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            if version < SCHEMA_VERSION:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    if conn.execute("PRAGMA user_version").fetchone()[0] < SCHEMA_VERSION:
                        for statement in _SCHEMA.split(";"):
                            if statement.strip():
                                conn.execute(statement)
                        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                    conn.execute("COMMIT")
                except BaseException:
                    conn.rollback()
                    raise

    def __repr__(self) -> str:
        state = ", closed" if self._closed else ""
        return (f"WxStorage(path={str(self.path)!r}, app_id={self.app_id!r}, "
                f"user_id={self.user_id!r}, limit_bytes={self.limit_bytes}, "
                f"max_value_bytes={self.max_value_bytes}{state})")

    # ----------------------------------------------------------------- SQLite plumbing
    def _error(self, exc: sqlite3.Error, action: str) -> StorageError:
        """One clear sentence for a SQLite failure (never the raw sqlite3 error)."""
        msg = str(exc).lower()
        where = f"the storage file {self.path}"
        if "locked" in msg or "busy" in msg:
            text = (f"Cannot {action} storage: {where} is locked by another process "
                    f"(waited {self.timeout:g} s).")
        elif "not a database" in msg or "malformed" in msg or "encrypted" in msg:
            text = f"Cannot {action} storage: {where} is not a SQLite database or is damaged."
        elif "unable to open" in msg or "cannot open" in msg:
            text = f"Cannot {action} storage: {where} cannot be opened (check its folder and permissions)."
        elif "readonly" in msg or "read-only" in msg:
            text = f"Cannot {action} storage: {where} is read-only."
        elif "full" in msg:
            text = f"Cannot {action} storage: the disk holding {where} is full."
        else:
            text = f"Cannot {action} storage in {where}: {exc}."
        err = StorageError(text)
        err.sqlite_error = str(exc)  # type: ignore[attr-defined]
        return err

    @contextmanager
    def _sql(self, action: str) -> Iterator[sqlite3.Connection]:
        """The connection under the lock; any SQLite error becomes a :class:`StorageError`."""
        self._check_open()
        try:
            with self._db.locked() as conn:
                yield conn
        except sqlite3.Error as exc:
            raise self._error(exc, action) from None

    @contextmanager
    def _transaction(self, action: str, write: bool = True) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` (or a read snapshot) ... ``COMMIT``; rolled back on any error."""
        with self._sql(action) as conn:
            if conn.in_transaction:  # inside snapshot(): the outer block commits or rolls back
                yield conn
                return
            conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    try:
                        conn.execute("ROLLBACK")
                    except sqlite3.Error:
                        pass
                raise

    # ----------------------------------------------------------------- primitives
    def _read_text(self, key: str) -> str | None:
        with self._sql("read") as conn:
            row = conn.execute(_SQL_GET, (*self._ns, key)).fetchone()
        return None if row is None else row[0]

    def _has(self, key: str) -> bool:
        with self._sql("read") as conn:
            return conn.execute(_SQL_HAS, (*self._ns, key)).fetchone() is not None

    def _write(self, sets: dict[str, tuple[str, int]], removes: list[str]) -> None:
        app, user = self._ns
        with self._transaction("write to") as conn:
            row = conn.execute(_SQL_USED, self._ns).fetchone()
            used = row[0] if row else 0
            old: dict[str, int] = {}
            for k in (*sets, *removes):
                r = conn.execute(_SQL_SIZE, (app, user, k)).fetchone()
                if r is not None:
                    old[k] = r[0]
            new_used = self._plan_total(used, old, sets)
            if removes:
                conn.executemany(_SQL_DELETE, [(app, user, k) for k in removes if k in old])
            if sets:
                conn.executemany(_SQL_UPSERT, [(app, user, k, t, s) for k, (t, s) in sets.items()])
            if new_used != used or row is None:
                if new_used:
                    conn.execute(_SQL_SET_USED, (app, user, new_used))
                else:
                    conn.execute(_SQL_DROP_NS, self._ns)

    def _clear(self) -> None:
        with self._transaction("clear") as conn:
            conn.execute(_SQL_CLEAR, self._ns)
            conn.execute(_SQL_DROP_NS, self._ns)

    def _keys(self) -> list[str]:
        with self._sql("read") as conn:
            return [r[0] for r in conn.execute(_SQL_KEYS, self._ns)]

    def _count(self) -> int:
        with self._sql("read") as conn:
            return conn.execute(_SQL_COUNT, self._ns).fetchone()[0]

    def _entry_sizes(self, prefix: str) -> dict[str, int]:
        with self._sql("read") as conn:
            if not prefix:
                rows = conn.execute(_SQL_SIZES_ALL, self._ns)
            else:
                rows = conn.execute(_SQL_SIZES, (*self._ns, len(prefix), prefix))
            return dict(rows.fetchall())

    def _used(self) -> int:
        with self._sql("read") as conn:
            row = conn.execute(_SQL_USED, self._ns).fetchone()
        return row[0] if row else 0

    def _keys_and_used(self) -> tuple[list[str], int]:
        with self._transaction("read", write=False) as conn:
            keys = [r[0] for r in conn.execute(_SQL_KEYS, self._ns)]
            row = conn.execute(_SQL_USED, self._ns).fetchone()
        return keys, (row[0] if row else 0)

    def _close(self) -> None:
        self._db.release()

    # ----------------------------------------------------------------- namespaces
    def namespaces(self) -> list[tuple[str, str]]:
        """Every ``(app_id, user_id)`` holding data in this file, sorted."""
        with self._sql("read") as conn:
            return [(a, u) for a, u in conn.execute(_SQL_NAMESPACES)]

    def for_namespace(self, app_id: str, user_id: str) -> WxStorage:
        """Another namespace of the same file (same connection and limits)."""
        self._check_open()
        return WxStorage(app_id=app_id, user_id=user_id, limit_bytes=self.limit_bytes,
                         max_value_bytes=self.max_value_bytes, timeout=self.timeout,
                         _shared=self._db)

    @contextmanager
    def snapshot(self, write: bool = False) -> Iterator[None]:
        """One transaction around the block: reads see one state of the file (WAL snapshot).

        ``write=True`` takes the write lock first (``BEGIN IMMEDIATE``), so a read and the
        write that depends on it are one atomic step; the block's writes commit together,
        or not at all if it raises.
        """
        with self._transaction("write to" if write else "read", write=write):
            yield

    # ----------------------------------------------------------------- integrity
    def recount(self) -> int:
        """Bytes in use recounted from the stored keys and texts (not the running total)."""
        with self._sql("read") as conn:
            return int(conn.execute(_SQL_RECOUNT, self._ns).fetchone()[0])

    def check(self) -> None:
        """Raise :class:`StorageError` if any namespace's running total differs from a recount."""
        with self._transaction("check", write=False) as conn:
            bad = conn.execute(_SQL_CHECK).fetchone()
            integrity = conn.execute("PRAGMA quick_check").fetchone()[0]
        if integrity != "ok":
            raise StorageError(f"The storage file {self.path} is damaged: {integrity}.")
        if bad is not None:
            app, user, recorded, total, counted = bad
            raise StorageError(
                f"Storage namespace (app_id={app!r}, user_id={user!r}) records {recorded} bytes "
                f"in use but its entries hold {counted} bytes (sizes recorded: {total})."
            )

    def repair(self) -> int:
        """Make every recorded size and running total match the stored texts again.

        For a file edited behind the API's back (a row deleted by hand, say): :meth:`check`
        reports the mismatch, this fixes it. Returns how many namespaces were corrected.
        """
        with self._transaction("repair", write=True) as conn:
            fixed = len(conn.execute(_SQL_CHECK).fetchall())
            conn.execute(_SQL_REPAIR_SIZES)
            conn.execute(_SQL_REPAIR_TOTALS)
            conn.execute(_SQL_REPAIR_EMPTY)
        return fixed

    def journal_mode(self) -> str:
        """SQLite's journal mode for this file (``wal`` for files, ``memory`` in memory)."""
        with self._sql("read") as conn:
            return str(conn.execute("PRAGMA journal_mode").fetchone()[0])

    def __reduce__(self) -> tuple[Any, ...]:
        # another process reopens the same file and namespace; an in-memory store cannot travel
        if self.path == ":memory:":
            raise TypeError("An in-memory WxStorage cannot be sent to another process; use a file path.")
        return (_reopen, (str(self.path), self.app_id, self.user_id, self.limit_bytes,
                          self.max_value_bytes, self.timeout))


def _reopen(path: str, app_id: str, user_id: str, limit_bytes: int, max_value_bytes: int,
            timeout: float) -> WxStorage:
    return WxStorage(path, app_id=app_id, user_id=user_id, limit_bytes=limit_bytes,
                     max_value_bytes=max_value_bytes, timeout=timeout)
