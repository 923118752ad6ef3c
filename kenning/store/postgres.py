"""The server backend: PostgreSQL (16 or newer) through psycopg 3 and a connection pool.

The queries are the SQL core's (:mod:`kenning.store._sql`); this module supplies the pool
and transactions. A transaction holds one pooled connection for its thread until it ends
(nested ``atomic`` blocks become savepoints on it); a read outside a transaction borrows a
connection for one statement. Several processes and hosts share one database: writers of
one user take turns on the user's scope row (see ``SQLBase._lock_scopes``), migrations on
an advisory lock.

With a streaming replica (``replica_url``), reads outside a transaction go to it when it
has replayed this process's last commit and the caller's :meth:`read_after` token (both
write-ahead-log positions); otherwise to the primary. A client thus reads its own writes,
whichever server it asks; other clients' writes reach replica reads within the lag.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from kenning.errors import StoreError
from kenning.store._sql.core import Row
from kenning.store._sql.dialect import POSTGRES
from kenning.store._sql.store import SQLStore

if TYPE_CHECKING:
    import psycopg
    from psycopg_pool import ConnectionPool

log = logging.getLogger(__name__)

# pg_advisory_xact_lock key of schema migrations (any constant; "kenning" in ASCII).
_MIGRATION_LOCK = 0x6B656E6E696E67
URL_SCHEMES = ("postgresql://", "postgres://")
# The write-ahead-log position the current request must read (a client's token).
_READ_AFTER: ContextVar[int] = ContextVar("kenning_read_after", default=0)


def parse_lsn(token: str) -> int:
    """A PostgreSQL LSN (``16/B374D848``) as an integer; ValueError if it is not one."""
    high, _, low = token.strip().partition("/")
    return (int(high, 16) << 32) | int(low, 16)


def format_lsn(value: int) -> str:
    return f"{value >> 32:X}/{value & 0xFFFFFFFF:X}"


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

    def __init__(self, url: str, *, pool_size: int = 10, replica_url: str | None = None) -> None:
        try:
            import psycopg
            from psycopg_pool import ConnectionPool
        except ImportError as exc:
            raise StoreError(
                "PostgreSQL needs the postgres extra: pip install 'kenning[postgres]'"
            ) from exc
        self.location = redact(url)
        self._errors: tuple[type[BaseException], ...] = (psycopg.Error,)
        self._local = threading.local()
        self._pool = _open_pool(ConnectionPool, url, pool_size, "kenning")
        self._replica: ConnectionPool[Any] | None = None
        # This process's last commit and the replica's last replay seen (LSNs), and how many
        # reads the replica served.
        self._written = 0
        self._replayed = 0
        self.replica_reads = 0
        self._positions = threading.Lock()
        try:
            # The replica first: reads after the migrations must see them.
            if replica_url is not None:
                self._replica = _open_pool(ConnectionPool, replica_url, pool_size, "replica")
            self._migrate()
        except BaseException:
            if self._replica is not None:
                self._replica.close()
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
                self._local.locked = set()
                try:
                    with conn.transaction():
                        yield
                finally:
                    self._local.conn = None
                    self._local.locked = None
                if self._replica is not None:  # what a replica must replay to read it
                    self._note_written(conn)
        except self._errors as exc:
            raise StoreError(f"transaction failed on {self.location}: {exc}") from exc

    def _write(self) -> AbstractContextManager[None]:
        # A savepoint is two round trips; an add runs some twenty operations in one
        # transaction (see SQLBase._write).
        return nullcontext() if self._held() is not None else self.atomic()

    def _scopes_locked(self) -> set[str] | None:
        locked: set[str] | None = getattr(self._local, "locked", None)
        return locked

    def _note_written(self, conn: psycopg.Connection[Any]) -> None:
        row = conn.execute("SELECT pg_current_wal_lsn()::text").fetchone()
        if row is not None:
            with self._positions:
                self._written = max(self._written, parse_lsn(row[0]))

    # -- read replicas -----------------------------------------------------------------
    @contextmanager
    def read_after(self, token: str | None) -> Iterator[None]:
        try:
            position = parse_lsn(token) if token else 0
        except ValueError:
            position = 0  # not a token of ours: no constraint (and no error for a header)
        reset = _READ_AFTER.set(max(_READ_AFTER.get(), position))
        try:
            yield
        finally:
            _READ_AFTER.reset(reset)

    def consistency_token(self) -> str | None:
        return format_lsn(self._written) if self._replica is not None else None

    def _replica_for_read(self) -> ConnectionPool[Any] | None:
        """The replica, if it has replayed what this read must see; else None (primary)."""
        if self._replica is None:
            return None
        needed = max(self._written, _READ_AFTER.get())
        if needed > self._replayed:
            try:
                with self._replica.connection() as conn:
                    row = conn.execute("SELECT pg_last_wal_replay_lsn()::text").fetchone()
            except self._errors as exc:
                log.warning("replica unavailable, reading the primary: %s", exc)
                return None
            if row is None or row[0] is None:  # not a standby
                return None
            with self._positions:
                self._replayed = max(self._replayed, parse_lsn(row[0]))
        return self._replica if needed <= self._replayed else None

    @contextmanager
    def _connection(self) -> Iterator[psycopg.Connection[Any]]:
        held = self._held()
        if held is not None:
            yield held
            return
        with self._pool.connection() as conn:
            yield conn

    def _read_replica(self, sql: str, params: Sequence[Any]) -> list[Row] | None:
        """The rows from the replica, or None when it may not or cannot answer."""
        if self._held() is not None or (replica := self._replica_for_read()) is None:
            return None
        try:
            with replica.connection() as conn:
                cursor = conn.execute(self.dialect.sql(sql), params or None)
                rows = cursor.fetchall() if cursor.description else []
        except self._errors as exc:
            log.warning("replica read failed, reading the primary: %s", exc)
            return None
        with self._positions:
            self.replica_reads += 1
        return rows

    def _fail(self, exc: BaseException, sql: str) -> StoreError:
        return StoreError(f"{exc} (in: {sql.split('(')[0].strip()[:60]})")

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        # A statement returning rows outside a transaction is a read (a write that returns
        # rows, UPDATE ... RETURNING, always runs in one): a caught-up replica may answer.
        replicated = self._read_replica(sql, params) if self._replica is not None else None
        if replicated is not None:
            return replicated
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
        if self._replica is not None:
            self._replica.close()
        self._pool.close()


def _open_pool(pool_class: Any, url: str, size: int, name: str) -> ConnectionPool[Any]:
    pool: ConnectionPool[Any] = pool_class(
        url,
        min_size=1,
        max_size=size,
        # Times come back in UTC; statements outside a transaction commit on their own.
        kwargs={"autocommit": True, "options": "-c timezone=UTC"},
        open=False,
        name=name,
    )
    try:
        pool.open(wait=True, timeout=30)
    except Exception as exc:
        pool.close()
        raise StoreError(f"cannot connect to {redact(url)}: {exc}") from exc
    return pool
