"""The SQL store's plumbing shared by every backend: the primitives a backend supplies,
migrations, scope rows and the change feed."""

from __future__ import annotations

import abc
import logging
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Any

from kenning.errors import StoreError
from kenning.store._sql.dialect import Dialect
from kenning.store._sql.migrations import MIGRATIONS
from kenning.store.base import Store

log = logging.getLogger(__name__)

# Bound parameters per statement: SQLite's default limit is 32766, stay far below it.
CHUNK = 500

Row = tuple[Any, ...]


def chunks(values: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def marks(values: Sequence[Any]) -> str:
    """``?, ?, ...``: one placeholder per value, for an ``IN (...)`` list."""
    return ",".join("?" * len(values))


def null_or_equal(column: str, value: Any) -> tuple[str, tuple[Any, ...]]:
    """``column IS NULL`` or ``column = ?``: both use an index on every backend (PostgreSQL's
    ``IS NOT DISTINCT FROM`` does not)."""
    if value is None:
        return f"{column} IS NULL", ()
    return f"{column} = ?", (value,)


class SQLBase(Store):
    """What the core's queries run on: a backend implements the four primitives below,
    :meth:`~kenning.store.base.Store.atomic` and :meth:`~kenning.store.base.Store.close`."""

    dialect: Dialect
    # What the store's messages call it: a path, or a URL without its password.
    location: str

    @abc.abstractmethod
    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """Run one statement (the core's ``?`` SQL) and return its rows (none for a write)."""

    @abc.abstractmethod
    def _exec(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement and return how many rows it changed."""

    @abc.abstractmethod
    def _many(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """Run one statement once per parameter row."""

    @abc.abstractmethod
    def _lock_migrations(self) -> None:
        """Inside a transaction: keep other processes from migrating at the same time."""

    def _after_erase(self) -> None:
        """Called inside an erase's transaction; a backend may clean up after its commit."""

    def _write(self) -> AbstractContextManager[None]:
        """The transaction of one contract operation: :meth:`atomic` (a savepoint when
        nested). A backend whose savepoints cost a round trip joins the caller's open
        transaction instead: an operation that fails raises, and every caller lets the
        exception end its transaction."""
        return self.atomic()

    def _scopes_locked(self) -> set[str] | None:
        """Users whose scope rows this thread's open transaction has locked (None: no
        record kept, lock every time)."""
        return None

    def _one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        rows = self._rows(sql, params)
        return rows[0] if rows else None

    def _time(self, value: datetime | None) -> Any:
        return self.dialect.time(value)

    # -- migrations ------------------------------------------------------------------
    def _migrate(self) -> None:
        with self.atomic():
            self._lock_migrations()
            self._exec(
                self.dialect.ddl(
                    "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY "
                    "KEY, name TEXT NOT NULL, applied_at {time} NOT NULL)"
                )
            )
            done = {int(row[0]) for row in self._rows("SELECT version FROM schema_migrations")}
        for migration in MIGRATIONS:
            if migration.version in done:
                continue
            with self.atomic():
                self._lock_migrations()
                # Another process may have applied it since the list was read.
                if self._one(
                    "SELECT 1 FROM schema_migrations WHERE version = ?", (migration.version,)
                ):
                    continue
                for statement in migration.statements:
                    self._exec(self.dialect.ddl(statement))
                self._exec(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                    (migration.version, migration.name, self._time(datetime.now(UTC))),
                )
            log.info(
                "applied migration %s_%s to %s", migration.version, migration.name, self.location
            )

    @property
    def schema_version(self) -> int:
        row = self._one("SELECT MAX(version) FROM schema_migrations")
        return int(row[0]) if row and row[0] is not None else 0

    # -- scopes ------------------------------------------------------------------------
    def _ensure_scopes(self, user_ids: Iterable[str]) -> None:
        now = self._time(datetime.now(UTC))
        self._many(
            "INSERT INTO scopes (user_id, created_at) VALUES (?, ?) ON CONFLICT DO NOTHING",
            [(user_id, now) for user_id in sorted(set(user_ids))],
        )

    def _lock_scopes(self, user_ids: Iterable[str]) -> None:
        """Where rows are locked one by one (PostgreSQL), a write transaction first locks its
        users' scope rows, in one order: writers of one user take turns on that row instead
        of locking memories in different orders and deadlocking."""
        if not self.dialect.row_locks:
            return
        locked = self._scopes_locked()
        users = sorted(set(user_ids) - (locked or set()))
        if locked is not None:
            locked.update(users)
        for chunk in chunks(users):
            self._rows(
                f"SELECT user_id FROM scopes WHERE user_id IN ({marks(chunk)}) "
                "ORDER BY user_id FOR UPDATE",
                chunk,
            )

    def _note_changes(
        self, changed: Iterable[tuple[str, str]], *, keys: bool = False, erased: bool = False
    ) -> None:
        """Advance the feed of each user once and record their (user, memory) changes;
        ``keys``: the memories' keys changed too (see the ``changes`` table)."""
        by_user: dict[str, dict[str, None]] = {}
        for user_id, memory_id in changed:
            by_user.setdefault(user_id, {})[memory_id] = None
        for user_id in sorted(by_user):
            row = self._one(
                "UPDATE scopes SET feed_head = feed_head + 1 WHERE user_id = ? RETURNING feed_head",
                (user_id,),
            )
            if row is None:
                raise StoreError(f"no scope for user {user_id!r}")
            seq = int(row[0])
            keys_seq = seq if keys or erased else 0
            self._many(
                "INSERT INTO changes (user_id, memory_id, seq, keys_seq, erased) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (user_id, memory_id) DO UPDATE SET "
                f"seq = excluded.seq, keys_seq = {self.dialect.greatest}(changes.keys_seq, "
                "excluded.keys_seq), erased = excluded.erased",
                [(user_id, m, seq, keys_seq, int(erased)) for m in by_user[user_id]],
            )
