"""Subgoal summaries by the configured LLM (a local OpenAI-compatible server with scripted
answers), with the extraction path's fallback: a failed call falls back to the extractive
summary and is recorded."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from kenning import Memory, Settings, StepKind, TaskMemory
from kenning.testing import FakeOpenAIServer, HashEmbedder, ScriptedFailure


def _memory(location: str, server: FakeOpenAIServer) -> Memory:
    return Memory(
        location,
        settings=Settings(
            embedder="hash",  # type: ignore[arg-type]
            embedding_cache_path="",  # type: ignore[arg-type]
            fact_extraction="llm",  # type: ignore[arg-type]
            llm_url=server.url,
            llm_model="scripted",
            llm_max_retries=0,
        ),
        embedder=HashEmbedder(),
    )


def _subgoal(tm: TaskMemory) -> tuple[str, str]:
    task = tm.start("Fix the flaky build", user_id="u")
    sub = tm.open_subgoal(task.id, "Find the failing test", user_id="u")
    tm.record(
        task.id,
        "run pytest -x",
        user_id="u",
        kind=StepKind.TOOL_CALL,
        data={"result": "tests/test_io.py::test_read failed"},
    )
    tm.record(task.id, "it reads a file another test deletes", user_id="u", kind="observation")
    return task.id, sub.id


def test_the_llm_writes_the_summary(new_database: Callable[[], str]) -> None:
    seen: list[str] = []

    def reply(body: dict[str, object]) -> str:
        prompt = json.dumps(body["messages"])
        seen.append(prompt)
        return json.dumps({"summary": "test_read fails: test_cleanup deletes its file first."})

    with FakeOpenAIServer(chat_responder=reply) as server, _memory(new_database(), server) as m:
        tm = TaskMemory(m)
        _, sub = _subgoal(tm)
        closed = tm.close_subgoal(sub, user_id="u")
        usage = m.stats(user_id="u").llm
    assert closed.summary == "test_read fails: test_cleanup deletes its file first."
    assert len(seen) == 1 and "tests/test_io.py::test_read failed" in seen[0]
    assert usage.calls == 1 and usage.failed == 0


def test_a_failed_call_falls_back_to_the_extractive_summary(
    new_database: Callable[[], str], tmp_path: Path
) -> None:
    with FakeOpenAIServer() as server, _memory(new_database(), server) as m:
        server.queue_chat(ScriptedFailure(status=500))
        tm = TaskMemory(m)
        _, sub = _subgoal(tm)
        closed = tm.close_subgoal(sub, user_id="u")
        usage = m.stats(user_id="u").llm
    assert closed.summary == "run pytest -x -> tests/test_io.py::test_read failed"
    assert usage.calls == 1 and usage.failed == 1
