"""``Memory.graph``: the entities a memory mentions, the memories they lead to, its links."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kenning import (
    EntityNode,
    Link,
    LinkType,
    Memory,
    MemoryGraph,
    MemoryItem,
    MemoryKind,
    MemoryStatus,
    NotFound,
    ValidationError,
)

T1 = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
T2 = datetime(2024, 4, 1, 9, 0, tzinfo=UTC)
T3 = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)
T4 = datetime(2024, 6, 1, 9, 0, tzinfo=UTC)


def _turn(memory: Memory, text: str, user: str = "ana") -> MemoryItem:
    turns = memory.get_all(user_id=user, kinds="turn", statuses=None, limit=None)
    return next(t for t in turns if t.text == text)


def _ids(memory: Memory, text: str, user: str = "ana") -> set[str]:
    """The turn with this text and the facts drawn from its message."""
    turn = _turn(memory, text, user)
    derived = memory.store.memories_of_episodes(user, list(turn.episode_ids))
    return {m.id for m in derived if m.kind in (MemoryKind.TURN, MemoryKind.FACT)}


def _entity(graph: MemoryGraph, name: str) -> EntityNode:
    return next(e for e in graph.entities if e.name == name)


@pytest.fixture
def lisbon(memory: Memory) -> Memory:
    memory.add("Ana met Bruno in Lisbon", user_id="ana", timestamp=T1)
    memory.add("Bruno moved to Porto", user_id="ana", timestamp=T2)
    memory.add("Lisbon was sunny", user_id="ana", timestamp=T3)
    # Another user's memory names the same people and places: it must never show up.
    memory.add("Bruno met Ana in Lisbon last year", user_id="bob", timestamp=T4)
    return memory


def test_entities_lead_to_the_other_memories_mentioning_them(lisbon: Memory) -> None:
    centre = _turn(lisbon, "Ana met Bruno in Lisbon")
    graph = lisbon.graph(centre.id, user_id="ana")
    assert graph.memory == lisbon.get(centre.id)
    assert [e.name for e in graph.entities] == ["Ana", "Bruno", "Lisbon"]
    assert _entity(graph, "Ana").memory_ids == ()
    # "Bruno moved to Porto" and the fact drawn from it ("Bruno lives in Porto")
    porto = _ids(lisbon, "Bruno moved to Porto")
    assert len(porto) == 2
    assert set(_entity(graph, "Bruno").memory_ids) == porto
    assert _entity(graph, "Lisbon").memory_ids == (_turn(lisbon, "Lisbon was sunny").id,)
    named = {i for e in graph.entities for i in e.memory_ids}
    assert [n.id for n in graph.neighbours] == list(dict.fromkeys(n.id for n in graph.neighbours))
    assert {n.id for n in graph.neighbours} == named
    assert centre.id not in named
    assert all(n.user_id == "ana" for n in graph.neighbours)
    assert "last year" not in str(graph)


def test_memories_come_latest_first_active_first_and_bounded_by_limit(lisbon: Memory) -> None:
    lisbon.add("Bruno loves the trams of Lisbon", user_id="ana", timestamp=T4)
    centre = _turn(lisbon, "Lisbon was sunny")
    trams = _turn(lisbon, "Bruno loves the trams of Lisbon").id
    met = _turn(lisbon, "Ana met Bruno in Lisbon").id
    assert _entity(lisbon.graph(centre.id, user_id="ana"), "Lisbon").memory_ids == (trams, met)
    one = lisbon.graph(centre.id, user_id="ana", limit=1)
    assert _entity(one, "Lisbon").memory_ids == (trams,)
    assert [n.id for n in one.neighbours] == [trams]
    # archived: still shown, but after the active ones
    lisbon.forget(trams, user_id="ana")
    assert _entity(lisbon.graph(centre.id, user_id="ana"), "Lisbon").memory_ids == (met, trams)
    # deleted: gone from the entities (the index no longer holds it)
    lisbon.delete(met, user_id="ana")
    assert _entity(lisbon.graph(centre.id, user_id="ana"), "Lisbon").memory_ids == (trams,)
    # a deleted centre can still be shown: its links remain, its mentions are gone
    assert lisbon.graph(met, user_id="ana").entities == []


def test_a_superseded_fact_is_linked_both_ways(memory: Memory) -> None:
    paris = memory.add_fact("Ana lives in Paris", user_id="ana", key="ana.city", valid_from=T1)
    berlin = memory.add_fact("Ana lives in Berlin", user_id="ana", key="ana.city", valid_from=T3)
    supersedes = Link(berlin.id, paris.id, LinkType.SUPERSEDES)
    newer = memory.graph(berlin.id, user_id="ana")
    assert supersedes in newer.links
    assert paris.id in {n.id for n in newer.neighbours}
    older = memory.graph(paris.id, user_id="ana")  # a superseded memory can be the centre
    assert older.memory.status is MemoryStatus.SUPERSEDED
    assert supersedes in older.links
    assert berlin.id in {n.id for n in older.neighbours}
    assert all(paris.id in (link.source_id, link.target_id) for link in older.links)


def test_facts_drawn_from_a_message_are_linked_to_it(lisbon: Memory) -> None:
    turn = _turn(lisbon, "Bruno moved to Porto")
    (fact,) = _ids(lisbon, "Bruno moved to Porto") - {turn.id}
    graph = lisbon.graph(turn.id, user_id="ana")
    assert Link(fact, turn.id, LinkType.DERIVED_FROM) in graph.links
    assert [n.id for n in graph.neighbours].count(fact) == 1  # via Bruno, Porto and the link


def test_links_to_another_users_memory_are_never_shown(lisbon: Memory) -> None:
    mine = _turn(lisbon, "Lisbon was sunny")
    theirs = _turn(lisbon, "Bruno met Ana in Lisbon last year", user="bob")
    lisbon.store.put_links([Link(mine.id, theirs.id, LinkType.RELATED, 0.9)])
    graph = lisbon.graph(mine.id, user_id="ana")
    assert all(theirs.id not in (link.source_id, link.target_id) for link in graph.links)
    assert theirs.id not in {n.id for n in graph.neighbours}
    assert all(theirs.id not in e.memory_ids for e in graph.entities)
    # bob's side sees the link's other end is ana's, and leaves it out too
    assert lisbon.graph(theirs.id, user_id="bob").links == []


def test_another_users_memory_or_an_unknown_id_is_not_found(lisbon: Memory) -> None:
    theirs = _turn(lisbon, "Bruno met Ana in Lisbon last year", user="bob")
    with pytest.raises(NotFound):
        lisbon.graph(theirs.id, user_id="ana")
    with pytest.raises(NotFound):
        lisbon.graph("no-such-memory", user_id="ana")
    assert lisbon.graph(theirs.id, user_id="bob").memory.id == theirs.id


@pytest.mark.parametrize("limit", [0, -1, True, 2.5, "3", None])
def test_limit_must_be_a_positive_integer(lisbon: Memory, limit: object) -> None:
    centre = _turn(lisbon, "Lisbon was sunny")
    with pytest.raises(ValidationError) as error:
        lisbon.graph(centre.id, user_id="ana", limit=limit)  # type: ignore[arg-type]
    assert error.value.field == "limit"


@pytest.mark.parametrize("user", ["", "  ", None])
def test_user_id_is_required(lisbon: Memory, user: object) -> None:
    centre = _turn(lisbon, "Lisbon was sunny")
    with pytest.raises(ValidationError) as error:
        lisbon.graph(centre.id, user_id=user)  # type: ignore[arg-type]
    assert error.value.field == "user_id"
