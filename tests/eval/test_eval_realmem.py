"""RealMem: the loader reads only what a chat application has, each query sees only the
history before it, and the scorer reads the gold."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from kenning.errors import ValidationError
from kenning.eval import load_realmem, run_realmem
from kenning.models import MemoryKind

# Values of every field the engine must not read: none may reach it.
FORBIDDEN = {
    "extracted_memory": ["LEAK-EXTRACTED"],
    "session_identifier": "LEAK-PROJECT",
}
TURN_FORBIDDEN = {
    "query_id": "LEAK-QID",
    "topic": "LEAK-TOPIC",
    "category_name": "LEAK-CATEGORY",
    "session_type": "LEAK-TYPE",
    "memory_used": ["LEAK-USED"],
    "memory_session_uuids": ["LEAK-UUIDS"],
}


def _turn(speaker: str, content: str, *, query: bool = False) -> dict[str, Any]:
    return {"speaker": speaker, "content": content, "is_query": query, **TURN_FORBIDDEN}


def _write(folder: Path) -> None:
    sessions = [
        {
            "session_uuid": "aaaa0001",
            "current_time": "2025-01-05 (Sunday)",
            "dialogue_turns": [
                _turn("User", "Plan my garden: tomatoes and basil"),
                _turn("Assistant", "Plant the tomatoes in April, basil beside them"),
            ],
            **FORBIDDEN,
        },
        {
            "session_uuid": "aaaa0002",
            "current_time": "2025-02-01 (Saturday)",
            "dialogue_turns": [
                _turn("User", "My trip to Lisbon is in May"),
                _turn("User", "When should I plant the tomatoes again?", query=True),
                _turn("Assistant", "In April, as we planned"),
                _turn("User", "What is the date of the Lisbon trip?", query=True),
            ],
            **FORBIDDEN,
        },
    ]
    (folder / "dataset").mkdir(parents=True)
    (folder / "dataset" / "Ana_dialogues_256k.json").write_text(
        json.dumps({"_metadata": {"person_name": "Ana"}, "dialogues": sessions})
    )
    queries = [
        {
            "file": "Ana_dialogues_256k.json",
            "person": "Ana",
            "query_id": "Q-2",
            "query_session_uuid": "aaaa0002",
            "query_turn_index": 3,
            "question": "What is the date of the Lisbon trip?",
            "category": "recall",
            "gold_session_uuids": ["aaaa0002"],
            "gold_turns": [["aaaa0002", 0]],
        },
        {
            "file": "Ana_dialogues_256k.json",
            "person": "Ana",
            "query_id": "Q-1",
            "query_session_uuid": "aaaa0002",
            "query_turn_index": 1,
            "question": "When should I plant the tomatoes again?",
            "category": "planning",
            "gold_session_uuids": ["aaaa0001"],
            "gold_turns": [["aaaa0001", 1]],
        },
    ]
    (folder / "realmem_queries_derived.json").write_text(json.dumps(queries))


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    _write(tmp_path / "realmem")
    return tmp_path / "realmem"


def test_each_query_sees_only_what_came_before_it(folder: Path, fake_memory: Any) -> None:
    result = run_realmem(folder, fake_memory, ks=(1, 3))
    # Queries in the order asked: Q-1 (turn 1 of session 2) before Q-2 (turn 3).
    first, second = fake_memory.searches[0], fake_memory.searches[2]
    assert first.query.startswith("When should I plant") and second.query.startswith("What is")
    contents = [[m["content"] for m in call.messages] for call in fake_memory.adds]
    assert contents == [
        ["Plan my garden: tomatoes and basil", "Plant the tomatoes in April, basil beside them"],
        ["My trip to Lisbon is in May"],  # before Q-1: the first turn of its session only
        ["When should I plant the tomatoes again?", "In April, as we planned"],  # before Q-2
    ]
    roles = [m["role"] for call in fake_memory.adds for m in call.messages]
    assert roles == ["user", "assistant", "user", "user", "assistant"]
    assert [call.session_id for call in fake_memory.adds] == ["aaaa0001", "aaaa0002", "aaaa0002"]
    assert {(s.kinds[0], s.limit) for s in fake_memory.searches} == {
        (MemoryKind.SESSION, 3),
        (MemoryKind.TURN, 3),
    }
    assert result["questions"] == 2
    assert set(result["per_category"]["turn"]) == {"planning", "recall"}
    assert result["turn"]["recall_any@3"] == 1.0  # both gold turns rank in the top 3 here


def test_no_field_the_engine_must_not_read_reaches_it(folder: Path, fake_memory: Any) -> None:
    run_realmem(folder, fake_memory)
    seen = repr(fake_memory.adds) + repr(fake_memory.searches)
    assert "LEAK" not in seen
    assert "is_query" not in seen and "Q-1" not in seen


def test_a_query_in_an_unknown_session_is_refused(folder: Path) -> None:
    queries = json.loads((folder / "realmem_queries_derived.json").read_text())
    queries[0]["query_session_uuid"] = "nope"
    (folder / "realmem_queries_derived.json").write_text(json.dumps(queries))
    with pytest.raises(ValidationError, match="no session"):
        load_realmem(folder)


def test_variants_answer_every_query_at_the_same_point(folder: Path, fake_memory: Any) -> None:
    result = run_realmem(folder, fake_memory, ks=(1, 3), variants={"no graph": {"graph": False}})
    assert len(fake_memory.adds) == 3  # ingested once
    assert len(fake_memory.searches) == 8  # 2 queries x 2 levels x 2 variants
    assert {"graph": False} in fake_memory.configured
    assert set(result["ablation"]) == {"default", "no graph"}
    assert result["ablation"]["default"]["overall"]["turn recall_any@3"] == 1.0
