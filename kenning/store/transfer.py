"""Copying a whole store to another (SQLite to PostgreSQL and back): ``kenning migrate``.

Every table is copied row by row in a fixed order, in batches that each commit on their
own, so an interrupted copy resumes where it stopped: the destination's row count of a
table says how many of the source's rows (in that order) are already there. A
``transfers`` row in the destination records the source and whether the copy finished.
Afterwards every table is verified: the same number of rows and the same SHA-256 over its
rows in key order, with times, JSON and bytes compared by value, not by how each backend
spells them.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from kenning.errors import StoreError
from kenning.ids import new_id
from kenning.store._codec import decode_json, decode_time, encode_json, encode_time
from kenning.store._sql.core import Row, SQLBase
from kenning.store.base import Store

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Table:
    """A table as copied: its key (verification order) and its copy order."""

    name: str
    key: tuple[str, ...]
    # Copy order: the key, or ``rowid`` where the insertion order is the store's tie-break.
    order: tuple[str, ...] | None = None

    @property
    def copy_order(self) -> tuple[str, ...]:
        return self.order or self.key


# Parents before children (foreign keys); the change feed too, so that a copy is complete.
TABLES = (
    Table("scopes", ("user_id",)),
    Table("episodes", ("id",)),
    Table("memories", ("id",), order=("rowid",)),
    Table("memory_episodes", ("memory_id", "episode_id")),
    Table("memory_keys", ("memory_id", "position")),
    Table("entities", ("id",)),
    Table("mentions", ("memory_id", "entity_id")),
    Table("links", ("source_id", "target_id", "type")),
    Table("history", ("id",)),
    Table("changes", ("user_id", "memory_id")),
    Table("llm_calls", ("id",)),
    Table("api_keys", ("id",), order=("rowid",)),
    Table("tasks", ("id",)),
    Table("task_steps", ("id",)),
    Table("task_dependencies", ("step_id", "depends_on")),
)
# Columns holding times and JSON: compared and converted by value.
TIME_COLUMNS = frozenset(
    [
        "created_at",
        "timestamp",
        "processed_at",
        "event_time",
        "valid_from",
        "valid_to",
        "updated_at",
        "expired_at",
        "last_accessed",
        "expires_at",
        "at",
        "started_at",
        "revoked_at",
        "last_used_at",
        "claim_expires",
    ]
)
JSON_COLUMNS = frozenset({"metadata", "details", "data"})
BATCH = 2000


@dataclass(frozen=True)
class TableReport:
    name: str
    rows: int
    copied: int  # by this run (the rest was there from an interrupted one)
    checksum: str


@dataclass(frozen=True)
class TransferReport:
    source: str
    destination: str
    tables: tuple[TableReport, ...]
    resumed: bool

    @property
    def rows(self) -> int:
        return sum(t.rows for t in self.tables)


class TransferRefused(StoreError):
    """The destination holds data that is not an unfinished copy of this source."""


def _sql(store: Store) -> SQLBase:
    if not isinstance(store, SQLBase):
        raise StoreError(f"{type(store).__name__} is not a SQL store: it cannot be copied")
    return store


def _columns(store: SQLBase, table: str) -> list[str]:
    """The table's columns, without PostgreSQL's explicit ``rowid`` (it is regenerated)."""
    names = [str(row[0]) for row in store._rows(store.dialect.columns_query, (table,))]
    if not names:
        raise StoreError(f"{store.location} has no table {table}")
    return [name for name in names if name != "rowid"]


def _decoded(column: str, value: Any) -> Any:
    """A stored value as the domain reads it, whichever backend stored it."""
    if value is None:
        return None
    if column in TIME_COLUMNS:
        return decode_time(value)
    if column in JSON_COLUMNS:
        return decode_json(value)
    return bytes(value) if isinstance(value, memoryview) else value


def _canonical(column: str, value: Any) -> Any:
    """A value as the domain sees it, in one spelling: what both backends must agree on."""
    decoded = _decoded(column, value)
    if decoded is not None and column in TIME_COLUMNS:
        return encode_time(decoded)
    if decoded is not None and column in JSON_COLUMNS:
        return encode_json(decoded)
    return decoded


def _converter(columns: Sequence[str], dest: SQLBase) -> Callable[[Row], tuple[Any, ...]]:
    """A source row as the destination's driver takes it."""

    def encode(column: str, value: Any) -> Any:
        decoded = _decoded(column, value)
        if decoded is not None and column in TIME_COLUMNS:
            return dest.dialect.time(decoded)
        if decoded is not None and column in JSON_COLUMNS:
            return dest.dialect.json(decoded)
        return decoded

    def convert(row: Row) -> tuple[Any, ...]:
        return tuple(encode(c, v) for c, v in zip(columns, row, strict=True))

    return convert


def _batches(
    store: SQLBase,
    table: str,
    columns: Sequence[str],
    order: Sequence[str],
    skip: int,
    *,
    user_id: str | None = None,
) -> Iterator[list[Row]]:
    """The table's rows in ``order``, after the first ``skip``, in batches (keyset paging);
    with ``user_id``, that user's rows only (``kenning export``)."""
    selected = ", ".join([*columns, *(f"{o} AS k_{i}" for i, o in enumerate(order))])
    ordering = ", ".join(order)
    keys = f"({ordering})" if len(order) > 1 else ordering
    marks = ", ".join("?" * len(order))
    mine, owner = ("user_id = ?", (user_id,)) if user_id is not None else ("", ())
    after: tuple[Any, ...] | None = None
    if skip:
        row = store._one(
            f"SELECT {ordering} FROM {table}{' WHERE ' + mine if mine else ''} "
            f"ORDER BY {ordering} LIMIT 1 OFFSET ?",
            (*owner, skip - 1),
        )
        after = tuple(row) if row else None
    while True:
        clauses = [c for c in (mine, "" if after is None else f"{keys} > ({marks})") if c]
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = store._rows(
            f"SELECT {selected} FROM {table}{where} ORDER BY {ordering} LIMIT ?",
            (*owner, *(after or ()), BATCH),
        )
        if not rows:
            return
        yield [row[: len(columns)] for row in rows]
        after = tuple(rows[-1][len(columns) :])


def checksum(store: Store, table: Table) -> tuple[int, str]:
    """Rows and checksum of a table: the sum (mod 2^256) of each row's SHA-256 over its
    values by meaning (columns by name). A sum does not depend on the order rows are read
    in, which differs with the backends' collations."""
    sql = _sql(store)
    columns = sorted(_columns(sql, table.name))
    total = rows = 0
    for batch in _batches(sql, table.name, columns, table.key, 0):
        for row in batch:
            values = [_canonical(c, v) for c, v in zip(columns, row, strict=True)]
            total += int.from_bytes(hashlib.sha256(repr(values).encode()).digest(), "big")
            rows += 1
    return rows, f"{total % 2**256:064x}"


def _same_database(a: SQLBase, b: SQLBase) -> bool:
    """One database under two handles: a row committed through one is read through the other
    (a probe row in ``transfers``, which is not copied, deleted again at once)."""
    if a.location == b.location:
        return True
    probe = f"kenning-transfer-probe-{new_id()}"
    with a.atomic():
        a._exec(
            "INSERT INTO transfers (source, started_at) VALUES (?, ?)",
            (probe, a.dialect.time(datetime.now(UTC))),
        )
    try:
        return b._one("SELECT 1 FROM transfers WHERE source = ?", (probe,)) is not None
    finally:
        with a.atomic():
            a._exec("DELETE FROM transfers WHERE source = ?", (probe,))


def _count(store: SQLBase, table: str) -> int:
    row = store._one(f"SELECT COUNT(*) FROM {table}")
    return int(row[0]) if row else 0


def _prepare(source: SQLBase, dest: SQLBase, *, replace: bool) -> bool:
    """Check (or empty) the destination; True when resuming an interrupted copy."""
    marker = dest._one("SELECT finished_at FROM transfers WHERE source = ?", (source.location,))
    occupied = [t.name for t in TABLES if _count(dest, t.name)]
    if marker is not None and marker[0] is None and not replace:
        return True
    if occupied and not replace:
        raise TransferRefused(
            f"{dest.location} is not empty ({', '.join(occupied)} have rows); "
            "pass --replace to erase it first"
        )
    with dest.atomic():
        for table in reversed(TABLES):
            dest._exec(f"DELETE FROM {table.name}")
        dest._exec("DELETE FROM transfers")
        dest._exec(
            "INSERT INTO transfers (source, started_at) VALUES (?, ?)",
            (source.location, dest.dialect.time(datetime.now(UTC))),
        )
    return False


def _copy_table(source: SQLBase, dest: SQLBase, table: Table) -> int:
    columns = _columns(source, table.name)
    if set(columns) != set(_columns(dest, table.name)):
        raise StoreError(f"table {table.name} differs between the two stores' schemas")
    convert = _converter(columns, dest)
    insert = (
        f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    )
    copied = 0
    for batch in _batches(source, table.name, columns, table.copy_order, _count(dest, table.name)):
        with dest.atomic():
            dest._many(insert, [convert(row) for row in batch])
        copied += len(batch)
    return copied


def transfer(source: Store, destination: Store, *, replace: bool = False) -> TransferReport:
    """Copy every row of ``source`` into ``destination`` and verify the copy.

    An empty destination is filled; one holding an unfinished copy of the same source is
    completed; any other is refused unless ``replace`` (which erases it first).
    """
    src, dest = _sql(source), _sql(destination)
    if _same_database(src, dest):
        raise TransferRefused(f"{src.location} is both the source and the destination")
    if src.schema_version != dest.schema_version:
        raise StoreError(
            f"schema versions differ ({src.schema_version} and {dest.schema_version}): "
            "open both with this version of Kenning first"
        )
    resumed = _prepare(src, dest, replace=replace)
    copied = {table.name: _copy_table(src, dest, table) for table in TABLES}
    with dest.atomic():
        for statement in dest.dialect.after_copy:
            dest._rows(statement)
    reports = []
    for table in TABLES:
        rows, digest = checksum(src, table)
        dest_rows, dest_digest = checksum(dest, table)
        if (rows, digest) != (dest_rows, dest_digest):
            raise StoreError(
                f"verification failed for {table.name}: {rows} rows in the source, "
                f"{dest_rows} in the destination, checksums {digest[:12]} and {dest_digest[:12]}"
            )
        reports.append(TableReport(table.name, rows, copied[table.name], digest))
    with dest.atomic():
        dest._exec(
            "UPDATE transfers SET finished_at = ? WHERE source = ?",
            (dest.dialect.time(datetime.now(UTC)), src.location),
        )
    return TransferReport(src.location, dest.location, tuple(reports), resumed)
