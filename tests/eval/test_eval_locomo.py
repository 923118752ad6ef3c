"""LoCoMo loader and runner, on a tiny file in the real schema and on the real file (read-only)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from kenning.errors import ValidationError
from kenning.eval.locomo import (
    LocomoTurn,
    load_locomo,
    normalize_dia_id,
    parse_evidence,
    parse_session_date,
    render_turn,
    run_locomo,
    session_messages,
)
from kenning.models import MemoryKind

SENTINEL = "ZZSENTINELZZ"
KEYS = ("recall", "any", "all", "ndcg")


def _turn(speaker: str, dia_id: str, text: str, **extra: Any) -> dict[str, Any]:
    return {"speaker": speaker, "dia_id": dia_id, "text": text, **extra}


def _tiny() -> list[dict[str, Any]]:
    conversation = {
        "speaker_a": "Ana",
        "speaker_b": "Bo",
        "session_10_date_time": "10:05 am on 3 January, 2024",
        "session_10": [_turn("Ana", "D10:1", "The violin recital went really well")],
        "session_2_date_time": "7:55 pm on 9 June, 2023",
        "session_2": [
            _turn("Bo", "D2:1", "I finally repaired the old sailboat"),
            _turn(
                "Ana",
                "D2:2",
                "Look at what I baked",
                blip_caption="a photo of a lemon tart",
                img_url=[f"http://{SENTINEL}.example/x.jpg"],
                query=f"lemon tart {SENTINEL}",
            ),
        ],
        "session_1_date_time": "1:56 pm on 8 May, 2023",
        "session_1": [
            _turn("Ana", "D1:1", "My hamster Pip escaped yesterday"),
            _turn("Bo", "D1:2", "Oh no, did you find Pip?"),
            _turn("Ana", "D1:3", "Yes, Pip was hiding behind the fridge"),
        ],
        "session_11_date_time": "1:00 pm on 1 February, 2024",  # a date with no session
    }
    qa = [
        {
            "question": "Where was Pip hiding?",
            "answer": "behind the fridge",
            "evidence": ["D1:3"],
            "category": 4,
        },
        {
            "question": "What did Bo repair and what did Ana bake?",
            "answer": "x",
            "evidence": ["D2:1; D2:02"],
            "category": 1,
        },
        {
            "question": "When was the violin recital?",
            "answer": 2024,
            "evidence": ["D10:01", "D:11:26", "D"],
            "category": 2,
        },
        {
            "question": "Who escaped?",
            "answer": "Pip",
            "evidence": ["D1:1 D9:9 D1:2"],
            "category": 3,
        },
        {"question": "Would Ana like a dog?", "answer": "maybe", "evidence": [], "category": 3},
        {
            "question": "Only malformed evidence?",
            "answer": "-",
            "evidence": ["D:11:26", "D"],
            "category": 4,
        },
        {
            "question": "What did Bo say about unicorns?",
            "adversarial_answer": "nothing",
            "evidence": ["D1:2"],
            "category": 5,
        },
    ]
    return [
        {
            "qa": qa,
            "conversation": conversation,
            "event_summary": {"events_session_1": {"Ana": [SENTINEL]}},
            "observation": {"session_1_observation": {"Ana": [[SENTINEL, "D1:1"]]}},
            "session_summary": {"session_1_summary": SENTINEL},
            "sample_id": "conv-t",
        }
    ]


@pytest.fixture
def tiny_path(tmp_path: Path) -> Path:
    path = tmp_path / "locomo_tiny.json"
    path.write_text(json.dumps(_tiny()), encoding="utf-8")
    return path


def test_parse_session_date() -> None:
    assert parse_session_date("1:56 pm on 8 May, 2023") == datetime(2023, 5, 8, 13, 56, tzinfo=UTC)
    assert parse_session_date("12:09 am on 13 September, 2023") == datetime(
        2023, 9, 13, 0, 9, tzinfo=UTC
    )
    assert parse_session_date("12:30 pm on 1 Jan, 2024") == datetime(2024, 1, 1, 12, 30, tzinfo=UTC)
    with pytest.raises(ValidationError):
        parse_session_date("yesterday")


def test_normalize_and_parse_evidence() -> None:
    assert normalize_dia_id("D30:05") == "D30:5"
    assert normalize_dia_id("D:11:26") is None
    assert normalize_dia_id("D") is None
    valid = {"D8:6", "D9:17", "D30:5", "D4:4"}
    assert parse_evidence(["D8:6; D9:17"], valid) == ("D8:6", "D9:17")
    assert parse_evidence(["D30:05"], valid) == ("D30:5",)
    assert parse_evidence(["D:11:26", "D", "D10:19"], valid) == ()
    assert parse_evidence(["D9:17 D4:4 D8:6", "D4:4"], valid) == ("D9:17", "D4:4", "D8:6")
    assert parse_evidence("D4:4", valid) == ("D4:4",)
    assert parse_evidence(None, valid) == ()


def test_render_turn_keeps_caption_in_one_format() -> None:
    assert render_turn(LocomoTurn("Ana", "Hi", "D1:1")) == "Hi"
    assert (
        render_turn(LocomoTurn("Ana", "Look", "D1:1", blip_caption="a photo of a cat"))
        == "Look [shares a photo: a photo of a cat]"
    )
    assert (
        render_turn(LocomoTurn("Ana", "", "D1:1", blip_caption="a dog"))
        == "[shares a photo: a dog]"
    )


def test_loader_orders_sessions_and_cleans_evidence(tiny_path: Path) -> None:
    (conversation,) = list(load_locomo(tiny_path))
    assert conversation.sample_id == "conv-t"
    assert conversation.speakers == ("Ana", "Bo")
    assert [s.number for s in conversation.sessions] == [1, 2, 10]
    assert [s.session_id for s in conversation.sessions] == ["session_1", "session_2", "session_10"]
    assert conversation.sessions[1].date == datetime(2023, 6, 9, 19, 55, tzinfo=UTC)
    assert conversation.sessions[1].turns[1].blip_caption == "a photo of a lemon tart"
    evidence = {q.question: q.evidence for q in conversation.questions}
    assert [q.category for q in conversation.questions] == [4, 1, 2, 3, 3, 4]  # no category 5
    assert evidence["What did Bo repair and what did Ana bake?"] == ("D2:1", "D2:2")
    assert evidence["When was the violin recital?"] == ("D10:1",)
    assert evidence["Who escaped?"] == ("D1:1", "D1:2")
    assert evidence["Only malformed evidence?"] == ()
    assert evidence["Would Ana like a dog?"] == ()
    assert conversation.questions[2].answer == "2024"


def test_session_messages_shape(tiny_path: Path) -> None:
    (conversation,) = list(load_locomo(tiny_path))
    messages = session_messages(conversation.sessions[1])
    assert messages == [
        {
            "role": "user",
            "content": "I finally repaired the old sailboat",
            "name": "Bo",
            "metadata": {"dia_id": "D2:1"},
        },
        {
            "role": "user",
            "content": "Look at what I baked [shares a photo: a photo of a lemon tart]",
            "name": "Ana",
            "metadata": {"dia_id": "D2:2"},
        },
    ]


def test_runner_feeds_only_user_visible_data(tiny_path: Path, fake_memory: Any) -> None:
    result = run_locomo(tiny_path, fake_memory)
    # one add() per session, in session order, with the session's id and date
    assert [(c.session_id, c.timestamp) for c in fake_memory.adds] == [
        ("session_1", datetime(2023, 5, 8, 13, 56, tzinfo=UTC)),
        ("session_2", datetime(2023, 6, 9, 19, 55, tzinfo=UTC)),
        ("session_10", datetime(2024, 1, 3, 10, 5, tzinfo=UTC)),
    ]
    assert {c.user_id for c in fake_memory.adds} == {"conv-t"}
    # nothing the benchmark wrote for itself reaches the system
    handed = repr([c.messages for c in fake_memory.adds]) + repr(
        [s.query for s in fake_memory.searches]
    )
    assert SENTINEL not in handed
    for call in fake_memory.adds:
        for message in call.messages:
            assert set(message) == {"role", "content", "name", "metadata"}
            assert message["role"] == "user"
            assert set(message["metadata"]) == {"dia_id"}
    # one search per question with evidence, over turns only; no category or label in it
    assert [s.query for s in fake_memory.searches] == [
        "Where was Pip hiding?",
        "What did Bo repair and what did Ana bake?",
        "When was the violin recital?",
        "Who escaped?",
    ]
    assert all(s.kinds == [MemoryKind.TURN] and s.limit == 50 for s in fake_memory.searches)
    assert all(s.user_id == "conv-t" for s in fake_memory.searches)
    assert result["config"]["questions_skipped_no_evidence"] == 2


def test_runner_output_shape_and_values(tiny_path: Path, fake_memory: Any) -> None:
    result = run_locomo(tiny_path, fake_memory, ks=(1, 5))
    assert set(result) == {
        "dataset",
        "path",
        "questions",
        "overall",
        "per_category",
        "per_conversation",
        "halves",
        "timing",
        "config",
    }
    assert list(result["per_conversation"]) == [c.sample_id for c in load_locomo(tiny_path)]
    assert sum(g["questions"] for g in result["per_conversation"].values()) == 4
    assert result["dataset"] == "locomo"
    assert result["path"] == str(tiny_path)
    assert result["questions"] == 4
    expected_keys = {f"{name}@{k}" for k in (1, 5) for name in KEYS}
    assert set(result["overall"]) == expected_keys
    assert list(result["per_category"]) == ["1", "2", "3", "4"]
    for group in result["per_category"].values():
        assert set(group) == expected_keys | {"questions"}
        assert all(0.0 <= group[key] <= 1.0 for key in expected_keys)
    # 6 turns in 3 sessions; the fake ranks "Where was Pip hiding?" -> D1:3 first (3 words shared)
    assert result["per_category"]["4"]["recall@1"] == 1.0
    assert result["per_category"]["4"]["ndcg@1"] == 1.0
    # "When was the violin recital?" shares three words with its only gold turn, D10:1
    assert result["per_category"]["2"]["any@5"] == 1.0
    assert result["per_category"]["1"]["questions"] == 1
    timing = result["timing"]
    assert timing["turns"] == 6
    assert timing["queries"] == 4
    assert timing["ingest_seconds"] >= 0.0 and timing["query_ms_p95"] >= timing["query_ms_p50"]
    config = result["config"]
    assert config["ks"] == [1, 5] and config["limit"] == 5 and config["kinds"] == ["turn"]
    assert {"kenning_version", "git_revision"} <= set(config)
    json.dumps(result)  # JSON-ready


def test_runner_progress_and_limit(tiny_path: Path, fake_memory: Any) -> None:
    data = _tiny() * 2
    data[1] = {**data[1], "sample_id": "conv-u"}
    path = tiny_path.with_name("two.json")
    path.write_text(json.dumps(data), encoding="utf-8")
    calls: list[tuple[int, int]] = []
    result = run_locomo(
        path, fake_memory, limit_conversations=1, progress=lambda d, t: calls.append((d, t))
    )
    assert calls == [(1, 1)]
    assert {c.user_id for c in fake_memory.adds} == {"conv-t"}
    assert result["config"]["conversations"] == 1


def test_real_file_counts(locomo_file: Path) -> None:
    # locomo_file skips when the shared data is missing (fails under CI): tests/eval/conftest.py
    conversations = list(load_locomo(locomo_file))
    assert len(conversations) == 10
    assert sum(len(c.sessions) for c in conversations) == 272
    assert sum(len(s.turns) for c in conversations for s in c.sessions) == 5882
    questions = [q for c in conversations for q in c.questions]
    assert len(questions) == 282 + 321 + 96 + 841
    assert sum(1 for q in questions if not q.evidence) == 4
    for conversation in conversations:
        ids = conversation.turn_ids
        assert all(e in ids for q in conversation.questions for e in q.evidence)
        assert all(s.date is not None for s in conversation.sessions)
    conv50 = next(c for c in conversations if c.sample_id == "conv-50")
    assert any("D30:5" in q.evidence for q in conv50.questions)


def test_runner_answers_every_question_under_each_variant(
    tiny_path: Path, fake_memory: Any
) -> None:
    variants = {"default": {}, "no graph": {"graph": False}, "bare": {"graph": False, "prf": False}}
    result = run_locomo(tiny_path, fake_memory, variants=variants)
    questions = result["questions"]
    assert len(fake_memory.searches) == 3 * questions  # default, then each variant
    assert fake_memory.configured == [
        {"graph": False},
        {"graph": True},
        {"graph": False, "prf": False},
        {"graph": True, "prf": True},
    ]
    assert fake_memory.settings == {"graph": True, "prf": True}  # restored
    ablation = result["ablation"]
    assert list(ablation) == ["default", "no graph", "bare"]
    assert ablation["default"]["overall"] == result["overall"]
    assert ablation["bare"]["changes"] == {"graph": False, "prf": False}
    for variant in ablation.values():
        assert set(variant["overall"]) == set(result["overall"])
        assert set(variant["halves"]) <= {"dev", "test"}
        assert set(variant["per_category"]) == set(result["per_category"])


def test_context_budget_reports_block_recall_beside_the_top_10(tiny_path: Path) -> None:
    from kenning import Memory, Settings
    from kenning.testing import HashEmbedder

    with Memory(
        ":memory:",
        settings=Settings(embedder="hash", embedding_cache_path=""),  # type: ignore[arg-type]
        embedder=HashEmbedder(),
    ) as memory:
        small = run_locomo(tiny_path, memory, context_budget=20)
        large = run_locomo(tiny_path, memory, context_budget=4000)
    for result in (small, large):
        context = result["context"]
        assert context["questions"] == result["questions"]
        assert context["top10_any"] == pytest.approx(result["overall"]["any@10"], abs=1e-4)
        assert context["mean_tokens"] <= context["budget_tokens"]
    # A budget holding the whole tiny conversation holds every question's evidence.
    assert large["context"]["block_any"] == 1.0
    assert small["context"]["mean_items"] < large["context"]["mean_items"]


def test_context_budget_needs_a_memory_that_builds_blocks(
    tiny_path: Path, fake_memory: Any
) -> None:
    with pytest.raises(TypeError, match="context"):
        run_locomo(tiny_path, fake_memory, context_budget=1000)
