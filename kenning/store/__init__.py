"""Storage: the backend-neutral contract and its implementations."""

from __future__ import annotations

from pathlib import Path

from kenning.store._codec import normalize_json
from kenning.store.base import (
    Claim,
    FeedChanges,
    HistoryRecord,
    MemoryFilter,
    Store,
    StoredMemory,
)
from kenning.store.sqlite import SQLiteStore


def open_store(location: str | Path) -> Store:
    """Open the store a location names: a file path (or ``sqlite:///path``) opens SQLite."""
    text = str(location)
    if text.startswith("sqlite:///"):
        text = text.removeprefix("sqlite:///")
    return SQLiteStore(text)


__all__ = [
    "Claim",
    "FeedChanges",
    "HistoryRecord",
    "MemoryFilter",
    "SQLiteStore",
    "Store",
    "StoredMemory",
    "normalize_json",
    "open_store",
]
