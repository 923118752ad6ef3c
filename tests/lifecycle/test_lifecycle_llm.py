"""The LLM path against a real local OpenAI-compatible server with scripted answers:
batching, notes, contradictions, malformed and failing replies, a killed endpoint."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from kenning import ConfigError, HistoryAction, Memory, MemoryStatus, Settings
from kenning.testing import FakeOpenAIServer, HashEmbedder, ScriptedFailure, ScriptedLLM

T0 = datetime(2024, 1, 10, 9, 0, tzinfo=UTC)

Build = Callable[..., tuple[Memory, FakeOpenAIServer]]


def _chat(n: int, start: datetime = T0) -> list[dict[str, Any]]:
    lines = []
    for i in range(n):
        if i == 4:
            content = "By the way, I live in Lisbon these days."
        else:
            content = f"Message number {i} about gardening and tomatoes."
        lines.append(
            {
                "role": "user" if i % 2 == 0 else "assistant",
                "name": "Ana" if i % 2 == 0 else None,
                "content": content,
                "timestamp": (start + timedelta(minutes=i)).isoformat(),
            }
        )
    for line in lines:
        if line["name"] is None:
            del line["name"]
    return lines


def test_one_call_per_batch_of_twenty_messages_with_usage(llm_memory: Build) -> None:
    llm = ScriptedLLM()
    m, _ = llm_memory(llm, llm_cost_input=1.0, llm_cost_output=2.0)
    m.add(_chat(45), user_id="ana")
    # 45 messages, of which 22 assistant messages are not sources: 23 -> 2 calls.
    assert len(llm.extractions) == 2
    assert [len(p["turns"]) for p in llm.extractions] == [20, 3]
    usage = m.stats(user_id="ana").llm
    assert usage.calls == 2 and usage.failed == 0
    assert usage.prompt_tokens > 0 and usage.completion_tokens > 0
    assert usage.cost == pytest.approx(
        usage.prompt_tokens / 1000 * 1.0 + usage.completion_tokens / 1000 * 2.0
    )
    fact = m.get_all(user_id="ana", kinds="fact")[0]
    assert fact.text == "Ana lives in Lisbon" and fact.metadata["extractor"] == "llm"
    assert fact.slot == "ana.city"
    turn = next(t for t in m.get_all(user_id="ana", kinds="turn") if "Lisbon" in t.text)
    assert turn.metadata["tags"] == ["chat"] and turn.metadata["keywords"]
    assert turn.metadata["context"].startswith("By the way")


def test_llm_facts_supersede_through_slots(llm_memory: Build) -> None:
    llm = ScriptedLLM()
    m, _ = llm_memory(llm)
    m.add(
        {"role": "user", "name": "Ana", "content": "I live in Paris"}, user_id="ana", timestamp=T0
    )
    m.add(
        {"role": "user", "name": "Ana", "content": "We moved to Berlin!"},
        user_id="ana",
        timestamp=T0 + timedelta(days=90),
    )
    facts = {f.object: f for f in m.get_all(user_id="ana", kinds="fact", statuses=None)}
    assert facts["Paris"].status is MemoryStatus.SUPERSEDED
    assert facts["Berlin"].status is MemoryStatus.ACTIVE
    assert "Berlin" in m.search("where does Ana live?", user_id="ana")[0].memory.text


def test_contradiction_call_closes_a_slotless_fact(llm_memory: Build) -> None:
    def diet(text: str, speaker: str | None) -> list[dict[str, Any]]:
        if "vegetarian" not in text:
            return []
        negated = "no longer" in text
        return [
            {
                "subject": "Ana",
                "predicate": "follows",
                "object": "a vegetarian diet",
                "text": "Ana no longer follows a vegetarian diet"
                if negated
                else "Ana follows a vegetarian diet",
                "attribute": None,
            }
        ]

    def contradicts(fact: dict[str, Any], candidates: list[dict[str, Any]]) -> list[str]:
        return [c["id"] for c in candidates if "no longer" in fact["text"]]

    llm = ScriptedLLM(diet, contradicts)
    m, _ = llm_memory(llm)
    m.add(
        {"role": "user", "name": "Ana", "content": "I am vegetarian"}, user_id="ana", timestamp=T0
    )
    later = T0 + timedelta(days=30)
    m.add(
        {"role": "user", "name": "Ana", "content": "I am no longer vegetarian"},
        user_id="ana",
        timestamp=later,
    )
    assert len(llm.judgements) == 1  # one call for the one candidate set
    assert [c["text"] for c in llm.judgements[0]["candidates"]] == ["Ana follows a vegetarian diet"]
    old = next(
        f
        for f in m.get_all(user_id="ana", kinds="fact", statuses=None)
        if "no longer" not in f.text
    )
    assert old.status is MemoryStatus.SUPERSEDED and old.valid_to == later
    entry = next(e for e in m.history(old.id) if e.action is HistoryAction.SUPERSEDE)
    assert entry.details["judge"] == "llm"
    assert m.stats(user_id="ana").llm.calls == 3


@pytest.mark.parametrize(
    "wrap",
    [
        lambda reply: f"```json\n{reply}\n```",
        lambda reply: "Here you go: " + reply[:-1] + ",}",
    ],
    ids=["fenced", "trailing-comma-and-prose"],
)
def test_slightly_malformed_replies_are_repaired(
    llm_memory: Build, wrap: Callable[[str], str]
) -> None:
    m, _ = llm_memory(ScriptedLLM(wrap=wrap))
    m.add({"role": "user", "name": "Ana", "content": "I live in Oslo"}, user_id="ana", timestamp=T0)
    fact = m.get_all(user_id="ana", kinds="fact")[0]
    assert fact.metadata["extractor"] == "llm" and fact.object == "Oslo"


def test_a_failing_endpoint_falls_back_to_local_and_records_why(llm_memory: Build) -> None:
    m, _ = llm_memory(lambda body: ScriptedFailure(503, "overloaded"))  # type: ignore[arg-type,return-value]
    result = m.add(
        {"role": "user", "name": "Ana", "content": "I live in Madrid"}, user_id="ana", timestamp=T0
    )
    assert len(result.episodes) == 1
    fact = m.get_all(user_id="ana", kinds="fact")[0]
    assert fact.metadata["extractor"] == "local" and fact.metadata["llm_error"] == "http 503"
    assert "Madrid" in fact.text
    usage = m.stats(user_id="ana").llm
    assert (usage.calls, usage.failed) == (1, 1)
    assert m.store.pending_episodes("ana") == []


def test_garbage_replies_fall_back_after_retries(llm_memory: Build) -> None:
    m, server = llm_memory(lambda body: "I am not JSON at all", llm_max_retries=2)
    m.add({"role": "user", "name": "Ana", "content": "I live in Rome"}, user_id="ana", timestamp=T0)
    fact = m.get_all(user_id="ana", kinds="fact")[0]
    assert fact.metadata["llm_error"] in {"invalid json", "schema"}
    assert len(server.requests_to("/v1/chat/completions")) == 3


def test_neighbours_evolve_through_the_llm_and_can_be_undone(llm_memory: Build) -> None:
    m, _ = llm_memory(ScriptedLLM())
    m.add("I grow tomatoes and basil on my balcony garden", user_id="ana", timestamp=T0)
    m.add(
        "I grow tomatoes and basil on my balcony garden every spring",
        user_id="ana",
        timestamp=T0 + timedelta(days=1),
    )
    first = min(m.get_all(user_id="ana", kinds="turn"), key=lambda t: t.event_time or T0)
    assert "linked" in first.metadata["tags"]
    assert HistoryAction.EVOLVE in [e.action for e in m.history(first.id)]
    restored = m.undo(first.id, user_id="ana")
    assert "linked" not in restored.metadata["tags"]


def test_recalled_text_is_not_sent_to_the_llm(llm_memory: Build) -> None:
    llm = ScriptedLLM()
    m, _ = llm_memory(llm)
    m.add(
        {"role": "user", "content": "I live in Quito", "metadata": {"recalled": True}},
        user_id="ana",
        timestamp=T0,
    )
    assert llm.extractions == []
    assert m.get_all(user_id="ana", kinds="fact") == []


def test_llm_mode_needs_an_endpoint(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="KENNING_LLM_URL"):
        Memory(
            settings=Settings(
                db_path=tmp_path / "x.db",
                embedder="hash",
                embedding_cache_path="",
                fact_extraction="llm",
            ),
            embedder=HashEmbedder(),
        )


_SLOW_SERVER = textwrap.dedent(
    """
    import sys, time
    from kenning.testing import FakeOpenAIServer
    def slow(body):
        time.sleep(30)
        return "{}"
    server = FakeOpenAIServer(chat_responder=slow).start()
    print(server.url, flush=True)
    time.sleep(120)
    """
)


def test_killing_the_endpoint_mid_call_loses_no_episode(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-c", _SLOW_SERVER], stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        m = Memory(
            settings=Settings(
                db_path=tmp_path / "killed.db",
                embedder="hash",
                embedding_cache_path="",
                fact_extraction="llm",
                llm_url=url,
                llm_model="slow",
                llm_max_retries=1,
                llm_timeout=20,
            ),
            embedder=HashEmbedder(),
        )
        killer = threading.Timer(0.5, process.kill)
        killer.start()
        started = time.monotonic()
        result = m.add(_chat(6), user_id="ana")
        assert time.monotonic() - started < 15  # the kill, not the timeout, ended the call
        assert len(result.episodes) == 6
        assert len(m.episodes(user_id="ana")) == 6
        assert m.store.pending_episodes("ana") == []
        fact = m.get_all(user_id="ana", kinds="fact")[0]
        assert fact.metadata["extractor"] == "local"
        assert fact.metadata["llm_error"] == "connection"
        assert m.stats(user_id="ana").llm.failed == 1
        m.close()
    finally:
        process.kill()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()
