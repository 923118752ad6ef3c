"""What differs between the SQL backends, and nothing else.

Queries in the core are written once with ``?`` placeholders and portable SQL (upserts with
``ON CONFLICT``, ``RETURNING``, ``coalesce``); a dialect supplies the rest: its placeholder,
the column types of the schema, how times and JSON are passed, the two functions whose names
differ, and whether rows must be locked explicitly.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any

from kenning.store._codec import encode_json, encode_time
from kenning.store.filters import ValueType


class Backend(Enum):
    SQLITE = "sqlite"
    POSTGRES = "postgresql"


@dataclass(frozen=True)
class Dialect:
    """One SQL backend's differences from the portable SQL of the core."""

    backend: Backend
    # Column types that migrations name as {time}, {int}, {json}, {blob}, {real},
    # {autoid}, {rowid}.
    types: Mapping[str, str]
    # The scalar maximum of two values (SQLite's two-argument MAX, PostgreSQL's GREATEST).
    greatest: str
    # ``LIMIT ?`` without a limit (SQLite needs a LIMIT before an OFFSET).
    no_limit: int | None
    # Whether a transaction must lock a user's scope row before writing its memories
    # (PostgreSQL: rows are locked one by one, so writers of one user queue on the scope
    # row first and cannot deadlock; SQLite: one writer at a time holds the whole file).
    row_locks: bool
    # A time or a JSON value as the driver passes it to its column type.
    time: Callable[[datetime | None], Any]
    json: Callable[[dict[str, Any] | None], Any]
    # The column names of a table (one ``?``: its name), in their order.
    columns_query: str
    # Statements that set each identity column's next value past the rows a copy inserted
    # with their ids (``kenning migrate``).
    after_copy: tuple[str, ...] = ()
    placeholder: str = "?"

    def sql(self, text: str) -> str:
        """The core's SQL in this dialect's placeholder style."""
        return _with_placeholder(text, self.placeholder)

    def ddl(self, text: str) -> str:
        """A migration statement with this dialect's column types."""
        return text.format_map(self.types)

    def json_test(self, column: str, kind: ValueType, operator: str) -> str:
        """A comparison of a top-level key of a JSON column with a value, true only when
        the stored value has the JSON type ``kind``. Its three parameters are
        :meth:`json_key` (twice) and :meth:`json_value`."""
        if self.backend is Backend.POSTGRES:
            # jsonb compares within a type (numbers as numbers); the type test keeps the
            # order between types (strings before numbers...) out of it.
            return f"(jsonb_typeof({column} -> ?) = '{kind.value}' AND ({column} -> ?) {operator} ?::jsonb)"
        types = _SQLITE_TYPES[kind]
        return f"(json_type({column}, ?) IN ({types}) AND json_extract({column}, ?) {operator} ?)"

    def json_key(self, key: str) -> str:
        """A top-level key as :meth:`json_test` takes it (a parameter, never spliced in)."""
        if self.backend is Backend.POSTGRES:
            return key
        return f'$."{key}"'  # keys never hold '"' or '\\' (kenning.store.filters)

    def json_value(self, value: str | int | float | bool) -> Any:
        """A value as :meth:`json_test` compares it."""
        return json.dumps(value) if self.backend is Backend.POSTGRES else value

    def json_text(self, column: str, key: str) -> str:
        """The text value of a top-level key of a JSON column."""
        if self.backend is Backend.POSTGRES:
            return f"({column} ->> '{key}')"
        return f"json_extract({column}, '$.{key}')"


# SQLite's json_type names of each JSON value type.
_SQLITE_TYPES = {
    ValueType.STRING: "'text'",
    ValueType.NUMBER: "'integer', 'real'",
    ValueType.BOOLEAN: "'true', 'false'",
}


@functools.lru_cache(maxsize=1024)
def _with_placeholder(text: str, placeholder: str) -> str:
    if placeholder == "?":
        return text
    # psycopg reads % as the start of a placeholder: a literal one is written %%.
    return text.replace("%", "%%").replace("?", placeholder)


SQLITE = Dialect(
    backend=Backend.SQLITE,
    types={
        "time": "TEXT",
        "int": "INTEGER",
        "json": "TEXT",
        "blob": "BLOB",
        "real": "REAL",
        "autoid": "INTEGER PRIMARY KEY AUTOINCREMENT",
        # SQLite tables have an implicit rowid: insertion order, used as the last tie-break.
        "rowid": "",
    },
    greatest="MAX",
    no_limit=-1,
    row_locks=False,
    time=encode_time,
    json=encode_json,
    columns_query="SELECT name FROM pragma_table_info(?) ORDER BY cid",
)

POSTGRES = Dialect(
    backend=Backend.POSTGRES,
    types={
        "time": "TIMESTAMPTZ",
        "int": "BIGINT",
        "json": "JSONB",
        "blob": "BYTEA",
        # REAL is single precision in PostgreSQL: scores would differ from SQLite's.
        "real": "DOUBLE PRECISION",
        "autoid": "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
        # The same insertion-order tie-break as SQLite's implicit rowid, under the same name.
        "rowid": "rowid BIGINT GENERATED BY DEFAULT AS IDENTITY,",
    },
    greatest="GREATEST",
    no_limit=None,
    row_locks=True,
    time=lambda value: value,
    json=encode_json,
    columns_query="SELECT column_name FROM information_schema.columns "
    "WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position",
    after_copy=tuple(
        f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), "
        f"COALESCE((SELECT MAX({column}) FROM {table}), 0) + 1, false)"
        for table, column in (
            ("history", "id"),
            ("llm_calls", "id"),
            ("memories", "rowid"),
            ("api_keys", "rowid"),
        )
    ),
    placeholder="%s",
)
