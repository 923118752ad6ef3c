"""Users and sessions through the public API on a real SQLite file: listing them, and
erasing a user as completely as a hard forget, followed by every ``Memory`` on the file."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kenning import (
    ForgetResult,
    Memory,
    NotFound,
    SessionSummary,
    Settings,
    UserSummary,
    ValidationError,
)
from kenning.testing import HashEmbedder

T0 = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
SECRET = "Zyxwvut-7731"


def _memory(path: Path, **settings: object) -> Memory:
    return Memory(
        path,
        settings=Settings(embedder="hash", embedding_cache_path="", **settings),  # type: ignore[arg-type]
        embedder=HashEmbedder(),
    )


def _fill(m: Memory) -> None:
    m.add(
        ["Hello there, how are you?", f"I live in {SECRET} now"],
        user_id="ana",
        session_id="s1",
        timestamp=T0,
    )
    m.add(
        ["We fly to Lisbon on Friday"],
        user_id="ana",
        session_id="s2",
        timestamp=T0 + timedelta(days=2),
    )
    m.add(["Bob keeps bees on the roof"], user_id="bob", timestamp=T0 + timedelta(days=1))
    m.consolidate(user_id="ana")  # summaries and profiles that may quote the secret
    fact = m.add_fact(f"Ana lives in {SECRET}", user_id="ana", key="ana.city")
    m.update(fact.id, f"Ana lives in {SECRET}, near the park", user_id="ana")


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "users.db"


@pytest.fixture
def m(path: Path) -> Iterator[Memory]:
    memory = _memory(path)
    try:
        yield memory
    finally:
        memory.close()


def test_users_and_sessions_are_listed_with_counts_and_dates(m: Memory) -> None:
    _fill(m)
    users = m.users()
    assert [u.user_id for u in users] == ["ana", "bob"]
    assert all(isinstance(u, UserSummary) for u in users)
    ana, bob = users
    assert ana.episodes == 4 and bob.episodes == 1  # three messages and the stored fact's
    assert ana.memories == len(
        m.get_all(user_id="ana", statuses=("active", "superseded", "archived"), limit=None)
    )
    assert ana.first_at == T0 and ana.last_at is not None and ana.last_at > T0 + timedelta(days=2)
    assert bob.first_at == bob.last_at == T0 + timedelta(days=1)
    assert m.users(limit=1, offset=1) == [bob]

    sessions = m.sessions(user_id="ana")
    assert all(isinstance(s, SessionSummary) for s in sessions)
    # Latest first: the stored fact's (no session, now), then s2, then s1.
    assert [s.session_id for s in sessions] == [None, "s2", "s1"]
    s1 = next(s for s in sessions if s.session_id == "s1")
    assert s1.episodes == 2 and s1.first_at == s1.last_at == T0
    assert s1.memories == len(
        m.get_all(user_id="ana", session_id="s1", statuses=None, limit=None)
    ) - len(m.get_all(user_id="ana", session_id="s1", statuses=("deleted",), limit=None))
    assert m.sessions(user_id="nobody") == []
    with pytest.raises(ValidationError):
        m.sessions(user_id="")
    with pytest.raises(ValidationError):
        m.users(offset=-1)


def test_delete_user_erases_every_trace_from_the_file(m: Memory, path: Path) -> None:
    _fill(m)
    assert m.search(SECRET, user_id="ana").hits  # the index holds the scope
    result = m.delete_user("ana")
    assert isinstance(result, ForgetResult)
    assert result.erased_episodes == 4 and result.erased_memories >= 6
    assert [u.user_id for u in m.users()] == ["bob"]
    assert m.search(SECRET, user_id="ana").hits == []
    assert m.get_all(user_id="ana", statuses=None, limit=None) == []
    assert m.episodes(user_id="ana") == []
    assert m.stats(user_id="ana").users == 0
    index = m._registry.loaded("ana")
    assert index is None or not any(SECRET.lower()[:6] in w for w in index.lexical._vocab)
    with pytest.raises(NotFound):
        m.delete_user("ana")
    with pytest.raises(ValidationError):
        m.delete_user("  ")
    assert m.search("bees", user_id="bob").hits  # bob is untouched
    m.close()
    raw = b"".join(p.read_bytes() for p in path.parent.iterdir() if p.name.startswith(path.name))
    assert SECRET.encode() not in raw
    assert b"Bob keeps bees" in raw  # the check can fail: other text is still there


def test_a_deleted_user_vanishes_from_another_memorys_searches(path: Path) -> None:
    writer, reader = _memory(path), _memory(path)
    try:
        _fill(writer)
        assert any(
            SECRET in h.memory.text for h in reader.search(f"live {SECRET}", user_id="ana").hits
        )
        writer.delete_user("ana")
        assert reader.search(f"live {SECRET}", user_id="ana").hits == []
        index = reader._registry.loaded("ana")
        assert index is not None and len(index) == 0  # rebuilt from the store: empty
        # The id used again is a new, empty scope: both see only what is new.
        writer.add("Ana started learning the cello", user_id="ana")
        hits = reader.search("cello", user_id="ana").hits
        assert hits and all(SECRET not in h.memory.text for h in hits)
        assert {h.memory.text for h in reader.search(SECRET, user_id="ana").hits} <= {
            "Ana started learning the cello"
        }
    finally:
        writer.close()
        reader.close()


def test_no_index_snapshot_keeps_a_deleted_user(path: Path) -> None:
    snapshots = Path(f"{path}.index")

    def snapshot_bytes() -> bytes:
        return b"".join(p.read_bytes() for p in snapshots.glob("*.snapshot"))

    reader = _memory(path, index_snapshot_min=0)
    writer = _memory(path, index_snapshot_min=0)
    try:
        _fill(writer)
        assert reader.search(SECRET, user_id="ana").hits
        writer.close()  # writes ana's snapshot
        assert SECRET.encode()[:8] in snapshot_bytes()
        writer = _memory(path, index_snapshot_min=0)
        writer.delete_user("ana")
        assert SECRET.encode()[:8] not in snapshot_bytes()
        writer.add("Ana plays the cello", user_id="ana")
    finally:
        writer.close()
        reader.close()  # its index of the old scope is rebuilt, not written back
    assert SECRET.encode()[:8] not in snapshot_bytes()
    reopened = _memory(path, index_snapshot_min=0)
    try:
        assert all(SECRET not in h.memory.text for h in reopened.search(SECRET, user_id="ana").hits)
        assert reopened.search("cello", user_id="ana").hits[0].memory.text == "Ana plays the cello"
    finally:
        reopened.close()
