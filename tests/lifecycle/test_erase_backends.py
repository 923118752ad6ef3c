"""What a hard forget guarantees on each backend (docs/lifecycle.md, "Erasure by backend").

Every backend: no row of any table holds the erased text afterwards. PostgreSQL keeps dead
row versions in its data files until they are rewritten: after ``VACUUM FULL`` (what the
documentation tells an operator to run) the text is gone from the tables' files too. Its
write-ahead log still holds it until it is recycled, which is stated, not tested.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from rawdb import raw_sql

from kenning import Memory
from kenning.store.postgres import is_postgres_url
from kenning.store.transfer import TABLES
from kenning.testing import HashEmbedder
from kenning.testing.postgres import LocalPostgres

SECRET = "Zyxwvut-7731"


def _erase(location: str) -> None:
    with Memory(location, embedder=HashEmbedder()) as m:
        m.add(
            [
                "Hello there, how are you?",
                f"I live in {SECRET} now",
                {"role": "assistant", "content": "Noted."},
            ],
            user_id="ana",
            session_id="s1",
            timestamp=datetime(2024, 1, 10, tzinfo=UTC),
        )
        m.consolidate(user_id="ana")
        turn = next(t for t in m.get_all(user_id="ana", kinds="turn") if SECRET in t.text)
        m.update(turn.id, f"I live in {SECRET} since May", user_id="ana")
        assert m.forget(turn.id, user_id="ana", hard=True).erased_memories >= 2


def _rows_mentioning(location: str, word: str) -> dict[str, int]:
    found = {}
    for table in TABLES:
        rows = raw_sql(location, f"SELECT * FROM {table.name}")
        found[table.name] = sum(word in repr(row) for row in rows)
    return found


def test_no_row_of_any_table_holds_erased_text(db_location: str) -> None:
    _erase(db_location)
    assert set(_rows_mentioning(db_location, SECRET).values()) == {0}
    assert _rows_mentioning(db_location, "Hello there")["episodes"] == 1  # the check can fail


def _table_files(url: str) -> bytes:
    data_dir = Path(raw_sql(url, "SHOW data_directory")[0][0])
    files = b""
    for table in TABLES:
        (relative,) = raw_sql(url, f"SELECT pg_relation_filepath('{table.name}')")[0]
        files += b"".join(p.read_bytes() for p in data_dir.glob(f"{relative}*"))
    return files


def test_postgres_data_files_hold_erased_text_until_vacuum_full(
    local_postgres: LocalPostgres,
) -> None:
    url = local_postgres.create_database()
    try:
        assert is_postgres_url(url)
        with Memory(url, embedder=HashEmbedder()):
            pass  # migrated: the tables exist
        for table in TABLES:  # no pruning behind the test's back (the pages stay far from full)
            raw_sql(url, f"ALTER TABLE {table.name} SET (autovacuum_enabled = false)")
        _erase(url)
        raw_sql(url, "CHECKPOINT")  # dirty pages reach the files
        assert SECRET.encode() in _table_files(url)  # dead row versions: the stated caveat
        raw_sql(url, "VACUUM FULL")
        raw_sql(url, "CHECKPOINT")
        files = _table_files(url)
        assert SECRET.encode() not in files
        assert b"Hello there" in files  # the check can fail: live text is still there
    finally:
        local_postgres.drop_database(url)
