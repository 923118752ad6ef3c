"""``add`` is idempotent, and a failure mid-batch never leaves derived data half-written.

Failures are checked on the database itself with a separate connection (each backend),
not through the engine, so a cache or an index cannot hide a half-written batch.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from rawdb import raw_sql

from kenning import EmbeddingError, Memory, MemoryKind, StoreError, ValidationError
from kenning.embed.base import Vectors
from kenning.store import MemoryFilter
from kenning.testing import HashEmbedder

BATCH: list[dict[str, Any]] = [
    {"role": "user", "content": "I planted tomatoes in the garden"},
    {"role": "assistant", "content": "Which variety did you choose?"},
    {"role": "user", "content": "San Marzano, for sauce"},
]
LATER: list[dict[str, Any]] = [
    {"role": "assistant", "content": "Great choice for a rich tomato sauce."},
    {"role": "user", "content": "My neighbour Ingrid gave me basil seedlings"},
    {"role": "assistant", "content": "Basil grows well next to tomatoes."},
    {"role": "user", "content": "Ingrid also keeps bees on her roof"},
]


class FlakyEmbedder(HashEmbedder):
    """A hash embedder that can be told to fail, like a model server going down."""

    def __init__(self) -> None:
        super().__init__()
        self.broken = False
        self.calls = 0

    def embed(self, texts: Sequence[str]) -> Vectors:
        self.calls += 1
        if self.broken:
            raise EmbeddingError("embedding server unavailable")
        return super().embed(texts)


def sql(path: Path | str, query: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    return raw_sql(path, query, params)


def derived_rows(path: Path | str, episode_ids: Sequence[str]) -> dict[str, int]:
    """How many memory, key and history rows exist for memories built from these episodes."""
    marks = ",".join("?" * len(episode_ids))
    memories = f"SELECT DISTINCT memory_id FROM memory_episodes WHERE episode_id IN ({marks})"
    return {
        "memories": sql(path, f"SELECT COUNT(*) FROM ({memories})", episode_ids)[0][0],
        "keys": sql(
            path, f"SELECT COUNT(*) FROM memory_keys WHERE memory_id IN ({memories})", episode_ids
        )[0][0],
        "history": sql(
            path, f"SELECT COUNT(*) FROM history WHERE memory_id IN ({memories})", episode_ids
        )[0][0],
    }


def table_counts(path: Path | str) -> dict[str, int]:
    tables = ("episodes", "memories", "memory_keys", "memory_episodes", "history")
    return {t: sql(path, f"SELECT COUNT(*) FROM {t}")[0][0] for t in tables}


def pending_ids(path: Path | str) -> set[str]:
    return {row[0] for row in sql(path, "SELECT id FROM episodes WHERE processed_at IS NULL")}


def session_text(path: Path | str) -> str:
    rows = sql(path, "SELECT text FROM memories WHERE kind = 'session' AND status = 'active'")
    assert len(rows) == 1
    return str(rows[0][0])


def add_later_while_embedder_is_down(memory: Memory, flaky: FlakyEmbedder) -> None:
    """Add LATER while the embedder fails: the call raises, and the embedder stays down."""
    flaky.broken = True
    with pytest.raises(EmbeddingError):
        memory.add(LATER, user_id="ana", session_id="s1")


# -- idempotency ---------------------------------------------------------------------------


def test_re_adding_the_same_batch_stores_nothing_new(memory: Memory) -> None:
    first = memory.add(BATCH, user_id="ana", session_id="s1", timestamp="2024-06-01")
    assert (len(first.episodes), first.duplicates) == (3, 0)
    stats = memory.stats()
    again = memory.add(BATCH, user_id="ana", session_id="s1", timestamp="2024-06-01")
    assert (again.episodes, again.duplicates, again.memories) == ([], 3, [])
    assert memory.stats() == stats
    assert len(memory.episodes(user_id="ana")) == 3


def test_a_batch_overlapping_an_earlier_one_stores_only_the_new_messages(memory: Memory) -> None:
    memory.add(BATCH, user_id="ana", session_id="s1", timestamp="2024-06-01")
    result = memory.add([*BATCH, LATER[0]], user_id="ana", session_id="s1", timestamp="2024-06-01")
    assert result.duplicates == 3
    assert [e.content for e in result.episodes] == [LATER[0]["content"]]
    assert [e.content for e in memory.episodes(user_id="ana")] == [
        m["content"] for m in [*BATCH, LATER[0]]
    ]


@pytest.mark.parametrize(
    "changed",
    [{"session_id": "s2"}, {"timestamp": "2024-06-02"}, {"agent_id": "bot"}, {"user_id": "bob"}],
)
def test_the_same_text_in_another_context_is_not_a_duplicate(
    memory: Memory, changed: dict[str, str]
) -> None:
    base = {"user_id": "ana", "session_id": "s1", "timestamp": "2024-06-01"}
    memory.add(BATCH, **base)
    result = memory.add(BATCH, **{**base, **changed})
    assert (len(result.episodes), result.duplicates) == (3, 0)


def test_without_id_or_time_a_repeated_message_is_kept(memory: Memory) -> None:
    # No id and no time: only a resend of the session's latest messages counts as a duplicate.
    memory.add({"role": "user", "content": "ok"}, user_id="ana", session_id="s1")
    memory.add({"role": "assistant", "content": "Shall I book it?"}, user_id="ana", session_id="s1")
    result = memory.add({"role": "user", "content": "ok"}, user_id="ana", session_id="s1")
    assert (len(result.episodes), result.duplicates) == (1, 0)
    assert [e.content for e in memory.episodes(user_id="ana")] == ["ok", "Shall I book it?", "ok"]
    resend = memory.add({"role": "user", "content": "ok"}, user_id="ana", session_id="s1")
    assert (len(resend.episodes), resend.duplicates) == (0, 1)


def test_client_id_dedupes_even_if_content_differs(memory: Memory) -> None:
    memory.add({"id": "msg-1", "content": "original wording"}, user_id="ana")
    result = memory.add({"id": "msg-1", "content": "edited wording"}, user_id="ana")
    assert (result.episodes, result.duplicates, result.memories) == ([], 1, [])
    assert [e.content for e in memory.episodes(user_id="ana")] == ["original wording"]
    assert [m.text for m in memory.get_all(user_id="ana", kinds="turn")] == ["original wording"]
    # A new id with the same content is a new message.
    assert memory.add({"id": "msg-2", "content": "original wording"}, user_id="ana").duplicates == 0


def test_identical_messages_in_one_call_are_all_stored(memory: Memory) -> None:
    messages = [
        {"role": "user", "content": "ok"},
        {"role": "assistant", "content": "ok"},
        {"role": "user", "content": "ok"},
        {"role": "user", "content": "ok"},
    ]
    result = memory.add(messages, user_id="ana", session_id="s1")
    assert (len(result.episodes), result.duplicates) == (4, 0)
    assert len(memory.get_all(user_id="ana", kinds="turn")) == 4
    again = memory.add(messages, user_id="ana", session_id="s1")
    assert (again.episodes, again.duplicates) == ([], 4)


def test_validation_error_in_message_5_of_10_stores_nothing(
    memory: Memory, db_location: str
) -> None:
    memory.add("an earlier message", user_id="ana")
    before = table_counts(db_location)
    messages: list[Any] = [{"role": "user", "content": f"message {i}"} for i in range(10)]
    messages[4] = {"role": "narrator", "content": "message 4"}
    with pytest.raises(ValidationError) as info:
        memory.add(messages, user_id="ana")
    assert info.value.field == "messages[4].role"
    assert table_counts(db_location) == before
    assert [e.content for e in memory.episodes(user_id="ana")] == ["an earlier message"]


# -- failures after the episodes are stored -------------------------------------------------


@pytest.fixture
def flaky() -> FlakyEmbedder:
    return FlakyEmbedder()


@pytest.fixture
def fragile(db_location: str, flaky: FlakyEmbedder) -> Iterator[Memory]:
    """A memory with one committed batch and a loaded index, on each backend."""
    m = Memory(db_location, embedder=flaky)
    try:
        m.add(BATCH, user_id="ana", session_id="s1")
        assert len(m.search("tomatoes", user_id="ana")) > 0
        yield m
    finally:
        m.close()


def later_episode_ids(m: Memory) -> list[str]:
    contents = {message["content"] for message in LATER}
    return [e.id for e in m.episodes(user_id="ana") if e.content in contents]


def assert_later_batch_not_derived(
    m: Memory, path: Path, before: dict[str, int], session: str
) -> None:
    ids = later_episode_ids(m)
    assert len(ids) == len(LATER)  # the raw input is never lost
    assert pending_ids(path) == set(ids)
    assert derived_rows(path, ids) == {"memories": 0, "keys": 0, "history": 0}
    counts = table_counts(path)
    assert counts == {**before, "episodes": before["episodes"] + len(LATER)}
    assert session_text(path) == session  # the session memory was not grown
    hits = m.search("Ingrid bees basil", user_id="ana", limit=100)
    assert not {h.memory.text for h in hits} & {message["content"] for message in LATER}


def assert_later_batch_derived_once(m: Memory, path: Path) -> None:
    ids = later_episode_ids(m)
    assert pending_ids(path) == set()
    turns = sql(
        path,
        "SELECT me.episode_id, COUNT(*) FROM memory_episodes me JOIN memories m ON m.id = me.memory_id "
        f"WHERE m.kind = 'turn' AND me.episode_id IN ({','.join('?' * len(ids))}) GROUP BY me.episode_id",
        ids,
    )
    assert sorted(turns) == sorted((i, 1) for i in ids)
    all_turns = m.get_all(user_id="ana", kinds="turn", limit=None)
    assert sorted(t.text for t in all_turns) == sorted(
        message["content"] for message in BATCH + LATER
    )
    history_per_memory = sql(path, "SELECT memory_id, action, COUNT(*) FROM history GROUP BY 1, 2")
    assert all(n == 1 for _, action, n in history_per_memory if action == "add")
    expected_session = "\n".join(message["content"] for message in BATCH + LATER)
    assert session_text(path) == expected_session
    top = m.search("Ingrid keeps bees", user_id="ana")[0]
    assert top.memory.text == "Ingrid also keeps bees on her roof"


def test_embedder_failure_keeps_episodes_and_writes_no_derived_rows(
    fragile: Memory, flaky: FlakyEmbedder, db_location: str
) -> None:
    path = db_location
    before, session = table_counts(path), session_text(path)
    add_later_while_embedder_is_down(fragile, flaky)
    flaky.broken = False
    assert_later_batch_not_derived(fragile, path, before, session)
    created = fragile.process_pending()
    assert sum(1 for item in created if item.kind is MemoryKind.TURN) == len(LATER)
    assert_later_batch_derived_once(fragile, path)
    assert fragile.process_pending() == []  # nothing left: derived exactly once
    assert_later_batch_derived_once(fragile, path)


def test_the_next_add_derives_what_a_failed_add_left_pending(
    fragile: Memory, flaky: FlakyEmbedder, db_location: str
) -> None:
    path = db_location
    add_later_while_embedder_is_down(fragile, flaky)
    flaky.broken = False
    retry = fragile.add(LATER, user_id="ana", session_id="s1")  # the caller retries
    assert (retry.episodes, retry.duplicates) == ([], len(LATER))
    assert sum(1 for item in retry.memories if item.kind is MemoryKind.TURN) == len(LATER)
    assert_later_batch_derived_once(fragile, path)


def test_embedder_failure_while_processing_pending_changes_nothing(
    fragile: Memory, flaky: FlakyEmbedder, db_location: str
) -> None:
    path = db_location
    add_later_while_embedder_is_down(fragile, flaky)
    counts = table_counts(path)
    with pytest.raises(EmbeddingError):
        fragile.process_pending()
    assert table_counts(path) == counts
    flaky.broken = False
    fragile.process_pending(user_id="someone-else")
    assert len(pending_ids(path)) == len(LATER)
    fragile.process_pending(user_id="ana")
    assert_later_batch_derived_once(fragile, path)


@pytest.mark.parametrize("method", ["add_history", "mark_processed"])
def test_store_failure_in_the_second_transaction_rolls_back_every_derived_row(
    fragile: Memory, db_location: str, monkeypatch: pytest.MonkeyPatch, method: str
) -> None:
    path = db_location
    before, session = table_counts(path), session_text(path)
    store = fragile.store
    seen_inside: list[int] = []

    def fail(*args: object, **kwargs: object) -> None:
        # The batch's memories are written (inside the open transaction) when this runs.
        seen_inside.append(
            store.count_memories(MemoryFilter(user_id="ana", kinds=(MemoryKind.TURN,)))
        )
        raise StoreError(f"disk full during {method}")

    monkeypatch.setattr(store, method, fail)
    with pytest.raises(StoreError, match="disk full"):
        fragile.add(LATER, user_id="ana", session_id="s1")
    monkeypatch.undo()
    assert seen_inside == [len(BATCH) + len(LATER)]
    assert_later_batch_not_derived(fragile, path, before, session)
    fragile.process_pending()
    assert_later_batch_derived_once(fragile, path)
