"""The embedded backend: one SQLite file in WAL mode.

Every public write runs in a transaction (``BEGIN IMMEDIATE``; nested ``atomic``
blocks become savepoints). ``synchronous=FULL`` so an acknowledged write survives
a power cut, not just a process crash.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

from kenning.errors import StoreError
from kenning.store._sql.core import Row
from kenning.store._sql.dialect import SQLITE
from kenning.store._sql.store import SQLStore

log = logging.getLogger(__name__)


class _WriterQueue:
    """Processes that write one SQLite file take turns on an advisory file lock first.

    SQLite's own busy handler polls with growing sleeps, so under many writers one can
    starve past any timeout (8 writer processes on 2 cores: "database is locked" after 10 s).
    A blocking ``flock`` wakes a waiter as soon as the lock is free. The lock file sits
    beside the database; without ``fcntl`` (Windows) SQLite's busy handler alone decides.
    """

    def __init__(self, path: str | None) -> None:
        self._fd: int | None = None
        if path is not None and fcntl is not None:
            self._fd = os.open(Path(path).expanduser(), os.O_RDWR | os.O_CREAT, 0o600)

    @contextmanager
    def turn(self) -> Iterator[None]:
        if self._fd is None or fcntl is None:
            yield
            return
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


class SQLiteStore(SQLStore):
    """:class:`Store` on a single SQLite file (``":memory:"`` for a private in-memory one)."""

    dialect = SQLITE

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self.location = self.path
        if self.path != ":memory:":
            Path(self.path).expanduser().parent.mkdir(parents=True, exist_ok=True)
        try:
            self._conn = sqlite3.connect(
                Path(self.path).expanduser() if self.path != ":memory:" else ":memory:",
                isolation_level=None,
                check_same_thread=False,
            )
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open SQLite database {self.path!r}: {exc}") from exc
        self._lock = threading.RLock()
        self._depth = 0
        # Set by an erase; the outermost commit then checkpoints the write-ahead log.
        self._checkpoint_due = False
        self._writers = _WriterQueue(None if self.path == ":memory:" else self.path + "-writers")
        self._conn.execute("PRAGMA foreign_keys = ON")
        self._conn.execute("PRAGMA busy_timeout = 60000")
        if self.path != ":memory:":
            self._conn.execute("PRAGMA journal_mode = WAL")
        self._conn.execute("PRAGMA synchronous = FULL")
        self._conn.execute("PRAGMA cache_size = -65536")
        # Erased rows are overwritten with zeros, so a hard forget leaves no readable text.
        self._conn.execute("PRAGMA secure_delete = ON")
        self._migrate()

    # -- plumbing ------------------------------------------------------------------
    def _lock_migrations(self) -> None:
        """``BEGIN IMMEDIATE`` already keeps every other writer out."""

    def _after_erase(self) -> None:
        self._checkpoint_due = self.path != ":memory:"

    @contextmanager
    def atomic(self) -> Iterator[None]:
        with self._lock:
            if self._depth == 0:
                with self._writers.turn():
                    yield from self._transaction()
            else:
                yield from self._transaction()

    def _transaction(self) -> Iterator[None]:
        depth = self._depth
        name = f"sp_{depth}"
        try:
            self._conn.execute("BEGIN IMMEDIATE" if depth == 0 else f"SAVEPOINT {name}")
        except sqlite3.Error as exc:
            raise StoreError(f"cannot start a transaction on {self.path!r}: {exc}") from exc
        self._depth += 1
        try:
            yield
        except BaseException:
            self._depth -= 1
            if depth == 0:
                self._checkpoint_due = False
                self._conn.execute("ROLLBACK")
            else:
                self._conn.execute(f"ROLLBACK TO {name}")
                self._conn.execute(f"RELEASE {name}")
            raise
        self._depth -= 1
        try:
            self._conn.execute("COMMIT" if depth == 0 else f"RELEASE {name}")
        except sqlite3.Error as exc:
            if depth == 0:
                self._checkpoint_due = False
                self._conn.execute("ROLLBACK")
            raise StoreError(f"commit failed on {self.path!r}: {exc}") from exc
        if depth == 0 and self._checkpoint_due:
            self._checkpoint_due = False
            # The write-ahead log still holds the erased pages until it is checkpointed.
            self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def _execute(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        try:
            return self._conn.execute(sql, params)
        except sqlite3.Error as exc:
            raise StoreError(f"{exc} (in: {sql.split('(')[0].strip()[:60]})") from exc

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        with self._lock:
            return self._execute(sql, params).fetchall()

    def _exec(self, sql: str, params: Sequence[Any] = ()) -> int:
        with self._lock:
            return self._execute(sql, params).rowcount

    def _many(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        with self._lock:
            try:
                self._conn.executemany(sql, rows)
            except sqlite3.Error as exc:
                raise StoreError(f"{exc} (in: {sql.split('(')[0].strip()[:60]})") from exc

    def close(self) -> None:
        with self._lock:
            self._conn.close()
            self._writers.close()
