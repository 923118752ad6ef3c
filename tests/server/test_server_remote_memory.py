"""``RemoteMemory`` against the real server: the same calls and result types as ``Memory``."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from serving import Keys, Server

from kenning import (
    AddResult,
    ConsolidationReport,
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

T0 = datetime(2024, 1, 10, 9, 0, tzinfo=UTC)
T1 = datetime(2024, 6, 1, 9, 0, tzinfo=UTC)


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
