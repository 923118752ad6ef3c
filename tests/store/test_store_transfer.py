"""``kenning migrate``: a store copied to the other backend and back is the same store.

Real SQLite files and a real PostgreSQL; the copy is checked by the engine's own answers
(searches, histories, links) as well as by the transfer's checksums.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rawdb import raw_sql

from kenning import Memory
from kenning.errors import StoreError
from kenning.server.keys import ApiKeys
from kenning.store import Store, open_store
from kenning.store import transfer as transfer_module
from kenning.store.transfer import TABLES, TransferRefused, checksum, transfer
from kenning.testing import HashEmbedder
from kenning.testing.postgres import LocalPostgres


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KENNING_")}
    return subprocess.run(
        [sys.executable, "-m", "kenning.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )


CHAT = [
    {"role": "user", "content": "I moved to Lisbon in March 2023.", "timestamp": "2023-03-02"},
    {"role": "assistant", "content": "How do you like Lisbon?", "timestamp": "2023-03-02"},
    {"role": "user", "content": "My sister Eva got married in Porto.", "timestamp": "2023-04-10"},
    {"role": "user", "content": "I moved to Berlin last week.", "timestamp": "2024-01-20"},
    {"role": "user", "content": "My dog Rex loves the beach.", "timestamp": "2024-02-01"},
]
NOW = "2024-03-01T12:00:00Z"
QUERIES = ["where does she live?", "who got married?", "dog", "Lisbon", "beach with Rex"]


@pytest.fixture
def pg_url(local_postgres: LocalPostgres, request: pytest.FixtureRequest) -> str:
    url = local_postgres.create_database()
    request.addfinalizer(lambda: local_postgres.drop_database(url))
    return url


@pytest.fixture
def filled(tmp_path: Path) -> Iterator[str]:
    """A SQLite store with messages, facts, a superseded fact, a hard-deleted memory's
    history, an API key and the derived rows of all of them."""
    path = str(tmp_path / "source.db")
    with Memory(path, embedder=HashEmbedder()) as m:
        m.add(CHAT[:3], user_id="ana", session_id="s1")
        m.add(CHAT[3:], user_id="ana", session_id="s2")
        m.add("Bo works at a bakery.", user_id="bo")
        m.add_fact("Ana lives in Lisbon", user_id="ana", key="user.city", valid_from="2023-03-01")
        m.add_fact("Ana lives in Berlin", user_id="ana", key="user.city", valid_from="2024-01-13")
        note = m.add_fact("Ana's favourite colour is green", user_id="ana")
        m.update(note.id, "Ana's favourite colour is blue", user_id="ana")
        ApiKeys(m.store).create(users=["ana"], name="ana's app")
    yield path


def answers(location: str) -> tuple[list[Any], list[float]]:
    """What the engine says about the store: searches (ranked ids, and apart their scores,
    which move with the clock between two calls: strength decays), every memory with its
    history."""
    scores: list[float] = []
    with Memory(location, embedder=HashEmbedder()) as m:
        out: list[Any] = []
        for user in ("ana", "bo"):
            for query in QUERIES:
                hits = m.search(query, user_id=user, now=NOW)
                out.append([h.memory.id for h in hits])
                scores += [h.score for h in hits]
            for item in m.get_all(user_id=user, limit=1000):
                out.append((item.id, item.text, item.status, item.valid_from, item.version))
                out.append([(e.action, e.new_text) for e in m.history(item.id, user_id=user)])
        out.append(m.stats())
        return out, scores


def checksums(location: str) -> list[tuple[int, str]]:
    store = open_store(location)
    try:
        return [checksum(store, table) for table in TABLES]
    finally:
        store.close()


def test_sqlite_to_postgres_and_back_gives_the_same_store(
    filled: str, pg_url: str, tmp_path: Path
) -> None:
    back = str(tmp_path / "back.db")
    for source, destination in ((filled, pg_url), (pg_url, back)):
        src, dest = open_store(source), open_store(destination)
        try:
            report = transfer(src, dest)
        finally:
            src.close()
            dest.close()
        assert not report.resumed
        assert {t.name: t.rows for t in report.tables}["memory_keys"] > 0
    assert checksums(filled) == checksums(pg_url) == checksums(back)
    # Each from the same state (a search records its hits' access statistics).
    expected, expected_scores = answers(filled)
    for copy in (pg_url, back):
        found, scores = answers(copy)
        assert found == expected
        assert scores == pytest.approx(expected_scores, abs=1e-6)
    # The copies are live stores: ids and identity columns continue past the copied rows.
    with Memory(pg_url, embedder=HashEmbedder()) as m:
        m.add("Ana started learning the piano.", user_id="ana")
        assert m.search("piano", user_id="ana")[0].memory.text.startswith("Ana started")
        assert len(ApiKeys(m.store).list()) == 1


def test_a_destination_with_other_data_is_refused_unless_replaced(
    filled: str, tmp_path: Path
) -> None:
    other = str(tmp_path / "other.db")
    with Memory(other, embedder=HashEmbedder()) as m:
        m.add("unrelated data", user_id="zed")
    src, dest = open_store(filled), open_store(other)
    try:
        with pytest.raises(TransferRefused, match="not empty"):
            transfer(src, dest)
        assert dest.list_users() == ["zed"]
        transfer(src, dest, replace=True)
        assert dest.list_users() == ["ana", "bo"]
    finally:
        src.close()
        dest.close()


class Interrupted(Exception):
    pass


def test_an_interrupted_copy_resumes_and_verifies(
    filled: str, pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(transfer_module, "BATCH", 3)
    src, dest = open_store(filled), open_store(pg_url)
    calls = {"n": 0}
    original = type(dest)._many

    def failing_many(self: Store, sql: str, rows: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 12:  # a batch in the middle of a table: its transaction rolls back
            raise Interrupted
        original(self, sql, rows)  # type: ignore[arg-type]

    try:
        with monkeypatch.context() as patch:
            patch.setattr(type(dest), "_many", failing_many)
            with pytest.raises(Interrupted):
                transfer(src, dest)
        partial = sum(checksum(dest, t)[0] for t in TABLES)
        assert 0 < partial < sum(checksum(src, t)[0] for t in TABLES)
        report = transfer(src, dest)
        assert report.resumed
        assert sum(t.copied for t in report.tables) == report.rows - partial
    finally:
        src.close()
        dest.close()
    assert checksums(filled) == checksums(pg_url)


def test_schema_versions_must_match(filled: str, tmp_path: Path) -> None:
    src, dest = open_store(filled), open_store(str(tmp_path / "d.db"))
    try:
        latest = dest.schema_version
        dest._exec(f"DELETE FROM schema_migrations WHERE version = {latest}")  # type: ignore[attr-defined]
        with pytest.raises(StoreError, match="schema versions differ"):
            transfer(src, dest)
    finally:
        src.close()
        dest.close()


def test_cli_migrate_reports_json_and_refuses_with_exit_2(filled: str, pg_url: str) -> None:
    done = run_cli("migrate", filled, pg_url, "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["destination"].startswith("postgresql://")
    rows = {t["name"]: t["rows"] for t in report["tables"]}
    assert rows["episodes"] == raw_sql(filled, "SELECT COUNT(*) FROM episodes")[0][0] >= 6
    assert rows["memory_keys"] == raw_sql(pg_url, "SELECT COUNT(*) FROM memory_keys")[0][0] > 0
    again = run_cli("migrate", filled, pg_url)
    assert again.returncode == 2
    assert "not empty" in again.stderr and "--replace" in again.stderr


def test_a_store_is_never_copied_onto_itself(filled: str) -> None:
    same = filled.replace("source.db", "./source.db")  # another spelling of the same file
    src, dest = open_store(filled), open_store(same)
    try:
        assert src.location != dest.location
        with pytest.raises(TransferRefused, match="both the source and the destination"):
            transfer(src, dest, replace=True)
        assert dest.list_users() == ["ana", "bo"]  # nothing was erased
    finally:
        src.close()
        dest.close()
