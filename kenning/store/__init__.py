"""Storage: the backend-neutral contract and its implementations."""

from __future__ import annotations

from pathlib import Path

from kenning.errors import ConfigError
from kenning.store._codec import normalize_json
from kenning.store.base import (
    Claim,
    FeedChanges,
    HistoryRecord,
    MemoryFilter,
    Store,
    StoredMemory,
)
from kenning.store.postgres import PostgresStore, is_postgres_url
from kenning.store.sqlite import SQLiteStore


def open_store(
    location: str | Path, *, pool_size: int = 10, replica_url: str | None = None
) -> Store:
    """Open the store a location names: a ``postgresql://`` URL opens PostgreSQL (with a
    pool of up to ``pool_size`` connections, reads served by ``replica_url`` when it is
    given and caught up); a file path (or ``sqlite:///path``) SQLite."""
    text = str(location)
    if is_postgres_url(text):
        return PostgresStore(text, pool_size=pool_size, replica_url=replica_url)
    if replica_url is not None:
        raise ConfigError("a read replica needs a PostgreSQL database_url")
    if text.startswith("sqlite:///"):
        text = text.removeprefix("sqlite:///")
    return SQLiteStore(text)


__all__ = [
    "Claim",
    "FeedChanges",
    "HistoryRecord",
    "MemoryFilter",
    "PostgresStore",
    "SQLiteStore",
    "Store",
    "StoredMemory",
    "normalize_json",
    "open_store",
]
