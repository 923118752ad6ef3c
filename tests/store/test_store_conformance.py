"""The store contract (``kenning.store.base.Store``), run against every backend.

Every test uses the ``store`` / ``store_opener`` fixtures from ``tests/conftest.py``, which
are parametrised over all backends; nothing here knows which backend it runs on.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kenning.errors import StaleWrite, StoreError
from kenning.models import (
    ApiKey,
    Entity,
    Episode,
    HistoryAction,
    IndexKey,
    KeyKind,
    Link,
    LinkType,
    LLMCall,
    MemoryItem,
    MemoryKind,
    MemoryStatus,
    Step,
    StepKind,
    StepStatus,
    Task,
    TaskStatus,
)
from kenning.store import Claim, FeedChanges, HistoryRecord, MemoryFilter, Store, StoredMemory

T0 = datetime(2024, 1, 1, 12, 0, tzinfo=UTC)
MODEL = "hash:4"


def _id() -> str:
    return uuid.uuid4().hex


def make_episode(
    user: str = "u1",
    key: str | None = None,
    *,
    content: str = "hello",
    session: str | None = "s1",
    role: str = "user",
    at: datetime = T0,
    **fields: Any,
) -> Episode:
    return Episode(
        id=_id(),
        user_id=user,
        content=content,
        role=role,
        created_at=at,
        idempotency_key=key or _id(),
        session_id=session,
        **fields,
    )


def make_memory(
    user: str = "u1",
    *,
    text: str = "some memory",
    kind: MemoryKind = MemoryKind.TURN,
    status: MemoryStatus = MemoryStatus.ACTIVE,
    session: str | None = "s1",
    agent: str | None = None,
    event_time: datetime | None = T0,
    episode_ids: tuple[str, ...] = (),
    keys: tuple[str, ...] | None = None,
    created_at: datetime = T0,
    updated_at: datetime = T0,
    **fields: Any,
) -> StoredMemory:
    item = MemoryItem(
        id=_id(),
        user_id=user,
        kind=kind,
        text=text,
        created_at=created_at,
        updated_at=updated_at,
        agent_id=agent,
        session_id=session,
        episode_ids=episode_ids,
        event_time=event_time,
        status=status,
        **fields,
    )
    key_texts = (text,) if keys is None else keys
    stored_keys = tuple(
        IndexKey(text=t, kind=KeyKind.TEXT, vector=bytes([i % 256]) * 16)
        for i, t in enumerate(key_texts)
    )
    return StoredMemory(item=item, keys=stored_keys, model_id=MODEL)


def ids(items: list[MemoryItem] | list[Episode]) -> list[str]:
    return [i.id for i in items]


# -- episodes ----------------------------------------------------------------------


def test_put_episodes_returns_inputs_in_order_with_consecutive_seq(store: Store) -> None:
    batch = [make_episode(content=f"m{i}") for i in range(3)]
    stored = store.put_episodes(batch)
    assert ids(stored) == ids(batch)
    assert [e.content for e in stored] == ["m0", "m1", "m2"]
    first = stored[0].seq
    assert [e.seq for e in stored] == [first, first + 1, first + 2]
    more = store.put_episodes([make_episode(content="m3")])
    assert more[0].seq == first + 3
    assert [e.seq for e in store.list_episodes("u1")] == [first, first + 1, first + 2, first + 3]


def test_seq_is_per_user_and_has_no_gaps_when_users_interleave(store: Store) -> None:
    for i in range(3):
        store.put_episodes([make_episode("a", content=f"a{i}"), make_episode("b", content=f"b{i}")])
    for user in ("a", "b"):
        seqs = [e.seq for e in store.list_episodes(user)]
        assert seqs == list(range(seqs[0], seqs[0] + 3))


def test_put_episodes_same_user_and_key_is_stored_once(store: Store) -> None:
    first = store.put_episodes([make_episode(key="k1", content="original")])[0]
    again = make_episode(key="k1", content="different content")
    returned = store.put_episodes([again])
    assert returned[0].id == first.id != again.id
    assert returned[0].content == "original"
    assert returned[0].seq == first.seq
    assert ids(store.list_episodes("u1")) == [first.id]


def test_put_episodes_duplicate_key_within_one_batch(store: Store) -> None:
    a, b = make_episode(key="k"), make_episode(key="k", content="second")
    stored = store.put_episodes([a, b])
    assert ids(stored) == [a.id, a.id]
    assert len(store.list_episodes("u1")) == 1


def test_same_key_for_different_users_is_stored_separately(store: Store) -> None:
    a = store.put_episodes([make_episode("alice", key="k")])[0]
    b = store.put_episodes([make_episode("bob", key="k")])[0]
    assert a.id != b.id
    assert ids(store.list_episodes("alice")) == [a.id]
    assert ids(store.list_episodes("bob")) == [b.id]


def test_get_episodes_is_scoped_by_user_and_keeps_input_order(store: Store) -> None:
    mine = store.put_episodes([make_episode("alice", content=f"a{i}") for i in range(3)])
    theirs = store.put_episodes([make_episode("bob")])
    wanted = [mine[2].id, "unknown", theirs[0].id, mine[0].id]
    assert ids(store.get_episodes("alice", wanted)) == [mine[2].id, mine[0].id]
    assert store.get_episodes("bob", ids(mine)) == []
    assert store.get_episodes("alice", []) == []


def test_list_episodes_filters_by_session_and_paginates(store: Store) -> None:
    batch = [make_episode(session="s1" if i % 2 else "s2", content=f"m{i}") for i in range(6)]
    store.put_episodes(batch)
    assert [e.content for e in store.list_episodes("u1", session_id="s1")] == ["m1", "m3", "m5"]
    assert [e.content for e in store.list_episodes("u1", limit=2)] == ["m0", "m1"]
    assert [e.content for e in store.list_episodes("u1", limit=2, offset=3)] == ["m3", "m4"]
    assert [e.content for e in store.list_episodes("u1", offset=4)] == ["m4", "m5"]
    assert store.list_episodes("u1", limit=0) == []
    assert store.list_episodes("nobody") == []


def test_last_episode_is_the_latest_earlier_one_of_the_same_session(store: Store) -> None:
    s1a, s2a, s1b, none_a = store.put_episodes(
        [
            make_episode(session="s1", content="s1a"),
            make_episode(session="s2", content="s2a"),
            make_episode(session="s1", content="s1b"),
            make_episode(session=None, content="none_a"),
        ]
    )
    late = store.put_episodes([make_episode(session="s1", content="s1c")])[0]
    found = store.last_episode("u1", "s1", late.seq)
    assert found is not None and found.id == s1b.id
    found = store.last_episode("u1", "s1", s1b.seq)
    assert found is not None and found.id == s1a.id
    assert store.last_episode("u1", "s1", s1a.seq) is None
    assert store.last_episode("u1", "s2", s2a.seq) is None
    found = store.last_episode("u1", None, late.seq)
    assert found is not None and found.id == none_a.id
    assert store.last_episode("u2", "s1", late.seq + 10) is None


def test_self_name_is_the_earliest_named_user_message(store: Store) -> None:
    assert store.self_name("u1") is None
    store.put_episodes([make_episode(content="unnamed")])
    store.put_episodes([make_episode(content="from the assistant", role="assistant", name="Bot")])
    assert store.self_name("u1") is None  # neither names the user
    store.put_episodes([make_episode(content="first", name="Ana")])
    store.put_episodes([make_episode(content="second", name="Bea")])
    assert store.self_name("u1") == "Ana"
    assert store.self_name("u2") is None


def test_pending_episodes_until_marked_processed(store: Store) -> None:
    a = store.put_episodes([make_episode("a", content=f"a{i}") for i in range(3)])
    b = store.put_episodes([make_episode("b")])
    assert set(ids(store.pending_episodes())) == set(ids(a) + ids(b))
    assert ids(store.pending_episodes("a")) == ids(a)  # in seq order
    store.mark_processed([a[0].id, a[2].id], T0)
    assert ids(store.pending_episodes("a")) == [a[1].id]
    assert set(ids(store.pending_episodes())) == {a[1].id, b[0].id}
    # A duplicate put does not make a processed episode pending again.
    store.put_episodes([replace(a[0], id=_id())])
    assert ids(store.pending_episodes("a")) == [a[1].id]


def test_episode_fields_round_trip(store: Store) -> None:
    episode = make_episode(
        content="Café ☕ naïve",
        role="assistant",
        name="Mel",
        agent_id="agent-7",
        timestamp=datetime(2023, 5, 6, 7, 8, 9, 123456, tzinfo=UTC),
        metadata={"source": "chat", "n": 3, "nested": {"x": [1, 2]}},
    )
    stored = store.put_episodes([episode])[0]
    loaded = store.get_episodes("u1", [episode.id])[0]
    assert loaded == stored == replace(episode, seq=stored.seq)


# -- memories ----------------------------------------------------------------------


def test_put_and_get_memories_in_requested_order(store: Store) -> None:
    episodes = store.put_episodes([make_episode(content=f"e{i}") for i in range(3)])
    m1 = make_memory(text="one", episode_ids=(episodes[2].id, episodes[0].id), importance=0.9)
    m2 = make_memory(text="two", metadata={"k": "v"}, agent="ag")
    m3 = make_memory(text="three", kind=MemoryKind.FACT, valid_to=T0 + timedelta(days=1))
    store.put_memories([m1, m2, m3])
    got = store.get_memories([m3.item.id, "unknown", m1.item.id, m2.item.id])
    assert got == [m3.item, m1.item, m2.item]
    assert got[1].episode_ids == (episodes[2].id, episodes[0].id)
    assert store.get_memories([]) == []


def test_replace_memory_overwrites_fields_and_keys(store: Store) -> None:
    ep = store.put_episodes([make_episode(), make_episode()])
    original = make_memory(
        text="old", kind=MemoryKind.SESSION, episode_ids=(ep[0].id,), keys=("old key", "k2")
    )
    store.put_memories([original])
    new_item = replace(
        original.item,
        text="new",
        version=2,
        episode_ids=(ep[0].id, ep[1].id),
        updated_at=T0 + timedelta(hours=1),
    )
    store.replace_memory(StoredMemory(new_item, (IndexKey("new key"),), "other-model"))
    assert store.get_memories([original.item.id]) == [new_item]
    found = store.find_session_memory("u1", "s1")
    assert found is not None
    assert found.item == new_item
    assert [k.text for k in found.keys] == ["new key"]
    assert found.model_id == "other-model"


def test_replace_unknown_memory_is_a_store_error(store: Store) -> None:
    with pytest.raises(StoreError):
        store.replace_memory(make_memory())
    assert store.count_memories(MemoryFilter(user_id="u1", statuses=None)) == 0


@pytest.fixture
def varied(store: Store) -> dict[str, StoredMemory]:
    """A spread of memories over kinds, statuses, sessions, agents and event times."""
    day = timedelta(days=1)
    memories = {
        "turn_s1": make_memory(text="turn s1", event_time=T0),
        "turn_s2_agent": make_memory(
            text="turn s2", session="s2", agent="bot", event_time=T0 + day
        ),
        "fact": make_memory(
            text="a fact", kind=MemoryKind.FACT, session=None, event_time=T0 + 2 * day
        ),
        "session_s1": make_memory(text="session", kind=MemoryKind.SESSION, event_time=T0 + 3 * day),
        "superseded": make_memory(
            text="old", status=MemoryStatus.SUPERSEDED, event_time=T0 + 4 * day
        ),
        "deleted": make_memory(text="gone", status=MemoryStatus.DELETED, event_time=T0 + 5 * day),
        "no_time": make_memory(text="timeless", event_time=None),
        "other_user": make_memory("u2", text="not mine", event_time=T0),
    }
    store.put_memories(list(memories.values()))
    return memories


def _names(varied: dict[str, StoredMemory], items: list[MemoryItem]) -> list[str]:
    by_id = {m.item.id: name for name, m in varied.items()}
    return [by_id[i.id] for i in items]


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ({}, ["turn_s1", "turn_s2_agent", "fact", "session_s1", "no_time"]),
        ({"kinds": (MemoryKind.TURN,)}, ["turn_s1", "turn_s2_agent", "no_time"]),
        ({"kinds": (MemoryKind.FACT, MemoryKind.SESSION)}, ["fact", "session_s1"]),
        ({"statuses": (MemoryStatus.SUPERSEDED, MemoryStatus.DELETED)}, ["superseded", "deleted"]),
        (
            {"statuses": None},
            ["turn_s1", "turn_s2_agent", "fact", "session_s1", "superseded", "deleted", "no_time"],
        ),
        ({"session_id": "s2"}, ["turn_s2_agent"]),
        ({"agent_id": "bot"}, ["turn_s2_agent"]),
        ({"start": T0 + timedelta(days=1)}, ["turn_s2_agent", "fact", "session_s1"]),
        ({"end": T0 + timedelta(days=2)}, ["turn_s1", "turn_s2_agent"]),
        ({"start": T0 + timedelta(days=1), "end": T0 + timedelta(days=2)}, ["turn_s2_agent"]),
        ({"kinds": (MemoryKind.TURN,), "session_id": "s1"}, ["turn_s1", "no_time"]),
    ],
)
def test_list_and_count_memories_filters(
    store: Store, varied: dict[str, StoredMemory], where: dict[str, Any], expected: list[str]
) -> None:
    flt = MemoryFilter(user_id="u1", **where)
    assert _names(varied, store.list_memories(flt)) == expected  # oldest event first
    assert store.count_memories(flt) == len(expected)


def test_list_memories_paginates(store: Store, varied: dict[str, StoredMemory]) -> None:
    flt = MemoryFilter(user_id="u1", statuses=None)
    everything = store.list_memories(flt)
    assert len(everything) == 7
    pages = [store.list_memories(flt, limit=3, offset=o) for o in (0, 3, 6, 9)]
    assert [len(p) for p in pages] == [3, 3, 1, 0]
    assert [m for page in pages for m in page] == everything
    assert store.list_memories(flt, limit=0) == []


def test_find_session_memory(store: Store) -> None:
    old = make_memory(text="old session", kind=MemoryKind.SESSION, status=MemoryStatus.SUPERSEDED)
    live = make_memory(text="live session", kind=MemoryKind.SESSION, keys=("k1", "k2"))
    no_session = make_memory(text="sessionless", kind=MemoryKind.SESSION, session=None)
    turn = make_memory(text="a turn", session="s9")
    store.put_memories([old, live, no_session, turn, make_memory("u2", kind=MemoryKind.SESSION)])
    found = store.find_session_memory("u1", "s1")
    assert found == live
    found_none = store.find_session_memory("u1", None)
    assert found_none is not None and found_none.item.id == no_session.item.id
    assert store.find_session_memory("u1", "s9") is None
    assert store.find_session_memory("u3", "s1") is None


def test_iter_indexable_excludes_deleted_and_other_users(
    store: Store, varied: dict[str, StoredMemory]
) -> None:
    loaded = {m.item.id: m for m in store.iter_indexable("u1")}
    expected = {"turn_s1", "turn_s2_agent", "fact", "session_s1", "superseded", "no_time"}
    assert set(_names(varied, [m.item for m in loaded.values()])) == expected
    for name in expected:
        assert loaded[varied[name].item.id] == varied[name]  # keys, vectors and model id too


def test_episode_vectors_are_first_text_keys_of_turn_and_document_memories(store: Store) -> None:
    e1, e2, e3, e4 = store.put_episodes([make_episode(content=f"e{i}") for i in range(4)])
    turn = make_memory(text="turn", episode_ids=(e1.id,), keys=("t0", "t1"))
    document = make_memory(text="doc", kind=MemoryKind.DOCUMENT, episode_ids=(e2.id,))
    round_ = make_memory(text="round", kind=MemoryKind.ROUND, episode_ids=(e1.id, e3.id))
    other_model = replace(make_memory(text="other", episode_ids=(e3.id,)), model_id="st:other")
    unembedded = make_memory(text="no vector", episode_ids=(e4.id,))
    unembedded = replace(unembedded, keys=(IndexKey("no vector", vector=None),))
    store.put_memories([turn, document, round_, other_model, unembedded])
    wanted = [e1.id, e2.id, e3.id, e4.id, "unknown"]
    assert store.episode_vectors("u1", wanted, MODEL) == {
        e1.id: turn.keys[0].vector,
        e2.id: document.keys[0].vector,
    }
    assert store.episode_vectors("u1", wanted, "st:other") == {e3.id: other_model.keys[0].vector}
    assert store.episode_vectors("u2", wanted, MODEL) == {}
    assert store.episode_vectors("u1", [], MODEL) == {}


def test_record_access_counts_each_retrieval(store: Store) -> None:
    a, b = make_memory(text="a"), make_memory(text="b")
    store.put_memories([a, b])
    store.record_access({a.item.id: 1}, T0 + timedelta(minutes=1))
    store.record_access({a.item.id: 1, b.item.id: 1}, T0 + timedelta(minutes=2))
    got_a, got_b = store.get_memories([a.item.id, b.item.id])
    assert (got_a.access_count, got_a.last_accessed) == (2, T0 + timedelta(minutes=2))
    assert (got_b.access_count, got_b.last_accessed) == (1, T0 + timedelta(minutes=2))


# -- entities, mentions, links ----------------------------------------------------------


def test_entities_mentions_and_links_are_idempotent(store: Store) -> None:
    a, b, c = (make_memory(text=t) for t in "abc")
    store.put_memories([a, b, c])
    entity = Entity(id="e1", user_id="u1", name="Caroline", aliases=("Caro",), kind="person")
    store.put_entities([entity])
    store.put_entities([replace(entity, aliases=("Caro", "C."))])
    assert store.stats("u1").entities == 1
    store.put_mentions([(a.item.id, "e1"), (b.item.id, "e1")])
    store.put_mentions([(a.item.id, "e1")])  # already there: kept once, no error
    ab = Link(a.item.id, b.item.id, LinkType.RELATED, 0.5)
    ca = Link(c.item.id, a.item.id, LinkType.DERIVED_FROM)
    store.put_links([ab, ca])
    store.put_links([ab])
    assert sorted(store.links_of(a.item.id), key=lambda link: link.source_id == c.item.id) == [
        ab,
        ca,
    ]
    assert store.links_of(b.item.id) == [ab]
    assert store.links_of("nothing") == []
    assert store.stats("u1").links == 2


# -- history -------------------------------------------------------------------


def test_history_is_appended_and_read_in_order(store: Store) -> None:
    memory = make_memory(text="v1")
    store.put_memories([memory])
    mid = memory.item.id
    store.add_history([HistoryRecord(mid, HistoryAction.ADD, T0, new_text="v1")])
    store.add_history(
        [
            HistoryRecord(mid, HistoryAction.UPDATE, T0 + timedelta(1), "v1", "v2", {"why": "fix"}),
            HistoryRecord(mid, HistoryAction.DELETE, T0 + timedelta(2), old_text="v2"),
            HistoryRecord("other", HistoryAction.ADD, T0, new_text="x"),
        ]
    )
    history = store.get_history(mid)
    assert [h.action for h in history] == [
        HistoryAction.ADD,
        HistoryAction.UPDATE,
        HistoryAction.DELETE,
    ]
    assert [(h.old_text, h.new_text) for h in history] == [(None, "v1"), ("v1", "v2"), ("v2", None)]
    assert [h.at for h in history] == [T0, T0 + timedelta(1), T0 + timedelta(2)]
    assert history[1].details == {"why": "fix"}
    assert history[0].details == {}
    assert all(h.memory_id == mid for h in history)
    assert [h.id for h in history] == sorted({h.id for h in history})
    assert store.get_history("never") == []


# -- scopes and stats --------------------------------------------------------------


def test_list_users_and_stats(store: Store) -> None:
    assert store.list_users() == []
    empty = store.stats()
    assert (empty.users, empty.episodes, empty.memories, empty.history) == (0, 0, {}, 0)
    store.put_episodes([make_episode("alice"), make_episode("alice"), make_episode("bob")])
    a_turn, a_fact, a_gone = (
        make_memory("alice"),
        make_memory("alice", kind=MemoryKind.FACT),
        make_memory("alice", status=MemoryStatus.DELETED),
    )
    b_turn = make_memory("bob")
    store.put_memories([a_turn, a_fact, a_gone, b_turn])
    store.put_entities(
        [Entity("e1", "alice", "Ana"), Entity("e2", "bob", "Bo"), Entity("e3", "bob", "B2")]
    )
    store.put_links([Link(a_turn.item.id, a_fact.item.id, LinkType.RELATED)])
    store.add_history(
        [
            HistoryRecord(m.item.id, HistoryAction.ADD, T0, new_text="x")
            for m in (a_turn, a_fact, b_turn)
        ]
    )
    assert sorted(store.list_users()) == ["alice", "bob"]
    alice, bob, total = store.stats("alice"), store.stats("bob"), store.stats()
    assert (alice.users, alice.episodes, alice.entities, alice.links, alice.history) == (
        1,
        2,
        1,
        1,
        2,
    )
    assert alice.memories == {"turn": 1, "fact": 1}  # deleted memories are not counted
    assert (bob.users, bob.episodes, bob.entities, bob.links, bob.history) == (1, 1, 2, 0, 1)
    assert bob.memories == {"turn": 1}
    assert (total.users, total.episodes, total.entities, total.links, total.history) == (
        2,
        3,
        3,
        1,
        3,
    )
    assert total.memories == {"turn": 2, "fact": 1}
    nobody = store.stats("nobody")
    assert (nobody.users, nobody.episodes, nobody.memories) == (0, 0, {})


# -- transactions ------------------------------------------------------------------


class Boom(Exception):
    pass


def test_atomic_rolls_back_everything_on_exception(store: Store, store_opener: Any) -> None:
    episode = make_episode()
    memory = make_memory()
    with pytest.raises(Boom), store.atomic():
        store.put_episodes([episode])
        store.put_memories([memory])
        store.add_history([HistoryRecord(memory.item.id, HistoryAction.ADD, T0, new_text="x")])
        raise Boom
    assert store.list_episodes("u1") == []
    assert store.get_memories([memory.item.id]) == []
    assert store.get_history(memory.item.id) == []
    assert store.list_users() == []
    # The store is usable afterwards and commits for real: another handle sees the write.
    store.put_episodes([make_episode(content="after")])
    other = store_opener()
    assert [e.content for e in other.list_episodes("u1")] == ["after"]


def test_atomic_commits_a_group_of_writes(store: Store, store_opener: Any) -> None:
    with store.atomic():
        store.put_episodes([make_episode(content="one")])
        store.put_memories([make_memory(text="two")])
    other = store_opener()
    assert [e.content for e in other.list_episodes("u1")] == ["one"]
    assert [m.text for m in other.list_memories(MemoryFilter(user_id="u1"))] == ["two"]


def test_nested_atomic_rolls_back_only_the_inner_savepoint(store: Store) -> None:
    with store.atomic():
        store.put_episodes([make_episode(content="outer-before")])
        try:
            with store.atomic():
                store.put_episodes([make_episode(content="inner")])
                store.put_memories([make_memory(text="inner memory")])
                raise Boom
        except Boom:
            pass
        store.put_episodes([make_episode(content="outer-after")])
    assert [e.content for e in store.list_episodes("u1")] == ["outer-before", "outer-after"]
    assert store.count_memories(MemoryFilter(user_id="u1", statuses=None)) == 0
    seqs = [e.seq for e in store.list_episodes("u1")]
    assert seqs[1] == seqs[0] + 1  # the rolled-back episode's seq is not consumed


def test_uncaught_inner_exception_rolls_back_the_outer_transaction(store: Store) -> None:
    with pytest.raises(Boom), store.atomic():
        store.put_episodes([make_episode(content="outer")])
        with store.atomic():
            store.put_episodes([make_episode(content="inner")])
            raise Boom
    assert store.list_episodes("u1") == []


# -- schema and persistence ------------------------------------------------------------


def test_schema_version_and_reopen_keeps_data(store: Store, store_opener: Any) -> None:
    version = store.schema_version
    assert version >= 1
    episode = store.put_episodes([make_episode(content="persisted")])[0]
    memory = make_memory(text="kept", episode_ids=(episode.id,))
    store.put_memories([memory])
    store.close()
    reopened = store_opener()  # migrations must not run again (they would fail or duplicate)
    assert reopened.schema_version == version
    assert reopened.get_episodes("u1", [episode.id]) == [episode]
    assert list(reopened.iter_indexable("u1")) == [memory]
    assert reopened.pending_episodes("u1") == [episode]
    # The sequence continues where it stopped.
    assert reopened.put_episodes([make_episode()])[0].seq == episode.seq + 1


@pytest.mark.parametrize(
    "when",
    [datetime(999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC), datetime(1, 1, 1, tzinfo=UTC)],
    ids=["year-999", "year-1"],
)
def test_times_before_year_1000_round_trip(store: Store, when: datetime) -> None:
    episode = make_episode(timestamp=when)
    store.put_episodes([episode])
    (loaded,) = store.get_episodes("u1", [episode.id])
    assert loaded.timestamp == when


# -- property-based round trip ------------------------------------------------------------

# Any text a caller may store: the API refuses lone surrogates and NUL (kenning.write.messages).
TEXT = st.text(alphabet=st.characters(exclude_categories=("Cs",), exclude_characters="\x00"))
TIMES = st.datetimes(
    min_value=datetime(1900, 1, 1),
    max_value=datetime(2200, 12, 31, 23, 59, 59, 999999),
    timezones=st.just(UTC),
)
# Seeded (derandomized) and without an example database: the same examples on every run.
# The store fixture is shared by the examples, so each example writes under a fresh user id.
ROUND_TRIP = settings(
    max_examples=50,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=6,
)


@ROUND_TRIP
@given(
    content=TEXT,
    name=st.none() | TEXT,
    session=st.none() | TEXT,
    created=TIMES,
    timestamp=st.none() | TIMES,
    metadata=st.dictionaries(TEXT, JSON_VALUES, max_size=3),
)
def test_any_text_and_time_round_trips_as_an_episode(
    store: Store,
    content: str,
    name: str | None,
    session: str | None,
    created: datetime,
    timestamp: datetime | None,
    metadata: dict[str, Any],
) -> None:
    user = f"user-{_id()}"
    episode = make_episode(
        user,
        content=content,
        name=name,
        session=session,
        at=created,
        timestamp=timestamp,
        metadata=metadata,
    )
    stored = store.put_episodes([episode])[0]
    assert store.get_episodes(user, [episode.id]) == [stored]
    assert stored == replace(episode, seq=stored.seq)
    assert store.list_episodes(user) == [stored]


@ROUND_TRIP
@given(
    text=TEXT,
    key_text=TEXT,
    times=st.lists(TIMES, min_size=3, max_size=3),
    optional_time=st.none() | TIMES,
    history_text=st.none() | TEXT,
)
def test_any_text_and_time_round_trips_as_a_memory(
    store: Store,
    text: str,
    key_text: str,
    times: list[datetime],
    optional_time: datetime | None,
    history_text: str | None,
) -> None:
    user = f"user-{_id()}"
    created, updated, event = times
    memory = make_memory(
        user,
        text=text,
        keys=(key_text,),
        event_time=event,
        created_at=created,
        updated_at=updated,
        valid_from=optional_time,
        valid_to=optional_time,
        last_accessed=optional_time,
    )
    item = memory.item
    store.put_memories([memory])
    assert store.get_memories([item.id]) == [item]
    assert list(store.iter_indexable(user)) == [memory]
    store.add_history([HistoryRecord(item.id, HistoryAction.UPDATE, updated, history_text, text)])
    (entry,) = store.get_history(item.id)
    assert (entry.at, entry.old_text, entry.new_text) == (updated, history_text, text)


def test_recent_episodes_are_the_session_tail_oldest_first(store: Store) -> None:
    now = datetime(2024, 1, 1, tzinfo=UTC)
    episodes = [
        Episode(
            id=f"e{i}",
            user_id="u",
            content=f"message {i}",
            role="user",
            created_at=now,
            idempotency_key=f"k{i}",
            session_id="s1" if i != 2 else "s2",
        )
        for i in range(5)
    ]
    store.put_episodes(episodes)
    assert [e.id for e in store.recent_episodes("u", "s1", 2)] == ["e3", "e4"]
    assert [e.id for e in store.recent_episodes("u", "s1", 10)] == ["e0", "e1", "e3", "e4"]
    assert [e.id for e in store.recent_episodes("u", "s2", 10)] == ["e2"]
    assert store.recent_episodes("other", "s1", 10) == []


# -- lifecycle ---------------------------------------------------------------------------


def test_lifecycle_fields_round_trip_and_update_items_keeps_keys(store: Store) -> None:
    memory = make_memory(
        kind=MemoryKind.FACT,
        text="Ana lives in Berlin",
        subject="Ana",
        predicate="lives in",
        object="Berlin",
        slot="ana.city",
        pinned=True,
        expires_at=T0 + timedelta(days=1),
    )
    store.put_memories([memory])
    (got,) = store.get_memories([memory.item.id])
    assert got == memory.item
    closed = replace(
        got,
        status=MemoryStatus.SUPERSEDED,
        valid_to=T0 + timedelta(hours=1),
        pinned=False,
        version=got.version + 1,
    )
    store.update_items([closed])
    assert store.get_memories([got.id]) == [closed]
    (indexed,) = [m for m in store.iter_indexable("u1") if m.item.id == got.id]
    assert indexed.keys == memory.keys
    with pytest.raises(StoreError):
        store.update_items([replace(closed, id="missing")])


def test_slot_versions_are_ordered_by_validity_and_scoped(store: Store) -> None:
    later = make_memory(kind=MemoryKind.FACT, slot="ana.city", valid_from=T0 + timedelta(days=2))
    earlier = make_memory(kind=MemoryKind.FACT, slot="ana.city", valid_from=T0)
    deleted = make_memory(kind=MemoryKind.FACT, slot="ana.city", status=MemoryStatus.DELETED)
    other_slot = make_memory(kind=MemoryKind.FACT, slot="ana.employer")
    other_user = make_memory("u2", kind=MemoryKind.FACT, slot="ana.city")
    store.put_memories([later, earlier, deleted, other_slot, other_user])
    assert ids(store.slot_versions("u1", "ana.city")) == [earlier.item.id, later.item.id]


def test_slot_versions_since_start_at_the_version_in_effect(store: Store) -> None:
    days = [0, 3, 3, 7, 10]
    versions = [
        make_memory(kind=MemoryKind.FACT, slot="ana.city", valid_from=T0 + timedelta(days=d))
        for d in days
    ]
    store.put_memories(versions)
    every = ids(store.slot_versions("u1", "ana.city"))
    # In effect at day 5: the two that started on day 3 (a tie), then every later one.
    assert ids(store.slot_versions("u1", "ana.city", since=T0 + timedelta(days=5))) == every[1:]
    assert ids(store.slot_versions("u1", "ana.city", since=T0 + timedelta(days=7))) == every[3:]
    assert ids(store.slot_versions("u1", "ana.city", since=T0 - timedelta(days=1))) == every
    assert ids(store.slot_versions("u1", "ana.city", since=T0 + timedelta(days=99))) == every[4:]
    assert store.slot_versions("u1", "ana.employer", since=T0) == []


def test_delete_episodes_erases_derived_memories_and_their_traces(store: Store) -> None:
    keep, gone = make_episode(content="keep me"), make_episode(content="erase me")
    store.put_episodes([keep, gone])
    turn = make_memory(text="erase me", episode_ids=(gone.id,))
    session = make_memory(
        kind=MemoryKind.SESSION, text="keep me\nerase me", episode_ids=(keep.id, gone.id)
    )
    survivor = make_memory(text="keep me", episode_ids=(keep.id,))
    store.put_memories([turn, session, survivor])
    assert set(ids(store.memories_of_episodes("u1", [gone.id]))) == {turn.item.id, session.item.id}
    assert store.memories_of_episodes("u2", [gone.id]) == []
    store.put_links([Link(turn.item.id, survivor.item.id, LinkType.RELATED)])
    store.add_history([HistoryRecord(turn.item.id, HistoryAction.ADD, T0, new_text="erase me")])
    assert store.delete_episodes("u1", [gone.id]) == 2
    assert store.get_memories([turn.item.id, session.item.id]) == []
    assert store.get_history(turn.item.id) == []
    assert store.links_of(survivor.item.id) == []
    assert ids(store.list_episodes("u1")) == [keep.id]
    assert ids(store.get_memories([survivor.item.id])) == [survivor.item.id]


def test_record_access_raises_strength(store: Store) -> None:
    a = make_memory(text="a")
    store.put_memories([a])
    store.record_access({a.item.id: 3}, T0, strength_gain=0.5)
    assert store.get_memories([a.item.id])[0].strength == pytest.approx(a.item.strength + 1.5)


def test_llm_calls_are_summed_per_user(store: Store) -> None:
    def call(ok: bool, tokens: int) -> LLMCall:
        return LLMCall(
            purpose="extract",
            model="m",
            started_at=T0,
            duration_ms=5.0,
            prompt_tokens=tokens,
            completion_tokens=2 * tokens,
            cost=0.01 * tokens,
            ok=ok,
            attempts=1 if ok else 4,
            error=None if ok else "http 503",
        )

    store.put_episodes([make_episode("u1"), make_episode("u2")])
    store.put_llm_calls("u1", [call(True, 10), call(False, 5)])
    store.put_llm_calls("u2", [call(True, 1)])
    mine = store.stats("u1").llm
    assert (mine.calls, mine.failed, mine.prompt_tokens, mine.completion_tokens) == (2, 1, 15, 30)
    assert mine.cost == pytest.approx(0.15)
    assert store.stats().llm.calls == 3


# -- API keys ------------------------------------------------------------------------
def make_key(name: str = "k", *, users: tuple[str, ...] = ("ana",), admin: bool = False) -> ApiKey:
    return ApiKey(
        id=_id()[:12], name=name, hash=_id() + _id(), created_at=T0, users=users, admin=admin
    )


def test_api_keys_round_trip_and_are_found_by_hash_only(store: Store) -> None:
    bound = make_key("agent", users=("ana", "bob"))
    admin = make_key("ops", users=(), admin=True)
    store.put_api_key(bound)
    store.put_api_key(admin)
    assert store.find_api_key(bound.hash) == bound
    assert store.find_api_key(admin.hash) == admin
    assert store.find_api_key(bound.id) is None  # the id is not a secret and finds nothing
    assert store.find_api_key("0" * 64) is None
    assert [k.id for k in store.list_api_keys()] == [bound.id, admin.id]


def test_api_key_hashes_and_ids_are_unique(store: Store) -> None:
    key = make_key()
    store.put_api_key(key)
    with pytest.raises(StoreError):
        store.put_api_key(replace(key, id=_id()[:12]))
    with pytest.raises(StoreError):
        store.put_api_key(replace(key, hash=_id()))
    assert len(store.list_api_keys()) == 1


def test_revoking_a_key_keeps_it_listed_and_stamps_it_once(store: Store) -> None:
    key = make_key()
    store.put_api_key(key)
    revoked = store.revoke_api_key(key.id, T0 + timedelta(days=1))
    assert revoked is not None and revoked.revoked_at == T0 + timedelta(days=1)
    again = store.revoke_api_key(key.id, T0 + timedelta(days=2))
    assert again is not None and again.revoked_at == T0 + timedelta(days=1)
    found = store.find_api_key(key.hash)
    assert found is not None and found.revoked_at == T0 + timedelta(days=1)
    assert store.revoke_api_key("no-such-key", T0) is None
    assert [k.revoked_at for k in store.list_api_keys()] == [T0 + timedelta(days=1)]


def test_touching_a_key_records_its_last_use(store: Store, store_opener: Any) -> None:
    key = make_key()
    store.put_api_key(key)
    store.touch_api_key(key.id, T0 + timedelta(hours=3))
    found = store_opener().find_api_key(key.hash)
    assert found is not None and found.last_used_at == T0 + timedelta(hours=3)


# -- versions, the change feed and claims ---------------------------------------------


def test_updates_must_be_the_next_version_of_the_stored_row(store: Store) -> None:
    memory = make_memory(text="v0")
    store.put_memories([memory])
    item = memory.item
    store.update_items([replace(item, text="v1", version=item.version + 1)])
    with pytest.raises(StaleWrite, match="changed since it was read"):  # read v0, row is v1
        store.update_items([replace(item, text="v1 again", version=item.version + 1)])
    with pytest.raises(StaleWrite):
        store.replace_memory(replace(memory, item=replace(item, version=item.version + 1)))
    assert store.get_memories([item.id])[0].text == "v1"
    store.replace_memory(replace(memory, item=replace(item, text="v2", version=item.version + 2)))
    assert store.get_memories([item.id])[0].text == "v2"


def test_every_memory_write_advances_the_feed_and_names_the_memory(store: Store) -> None:
    assert store.feed_head("u1") == 0
    assert store.changes_since("u1", 0).head == 0
    episode = make_episode(content="erase me")
    store.put_episodes([episode])
    a, b = make_memory(text="a"), make_memory(text="b", episode_ids=(episode.id,))
    other = make_memory("u2", text="other user")
    store.put_memories([a, b, other])
    first = store.changes_since("u1", 0)
    assert first.head == store.feed_head("u1") > 0
    assert set(first.changed) == {a.item.id, b.item.id} and first.erased == ()
    assert store.changes_since("u1", first.head).changed == ()  # nothing after the head
    # Fields alone (keys kept): the memory is "touched", its keys need no re-reading.
    store.update_items([replace(a.item, text="a2", version=a.item.version + 1)])
    second = store.changes_since("u1", first.head)
    assert second.touched == (a.item.id,) and second.changed == ()
    assert second.head > first.head
    store.record_access({b.item.id: 1}, T0)
    third = store.changes_since("u1", second.head)
    assert third.touched == (b.item.id,)
    store.replace_memory(replace(b, item=replace(b.item, text="b2", version=b.item.version + 1)))
    assert store.changes_since("u1", third.head).changed == (b.item.id,)
    store.delete_episodes("u1", [episode.id])
    fourth = store.changes_since("u1", third.head)
    assert fourth.erased == (b.item.id,) and fourth.changed == fourth.touched == ()
    # From the start, each memory is named once, by its latest change; keys that changed
    # after the position count even when a later change touched fields alone.
    everything = store.changes_since("u1", 0)
    assert everything.changed == (a.item.id,) and everything.erased == (b.item.id,)
    assert store.changes_since("u1", first.head).touched == (a.item.id,)
    assert set(store.changes_since("u2", 0).changed) == {other.item.id}


def test_indexable_memories_are_the_users_live_ones_among_the_ids(store: Store) -> None:
    live, deleted = make_memory(text="live"), make_memory(text="gone", status=MemoryStatus.DELETED)
    foreign = make_memory("u2", text="foreign")
    store.put_memories([live, deleted, foreign])
    found = store.indexable_memories("u1", [live.item.id, deleted.item.id, foreign.item.id, "x"])
    assert [m.item.id for m in found] == [live.item.id]
    assert found[0].keys == live.keys and found[0].model_id == MODEL


def test_claims_give_each_pending_episode_to_one_owner(store: Store) -> None:
    later = T0 + timedelta(minutes=10)
    mine = Claim("host:1:a", until=later)
    a, b = make_episode(content="a"), make_episode(content="b")
    store.put_episodes([a, b], claim=mine)
    loose = make_episode(content="loose")
    store.put_episodes([loose])  # unclaimed (e.g. written before claims existed)
    assert store.pending_claims("u1") == [(None, None), ("host:1:a", later)]
    theirs = Claim("host:2:b", until=later)
    # Only the unclaimed one is free while the first claim holds.
    assert ids(store.claim_pending(theirs, T0, user_id="u1")) == [loose.id]
    assert store.claim_pending(Claim("host:3:c", later), T0, user_id="u1") == []
    # A dead owner's claims can be taken before they expire; expired ones by anyone.
    taken = store.claim_pending(theirs, T0, user_id="u1", dead_owners=["host:1:a"])
    assert ids(taken) == [a.id, b.id]
    assert ids(store.claim_pending(mine, later + timedelta(seconds=1), user_id="u1")) == [
        a.id,
        b.id,
        loose.id,
    ]
    with pytest.raises(StaleWrite, match="no longer claimed"):
        store.mark_processed([a.id], T0, owner="host:2:b")
    store.mark_processed([a.id, b.id], T0, owner="host:1:a")
    assert ids(store.pending_episodes("u1")) == [loose.id]
    with pytest.raises(StaleWrite):  # processed already: nobody derives it again
        store.mark_processed([a.id], T0, owner="host:1:a")
    store.release_claims([loose.id], "host:1:a")  # a failed derivation gives its claims up
    assert store.pending_claims("u1") == [(None, None)]
    assert ids(store.claim_pending(theirs, T0, user_id="u1")) == [loose.id]


# -- users and sessions ------------------------------------------------------------------
def test_user_and_session_summaries_count_and_span(store: Store) -> None:
    hour, day = timedelta(hours=1), timedelta(days=1)
    a1 = make_episode("u1", session="s1", at=T0)
    a2 = make_episode("u1", session="s1", at=T0 + hour, timestamp=T0 - day)  # said earlier
    a3 = make_episode("u1", session="s2", at=T0 + 2 * hour)
    a4 = make_episode("u1", session=None, at=T0 + 3 * hour)
    store.put_episodes([a1, a2, a3, a4, make_episode("u2", at=T0 + 9 * hour)])
    store.put_memories(
        [
            make_memory("u1", session="s1", episode_ids=(a1.id,)),
            make_memory("u1", session="s1", status=MemoryStatus.DELETED, episode_ids=(a2.id,)),
            make_memory("u1", session="s3", event_time=T0 + 5 * hour),  # from no message
            make_memory("u2"),
        ]
    )
    users = store.user_summaries()
    assert [u.user_id for u in users] == ["u1", "u2"]
    # Memories of any status but deleted; the span is the messages' event times.
    assert (users[0].episodes, users[0].memories) == (4, 2)
    assert (users[0].first_at, users[0].last_at) == (T0 - day, T0 + 3 * hour)
    assert (users[1].episodes, users[1].memories) == (1, 1)
    assert store.user_summaries(limit=1, offset=1) == [users[1]]
    assert store.user_summaries(limit=0) == []

    sessions = store.session_summaries("u1")
    assert [s.session_id for s in sessions] == ["s3", None, "s2", "s1"]  # latest first
    by_id = {s.session_id: s for s in sessions}
    assert (by_id["s1"].episodes, by_id["s1"].memories) == (2, 1)
    assert (by_id["s1"].first_at, by_id["s1"].last_at) == (T0 - day, T0)
    assert (by_id["s3"].episodes, by_id["s3"].memories) == (0, 1)  # its memory's time
    assert by_id["s3"].first_at == by_id["s3"].last_at == T0 + 5 * hour
    assert by_id[None].episodes == 1 and by_id[None].memories == 0
    assert store.session_summaries("nobody") == []


def test_delete_user_erases_every_row_of_the_user_and_nothing_else(
    store: Store, db_location: str
) -> None:
    from rawdb import raw_sql

    from kenning.store.transfer import TABLES

    doomed, secret = "doomed-user-7731", "Zyxwvut-secret"
    gone = make_episode(doomed, content=f"I live in {secret}")
    kept = make_episode("keeper", content="I live in Oslo")
    store.put_episodes([gone, kept])
    turn = make_memory(doomed, text=f"I live in {secret}", episode_ids=(gone.id,))
    other = make_memory(doomed, text=f"{secret} is lovely", episode_ids=(gone.id,))
    survivor = make_memory("keeper", text="I live in Oslo", episode_ids=(kept.id,))
    store.put_memories([turn, other, survivor])
    place = Entity(id=_id(), user_id=doomed, name=secret)
    store.put_entities([place])
    store.put_mentions([(turn.item.id, place.id)])
    store.put_links([Link(turn.item.id, other.item.id, LinkType.RELATED)])
    store.add_history([HistoryRecord(turn.item.id, HistoryAction.ADD, T0, new_text=secret)])
    call = LLMCall("extract", "m", T0, 1.0, 1, 1, 0.0, True, 1, None)
    store.put_llm_calls(doomed, [call])
    before = store.changes_since(doomed, 0)
    assert before.scope_created is not None and before.head > 0

    result = store.delete_user(doomed)
    assert result is not None
    assert (result.erased_memories, result.erased_episodes) == (2, 1)
    for table in TABLES:
        rows = raw_sql(db_location, f"SELECT * FROM {table.name}")
        assert not [r for r in rows if doomed in repr(r) or secret in repr(r)], table.name
    assert store.list_users() == ["keeper"]
    assert store.stats(doomed).episodes == 0 and store.stats(doomed).llm.calls == 0
    # The feed says the scope is gone: indexes of it rebuild.
    assert store.changes_since(doomed, before.head) == FeedChanges(head=0)
    assert store.delete_user(doomed) is None  # nothing left
    # The other user is untouched.
    assert ids(store.get_memories([survivor.item.id])) == [survivor.item.id]
    assert ids(store.list_episodes("keeper")) == [kept.id]

    # A user made again under the id is a new scope (another creation time).
    store.put_episodes([make_episode(doomed, content="hello again")])
    again = store.changes_since(doomed, 0)
    assert again.scope_created is not None and again.scope_created != before.scope_created


# -- task memory ------------------------------------------------------------------------


def _task(user: str = "u1", agent: str | None = "a1") -> Task:
    return Task(
        id=_id(),
        user_id=user,
        goal="ship it",
        status=TaskStatus.ACTIVE,
        created_at=T0,
        updated_at=T0,
        agent_id=agent,
        metadata={"k": 1},
    )


def _task_step(task: Task, text: str, **fields: Any) -> Step:
    return Step(
        id=_id(),
        task_id=task.id,
        user_id=task.user_id,
        number=0,
        kind=fields.pop("kind", StepKind.ACTION),
        text=text,
        status=fields.pop("status", StepStatus.RECORDED),
        created_at=T0,
        updated_at=T0,
        **fields,
    )


def test_task_steps_are_numbered_in_order_with_their_dependencies(store: Store) -> None:
    task = store.put_task(_task())
    other = store.put_task(_task(agent="a2"))
    first = store.add_task_step(_task_step(task, "one", data={"result": [1, 2]}))
    second = store.add_task_step(_task_step(task, "two", depends_on=(first.id,)))
    elsewhere = store.add_task_step(_task_step(other, "other"))
    assert (first.number, second.number, elsewhere.number) == (1, 2, 1)
    steps = store.task_steps("u1", task.id)
    assert [(s.number, s.text, s.depends_on) for s in steps] == [
        (1, "one", ()),
        (2, "two", (first.id,)),
    ]
    assert steps[0].data == {"result": [1, 2]}
    store.add_task_dependencies(second, [first.id, first.id])  # a repeat is ignored
    assert store.get_task_step("u1", second.id) == steps[1]
    assert store.get_task_step("u2", second.id) is None  # another user's
    got = store.get_task("u1", task.id)
    assert got is not None and got.steps == 2 and got.metadata == {"k": 1}
    assert [t.id for t in store.list_tasks("u1", agent_id="a2")] == [other.id]
    assert {t.id for t in store.list_tasks("u1")} == {task.id, other.id}


def test_task_steps_and_tasks_update_and_delete(store: Store) -> None:
    task = store.put_task(_task())
    step = store.add_task_step(
        _task_step(task, "subgoal", kind=StepKind.SUBGOAL, status=StepStatus.OPEN)
    )
    closed = replace(
        step, status=StepStatus.DONE, summary="done it", stale_reason="why", data={"x": True}
    )
    store.update_task_steps([closed])
    assert store.task_steps("u1", task.id) == [closed]
    store.update_task(replace(task, status=TaskStatus.DONE, outcome="shipped", updated_at=T0))
    got = store.get_task("u1", task.id)
    assert got is not None and got.status is TaskStatus.DONE and got.outcome == "shipped"
    assert store.delete_tasks("u1", [task.id]) == 1
    assert store.get_task("u1", task.id) is None and store.task_steps("u1", task.id) == []
