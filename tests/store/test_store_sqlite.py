"""What only the SQLite backend promises: WAL on a file, migrations recorded once, real files."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kenning.errors import StoreError
from kenning.models import Episode
from kenning.store import SQLiteStore, open_store
from kenning.store._sql.migrations import MIGRATIONS


def test_file_database_uses_wal_and_full_sync(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "wal.db")
    try:
        assert store._conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert store._conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    finally:
        store.close()
    # WAL is a property of the file: a plain connection sees it too.
    with sqlite3.connect(tmp_path / "wal.db") as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    raw.close()


def test_migrations_are_recorded_once_and_not_reapplied(tmp_path: Path) -> None:
    path = tmp_path / "m.db"
    SQLiteStore(path).close()
    raw = sqlite3.connect(path)
    try:
        first = raw.execute("SELECT version, name, applied_at FROM schema_migrations").fetchall()
    finally:
        raw.close()
    assert [(v, n) for v, n, _ in first] == [(m.version, m.name) for m in MIGRATIONS]
    reopened = SQLiteStore(path)
    try:
        assert reopened.schema_version == MIGRATIONS[-1].version
        again = reopened._conn.execute(
            "SELECT version, name, applied_at FROM schema_migrations"
        ).fetchall()
    finally:
        reopened.close()
    assert again == first  # same rows, same applied_at: nothing ran twice


def test_in_memory_database_works_without_wal() -> None:
    store = SQLiteStore(":memory:")
    try:
        assert store.schema_version >= 1
        assert store._conn.execute("PRAGMA journal_mode").fetchone()[0] == "memory"
    finally:
        store.close()


def test_open_store_accepts_a_sqlite_url(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'url.db'}")
    try:
        assert isinstance(store, SQLiteStore)
        assert (tmp_path / "url.db").exists()
    finally:
        store.close()


def test_unopenable_path_is_a_store_error(tmp_path: Path) -> None:
    directory = tmp_path / "a-directory.db"
    directory.mkdir()
    with pytest.raises(StoreError):
        SQLiteStore(directory)


def test_closed_store_raises_store_error(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "c.db")
    store.close()
    with pytest.raises(StoreError):
        store.list_users()


@pytest.mark.parametrize("nested", [False, True])
def test_an_erase_leaves_no_text_in_the_open_files(tmp_path: Path, nested: bool) -> None:
    # The write-ahead log is checkpointed once the outermost transaction commits, so the
    # erased text is gone while the store is still open, also when the caller (a hard forget)
    # wraps the erase in its own transaction.
    secret = "Zyxwvut-7731"
    at = datetime(2024, 1, 1, tzinfo=UTC)
    episodes = [
        Episode(
            id=f"e{n}",
            user_id="u",
            role="user",
            content=text,
            created_at=at,
            idempotency_key=f"k{n}",
        )
        for n, text in enumerate(("kept text", f"I live in {secret}"))
    ]
    store = SQLiteStore(tmp_path / "erase.db")
    try:
        store.put_episodes(episodes)
        if nested:
            with store.atomic():
                store.delete_episodes("u", ["e1"])
        else:
            store.delete_episodes("u", ["e1"])
        raw = b"".join(p.read_bytes() for p in tmp_path.iterdir())
        assert secret.encode() not in raw
        assert b"kept text" in raw  # the check can fail: other text is still there
    finally:
        store.close()
