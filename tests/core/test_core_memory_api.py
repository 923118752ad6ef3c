"""End to end through the public facade ``kenning.Memory`` on real SQLite files."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kenning import (
    HistoryAction,
    Memory,
    MemoryItem,
    MemoryKind,
    MemoryStatus,
    NotFound,
    StoreError,
    ValidationError,
)
from kenning.embed.base import Vectors
from kenning.models import KeyKind
from kenning.testing import HashEmbedder

CONVERSATION: list[dict[str, Any]] = [
    {"role": "user", "name": "Caroline", "content": "I adopted a puppy named Rex last week"},
    {"role": "assistant", "content": "Congratulations! What breed is Rex?"},
    {"role": "user", "name": "Caroline", "content": "He is a golden retriever and loves the beach"},
    {"role": "assistant", "content": "Beaches are wonderful places to walk."},
    {"role": "user", "name": "Caroline", "content": "My sister Melanie is visiting Paris in June"},
    {"role": "assistant", "content": "Paris in summer sounds lovely."},
    {"role": "user", "name": "Caroline", "content": "I work as a nurse at the children's hospital"},
]


def kinds_of(items: Sequence[MemoryItem]) -> list[str]:
    return [m.kind.value for m in items]


def texts(items: Sequence[MemoryItem]) -> list[str]:
    return [m.text for m in items]


@pytest.fixture
def chat(memory: Memory) -> Memory:
    memory.add(CONVERSATION, user_id="ana", session_id="s1", timestamp="2024-05-01T10:00:00Z")
    return memory


# -- add and derived memories ------------------------------------------------------------


def test_add_a_string_stores_one_user_turn_and_a_session(memory: Memory) -> None:
    result = memory.add("I like green tea", user_id="ana")
    assert result.duplicates == 0
    assert [(e.role, e.content, e.name) for e in result.episodes] == [
        ("user", "I like green tea", None)
    ]
    assert sorted(kinds_of(result.memories)) == ["session", "turn"]
    turn = next(m for m in result.memories if m.kind is MemoryKind.TURN)
    assert turn.text == "I like green tea"
    assert turn.episode_ids == (result.episodes[0].id,)
    assert turn.user_id == "ana"
    assert turn.status is MemoryStatus.ACTIVE


def test_add_a_list_of_strings_and_dicts(memory: Memory) -> None:
    result = memory.add(
        [
            "plain string",
            {"role": "assistant", "content": "a reply", "metadata": {"lang": "en"}},
            {"role": "document", "content": "a document chunk"},
        ],
        user_id="ana",
        agent_id="bot",
        session_id="s1",
    )
    assert [(e.role, e.content) for e in result.episodes] == [
        ("user", "plain string"),
        ("assistant", "a reply"),
        ("document", "a document chunk"),
    ]
    assert all(e.agent_id == "bot" and e.session_id == "s1" for e in result.episodes)
    assert result.episodes[1].metadata == {"lang": "en"}
    by_kind: dict[str, list[MemoryItem]] = {}
    for item in result.memories:
        by_kind.setdefault(item.kind.value, []).append(item)
    assert texts(by_kind["turn"]) == ["plain string", "a reply"]
    assert texts(by_kind["document"]) == ["a document chunk"]
    assert texts(by_kind["round"]) == ["plain string\na reply"]  # no round with the document
    assert texts(by_kind["session"]) == ["plain string\na reply"]  # documents are not dialogue
    assert by_kind["turn"][1].metadata == {"lang": "en"}


def test_one_turn_per_message_and_a_round_when_the_speaker_changes(memory: Memory) -> None:
    result = memory.add(
        [
            {"role": "user", "name": "Caroline", "content": "first"},
            {"role": "user", "name": "Caroline", "content": "second, same speaker"},
            {"role": "user", "name": "Melanie", "content": "third, other person"},
            {"role": "assistant", "content": "fourth, the assistant"},
        ],
        user_id="ana",
        session_id="s1",
    )
    assert kinds_of(result.memories).count("turn") == 4
    rounds = [m for m in result.memories if m.kind is MemoryKind.ROUND]
    assert texts(rounds) == [
        "Caroline: second, same speaker\nMelanie: third, other person",
        "Melanie: third, other person\nfourth, the assistant",
    ]
    episodes = {e.content: e.id for e in result.episodes}
    assert rounds[0].episode_ids == (
        episodes["second, same speaker"],
        episodes["third, other person"],
    )


def test_one_session_memory_per_session_grows_across_add_calls(memory: Memory) -> None:
    first = memory.add(
        [{"role": "user", "content": "hello"}, {"role": "assistant", "content": "hi there"}],
        user_id="ana",
        session_id="s1",
    )
    session = next(m for m in first.memories if m.kind is MemoryKind.SESSION)
    assert session.text == "hello\nhi there"
    second = memory.add("how are you?", user_id="ana", session_id="s1")
    grown = next(m for m in second.memories if m.kind is MemoryKind.SESSION)
    assert grown.id == session.id
    assert grown.text == "hello\nhi there\nhow are you?"
    assert grown.version == 2
    assert len(grown.episode_ids) == 3
    # The round spans the two add calls.
    rounds = [m for m in second.memories if m.kind is MemoryKind.ROUND]
    assert texts(rounds) == ["hi there\nhow are you?"]
    memory.add("another session", user_id="ana", session_id="s2")
    sessions = memory.get_all(user_id="ana", kinds="session")
    assert sorted(texts(sessions)) == ["another session", "hello\nhi there\nhow are you?"]
    history = memory.history(session.id)
    assert [h.action for h in history] == [HistoryAction.ADD, HistoryAction.UPDATE]
    # Session growth is recorded without copying the texts (they follow from the episodes).
    assert (history[1].old_text, history[1].new_text) == (None, None)
    assert history[1].details["episodes"] == len(grown.episode_ids)
    assert history[1].details["episodes_added"] >= 1


TEXT = st.text(alphabet=st.characters(exclude_categories=("Cs",)), min_size=1).filter(str.strip)
OFFSETS = st.integers(-14 * 60, 14 * 60).map(lambda minutes: timezone(timedelta(minutes=minutes)))
TIMES = st.datetimes(
    min_value=datetime(1900, 1, 2), max_value=datetime(2200, 12, 30), timezones=OFFSETS
)


@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(content=TEXT, name=st.none() | TEXT, when=TIMES)
def test_any_message_text_and_time_round_trip_through_add(
    memory: Memory, content: str, name: str | None, when: datetime
) -> None:
    user = f"user-{uuid.uuid4().hex}"  # the memory is shared by the examples
    result = memory.add(
        {"role": "user", "content": content, "name": name, "timestamp": when}, user_id=user
    )
    (episode,) = memory.episodes(user_id=user)
    assert episode == result.episodes[0]
    assert (episode.content, episode.name, episode.timestamp) == (content, name, when)
    assert episode.timestamp is not None and episode.timestamp.utcoffset() == timedelta(0)
    (turn,) = memory.get_all(user_id=user, kinds="turn")
    assert turn.text == content
    assert turn.event_time == when


# -- search ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("what is the name of the puppy?", "I adopted a puppy named Rex last week"),
        ("golden retriever", "He is a golden retriever and loves the beach"),
        ("where is Melanie travelling", "My sister Melanie is visiting Paris in June"),
        ("what is Caroline's job? nurse", "I work as a nurse at the children's hospital"),
    ],
)
def test_search_ranks_the_relevant_turn_first(chat: Memory, query: str, expected: str) -> None:
    result = chat.search(query, user_id="ana")
    assert result.query == query
    assert source_text(chat, result[0].memory) == expected
    assert result[0].memory.kind in (MemoryKind.TURN, MemoryKind.FACT)


def source_text(memory: Memory, item: MemoryItem) -> str:
    """The message a hit stands for: itself, or for a fact the message it was drawn from."""
    if item.kind is not MemoryKind.FACT:
        return item.text
    (turn,) = [
        m
        for m in memory.store.memories_of_episodes(item.user_id, item.episode_ids)
        if m.kind is MemoryKind.TURN
    ]
    return turn.text


SIGNALS = {
    "dense",
    "bm25",
    "turn",
    "round",
    "session",
    "speaker",
    "time",
    "when",
    "graph",
    "prf",
    "entities",
    "validity",  # lifecycle factors (docs/lifecycle.md)
    "retention",
}


def test_entity_feedback_can_promote_a_neighbour_of_the_best_hit(chat: Memory) -> None:
    # "What breed is Rex?" matches "breed" and names Rex, whom the best hits mention: entity
    # feedback (the next hop of a multi-hop question) lifts it next to the answer. Without
    # feedback the answer ranks first; with it, the answer stays in the top two.
    query, answer = "golden retriever breed", "He is a golden retriever and loves the beach"
    assert answer in [hit.memory.text for hit in chat.search(query, user_id="ana", limit=2)]
    chat.configure(prf=False)
    assert chat.search(query, user_id="ana")[0].memory.text == answer


def test_every_hit_explains_its_score_by_signal(chat: Memory) -> None:
    result = chat.search("puppy at the beach", user_id="ana", limit=20, kinds="turn")
    assert len(result) == len(CONVERSATION)
    scores = [hit.score for hit in result]
    assert scores == sorted(scores, reverse=True)
    for hit in result:
        assert {"dense", "bm25"} <= set(hit.signals) <= SIGNALS
        assert 0.0 <= hit.score <= 1.0
        total = sum(signal.contribution for signal in hit.signals.values())
        assert total == pytest.approx(hit.score, abs=1e-9)
    matched = [hit for hit in result if hit.signals["bm25"].raw > 0]
    assert {hit.memory.text for hit in matched} == {
        "I adopted a puppy named Rex last week",
        "He is a golden retriever and loves the beach",
        "Beaches are wonderful places to walk.",  # stemmed: beaches -> beach
    }
    assert sorted(hit.signals["bm25"].rank for hit in matched) == [1, 2, 3]
    assert all(hit.signals["bm25"].rank is None for hit in result if hit not in matched)


def test_search_records_access(chat: Memory) -> None:
    top = chat.search("puppy", user_id="ana", limit=1)[0].memory
    chat.search("puppy", user_id="ana", limit=1)
    stored = chat.get(top.id)
    assert stored.access_count == 2
    assert stored.last_accessed is not None


def test_access_statistics_survive_close(tmp_path: Path) -> None:
    path = tmp_path / "access.db"
    with Memory(path, embedder=HashEmbedder()) as memory:
        memory.add("I adopted a puppy named Rex", user_id="ana")
        top = memory.search("puppy", user_id="ana", limit=1)[0].memory
        memory.search("puppy", user_id="ana", limit=1)
    with Memory(path, embedder=HashEmbedder()) as memory:
        assert memory.get(top.id).access_count == 2


def test_search_kind_filters(chat: Memory) -> None:
    rounds = chat.search("puppy", user_id="ana", kinds=["round"], limit=50)
    assert len(rounds) == len(CONVERSATION) - 1
    assert {hit.memory.kind for hit in rounds} == {MemoryKind.ROUND}
    sessions = chat.search("puppy", user_id="ana", kinds=MemoryKind.SESSION)
    assert [hit.memory.kind for hit in sessions] == [MemoryKind.SESSION]
    both = chat.search("puppy", user_id="ana", kinds=("turn", "session"), limit=50)
    assert {hit.memory.kind for hit in both} == {MemoryKind.TURN, MemoryKind.SESSION}
    with pytest.raises(ValidationError) as info:
        chat.search("puppy", user_id="ana", kinds=["episode"])
    assert info.value.field == "kinds"


def test_search_session_and_agent_filters(memory: Memory) -> None:
    memory.add("the cat sleeps on the sofa", user_id="ana", session_id="s1", agent_id="a1")
    memory.add("the cat eats fish", user_id="ana", session_id="s2", agent_id="a2")
    memory.add("the cat chases mice", user_id="ana", session_id="s2", agent_id="a1")

    def found(**filters: Any) -> set[str]:
        return {h.memory.text for h in memory.search("cat", user_id="ana", **filters)}

    assert found() == {"the cat sleeps on the sofa", "the cat eats fish", "the cat chases mice"}
    assert found(session_id="s2") == {"the cat eats fish", "the cat chases mice"}
    assert found(agent_id="a1") == {"the cat sleeps on the sofa", "the cat chases mice"}
    assert found(session_id="s2", agent_id="a1") == {"the cat chases mice"}
    assert found(session_id="nope") == set()


@pytest.fixture
def dated(memory: Memory) -> Memory:
    memory.add(
        [
            {"content": "january: started learning piano", "timestamp": "2024-01-01T00:00:00Z"},
            {"content": "february: piano recital", "timestamp": "2024-02-01T00:00:00Z"},
            {"content": "march: sold the piano", "timestamp": datetime(2024, 3, 1, tzinfo=UTC)},
        ],
        user_id="ana",
    )
    return memory


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, {"january", "february", "march"}),
        ({"start": "2024-01-15"}, {"february", "march"}),
        ({"start": "2024-02-01T00:00:00Z"}, {"february", "march"}),  # inclusive
        ({"end": "2024-02-01T00:00:00Z"}, {"january"}),  # exclusive
        ({"start": "2024-01-15", "end": datetime(2024, 2, 15, tzinfo=UTC)}, {"february"}),
        ({"as_of": "2023-12-31"}, set()),
        ({"as_of": "2024-01-15"}, {"january"}),
        ({"as_of": "2024-02-01T00:00:00+00:00"}, {"january", "february"}),
        ({"as_of": datetime(2030, 1, 1, tzinfo=UTC)}, {"january", "february", "march"}),
    ],
)
def test_search_time_filters(dated: Memory, filters: dict[str, Any], expected: set[str]) -> None:
    hits = dated.search("piano", user_id="ana", **filters)
    assert {hit.memory.text.split(":")[0] for hit in hits} == expected


@pytest.mark.parametrize("limit", [0, -1, 1001, True, 2.5, "3"])
def test_search_limit_is_validated(chat: Memory, limit: Any) -> None:
    with pytest.raises(ValidationError) as info:
        chat.search("puppy", user_id="ana", limit=limit)
    assert info.value.field == "limit"


def test_search_limit_caps_hits(chat: Memory) -> None:
    assert len(chat.search("puppy", user_id="ana", limit=2)) == 2
    assert len(chat.search("puppy", user_id="ana", limit=1000)) == len(CONVERSATION)


def test_search_of_an_unknown_user_is_empty(chat: Memory) -> None:
    assert len(chat.search("puppy", user_id="nobody")) == 0


# -- get, get_all, episodes --------------------------------------------------------------


def test_get_returns_what_add_created(memory: Memory) -> None:
    created = memory.add("I live in Lisbon", user_id="ana", session_id="s").memories
    for item in created:
        assert memory.get(item.id) == item
        assert memory.get(item.id, user_id="ana") == item


def test_get_all_lists_in_event_order_and_paginates(memory: Memory) -> None:
    for month in range(1, 8):
        memory.add(f"note of month {month}", user_id="ana", timestamp=f"2024-{month:02d}-10")
    everything = memory.get_all(user_id="ana", kinds="turn")
    assert texts(everything) == [f"note of month {m}" for m in range(1, 8)]
    pages = [memory.get_all(user_id="ana", kinds="turn", limit=3, offset=o) for o in (0, 3, 6)]
    assert [len(p) for p in pages] == [3, 3, 1]
    assert [m for page in pages for m in page] == everything
    assert memory.get_all(user_id="ana", kinds="turn", offset=7) == []
    all_kinds = memory.get_all(user_id="ana")  # one speaker throughout: no rounds
    assert {m.kind for m in all_kinds} == {MemoryKind.TURN, MemoryKind.SESSION}
    assert len(memory.get_all(user_id="ana", limit=None)) == 8  # 7 turns + 1 session


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"limit": -1}, "limit"),
        ({"limit": "10"}, "limit"),
        ({"offset": -1}, "offset"),
        ({"offset": 2**63}, "offset"),  # past the store's integers
        ({"limit": True}, "limit"),
        ({"statuses": ["bogus"]}, "statuses"),
        ({"kinds": ["bogus"]}, "kinds"),
        ({"user_id": ""}, "user_id"),
    ],
)
def test_get_all_validates(memory: Memory, kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as info:
        memory.get_all(**{"user_id": "ana", **kwargs})
    assert info.value.field == field


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"limit": -1}, "limit"), ({"offset": 2**64}, "offset"), ({"offset": "1"}, "offset")],
)
def test_episodes_validates_its_page(memory: Memory, kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as info:
        memory.episodes(**{"user_id": "ana", **kwargs})
    assert info.value.field == field


def test_episodes_are_listed_verbatim_in_arrival_order(chat: Memory) -> None:
    episodes = chat.episodes(user_id="ana")
    assert [e.content for e in episodes] == [m["content"] for m in CONVERSATION]
    assert [e.name for e in episodes] == [m.get("name") for m in CONVERSATION]
    assert [e.content for e in chat.episodes(user_id="ana", limit=2, offset=1)] == [
        m["content"] for m in CONVERSATION[1:3]
    ]


# -- update and delete -------------------------------------------------------------------


def test_update_reindexes_and_records_history(chat: Memory) -> None:
    target = chat.search("golden retriever", user_id="ana")[0].memory
    old_text = target.text
    before = chat.search("golden retriever", user_id="ana", limit=20)
    before_dense = next(h for h in before if h.memory.id == target.id).signals["dense"].raw
    updated = chat.update(target.id, "He is a dalmatian who hates water", metadata={"by": "test"})
    assert updated.text == "He is a dalmatian who hates water"
    assert updated.version == target.version + 1
    assert updated.metadata == {"by": "test"}
    assert chat.get(target.id) == updated
    top = chat.search("dalmatian", user_id="ana")[0]
    assert top.memory.id == target.id
    assert top.memory.text == updated.text
    assert top.signals["bm25"].raw > 0
    after = chat.search("golden retriever", user_id="ana", limit=20)
    assert all("retriever" not in hit.memory.text for hit in after)
    stale = next(h for h in after if h.memory.id == target.id)
    assert stale.signals["bm25"].raw == 0 and stale.signals["bm25"].rank is None
    assert stale.signals["dense"].raw < before_dense
    history = chat.history(target.id)
    assert [h.action for h in history] == [HistoryAction.ADD, HistoryAction.UPDATE]
    assert history[0].new_text == old_text
    assert (history[1].old_text, history[1].new_text) == (old_text, updated.text)


def test_update_validates_text(chat: Memory) -> None:
    target = chat.get_all(user_id="ana", kinds="turn")[0]
    for bad in ("", "   ", None):
        with pytest.raises(ValidationError) as info:
            chat.update(target.id, bad)  # type: ignore[arg-type]
        assert info.value.field == "text"
    assert chat.get(target.id) == target


def test_delete_removes_from_search_and_listing_and_records_history(chat: Memory) -> None:
    target = chat.search("puppy named Rex", user_id="ana", kinds="turn")[0].memory
    deleted = chat.delete(target.id)
    assert deleted.status is MemoryStatus.DELETED
    assert deleted.expired_at is not None
    hits = chat.search("puppy named Rex", user_id="ana", limit=1000)
    assert target.id not in {hit.memory.id for hit in hits}
    assert target.id not in {m.id for m in chat.get_all(user_id="ana", limit=None)}
    everything = chat.get_all(user_id="ana", statuses=None, limit=None)
    assert target.id in {m.id for m in everything}
    assert chat.get(target.id).status is MemoryStatus.DELETED
    history = chat.history(target.id)
    assert [h.action for h in history] == [HistoryAction.ADD, HistoryAction.DELETE]
    assert history[1].old_text == target.text
    assert chat.delete(target.id).status is MemoryStatus.DELETED  # again: no-op
    assert len(chat.history(target.id)) == 2
    with pytest.raises(NotFound):
        chat.update(target.id, "resurrected")
    assert chat.stats(user_id="ana").memories["turn"] == len(CONVERSATION) - 1


def test_delete_before_the_index_is_loaded(tmp_path: Path) -> None:
    path = tmp_path / "d.db"
    with Memory(path, embedder=HashEmbedder()) as m:
        item = m.add("secret plan", user_id="ana").memories[0]
    with Memory(path, embedder=HashEmbedder()) as m:
        m.delete(item.id)  # the index is not loaded yet
        assert item.id not in {h.memory.id for h in m.search("secret plan", user_id="ana")}


# -- errors ---------------------------------------------------------------------------


@pytest.mark.parametrize("action", ["get", "update", "delete", "history"])
def test_unknown_ids_and_other_users_ids_are_not_found(chat: Memory, action: str) -> None:
    mine = chat.get_all(user_id="ana", kinds="turn")[0]
    calls = {
        "get": lambda mid, **kw: chat.get(mid, **kw),
        "update": lambda mid, **kw: chat.update(mid, "changed", **kw),
        "delete": lambda mid, **kw: chat.delete(mid, **kw),
        "history": lambda mid, **kw: chat.history(mid, **kw),
    }
    with pytest.raises(NotFound):
        calls[action]("no-such-id")
    with pytest.raises(NotFound):
        calls[action](mine.id, user_id="bob")
    assert chat.get(mine.id) == mine
    assert len(chat.history(mine.id)) == 1


@pytest.mark.parametrize(
    ("messages", "kwargs", "field"),
    [
        ("hi", {"user_id": None}, "user_id"),
        ("hi", {"user_id": ""}, "user_id"),
        ("hi", {"user_id": "   "}, "user_id"),
        ("hi", {"user_id": 42}, "user_id"),
        ("hi", {"user_id": "ana", "session_id": ""}, "session_id"),
        ("hi", {"user_id": "ana", "agent_id": ""}, "agent_id"),
        ("", {"user_id": "ana"}, "messages[0]"),
        ([], {"user_id": "ana"}, "messages"),
        ({"role": "user", "content": ""}, {"user_id": "ana"}, "messages[0].content"),
        ({"role": "user"}, {"user_id": "ana"}, "messages[0].content"),
        (["ok", {"role": "robot", "content": "x"}], {"user_id": "ana"}, "messages[1].role"),
        ({"content": "x", "colour": "red"}, {"user_id": "ana"}, "messages[0].colour"),
        ({"content": "x", "timestamp": "not a date"}, {"user_id": "ana"}, "messages[0].timestamp"),
        ("hi", {"user_id": "ana", "timestamp": "yesterday-ish"}, "timestamp"),
        ({"content": "x", "metadata": "flat"}, {"user_id": "ana"}, "messages[0].metadata"),
    ],
)
def test_add_validation_names_the_field(
    memory: Memory, messages: Any, kwargs: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as info:
        memory.add(messages, **kwargs)
    assert info.value.field == field
    assert field in str(info.value)
    assert memory.stats().episodes == 0


@pytest.mark.parametrize("timestamp", [1e20, float("inf"), float("nan")])
def test_out_of_range_epoch_timestamp_is_a_validation_error(
    memory: Memory, timestamp: float
) -> None:
    with pytest.raises(ValidationError) as info:
        memory.add("hi", user_id="ana", timestamp=timestamp)
    assert info.value.field == "timestamp"


@pytest.mark.parametrize("metadata", [{1: "a", "b": 2}, {1: "a"}], ids=["mixed-keys", "int-key"])
def test_metadata_with_non_string_keys_is_rejected_or_round_trips(
    memory: Memory, metadata: dict[Any, Any]
) -> None:
    try:
        result = memory.add({"content": "with metadata", "metadata": metadata}, user_id="ana")
    except ValidationError as exc:
        assert exc.field == "messages[0].metadata"
        assert memory.stats().episodes == 0
        return
    assert memory.episodes(user_id="ana")[0].metadata == result.episodes[0].metadata


@pytest.mark.parametrize(
    ("messages", "kwargs", "field"),
    [
        ("bad \ud800 text", {"user_id": "ana"}, "messages[0]"),
        ("fine text", {"user_id": "\udfff"}, "user_id"),
    ],
    ids=["content", "user_id"],
)
def test_unencodable_text_is_a_validation_error(
    memory: Memory, messages: str, kwargs: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as info:
        memory.add(messages, **kwargs)
    assert info.value.field.startswith(field)


def test_an_early_timestamp_does_not_poison_the_user_scope(memory: Memory) -> None:
    memory.add("before", user_id="ana")
    with contextlib.suppress(ValidationError):  # rejecting it is fine too
        memory.add("old letter", user_id="ana", timestamp="0999-05-01T00:00:00Z")
    memory.add("after", user_id="ana")
    assert "after" in [e.content for e in memory.episodes(user_id="ana")]
    memory.process_pending()


@pytest.mark.parametrize("query", ["", "   ", None, 3])
def test_search_validates_query(chat: Memory, query: Any) -> None:
    with pytest.raises(ValidationError) as info:
        chat.search(query, user_id="ana")
    assert info.value.field == "query"


def test_search_requires_a_user(chat: Memory) -> None:
    with pytest.raises(ValidationError) as info:
        chat.search("puppy", user_id="")
    assert info.value.field == "user_id"


# -- lifecycle and persistence --------------------------------------------------------------


class ClosableEmbedder(HashEmbedder):
    def __init__(self) -> None:
        super().__init__()
        self.closed = 0

    def close(self) -> None:
        self.closed += 1


class CountingEmbedder(HashEmbedder):
    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []

    def embed(self, texts: Sequence[str]) -> Vectors:
        self.texts.extend(texts)
        return super().embed(texts)


def test_context_manager_closes_store_and_embedder(tmp_path: Path) -> None:
    embedder = ClosableEmbedder()
    with Memory(tmp_path / "cm.db", embedder=embedder) as m:
        m.add("remember this", user_id="ana")
    assert embedder.closed == 1
    with pytest.raises(StoreError):
        m.get_all(user_id="ana")
    m.close()  # closing twice is harmless
    assert embedder.closed == 1


def test_reopening_the_file_restores_everything(tmp_path: Path) -> None:
    path = tmp_path / "persist.db"
    queries = ["puppy", "golden retriever", "Melanie Paris", "nurse hospital"]
    with Memory(path, embedder=HashEmbedder()) as m:
        m.add(CONVERSATION[:4], user_id="ana", session_id="s1")
        m.add(CONVERSATION[4:], user_id="ana", session_id="s1")
        m.add("bob's own memory", user_id="bob")
        listing = m.get_all(user_id="ana", limit=None)
        before = {q: [(h.memory.id, h.score) for h in m.search(q, user_id="ana")] for q in queries}
        stats = m.stats()
    counting = CountingEmbedder()
    with Memory(path, embedder=counting) as m:
        assert [(i.id, i.text, i.version) for i in m.get_all(user_id="ana", limit=None)] == [
            (i.id, i.text, i.version) for i in listing
        ]
        for query in queries:
            after = [(h.memory.id, h.score) for h in m.search(query, user_id="ana")]
            assert [i for i, _ in after] == [i for i, _ in before[query]]
            assert [s for _, s in after] == pytest.approx([s for _, s in before[query]], abs=1e-6)
        # The index was rebuilt from stored vectors: no memory text was embedded again, only
        # the queries and, once, the entity names the graph compares for synonym edges.
        entity_names = {
            e
            for s in m.store.iter_indexable("ana")
            for k in s.keys
            if k.kind is KeyKind.ENTITY
            for e in k.text.split("\n")
        }
        assert [t for t in counting.texts if t not in entity_names] == queries
        assert len(counting.texts) == len(queries) + len(entity_names)
        assert m.stats() == stats
        assert m.search("bob", user_id="bob")[0].memory.text == "bob's own memory"
