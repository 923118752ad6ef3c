"""LongMemEval format: synthetic sample generator, loader, gold derivation and runner."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from kenning.errors import ValidationError
from kenning.eval.longmemeval import (
    LONGMEMEVAL_KS,
    gold_sessions,
    gold_turns,
    load_longmemeval,
    parse_longmemeval_date,
    run_longmemeval,
    session_messages,
    turn_id,
)
from kenning.eval.synthetic import write_sample_longmemeval
from kenning.models import MemoryKind

METRICS = ("recall_any", "recall_all", "ndcg_any")


def _hand_made() -> list[dict[str, Any]]:
    return [
        {
            "question_id": "q1",
            "question_type": "single-session-user",
            "question": "What colour is my new bicycle?",
            "answer": "teal",
            "question_date": "2023/06/01 (Thu) 10:00",
            "haystack_session_ids": ["sharegpt_aa_1", "answer_q1_1", "answer_q1_2"],
            "haystack_dates": [
                "2023/05/20 (Sat) 02:21",
                "2023/05/21 (Sun) 14:05",
                "2023/05/22 (Mon) 09:00",
            ],
            "haystack_sessions": [
                [
                    {"role": "user", "content": "Any tips for baking sourdough?"},
                    {"role": "assistant", "content": "Feed the starter daily."},
                ],
                [
                    {"role": "user", "content": "Hello there", "has_answer": False},
                    {"role": "assistant", "content": "Hi! How can I help?", "has_answer": False},
                    {
                        "role": "user",
                        "content": "My new bicycle is teal and I love the colour",
                        "has_answer": True,
                    },
                    {
                        "role": "assistant",
                        "content": "Teal is a lovely colour for a bicycle!",
                        "has_answer": False,
                    },
                    {"role": "user", "content": "   ", "has_answer": False},
                ],
                [
                    # an answer session without evidence: not gold (official "noans")
                    {
                        "role": "user",
                        "content": "What is the weather like on Mars?",
                        "has_answer": False,
                    },
                    {"role": "assistant", "content": "Cold and dusty.", "has_answer": False},
                ],
            ],
            "answer_session_ids": ["answer_q1_1", "answer_q1_2"],
        },
        {
            "question_id": "q1_abs",
            "question_type": "single-session-user",
            "question": "What colour is my new car?",
            "answer": "not mentioned",
            "question_date": "2023/06/01 (Thu) 10:00",
            "haystack_session_ids": ["answer_q1_1"],
            "haystack_dates": ["2023/05/21 (Sun) 14:05"],
            "haystack_sessions": [
                [{"role": "user", "content": "ABSTENTION HAYSTACK", "has_answer": True}]
            ],
            "answer_session_ids": ["answer_q1_1"],
        },
    ]


@pytest.fixture
def hand_path(tmp_path: Path) -> Path:
    path = tmp_path / "lme.json"
    path.write_text(json.dumps(_hand_made()), encoding="utf-8")
    return path


def test_parse_date() -> None:
    assert parse_longmemeval_date("2023/05/20 (Sat) 02:21") == datetime(
        2023, 5, 20, 2, 21, tzinfo=UTC
    )
    assert parse_longmemeval_date("2023/5/2 14:00") == datetime(2023, 5, 2, 14, 0, tzinfo=UTC)
    with pytest.raises(ValidationError):
        parse_longmemeval_date("May 20")


def test_turn_ids_count_every_turn_from_one() -> None:
    assert turn_id("answer_q1_1", 0) == "answer_q1_1_1"
    assert turn_id("answer_q1_1", 2) == "answer_q1_1_3"


def test_loader_and_gold(hand_path: Path) -> None:
    first, abstention = load_longmemeval(hand_path)
    assert not first.is_abstention and abstention.is_abstention
    assert first.question_date == datetime(2023, 6, 1, 10, 0, tzinfo=UTC)
    assert [s.session_id for s in first.sessions] == ["sharegpt_aa_1", "answer_q1_1", "answer_q1_2"]
    assert first.sessions[1].date == datetime(2023, 5, 21, 14, 5, tzinfo=UTC)
    assert first.sessions[0].turns[0].has_answer is None
    assert gold_sessions(first) == {"answer_q1_1"}
    assert gold_turns(first) == {"answer_q1_1_3"}  # third turn of the session (assistant counted)


def test_session_messages_are_user_turns_with_official_ids(hand_path: Path) -> None:
    first, _ = load_longmemeval(hand_path)
    assert session_messages(first.sessions[1]) == [
        {"role": "user", "content": "Hello there", "metadata": {"turn_id": "answer_q1_1_1"}},
        {
            "role": "user",
            "content": "My new bicycle is teal and I love the colour",
            "metadata": {"turn_id": "answer_q1_1_3"},
        },
    ]


def test_loader_rejects_mismatched_haystack(tmp_path: Path) -> None:
    data = _hand_made()
    data[0]["haystack_dates"] = data[0]["haystack_dates"][:1]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ValidationError):
        load_longmemeval(path)


def test_runner_on_hand_made_file(hand_path: Path, fake_memory: Any) -> None:
    result = run_longmemeval(hand_path, fake_memory)
    # the abstention question is neither ingested nor searched
    assert {c.user_id for c in fake_memory.adds} == {"q1"}
    assert {s.user_id for s in fake_memory.searches} == {"q1"}
    assert "ABSTENTION HAYSTACK" not in repr([c.messages for c in fake_memory.adds])
    # Opaque session ids: the released ones begin with "answer_" for the evidence sessions.
    assert [(c.session_id, c.timestamp) for c in fake_memory.adds] == [
        ("s0", datetime(2023, 5, 20, 2, 21, tzinfo=UTC)),
        ("s1", datetime(2023, 5, 21, 14, 5, tzinfo=UTC)),
        ("s2", datetime(2023, 5, 22, 9, 0, tzinfo=UTC)),
    ]
    assert "answer" not in repr(fake_memory.adds)  # no evidence label in any field it got
    for call in fake_memory.adds:
        for message in call.messages:
            assert message["role"] == "user"
            assert set(message) == {"role", "content", "metadata"}  # no has_answer key
            assert set(message["metadata"]) == {"turn_id"}
    assert [(s.kinds, s.limit) for s in fake_memory.searches] == [
        ([MemoryKind.SESSION], 50),
        ([MemoryKind.TURN], 50),
    ]
    # Asked at the question's date ("10 days ago" counts from there), not at the last session's.
    asked = datetime(2023, 6, 1, 10, 0, tzinfo=UTC)
    assert [s.now for s in fake_memory.searches] == [asked, asked]
    assert set(result) == {
        "dataset",
        "path",
        "questions",
        "session",
        "turn",
        "per_type",
        "timing",
        "config",
    }
    assert result["dataset"] == "longmemeval"
    assert result["questions"] == 1
    keys = {f"{m}@{k}" for k in LONGMEMEVAL_KS for m in METRICS}
    assert set(result["session"]) == keys and set(result["turn"]) == keys
    # the fake ranks the bicycle session first (most shared words) and the bicycle turn first
    assert result["session"]["recall_any@1"] == 1.0
    assert result["session"]["ndcg_any@1"] == 1.0
    assert result["turn"]["recall_all@1"] == 1.0
    assert result["per_type"] == {
        "single-session-user": {
            "session": result["session"],
            "turn": result["turn"],
            "questions": 1,
        }
    }
    assert result["config"]["skipped"] == {"abstention": 1, "no_gold_session": 0, "no_gold_turn": 0}
    assert result["timing"]["turns"] == 4  # 1 + 2 + 1 non-empty user turns
    json.dumps(result)


def test_runner_scores_a_miss(hand_path: Path, fake_memory: Any) -> None:
    data = _hand_made()[:1]
    data[0]["question"] = "Any tips for the sourdough starter?"
    hand_path.write_text(json.dumps(data), encoding="utf-8")
    result = run_longmemeval(hand_path, fake_memory, ks=(1, 2, 3))
    # sessions ranked: sharegpt_aa_1 (4 shared words, not gold), answer_q1_1 and answer_q1_2
    # (one shared word, "the"; tie kept in insertion order): the gold session is at rank 2
    assert result["session"]["recall_any@1"] == 0.0
    assert result["session"]["recall_any@2"] == 1.0
    # LongMemEval's DCG does not discount rank 2, so ndcg_any is 1.0 there
    assert result["session"]["ndcg_any@2"] == 1.0
    assert result["session"]["ndcg_any@1"] == 0.0


def test_sample_generator_is_deterministic_and_well_formed(tmp_path: Path) -> None:
    first = write_sample_longmemeval(tmp_path / "a.json", n_questions=6, seed=3)
    second = write_sample_longmemeval(tmp_path / "b.json", n_questions=6, seed=3)
    other = write_sample_longmemeval(tmp_path / "c.json", n_questions=6, seed=4)
    assert first.read_bytes() == second.read_bytes()
    assert first.read_bytes() != other.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "a.json",
        "b.json",
        "c.json",
    ]  # no temp left
    questions = load_longmemeval(first)
    assert len(questions) == 6
    assert len({q.question_id for q in questions}) == 6
    assert [q.is_abstention for q in questions] == [False] * 5 + [True]
    raw = json.loads(first.read_text(encoding="utf-8"))
    required = {
        "question_id",
        "question_type",
        "question",
        "answer",
        "question_date",
        "haystack_session_ids",
        "haystack_dates",
        "haystack_sessions",
        "answer_session_ids",
    }
    for record, question in zip(raw, questions, strict=True):
        assert required <= set(record)
        assert 6 <= len(question.sessions) <= 10
        dates = [s.date for s in question.sessions]
        assert all(d is not None for d in dates) and dates == sorted(dates)  # type: ignore[type-var]
        assert question.question_date is not None and question.question_date > dates[-1]  # type: ignore[operator]
        assert set(question.answer_session_ids) <= {s.session_id for s in question.sessions}
        assert gold_sessions(question) == set(question.answer_session_ids)
        assert len(gold_turns(question)) == len(question.answer_session_ids)
        for session in question.sessions:
            assert [t.role for t in session.turns] == ["user", "assistant"] * (
                len(session.turns) // 2
            )


def test_sample_generator_needs_room_for_an_abstention(tmp_path: Path) -> None:
    with pytest.raises(ValidationError):
        write_sample_longmemeval(tmp_path / "x.json", n_questions=1, seed=0)


def test_runner_on_sample(tmp_path: Path, fake_memory: Any) -> None:
    path = write_sample_longmemeval(tmp_path / "sample.json", n_questions=8, seed=11)
    calls: list[tuple[int, int]] = []
    result = run_longmemeval(path, fake_memory, progress=lambda d, t: calls.append((d, t)))
    assert calls[-1] == (8, 8)
    assert result["questions"] == 7
    assert sum(group["questions"] for group in result["per_type"].values()) == 7
    for level in ("session", "turn"):
        assert all(0.0 <= v <= 1.0 for v in result[level].values())
        for k in LONGMEMEVAL_KS:
            assert result[level][f"recall_all@{k}"] <= result[level][f"recall_any@{k}"]
    # searched scopes are exactly the non-abstention questions
    assert len({s.user_id for s in fake_memory.searches}) == 7
    assert not any(s.user_id.endswith("_abs") for s in fake_memory.searches)

    limited = run_longmemeval(path, fake_memory, limit_questions=2)
    assert limited["questions"] == 2


def test_a_gzip_file_loads_as_its_json(hand_path: Path, tmp_path: Path) -> None:
    packed = tmp_path / "longmemeval_s_cleaned.json.gz"
    packed.write_bytes(gzip.compress(hand_path.read_bytes()))
    assert load_longmemeval(packed) == load_longmemeval(hand_path)
    broken = tmp_path / "broken.json.gz"
    broken.write_bytes(gzip.compress(hand_path.read_bytes())[:40])
    with pytest.raises(ValidationError, match="cannot read"):
        load_longmemeval(broken)
