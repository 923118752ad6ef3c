"""The server backend: PostgreSQL (16 or newer) through psycopg 3 and a connection pool.

The queries are the SQL core's (:mod:`kenning.store._sql`); this module supplies the pool
and transactions. A transaction holds one pooled connection for its thread until it ends
(nested ``atomic`` blocks become savepoints on it); a read outside a transaction borrows a
connection for one statement. Several processes and hosts share one database: writers of
one user take turns on the user's scope row (see ``SQLBase._lock_scopes``), migrations on
an advisory lock.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from kenning.errors import StoreError
from kenning.store._sql.core import Row
from kenning.store._sql.dialect import POSTGRES
from kenning.store._sql.store import SQLStore

if TYPE_CHECKING:
    import psycopg

# pg_advisory_xact_lock key of schema migrations (any constant; "kenning" in ASCII).
_MIGRATION_LOCK = 0x6B656E6E696E67
URL_SCHEMES = ("postgresql://", "postgres://")


def is_postgres_url(location: str) -> bool:
    return location.startswith(URL_SCHEMES)


def redact(url: str) -> str:
    """The URL without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


class PostgresStore(SQLStore):
    """:class:`~kenning.store.base.Store` on a PostgreSQL database named by a URL."""

    dialect = POSTGRES

    def __init__(self, url: str, *, pool_size: int = 10) -> None:
        try:
            import psycopg
            from psycopg_pool import ConnectionPool
        except ImportError as exc:
            raise StoreError(
                "PostgreSQL needs the postgres extra: pip install 'kenning[postgres]'"
            ) from exc
        self.url = url
        self.location = redact(url)
        self._errors: tuple[type[BaseException], ...] = (psycopg.Error,)
        self._local = threading.local()
        self._pool = ConnectionPool(
            url,
            min_size=1,
            max_size=pool_size,
            # Times come back in UTC; statements outside a transaction commit on their own.
            kwargs={"autocommit": True, "options": "-c timezone=UTC"},
            open=False,
            name="kenning",
        )
        try:
            self._pool.open(wait=True, timeout=30)
        except Exception as exc:
            self._pool.close()
            raise StoreError(f"cannot connect to {self.location}: {exc}") from exc
        try:
            self._migrate()
        except BaseException:
            self._pool.close()
            raise

    # -- plumbing ------------------------------------------------------------------
    def _lock_migrations(self) -> None:
        self._rows("SELECT pg_advisory_xact_lock(?)", (_MIGRATION_LOCK,))

    def _held(self) -> psycopg.Connection[Any] | None:
        conn: psycopg.Connection[Any] | None = getattr(self._local, "conn", None)
        return conn

    @contextmanager
    def atomic(self) -> Iterator[None]:
        held = self._held()
        if held is not None:
            with held.transaction():  # a savepoint
                yield
            return
        try:
            with self._pool.connection() as conn:
                self._local.conn = conn
                try:
                    with conn.transaction():
                        yield
                finally:
                    self._local.conn = None
        except self._errors as exc:
            raise StoreError(f"transaction failed on {self.location}: {exc}") from exc

    @contextmanager
    def _connection(self) -> Iterator[psycopg.Connection[Any]]:
        held = self._held()
        if held is not None:
            yield held
            return
        with self._pool.connection() as conn:
            yield conn

    def _fail(self, exc: BaseException, sql: str) -> StoreError:
        return StoreError(f"{exc} (in: {sql.split('(')[0].strip()[:60]})")

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        try:
            with self._connection() as conn:
                cursor = conn.execute(self.dialect.sql(sql), params or None)
                return cursor.fetchall() if cursor.description else []
        except self._errors as exc:
            raise self._fail(exc, sql) from exc

    def _exec(self, sql: str, params: Sequence[Any] = ()) -> int:
        try:
            with self._connection() as conn:
                return conn.execute(self.dialect.sql(sql), params or None).rowcount
        except self._errors as exc:
            raise self._fail(exc, sql) from exc

    def _many(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        params = list(rows)
        if not params:
            return
        try:
            with self._connection() as conn, conn.cursor() as cursor:
                cursor.executemany(self.dialect.sql(sql), params)
        except self._errors as exc:
            raise self._fail(exc, sql) from exc

    def close(self) -> None:
        self._pool.close()
