"""``RemoteMemory`` against the real server: the same calls and result types as ``Memory``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from serving import Keys, Server

from kenning import (
    AddResult,
    ConsolidationReport,
    ContextBlock,
    ContextItem,
    ContextSection,
    EntityNode,
    ForgetResult,
    HistoryAction,
    LinkType,
    MemoryGraph,
    MemoryItem,
    MemoryKind,
    MemoryStatus,
    NotFound,
    Stats,
    ValidationError,
)
from kenning.client import AccessDenied, RemoteMemory
from kenning.models import SkippedPart

T0 = datetime(2024, 1, 10, 9, 0, tzinfo=UTC)
T1 = datetime(2024, 6, 1, 9, 0, tzinfo=UTC)
NOW = datetime(2024, 7, 1, tzinfo=UTC)
FLAT: list[dict[str, Any]] = [
    {"type": "text", "text": "My flat"},
    {"type": "image_url", "image_url": {"url": "https://x/y.png"}},
]


def test_one_line_switch_round_trips_every_method(open_server: Server) -> None:
    with RemoteMemory(open_server.url) as m:
        added = m.add(
            [{"role": "user", "name": "Ana", "content": "I adopted a border collie named Pixel"}],
            user_id="ana",
            session_id="s1",
            timestamp=T0,
        )
        assert isinstance(added, AddResult) and len(added.episodes) == 1
        assert added.episodes[0].timestamp == T0
        hits = m.search("what dog does Ana have?", user_id="ana", limit=3)
        assert hits[0].memory.user_id == "ana" and "Pixel" in hits[0].memory.text
        assert sum(s.contribution for s in hits[0].signals.values()) == pytest.approx(hits[0].score)
        turn = m.search("Pixel", user_id="ana", kinds="turn")[0].memory
        assert isinstance(turn, MemoryItem) and turn.kind is MemoryKind.TURN
        assert m.get(turn.id, user_id="ana") == open_server.memory.get(turn.id)
        listed = m.get_all(user_id="ana", kinds=["turn"])
        assert [t.id for t in listed] == [turn.id]
        updated = m.update(turn.id, "I adopted a border collie named Pixel in April", user_id="ana")
        assert updated.version == 2
        assert [e.action for e in m.history(turn.id, user_id="ana")][-1] is HistoryAction.UPDATE
        assert m.undo(turn.id, user_id="ana").text == "I adopted a border collie named Pixel"
        paris = m.add_fact("Ana lives in Paris", user_id="ana", key="ana.city", valid_from=T0)
        berlin = m.add_fact("Ana lives in Berlin", user_id="ana", key="ana.city", valid_from=T1)
        assert m.get(paris.id, user_id="ana").status is MemoryStatus.SUPERSEDED
        everything = m.get_all(user_id="ana", kinds="fact", statuses=None)
        assert {f.id for f in everything} >= {paris.id, berlin.id}
        forgotten = m.forget(berlin.id, user_id="ana")
        assert isinstance(forgotten, ForgetResult) and forgotten.archived == (berlin.id,)
        assert len(m.episodes(user_id="ana")) == 3
        report = m.consolidate(user_id="ana")
        assert isinstance(report, ConsolidationReport) and report.summaries == 1
        stats = m.stats(user_id="ana")
        assert isinstance(stats, Stats) and stats.episodes == 3
        exported = m.export(user_id="ana")
        assert {x.id for x in exported["memories"]} >= {paris.id, berlin.id, turn.id}
        m.delete(turn.id, user_id="ana")
        assert m.get(turn.id, user_id="ana").status is MemoryStatus.DELETED


def test_graph_over_http_equals_the_engines(open_server: Server) -> None:
    engine = open_server.memory
    with RemoteMemory(open_server.url) as m:
        m.add("Ana met Bruno in Lisbon", user_id="ana", timestamp=T0)
        m.add("Bruno moved to Porto", user_id="ana", timestamp=T1)
        m.add("Bruno visited Lisbon again", user_id="ana", timestamp=T1)
        paris = m.add_fact("Ana lives in Paris", user_id="ana", key="ana.city", valid_from=T0)
        m.add_fact("Ana lives in Berlin", user_id="ana", key="ana.city", valid_from=T1)
        centre = next(t for t in m.get_all(user_id="ana", kinds="turn") if "met" in t.text)
        for memory_id, limit in ((centre.id, 10), (centre.id, 1), (paris.id, 10)):
            remote = m.graph(memory_id, user_id="ana", limit=limit)
            assert isinstance(remote, MemoryGraph)
            assert remote == engine.graph(memory_id, user_id="ana", limit=limit)
        bruno = next(e for e in m.graph(centre.id, user_id="ana").entities if e.name == "Bruno")
        assert isinstance(bruno, EntityNode) and isinstance(bruno.memory_ids, tuple)
        assert len(bruno.memory_ids) >= 2
        superseded = m.graph(paris.id, user_id="ana")
        assert superseded.memory.status is MemoryStatus.SUPERSEDED
        assert {link.type for link in superseded.links} >= {LinkType.SUPERSEDES}
        with pytest.raises(ValidationError, match="limit"):
            m.graph(centre.id, user_id="ana", limit=0)
        with pytest.raises(NotFound):
            m.graph(centre.id, user_id="bob")


def test_errors_come_back_as_the_same_exceptions(keyed: tuple[Server, Keys]) -> None:
    server, keys = keyed
    with RemoteMemory(server.url, api_key=keys.ana) as ana:
        with pytest.raises(NotFound):
            ana.get("no-such-id", user_id="ana")
        with pytest.raises(ValidationError) as bad:
            ana.search("  ", user_id="ana")
        assert bad.value.field
        with pytest.raises(AccessDenied) as denied:
            ana.search("anything", user_id="bob")
        assert denied.value.status == 403
        with pytest.raises(ValidationError, match="user_id"):
            ana.search("x", user_id="")
    with RemoteMemory(server.url, api_key="not-a-key") as stranger, pytest.raises(AccessDenied):
        stranger.stats(user_id="ana")


def _same_block(got: ContextBlock, expected: ContextBlock) -> None:
    """Equal blocks, but for the retention factor's clock in the scores (see ranking.py)."""
    assert isinstance(got, ContextBlock)
    assert all(isinstance(i, ContextItem) for i in got.items)
    assert got.text == expected.text
    assert [i.memory.id for i in got.items] == [i.memory.id for i in expected.items]
    assert [i.memory for i in got.items] == [i.memory for i in expected.items]
    assert [(i.section, i.text, i.tokens, i.group) for i in got.items] == [
        (i.section, i.text, i.tokens, i.group) for i in expected.items
    ]
    for mine, theirs in zip(got.items, expected.items, strict=True):
        assert mine.score == pytest.approx(theirs.score, abs=1e-6)
    rest = ("query", "user_id", "tokens", "budget_tokens", "omitted", "tokenizer")
    assert [getattr(got, k) for k in rest] == [getattr(expected, k) for k in rest]


def _travel_notes(m: RemoteMemory) -> dict[str, MemoryItem]:
    """Facts with metadata, and a message without any."""
    m.add("I love riding the old trams in Lisbon", user_id="ana", session_id="s1", timestamp=T0)
    return {
        "lisbon": m.add_fact(
            "Ana flew to Lisbon in May", user_id="ana", metadata={"topic": "travel", "priority": 3}
        ),
        "porto": m.add_fact(
            "Ana booked a hotel in Porto",
            user_id="ana",
            metadata={"topic": "travel", "priority": 1},
        ),
        "dentist": m.add_fact(
            "Ana sees the dentist in Lisbon on Friday",
            user_id="ana",
            metadata={"topic": "health", "priority": 3},
        ),
    }


def test_context_over_http_equals_the_engines(open_server: Server) -> None:
    engine = open_server.memory
    with RemoteMemory(open_server.url) as m:
        notes = _travel_notes(m)
        m.add("Pixel the dog loves Lisbon beaches", user_id="ana", session_id="s2", timestamp=T1)
        query = "what does Ana do in Lisbon?"
        calls: list[dict[str, Any]] = [
            {"now": NOW},
            {"now": NOW, "budget_tokens": 20},
            {"now": NOW, "kinds": ["turn"], "session_id": "s2"},
            {"now": NOW, "filters": {"topic": "travel"}},
            {"start": T1, "end": NOW, "kinds": "turn"},
        ]
        blocks = []
        for arguments in calls:
            expected = engine.context(query, user_id="ana", **arguments)
            got = m.context(query, user_id="ana", **arguments)
            _same_block(got, expected)
            blocks.append(got)
    whole, tight, s2, travel, late = blocks
    assert whole.budget_tokens == engine.settings.context_budget_tokens
    assert len(whole.items) >= 5 and "Lisbon" in whole.text
    assert {ContextSection.FACTS, ContextSection.CONVERSATIONS} <= {i.section for i in whole.items}
    assert tight.budget_tokens == 20 and tight.omitted > 0 and len(tight.items) < len(whole.items)
    assert [i.memory.session_id for i in s2.items] == ["s2"]
    assert {i.memory.id for i in travel.items} == {notes["lisbon"].id, notes["porto"].id}
    assert [i.memory.event_time for i in late.items] == [T1]


def test_filters_over_http_equal_the_engines(open_server: Server) -> None:
    engine = open_server.memory
    with RemoteMemory(open_server.url) as m:
        notes = _travel_notes(m)
        query = "Ana Lisbon Porto dentist trams"
        cases = [
            (None, {n.id for n in notes.values()}),
            ({"topic": "travel"}, {notes["lisbon"].id, notes["porto"].id}),
            ({"topic": "travel", "priority": {"gte": 2}}, {notes["lisbon"].id}),
            ({"priority": {"in": [3]}}, {notes["lisbon"].id, notes["dentist"].id}),
            ({"topic": {"ne": "travel"}, "priority": {"lt": 5}}, {notes["dentist"].id}),
        ]
        for filters, facts in cases:
            found = m.search(query, user_id="ana", kinds="fact", filters=filters, now=NOW)
            expected = engine.search(query, user_id="ana", kinds="fact", filters=filters, now=NOW)
            assert [h.memory.id for h in found] == [h.memory.id for h in expected]
            assert {h.memory.id for h in found} == facts, filters
            listed = m.get_all(user_id="ana", kinds="fact", filters=filters)
            assert listed == engine.get_all(user_id="ana", kinds="fact", filters=filters)
            assert {x.id for x in listed} == facts, filters
        # Without a kind, the message's memories (no such metadata) are in the unfiltered
        # list only: its turn and its session's.
        everything = m.get_all(user_id="ana")
        assert {x.kind for x in everything} == {
            MemoryKind.TURN,
            MemoryKind.SESSION,
            MemoryKind.FACT,
        }
        assert {x.id for x in m.get_all(user_id="ana", filters={"priority": {"gte": 1}})} == {
            n.id for n in notes.values()
        }
        calls: list[Callable[[Any], Any]] = [
            lambda bad: m.get_all(user_id="ana", filters=bad),
            lambda bad: m.search("Ana", user_id="ana", filters=bad),
            lambda bad: m.context("Ana", user_id="ana", filters=bad),
        ]
        refused: list[dict[str, Any]] = [{"priority": {"approx": 2}}, {"topic": []}]
        for bad in refused:
            with pytest.raises(ValidationError) as local:
                engine.get_all(user_id="ana", filters=bad)
            for call in calls:
                with pytest.raises(ValidationError) as remote:
                    call(bad)
                assert remote.value.field == local.value.field, bad


def test_skipped_content_parts_round_trip(open_server: Server) -> None:
    engine = open_server.memory
    message = {"role": "user", "content": FLAT}
    with RemoteMemory(open_server.url) as m:
        added = m.add(["Hello", message], user_id="ana", timestamp=T0)
        plain = m.add("No pictures here", user_id="ana", timestamp=T1)
        episodes = m.episodes(user_id="ana")
    expected = engine.add(["Hello", message], user_id="bob", timestamp=T0)
    assert added.skipped == expected.skipped == [SkippedPart(message=1, part=1, type="image_url")]
    assert all(isinstance(part, SkippedPart) for part in added.skipped)
    assert plain.skipped == []
    assert [e.content for e in episodes] == ["Hello", "My flat", "No pictures here"]
    assert episodes[1].metadata["content_parts"] == [{"index": 1, **FLAT[1]}]
