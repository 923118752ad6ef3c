"""Metrics pinned by hand-computed cases and by a port of LongMemEval's official code."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from kenning.errors import ValidationError
from kenning.eval.metrics import (
    Scored,
    all_at_k,
    any_at_k,
    ndcg_any_at_k,
    ndcg_at_k,
    recall_all_at_k,
    recall_any_at_k,
    recall_at_k,
    summarize,
)

RANKED = ["a", "x", "b", "y"]
GOLD = {"a", "b", "c"}


@pytest.mark.parametrize(("k", "expected"), [(1, 1 / 3), (2, 1 / 3), (3, 2 / 3), (10, 2 / 3)])
def test_recall_at_k_is_fraction_of_gold_in_top_k(k: int, expected: float) -> None:
    assert recall_at_k(RANKED, GOLD, k) == pytest.approx(expected)


def test_any_and_all_at_k() -> None:
    assert any_at_k(RANKED, GOLD, 1) == 1.0
    assert any_at_k(["x", "a"], GOLD, 1) == 0.0
    assert all_at_k(RANKED, GOLD, 4) == 0.0
    assert all_at_k(["b", "a", "c"], GOLD, 3) == 1.0
    assert all_at_k(["b", "a", "c"], GOLD, 2) == 0.0


def test_ndcg_gold_at_ranks_one_and_three() -> None:
    # DCG = 1/log2(2) + 1/log2(4) = 1.5; IDCG (2 gold) = 1 + 1/log2(3) = 1.63093
    assert ndcg_at_k(["a", "x", "b"], {"a", "b"}, 3) == pytest.approx(1.5 / (1 + 1 / math.log2(3)))
    assert ndcg_at_k(["a", "x", "b"], {"a", "b"}, 3) == pytest.approx(0.919720, abs=1e-6)
    # at k=1 only one gold can fit: ideal is one gold at rank 1
    assert ndcg_at_k(["a", "x", "b"], {"a", "b"}, 1) == 1.0


def test_ndcg_single_gold_at_rank_two() -> None:
    assert ndcg_at_k(["x", "a"], {"a"}, 5) == pytest.approx(1 / math.log2(3))


def test_ndcg_ideal_is_capped_at_k() -> None:
    assert ndcg_at_k(["a", "b"], {"a", "b", "c"}, 2) == pytest.approx(1.0)
    assert ndcg_at_k(["x", "y"], {"a"}, 2) == 0.0


def test_repeated_ids_count_once() -> None:
    # rels [1, 0]: the second "a" is not a new relevant item
    assert ndcg_at_k(["a", "a", "b"], {"a", "b"}, 2) == pytest.approx(1 / (1 + 1 / math.log2(3)))
    assert recall_at_k(["a", "a"], {"a", "b"}, 2) == 0.5


def test_longmemeval_ndcg_gold_at_ranks_one_and_three() -> None:
    # LongMemEval's DCG: rel_1 + sum_{i>=2} rel_i / log2(i)
    # DCG = 1 + 1/log2(3) = 1.63093; IDCG = 1 + 1/log2(2) = 2
    value = ndcg_any_at_k(["a", "x", "b"], {"a", "b"}, 3)
    assert value == pytest.approx((1 + 1 / math.log2(3)) / 2)
    assert value == pytest.approx(0.815465, abs=1e-6)


def test_longmemeval_ndcg_does_not_discount_rank_two() -> None:
    assert ndcg_any_at_k(["x", "a"], {"a"}, 5) == 1.0
    assert ndcg_at_k(["x", "a"], {"a"}, 5) < 1.0


def test_longmemeval_recalls_match_any_and_all() -> None:
    for k in (1, 2, 3, 4):
        assert recall_any_at_k(RANKED, GOLD, k) == any_at_k(RANKED, GOLD, k)
        assert recall_all_at_k(RANKED, GOLD, k) == all_at_k(RANKED, GOLD, k)


def _official_dcg(relevances: list[int], k: int) -> float:
    # Port of dcg() in xiaowu0162/LongMemEval src/retrieval/eval_utils.py
    rel = np.asarray(relevances, dtype=float)[:k]
    if rel.size:
        return float(rel[0] + np.sum(rel[1:] / np.log2(np.arange(2, rel.size + 1))))
    return 0.0


def _official(
    rankings: list[int], correct: list[str], corpus_ids: list[str], k: int
) -> tuple[float, float, float]:
    # Port of evaluate_retrieval() / ndcg() in the same file
    recalled = {corpus_ids[idx] for idx in rankings[:k]}
    recall_any = float(any(doc in recalled for doc in correct))
    recall_all = float(all(doc in recalled for doc in correct))
    relevances = [1 if doc_id in correct else 0 for doc_id in corpus_ids]
    ideal = _official_dcg(sorted(relevances, reverse=True), k)
    actual = _official_dcg([relevances[idx] for idx in rankings[:k]], k)
    return recall_any, recall_all, 0.0 if ideal == 0 else actual / ideal


def test_longmemeval_metrics_match_official_code_on_random_rankings() -> None:
    rng = random.Random(7)
    for _ in range(300):
        n = rng.randint(1, 40)
        corpus_ids = [f"s{i}" for i in range(n)]
        correct = rng.sample(corpus_ids, rng.randint(1, min(n, 5)))
        rankings = list(range(n))
        rng.shuffle(rankings)
        ranked = [corpus_ids[idx] for idx in rankings]
        for k in (1, 3, 5, 10, 30, 50):
            expected = _official(rankings, correct, corpus_ids, k)
            got = (
                recall_any_at_k(ranked, set(correct), k),
                recall_all_at_k(ranked, set(correct), k),
                ndcg_any_at_k(ranked, set(correct), k),
            )
            assert got == pytest.approx(expected)


@pytest.mark.parametrize(
    "metric",
    [recall_at_k, any_at_k, all_at_k, ndcg_at_k, recall_any_at_k, recall_all_at_k, ndcg_any_at_k],
)
def test_metrics_reject_empty_gold_and_bad_k(metric) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError):
        metric(["a"], set(), 1)
    with pytest.raises(ValidationError):
        metric(["a"], {"a"}, 0)


@pytest.mark.parametrize(
    "metric",
    [recall_at_k, any_at_k, all_at_k, ndcg_at_k, recall_any_at_k, recall_all_at_k, ndcg_any_at_k],
)
def test_metrics_stay_within_unit_interval(metric) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(3)
    for _ in range(200):
        pool = [f"d{i}" for i in range(12)]
        ranked = [rng.choice(pool) for _ in range(rng.randint(0, 15))]
        gold = set(rng.sample(pool, rng.randint(1, 4)))
        assert 0.0 <= metric(ranked, gold, rng.randint(1, 20)) <= 1.0


def test_summarize_averages_overall_and_per_group() -> None:
    rows = [
        Scored("2", {"recall@1": 1.0, "ndcg@1": 1.0}),
        Scored("10", {"recall@1": 0.0, "ndcg@1": 0.5}),
        Scored("2", {"recall@1": 0.5, "ndcg@1": 0.0}),
        Scored("1", {"recall@1": 0.0, "ndcg@1": 0.0}),
    ]
    summary = summarize(rows)
    assert summary.overall.count == 4
    assert summary.overall.means == pytest.approx({"recall@1": 1.5 / 4, "ndcg@1": 1.5 / 4})
    assert list(summary.groups) == ["1", "2", "10"]  # numeric order, not lexicographic
    assert summary.groups["2"].count == 2
    assert summary.groups["2"].means == pytest.approx({"recall@1": 0.75, "ndcg@1": 0.5})
    assert summary.groups["10"].as_dict(count_key="questions") == {
        "recall@1": 0.0,
        "ndcg@1": 0.5,
        "questions": 1,
    }


def test_summarize_empty_and_mismatched_rows() -> None:
    empty = summarize([])
    assert empty.overall.count == 0
    assert empty.overall.means == {}
    assert empty.groups == {}
    with pytest.raises(ValidationError):
        summarize([Scored("a", {"x": 1.0}), Scored("a", {"y": 1.0})])


def test_summarize_sorts_named_groups_after_numbers() -> None:
    rows = [Scored(name, {"m": 1.0}) for name in ("temporal", "3", "multi")]
    assert list(summarize(rows).groups) == ["3", "multi", "temporal"]
