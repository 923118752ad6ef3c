"""One user, one person: a user's own messages are one speaker whether or not they carry a
name (issue 16, item 8), on every backend, through the public API."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from kenning import Memory, MemoryKind, MemoryStatus, Settings
from kenning.testing import HashEmbedder
from kenning.write.identity import slot_alias, subject_key

T0 = datetime(2024, 1, 10, 9, 0, tzinfo=UTC)
T1 = datetime(2024, 6, 1, 9, 0, tzinfo=UTC)
T2 = datetime(2024, 9, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def m(db_location: str | Path) -> Memory:
    memory = Memory(
        db_location,
        settings=Settings(embedder="hash", embedding_cache_path=""),
        embedder=HashEmbedder(),
    )
    yield memory  # type: ignore[misc]
    memory.close()


def _said(m: Memory, content: str, when: datetime, name: str | None = None) -> None:
    message: dict[str, str] = {"role": "user", "content": content}
    if name is not None:
        message["name"] = name
    m.add([message], user_id="u1", timestamp=when)


def _active_cities(m: Memory) -> list[str]:
    facts = m.get_all(user_id="u1", kinds=MemoryKind.FACT)
    return [f.object or "" for f in facts if (f.slot or "").endswith(".city")]


def test_unnamed_then_named_messages_are_one_person_with_one_city(m: Memory) -> None:
    _said(m, "I live in Kreuzberg.", T0)
    _said(m, "I live in Lisbon now.", T1, name="Ana")
    assert _active_cities(m) == ["Lisbon"]
    old = [
        f
        for f in m.get_all(user_id="u1", kinds=MemoryKind.FACT, statuses=None)
        if f.object == "Kreuzberg"
    ]
    assert [f.status for f in old] == [MemoryStatus.SUPERSEDED]
    assert old[0].valid_to == T1


def test_named_then_unnamed_messages_are_filed_under_the_name(m: Memory) -> None:
    _said(m, "I live in Kreuzberg.", T0, name="Ana")
    _said(m, "I moved to Lisbon.", T1)
    assert _active_cities(m) == ["Lisbon"]
    turns = m.get_all(user_id="u1", kinds=MemoryKind.TURN)
    assert {t.speaker for t in turns} == {"Ana"}
    facts = m.get_all(user_id="u1", kinds=MemoryKind.FACT)
    assert {f.subject for f in facts} == {"Ana"}
    # The episode stays as it was sent: verbatim, without a name.
    assert [e.name for e in m.episodes(user_id="u1")] == ["Ana", None]


def test_one_profile_for_the_user_named_or_not(m: Memory) -> None:
    _said(m, "I live in Kreuzberg.", T0)
    _said(m, "I work as a nurse.", T1)
    _said(m, "My favorite color is green.", T2, name="Ana")
    m.consolidate(user_id="u1")
    profiles = m.get_all(user_id="u1", kinds=MemoryKind.PROFILE)
    assert len(profiles) == 1
    assert profiles[0].subject == "Ana"
    assert "Kreuzberg" in profiles[0].text and "green" in profiles[0].text


def test_a_differently_named_speaker_stays_a_different_person(m: Memory) -> None:
    _said(m, "I live in Kreuzberg.", T0, name="Ana")
    _said(m, "I live in Porto.", T1, name="Bea")
    _said(m, "I live in Lisbon now.", T2)
    facts = m.get_all(user_id="u1", kinds=MemoryKind.FACT)
    by_subject = {(f.subject, f.object) for f in facts if (f.slot or "").endswith(".city")}
    # The unnamed message is the user's own (Ana, the first name), not Bea's.
    assert by_subject == {("Ana", "Lisbon"), ("Bea", "Porto")}


def test_search_finds_the_unnamed_message_by_the_users_name(m: Memory) -> None:
    _said(m, "Hello, I am happy to meet you.", T0, name="Ana")
    _said(m, "I have been learning the piano since March.", T1)
    _said(m, "Pixel is my cat.", T2)
    hits = m.search("What instrument is Ana learning?", user_id="u1", limit=3)
    assert any("piano" in h.memory.text for h in hits)
    turn = next(t for t in m.get_all(user_id="u1", kinds=MemoryKind.TURN) if "piano" in t.text)
    assert turn.speaker == "Ana"


def test_hard_forget_rechains_the_users_slot_across_both_spellings(m: Memory) -> None:
    _said(m, "I live in Kreuzberg.", T0)
    _said(m, "I live in Lisbon now.", T1, name="Ana")
    _said(m, "I live in Porto now.", T2, name="Ana")
    porto = next(e for e in m.episodes(user_id="u1") if "Porto" in e.content)
    facts = m.get_all(user_id="u1", kinds=MemoryKind.FACT, statuses=None)
    porto_fact = next(f for f in facts if f.object == "Porto")
    assert porto.id in porto_fact.episode_ids
    m.forget(porto_fact.id, user_id="u1", hard=True)
    # Lisbon is current again: its validity, closed by Porto, is reopened.
    assert _active_cities(m) == ["Lisbon"]


def test_slot_alias_and_subject_key() -> None:
    assert slot_alias("user.city", "Ana Silva") == "ana silva.city"
    assert slot_alias("ana silva.city", "Ana  Silva") == "user.city"
    assert slot_alias("bea.city", "Ana") is None
    assert slot_alias("user.city", None) is None
    assert slot_alias("user.city", "User") is None  # a user named "User" is one spelling
    assert subject_key("User", "Ana") == "ana"
    assert subject_key("Bea", "Ana") == "bea"
    assert subject_key("user", None) == "user"
