"""The lifecycle through the public API on a real SQLite file: facts with validity,
supersession, history, undo, pinning, TTL, retention, forgetting and consolidation."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from kenning import (
    HistoryAction,
    Memory,
    MemoryKind,
    MemoryStatus,
    NotFound,
    Settings,
    ValidationError,
)
from kenning.models import LinkType
from kenning.testing import HashEmbedder

T0 = datetime(2024, 1, 10, 9, 0, tzinfo=UTC)
T1 = datetime(2024, 6, 1, 9, 0, tzinfo=UTC)
T2 = datetime(2024, 11, 1, 9, 0, tzinfo=UTC)


def _memory(location: str | Path, **settings: object) -> Memory:
    return Memory(
        location,
        settings=Settings(embedder="hash", embedding_cache_path="", **settings),  # type: ignore[arg-type]
        embedder=HashEmbedder(),
    )


@pytest.fixture
def m(db_location: str) -> Memory:
    memory = _memory(db_location)
    yield memory  # type: ignore[misc]
    memory.close()


def _top(m: Memory, query: str, **kwargs: object) -> str:
    hits = m.search(query, user_id="ana", **kwargs)  # type: ignore[arg-type]
    assert len(hits), query
    return hits[0].memory.text


def test_explicit_slot_supersedes_and_keeps_the_old_value(m: Memory) -> None:
    paris = m.add_fact("Ana lives in Paris", user_id="ana", key="ana.city", valid_from=T0)
    berlin = m.add_fact("Ana lives in Berlin", user_id="ana", key="ana.city", valid_from=T1)
    old = m.get(paris.id)
    assert old.status is MemoryStatus.SUPERSEDED
    assert old.valid_to == T1
    assert old.expired_at is not None
    assert m.get(berlin.id).status is MemoryStatus.ACTIVE
    assert m.get(berlin.id).valid_to is None
    assert "Berlin" in _top(m, "where does Ana live?")
    assert "Paris" in _top(m, "where does Ana live?", as_of=T0 + timedelta(days=30))
    # Both versions are listed, and the link says which superseded which.
    facts = m.get_all(user_id="ana", kinds="fact", statuses=None)
    assert {f.id for f in facts} == {paris.id, berlin.id}
    links = m.store.links_of(berlin.id)
    assert any(link.type is LinkType.SUPERSEDES and link.target_id == paris.id for link in links)


def test_history_shows_every_version_of_the_slot(m: Memory) -> None:
    paris = m.add_fact("Ana lives in Paris", user_id="ana", key="ana.city", valid_from=T0)
    berlin = m.add_fact("Ana lives in Berlin", user_id="ana", key="ana.city", valid_from=T1)
    for memory_id in (paris.id, berlin.id):
        entries = m.history(memory_id, user_id="ana")
        assert {e.memory_id for e in entries} == {paris.id, berlin.id}
        actions = [(e.memory_id, e.action) for e in entries]
        assert (paris.id, HistoryAction.ADD) in actions
        assert (berlin.id, HistoryAction.ADD) in actions
        assert (paris.id, HistoryAction.SUPERSEDE) in actions
    supersede = next(e for e in m.history(paris.id) if e.action is HistoryAction.SUPERSEDE)
    assert supersede.details["by"] == berlin.id
    assert supersede.details["before"]["status"] == "active"
    assert supersede.details["after"]["status"] == "superseded"


def test_late_report_of_an_older_value_is_closed_by_the_newer_one(m: Memory) -> None:
    berlin = m.add_fact("Ana lives in Berlin", user_id="ana", key="ana.city", valid_from=T1)
    paris = m.add_fact("Ana lives in Paris", user_id="ana", key="ana.city", valid_from=T0)
    assert m.get(berlin.id).status is MemoryStatus.ACTIVE
    assert m.get(paris.id).status is MemoryStatus.SUPERSEDED
    assert m.get(paris.id).valid_to == T1


def test_restating_the_current_value_reinforces_it(m: Memory) -> None:
    first = m.add_fact("Ana lives in Berlin", user_id="ana", key="ana.city", valid_from=T0)
    again = m.add_fact("ana lives in berlin", user_id="ana", key="ana.city", valid_from=T1)
    assert again.id == first.id
    assert m.get(first.id).strength > first.strength
    assert len(m.get_all(user_id="ana", kinds="fact", statuses=None)) == 1
    assert HistoryAction.REINFORCE in [e.action for e in m.history(first.id)]


def test_add_fact_is_idempotent_and_validates(m: Memory) -> None:
    a = m.add_fact(
        "Ana's favorite color is blue", user_id="ana", key="ana.favorite:color", valid_from=T0
    )
    b = m.add_fact(
        "Ana's favorite color is blue", user_id="ana", key="ana.favorite:color", valid_from=T0
    )
    assert a.id == b.id
    assert len(m.episodes(user_id="ana")) == 1
    with pytest.raises(ValidationError, match="text"):
        m.add_fact("  ", user_id="ana")
    with pytest.raises(ValidationError, match="valid_to"):
        m.add_fact("x", user_id="ana", valid_from=T1, valid_to=T0)
    with pytest.raises(ValidationError, match="importance"):
        m.add_fact("x", user_id="ana", importance=3)
    for ttl in (-1, float("nan"), float("inf"), 1e300):  # the last two overflow datetime
        with pytest.raises(ValidationError, match="ttl"):
            m.add_fact("x", user_id="ana", ttl=ttl)
    # UTC of a time at the very start of year 1 falls before year 1: refused, not a crash.
    with pytest.raises(ValidationError, match="valid_from"):
        m.add_fact("x", user_id="ana", valid_from="0001-01-01T00:00:00+01:00")


def test_local_extractor_supersedes_from_plain_messages(m: Memory) -> None:
    m.add(
        [{"role": "user", "name": "Ana", "content": "I live in Paris with my cat."}],
        user_id="ana",
        timestamp=T0,
    )
    m.add(
        [{"role": "user", "name": "Ana", "content": "Big news: we moved to Berlin last week!"}],
        user_id="ana",
        timestamp=T1,
    )
    facts = m.get_all(user_id="ana", kinds="fact", statuses=None)
    by_status = {f.status: f for f in facts}
    assert "Berlin" in by_status[MemoryStatus.ACTIVE].text
    assert "Paris" in by_status[MemoryStatus.SUPERSEDED].text
    assert by_status[MemoryStatus.SUPERSEDED].slot == by_status[MemoryStatus.ACTIVE].slot
    now_hit = m.search("where does Ana live?", user_id="ana", limit=3)
    assert "Berlin" in now_hit[0].memory.text
    # The old message ranks below the new one: its fact has ended.
    texts = [h.memory.text for h in m.search("Ana live", user_id="ana", limit=10)]
    assert texts.index(next(t for t in texts if "Paris" in t)) > texts.index(
        next(t for t in texts if "Berlin" in t)
    )
    assert "Paris" in _top(m, "where does Ana live?", as_of=T0 + timedelta(days=1))


def test_superseded_hits_explain_the_validity_penalty(m: Memory) -> None:
    m.add_fact("Ana lives in Paris", user_id="ana", key="ana.city", valid_from=T0)
    m.add_fact("Ana lives in Berlin", user_id="ana", key="ana.city", valid_from=T1)
    hits = m.search("Ana lives in", user_id="ana", kinds="fact")
    old = next(h for h in hits if "Paris" in h.memory.text)
    new = next(h for h in hits if "Berlin" in h.memory.text)
    assert old.signals["validity"].raw == pytest.approx(0.5)
    assert old.signals["validity"].contribution < 0
    assert new.signals["validity"].contribution == 0
    for hit in hits:
        assert sum(s.contribution for s in hit.signals.values()) == pytest.approx(hit.score)


def test_lifecycle_off_searches_no_facts_and_no_superseded(m: Memory) -> None:
    m.add_fact("Ana lives in Paris", user_id="ana", key="ana.city", valid_from=T0)
    m.add_fact("Ana lives in Berlin", user_id="ana", key="ana.city", valid_from=T1)
    m.add("Ana: the weather in Berlin is grey", user_id="ana", timestamp=T2)
    previous = m.configure(lifecycle=False)
    assert previous == {"lifecycle": True}
    hits = m.search("Ana Berlin", user_id="ana")
    assert all(h.memory.kind is not MemoryKind.FACT for h in hits)
    assert all("validity" not in h.signals for h in hits)


def test_undo_reverts_a_supersession_and_undo_again_redoes_it(m: Memory) -> None:
    paris = m.add_fact("Ana lives in Paris", user_id="ana", key="ana.city", valid_from=T0)
    m.add_fact("Ana lives in Berlin", user_id="ana", key="ana.city", valid_from=T1)
    restored = m.undo(paris.id, user_id="ana")
    assert restored.status is MemoryStatus.ACTIVE and restored.valid_to is None
    assert m.get(paris.id).status is MemoryStatus.ACTIVE
    assert m.history(paris.id)[-1].action is HistoryAction.RESTORE
    again = m.undo(paris.id, user_id="ana")
    assert again.status is MemoryStatus.SUPERSEDED and again.valid_to == T1


def test_undo_of_update_and_delete_restores_text_and_search(m: Memory) -> None:
    m.add("I collect vintage stamps", user_id="ana", timestamp=T0)
    turn = m.get_all(user_id="ana", kinds="turn")[0]
    m.update(turn.id, "I collect old coins", user_id="ana")
    assert m.undo(turn.id, user_id="ana").text == "I collect vintage stamps"
    assert m.search("stamps", user_id="ana")[0].memory.id == turn.id
    m.delete(turn.id, user_id="ana")
    assert all(h.memory.id != turn.id for h in m.search("stamps", user_id="ana"))
    assert m.undo(turn.id, user_id="ana").status is MemoryStatus.ACTIVE
    assert m.search("stamps", user_id="ana")[0].memory.id == turn.id


def test_nothing_to_undo_is_a_clear_error(m: Memory) -> None:
    fact = m.add_fact("Ana likes tea", user_id="ana")
    with pytest.raises(ValidationError, match="nothing to undo"):
        m.undo(fact.id, user_id="ana")
    with pytest.raises(NotFound):
        m.undo(fact.id, user_id="bob")


def test_soft_forget_archives_and_undo_brings_back(m: Memory) -> None:
    fact = m.add_fact("Ana's locker code is 4471", user_id="ana")
    result = m.forget(fact.id, user_id="ana")
    assert result.archived == (fact.id,)
    assert m.get(fact.id).status is MemoryStatus.ARCHIVED
    assert all(h.memory.id != fact.id for h in m.search("locker code", user_id="ana"))
    m.undo(fact.id, user_id="ana")
    assert m.search("locker code", user_id="ana")[0].memory.id == fact.id


def test_forget_by_episode_archives_everything_derived(m: Memory) -> None:
    added = m.add(
        [{"role": "user", "name": "Ana", "content": "I work at Google now"}],
        user_id="ana",
        timestamp=T0,
    )
    episode = added.episodes[0]
    derived = m.store.memories_of_episodes("ana", [episode.id])
    assert {d.kind for d in derived} >= {MemoryKind.TURN, MemoryKind.FACT}
    result = m.forget(user_id="ana", episode_id=episode.id)
    assert set(result.archived) == {d.id for d in derived if d.status is MemoryStatus.ACTIVE}
    with pytest.raises(ValidationError, match="exactly one"):
        m.forget(user_id="ana")
    with pytest.raises(NotFound):
        m.forget(user_id="ana", episode_id="nope")


def test_hard_forget_erases_every_trace_from_the_file(tmp_path: Path) -> None:
    path = tmp_path / "erase.db"
    secret = "Zyxwvut-7731"
    with _memory(path) as m:
        m.add(
            [
                {"role": "user", "name": "Ana", "content": "Hello there, how are you?"},
                {"role": "assistant", "content": "Fine, thanks."},
                {"role": "user", "name": "Ana", "content": f"I live in {secret} now"},
                {"role": "assistant", "content": "Noted."},
            ],
            user_id="ana",
            session_id="s1",
            timestamp=T0,
        )
        m.consolidate(user_id="ana")  # summaries and profiles that may quote it
        turn = next(t for t in m.get_all(user_id="ana", kinds="turn") if secret in t.text)
        m.update(turn.id, f"I live in {secret} since May", user_id="ana")
        result = m.forget(turn.id, user_id="ana", hard=True)
        assert result.erased_episodes == 1
        assert result.erased_memories >= 3  # the turn, its fact, rounds, session, summary
        assert all(secret not in h.memory.text for h in m.search(secret, user_id="ana"))
        # The session was rebuilt from what remains.
        session = m.get_all(user_id="ana", kinds="session")
        assert len(session) == 1 and "Hello there" in session[0].text
        assert secret not in session[0].text
        assert len(m.episodes(user_id="ana")) == 3
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("erase.db"))
    assert secret.encode() not in raw
    assert b"Hello there" in raw  # the check can fail: other text is still there


def test_pin_and_ttl(m: Memory) -> None:
    fact = m.add_fact("Ana's door code is 1234", user_id="ana", ttl=0.5)
    assert fact.expires_at is not None
    assert m.search("door code", user_id="ana")[0].memory.id == fact.id
    time.sleep(0.7)
    assert all(h.memory.id != fact.id for h in m.search("door code", user_id="ana"))
    report = m.consolidate(user_id="ana")
    assert report.expired == 1
    assert m.get(fact.id).status is MemoryStatus.ARCHIVED
    pinned = m.pin(m.add_fact("Ana is allergic to peanuts", user_id="ana").id, user_id="ana")
    assert m.get(pinned.id).pinned
    assert m.set_ttl(pinned.id, 3600, user_id="ana").expires_at is not None
    assert m.set_ttl(pinned.id, None, user_id="ana").expires_at is None
    assert not m.pin(pinned.id, user_id="ana", pinned=False).pinned


def test_retention_ranks_faded_memories_lower_and_recall_strengthens(m: Memory) -> None:
    m.add_fact("Ana plays the violin", user_id="ana")
    m.add_fact("Ana plays the violin in a band", user_id="ana")
    hits = m.search("violin", user_id="ana")
    assert all(h.signals["retention"].raw == pytest.approx(1.0, abs=1e-3) for h in hits)
    later = datetime.now(UTC) + timedelta(days=60)
    from kenning.read.search import search_scope

    index = m._registry.get("ana")
    aged = search_scope(
        index,
        "violin",
        m.embedder.embed(["violin"])[0],
        where=__import__("kenning.index.scope", fromlist=["Eligibility"]).Eligibility(),
        limit=5,
        settings=m._search_settings,
        now=later,
        clock=later,
    )
    assert all(h.signals["retention"].raw < 0.5 for h in aged)
    before = {h.memory.id: h.memory.strength for h in hits}
    m.flush()
    for memory_id, strength in before.items():
        assert m.get(memory_id).strength > strength
        assert m.get(memory_id).access_count >= 1


def test_consolidation_merges_duplicates_summarises_and_profiles(m: Memory) -> None:
    m.add(
        [
            {"role": "user", "name": "Ana", "content": "I live in Lisbon and I work at Siemens."},
            {"role": "assistant", "content": "Nice, how long have you been there?"},
            {"role": "user", "name": "Ana", "content": "Two years. My favorite food is sushi."},
        ],
        user_id="ana",
        session_id="s1",
        timestamp=T0,
    )
    a = m.add_fact("Ana enjoys hiking in the mountains", user_id="ana", valid_from=T0)
    b = m.add_fact("Ana enjoys hiking in the mountains!", user_id="ana", valid_from=T1)
    report = m.consolidate(user_id="ana")
    assert report.merged == 1
    merged = {a.id: m.get(a.id), b.id: m.get(b.id)}
    assert sorted(x.status for x in merged.values()) == [MemoryStatus.ACTIVE, MemoryStatus.ARCHIVED]
    assert report.summaries == 1
    summary = m.get_all(user_id="ana", kinds="summary")[0]
    assert "Lisbon" in summary.text or "sushi" in summary.text
    assert report.profiles == 1
    profile = m.get_all(user_id="ana", kinds="profile")[0]
    assert "Lisbon" in profile.text and "Siemens" in profile.text and "sushi" in profile.text
    # A second pass has nothing to do; a change refreshes only the profile.
    assert m.consolidate(user_id="ana") == type(report)()
    m.add_fact(
        "Ana lives in Porto", user_id="ana", key=profile_slot(m), subject="Ana", valid_from=T2
    )
    again = m.consolidate(user_id="ana")
    assert again.profiles == 1 and again.summaries == 0
    refreshed = m.get(profile.id)
    assert "Porto" in refreshed.text and "Lisbon" not in refreshed.text
    assert refreshed.version == profile.version + 1


def profile_slot(m: Memory) -> str:
    city = next(
        f for f in m.get_all(user_id="ana", kinds="fact") if f.slot and f.slot.endswith(".city")
    )
    assert city.slot is not None
    return city.slot


def test_new_memories_are_linked_and_neighbours_evolve(m: Memory) -> None:
    m.add("I love hiking in the Alps with my dog", user_id="ana", timestamp=T0)
    m.add("I love hiking in the Alps with my dog every summer", user_id="ana", timestamp=T1)
    turns = m.get_all(user_id="ana", kinds="turn")
    links = m.store.links_of(turns[1].id)
    related = [link for link in links if link.type is LinkType.RELATED]
    assert related and related[0].target_id == turns[0].id
    assert 0.7 <= related[0].weight <= 1.0
    evolved = m.get(turns[0].id)
    # The older memory records the newer one's keyphrases ("summer" is new to it), with who
    # brought each and when that was said.
    entries = evolved.metadata["evolved"]
    summer = next(e for e in entries if e["keyword"] == "summer")
    assert summer["by"] == turns[1].id
    assert datetime.fromisoformat(summer["at"]) == T1
    assert "keywords" not in evolved.metadata  # its own keywords are untouched
    assert HistoryAction.EVOLVE in [e.action for e in m.history(turns[0].id)]
    m.undo(turns[0].id, user_id="ana")
    assert "evolved" not in m.get(turns[0].id).metadata


def test_evolved_keywords_are_invisible_before_they_were_said(m: Memory) -> None:
    m.add("I love hiking in the Alps with my dog", user_id="ana", timestamp=T0)
    m.add("I love hiking in the Alps with my dog every summer", user_id="ana", timestamp=T2)
    old = next(t for t in m.get_all(user_id="ana", kinds="turn") if "summer" not in t.text)
    assert "summer" in [e["keyword"] for e in m.get(old.id).metadata["evolved"]]

    def seen(**when: datetime) -> dict[str, object]:
        hits = m.search("hiking in the Alps", user_id="ana", kinds="turn", **when).hits
        return next(h.memory.metadata for h in hits if h.memory.id == old.id)

    assert "evolved" not in seen(as_of=T1)  # said at T2: not known yet at T1
    assert "summer" in [e["keyword"] for e in seen(as_of=T2)["evolved"]]  # type: ignore[attr-defined]
    # Evolved keywords are no index keys: a search for the later word finds the later message.
    first = m.search("summer", user_id="ana", kinds="turn").hits[0]
    assert first.memory.id != old.id


def test_erasing_a_memory_takes_back_the_keywords_it_brought(m: Memory) -> None:
    m.add("I love hiking in the Alps with my dog", user_id="ana", timestamp=T0)
    m.add("I love hiking in the Alps with my dog every summer", user_id="ana", timestamp=T1)
    turns = m.get_all(user_id="ana", kinds="turn")
    old = next(t for t in turns if not t.text.endswith("summer"))
    new = next(t for t in turns if t.text.endswith("summer"))
    assert m.get(old.id).metadata.get("evolved")
    m.forget(new.id, user_id="ana", hard=True)
    assert "evolved" not in m.get(old.id).metadata


def test_recalled_text_gives_no_facts(m: Memory) -> None:
    m.add(
        [
            {
                "role": "user",
                "name": "Ana",
                "content": "I live in Madrid",
                "metadata": {"recalled": True},
            }
        ],
        user_id="ana",
        timestamp=T0,
    )
    assert m.get_all(user_id="ana", kinds="fact") == []
    assert len(m.get_all(user_id="ana", kinds="turn")) == 1


def test_fact_extraction_off_stores_no_facts(tmp_path: Path) -> None:
    with _memory(tmp_path / "off.db", fact_extraction="off") as m:
        m.add("I live in Madrid", user_id="ana", timestamp=T0)
        assert m.get_all(user_id="ana", kinds="fact") == []
