"""Raw SQL on a store's database, from outside the store, for tests that inspect rows.

Queries use ``?`` placeholders on every backend; a location is a SQLite path or a
PostgreSQL URL (what the ``db_location`` fixture gives).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import psycopg

from kenning.store.postgres import is_postgres_url


def raw_sql(location: str | Path, query: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """Run one statement on its own connection (committed) and return its rows."""
    if is_postgres_url(str(location)):
        with psycopg.connect(str(location), autocommit=True) as conn:
            cursor = conn.execute(query.replace("?", "%s"), params or None)
            return cursor.fetchall() if cursor.description else []
    raw = sqlite3.connect(location)
    try:
        with raw:
            return raw.execute(query, params).fetchall()
    finally:
        raw.close()
