"""HippoRAG loaders (HippoRAG 2 sample, legacy MuSiQue and HotpotQA) and runner, read-only data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from kenning.errors import ValidationError
from kenning.eval.hipporag import (
    UNMATCHED_PREFIX,
    CorpusIndex,
    GoldPassage,
    HippoQuestion,
    Passage,
    load_hipporag_corpus,
    load_hipporag_questions,
    passage_messages,
    run_hipporag,
)
from kenning.models import MemoryKind

# Tests on the real files take the ``hipporag_dir`` fixture (tests/eval/conftest.py): it
# skips when the shared data is missing, and fails instead under CI.


def test_sample_format(hipporag_dir: Path) -> None:
    corpus = load_hipporag_corpus(hipporag_dir / "sample_corpus.json")
    assert [p.idx for p in corpus] == [0, 1, 2]
    assert corpus[0].title == "Thomas C. Sudhof"
    assert corpus[0].content.startswith("Thomas C. Sudhof\nIntroduction\n")
    (question,) = load_hipporag_questions(hipporag_dir / "sample.json")
    assert question.question_id == "sample/question_1.json"
    assert question.answers == ("Thomas C. Sudhof",)
    assert [g.title for g in question.gold] == ["Thomas C. Sudhof"]
    assert CorpusIndex(corpus).gold_keys(question) == (frozenset({"0"}), 0)


def test_sample_run(hipporag_dir: Path, fake_memory: Any) -> None:
    result = run_hipporag(
        hipporag_dir / "sample.json", hipporag_dir / "sample_corpus.json", fake_memory
    )
    assert set(result) == {
        "dataset",
        "path",
        "corpus_path",
        "questions",
        "overall",
        "timing",
        "config",
    }
    assert result["dataset"] == "hipporag"
    assert result["questions"] == 1
    assert set(result["overall"]) == {"recall@2", "recall@5"}
    assert result["overall"]["recall@5"] == 1.0  # only three passages
    (call,) = fake_memory.adds
    assert call.user_id == "hipporag" and call.session_id is None and call.timestamp is None
    assert [m["metadata"] for m in call.messages] == [
        {"idx": 0, "title": "Thomas C. Sudhof"},
        {"idx": 1, "title": "David Eagleman"},
        {"idx": 2, "title": "Karl Deisseroth"},
    ]
    assert all(m["role"] == "document" for m in call.messages)
    (search,) = fake_memory.searches
    assert search.kinds == [MemoryKind.DOCUMENT] and search.limit == 5
    assert search.query == "Which Stanford University professor works on Alzheimer's?"
    assert result["timing"]["passages"] == 3
    assert result["config"]["gold_unmatched"] == 0
    json.dumps(result)


def test_legacy_musique_format(hipporag_dir: Path) -> None:
    corpus = load_hipporag_corpus(hipporag_dir / "musique_train_corpus.json")
    assert len(corpus) == 1890
    assert [p.idx for p in corpus[:3]] == [0, 1, 2]  # no idx in the file: positions
    questions = load_hipporag_questions(hipporag_dir / "musique_train.json")
    assert len(questions) == 100
    first = questions[0]
    assert first.question_id == "2hop__150763_14904"
    assert [g.title for g in first.gold] == ["Journal of Psychotherapy Integration", "Adolescence"]
    assert all(g.text for g in first.gold)
    index = CorpusIndex(corpus)
    # "Adolescence" has several passages in the corpus: the text decides which one is gold
    keys, unmatched = index.gold_keys(first)
    assert unmatched == 0 and len(keys) == 2
    by_key = {p.key: p for p in corpus}
    assert {by_key[k].text for k in keys} == {g.text for g in first.gold}
    assert sum(index.gold_keys(q)[1] for q in questions) == 0
    assert {len(q.gold) for q in questions} <= {2, 3, 4}


def test_legacy_hotpotqa_format(hipporag_dir: Path) -> None:
    corpus = load_hipporag_corpus(hipporag_dir / "hotpotqa_train_corpus.json")
    assert len(corpus) == 994
    assert corpus[0].title == "Demon Dice"
    assert corpus[0].text.startswith("Demon Dice, originally published as Chaos Progenitus")
    questions = load_hipporag_questions(hipporag_dir / "hotpotqa_train.json")
    first = questions[0]
    assert first.question_id == "5a77ec115542992a6e59dff7"
    assert [g.title for g in first.gold] == ["Alû", "Lilu (mythology)"]
    index = CorpusIndex(corpus)
    assert all(len(q.gold) == 2 for q in questions)
    assert sum(index.gold_keys(q)[1] for q in questions) == 0
    # the joined context sentences are the corpus text exactly
    keys, _ = index.gold_keys(first)
    assert {next(p.text for p in corpus if p.key == k) for k in keys} == {
        g.text for g in first.gold
    }


def test_run_on_legacy_musique_subset(hipporag_dir: Path, fake_memory: Any) -> None:
    result = run_hipporag(
        hipporag_dir / "musique_train.json",
        hipporag_dir / "musique_train_corpus.json",
        fake_memory,
        limit_questions=3,
        batch_size=500,
    )
    assert [len(c.messages) for c in fake_memory.adds] == [500, 500, 500, 390]
    assert len(fake_memory.searches) == 3
    assert result["questions"] == 3
    assert all(0.0 <= v <= 1.0 for v in result["overall"].values())
    assert result["overall"]["recall@2"] <= result["overall"]["recall@5"]
    assert result["config"]["corpus_passages"] == 1890


def test_hand_made_recall_and_unmatched_gold(tmp_path: Path, fake_memory: Any) -> None:
    corpus = [
        {"title": "Alpha", "text": "Alpha is a lighthouse on the northern cliff.", "idx": 10},
        {"title": "Beta", "text": "Beta is a bakery near the harbour.", "idx": 11},
        {"title": "Gamma", "text": "Gamma is a library with old maps.", "idx": 12},
    ]
    questions = [
        {
            "id": "q1",
            "question": "Which lighthouse stands on the northern cliff?",
            "answer": "Alpha",
            "paragraphs": [
                {
                    "title": "Alpha",
                    "text": "Alpha is a lighthouse on the northern cliff.",
                    "is_supporting": True,
                },
                {"title": "Delta", "text": "Delta is not in the corpus.", "is_supporting": True},
                {
                    "title": "Beta",
                    "text": "Beta is a bakery near the harbour.",
                    "is_supporting": False,
                },
            ],
        },
        {"id": "q2", "question": "Nothing supports this", "answer": "-", "paragraphs": []},
    ]
    (tmp_path / "c.json").write_text(json.dumps(corpus), encoding="utf-8")
    (tmp_path / "q.json").write_text(json.dumps(questions), encoding="utf-8")
    result = run_hipporag(tmp_path / "q.json", tmp_path / "c.json", fake_memory, ks=(1, 2))
    # Alpha retrieved first; Delta can never be retrieved but stays in the denominator
    assert result["overall"] == {"recall@1": 0.5, "recall@2": 0.5}
    assert result["questions"] == 1
    assert result["config"]["questions_skipped_no_gold"] == 1
    assert result["config"]["gold_unmatched"] == 1


def test_corpus_index_fallbacks() -> None:
    passages = [
        Passage(0, "Same", "first text"),
        Passage(1, "Same", "second text"),
        Passage(2, "Unique", "some   spaced\ntext"),
    ]
    index = CorpusIndex(passages)
    assert index.key(GoldPassage("Same", "second text")) == "1"
    assert index.key(GoldPassage("Unique", "some spaced text")) == "2"  # whitespace-normalised
    assert index.key(GoldPassage("Unique", None)) == "2"  # title only, unique
    assert index.key(GoldPassage("Same", None)) is None  # ambiguous title
    keys, unmatched = index.gold_keys(HippoQuestion("q", "?", (GoldPassage("Nope", "x"),)))
    assert unmatched == 1 and all(k.startswith(UNMATCHED_PREFIX) for k in keys)


def test_supporting_facts_and_contexts_formats(tmp_path: Path) -> None:
    data = [
        {
            "_id": "h1",
            "question": "q?",
            "answer": "a",
            "supporting_facts": [["T1", 0], ["T2", 1], ["T1", 2]],
            "context": [["T1", ["One.", " Two."]], ["T2", ["Three.", " Four."]], ["T3", ["x"]]],
        },
        {
            "question": "nq?",
            "answer": ["b"],
            "contexts": [
                {"title": "C1", "text": "c one", "is_supporting": True},
                {"title": "C2", "text": "c two", "is_supporting": False},
            ],
        },
    ]
    path = tmp_path / "q.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    hotpot, nq = load_hipporag_questions(path)
    assert hotpot.question_id == "h1"
    assert hotpot.gold == (GoldPassage("T1", "One. Two."), GoldPassage("T2", "Three. Four."))
    assert nq.question_id == "q1"
    assert nq.gold == (GoldPassage("C1", "c one"),)
    assert nq.answers == ("b",)


def test_bad_inputs(tmp_path: Path, fake_memory: Any) -> None:
    path = tmp_path / "q.json"
    path.write_text(json.dumps([{"question": "no gold fields"}]), encoding="utf-8")
    with pytest.raises(ValidationError):
        load_hipporag_questions(path)
    corpus = tmp_path / "c.json"
    corpus.write_text(
        json.dumps([{"title": "a", "text": "x", "idx": 1}, {"title": "b", "text": "y", "idx": 1}])
    )
    with pytest.raises(ValidationError):
        load_hipporag_corpus(corpus)
    with pytest.raises(ValidationError):
        run_hipporag(path, corpus, fake_memory, batch_size=0)


def test_passage_messages_skip_empty() -> None:
    messages = passage_messages([Passage(0, "", ""), Passage(1, "T", "text")])
    assert messages == [
        {"role": "document", "content": "T\ntext", "metadata": {"idx": 1, "title": "T"}}
    ]
