"""Metadata filters on ``search`` and ``get_all`` (issue 16, item 5), on every backend."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kenning import Memory, MemoryKind, Settings, ValidationError
from kenning.testing import HashEmbedder

NOTES = [
    ("Book the flight to Lisbon", {"topic": "travel", "priority": 3, "due": "2024-05-02"}),
    ("Renew the passport before the trip", {"topic": "travel", "priority": 1, "done": True}),
    ("Buy oat milk and bread", {"topic": "shopping", "priority": 2, "due": "2024-04-20"}),
    ("Call the plumber about the leak", {"topic": "home", "priority": "3", "due": "2024-06-01"}),
    ("Water the plants on the balcony", {}),
]


@pytest.fixture
def m(db_location: str | Path) -> Memory:
    memory = Memory(
        db_location,
        settings=Settings(embedder="hash", embedding_cache_path=""),  # type: ignore[arg-type]
        embedder=HashEmbedder(),
    )
    memory.add(
        [{"role": "user", "content": text, "metadata": meta} for text, meta in NOTES],
        user_id="ana",
    )
    yield memory  # type: ignore[misc]
    memory.close()


def _texts(m: Memory, filters: dict[str, Any]) -> set[str]:
    listed = {t.text for t in m.get_all(user_id="ana", kinds="turn", filters=filters)}
    found = {
        h.memory.text
        for h in m.search("the", user_id="ana", kinds=["turn"], limit=50, filters=filters)
    }
    # A search only returns what matches; it may leave out what does not match the query.
    assert found <= listed, (found, listed)
    return listed


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"topic": "travel"}, {0, 1}),
        ({"topic": {"eq": "travel"}, "priority": {"gte": 2}}, {0}),
        ({"topic": {"in": ["home", "shopping"]}}, {2, 3}),
        ({"topic": {"nin": ["travel"]}}, {2, 3, 4}),  # without the key matches "not in"
        ({"priority": {"gt": 1, "lte": 3}}, {0, 2}),  # "3" is a string, not a number
        ({"priority": "3"}, {3}),
        ({"priority": 3}, {0}),
        ({"due": {"gte": "2024-05-01", "lt": "2024-06-01"}}, {0}),
        ({"done": True}, {1}),
        ({"done": {"ne": True}}, {0, 2, 3, 4}),
        ({"missing": "x"}, set()),
    ],
)
def test_filters_select_by_metadata(m: Memory, filters: dict[str, Any], expected: set[int]) -> None:
    assert _texts(m, filters) == {NOTES[i][0] for i in expected}


def test_search_with_a_filter_ranks_only_matching_memories(m: Memory) -> None:
    hits = m.search("flight Lisbon passport trip", user_id="ana", filters={"priority": {"lt": 2}})
    assert [h.memory.text for h in hits] == ["Renew the passport before the trip"]
    context = m.context("trip", user_id="ana", filters={"topic": "shopping"})
    assert {i.memory.text for i in context.items} <= {NOTES[2][0]}


@pytest.mark.parametrize(
    ("filters", "field"),
    [
        ("topic", "filters"),
        ({"topic": {"like": "tr%"}}, "filters.topic.like"),
        ({"topic": {}}, "filters.topic"),
        ({"priority": {"gt": True}}, "filters.priority.gt"),
        ({"topic": {"in": []}}, "filters.topic.in"),
        ({"topic": {"in": ["a", {"b": 1}]}}, "filters.topic.in[1]"),
        ({"topic": [1]}, "filters.topic"),
        ({"priority": float("nan")}, "filters.priority"),
        ({'a"b': 1}, 'filters.a"b'),
    ],
)
def test_bad_filters_are_refused_by_field(m: Memory, filters: Any, field: str) -> None:
    for call in (
        lambda: m.get_all(user_id="ana", filters=filters),
        lambda: m.search("x", user_id="ana", filters=filters),
    ):
        with pytest.raises(ValidationError) as caught:
            call()
        assert caught.value.field == field


def test_derived_facts_carry_the_messages_metadata(m: Memory) -> None:
    m.add(
        [
            {
                "role": "user",
                "name": "Ana",
                "content": "I live in Porto.",
                "metadata": {"src": "app"},
            }
        ],
        user_id="ana",
    )
    facts = m.get_all(user_id="ana", kinds=MemoryKind.FACT, filters={"src": "app"})
    assert [f.object for f in facts] == ["Porto"]
