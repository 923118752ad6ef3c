"""Retrieval metrics as small pure functions, plus an averaging aggregator.

Every metric takes ``ranked`` (ids best first, as the system returned them), ``gold`` (the
relevant ids) and a cut-off ``k``, and returns a fraction in ``[0, 1]``.

Conventions shared by all metrics:

* ``gold`` must be non-empty: a question without gold evidence cannot be scored, so callers
  skip it (and count it) before calling a metric. An empty ``gold`` raises ``ValidationError``.
* ``ranked`` is expected to hold unique ids. If an id repeats, only its first position counts;
  later copies occupy their rank but are treated as non-relevant, so a system cannot gain by
  returning the same item twice.
* ``k`` must be at least 1. A ranked list shorter than ``k`` is scored as it is (the missing
  positions count as misses).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from kenning.errors import ValidationError

__all__ = [
    "GroupedSummary",
    "MetricSummary",
    "Scored",
    "all_at_k",
    "any_at_k",
    "ndcg_any_at_k",
    "ndcg_at_k",
    "recall_all_at_k",
    "recall_any_at_k",
    "recall_at_k",
    "summarize",
]


def _check(gold: Collection[str], k: int) -> None:
    if k < 1:
        raise ValidationError("k", f"must be at least 1, got {k}")
    if not gold:
        raise ValidationError("gold", "is empty; skip questions without gold evidence")


def _relevances(ranked: Sequence[str], gold: Collection[str], k: int) -> list[int]:
    """Binary relevance of the top ``k`` positions; a repeated id counts only once."""
    seen: set[str] = set()
    rels: list[int] = []
    for item in ranked[:k]:
        rels.append(1 if item in gold and item not in seen else 0)
        seen.add(item)
    return rels


def _hits(ranked: Sequence[str], gold: Collection[str], k: int) -> int:
    return len(set(ranked[:k]) & set(gold))


def recall_at_k(ranked: Sequence[str], gold: Collection[str], k: int) -> float:
    """Fraction of the gold ids found in the top ``k``: ``|top_k ∩ gold| / |gold|``.

    This is LoCoMo's evidence recall (Maharana et al., 2024, "Evaluating Very Long-Term
    Conversational Memory of LLM Agents"; ``task_eval/evaluation.py`` in snap-research/locomo
    computes ``sum(ev in context for ev in evidence) / len(evidence)``), and HippoRAG's passage
    recall (``RetrievalRecall`` in OSU-NLP-Group/HippoRAG: ``|set(top_k) & set(gold)| /
    |set(gold)|``). ``gold`` is taken as a set, so duplicate gold ids count once.
    """
    _check(gold, k)
    return _hits(ranked, gold, k) / len(set(gold))


def any_at_k(ranked: Sequence[str], gold: Collection[str], k: int) -> float:
    """1.0 if at least one gold id is in the top ``k``, else 0.0 (a.k.a. hit rate / success@k)."""
    _check(gold, k)
    return 1.0 if _hits(ranked, gold, k) > 0 else 0.0


def all_at_k(ranked: Sequence[str], gold: Collection[str], k: int) -> float:
    """1.0 if every gold id is in the top ``k``, else 0.0 (complete recall at k)."""
    _check(gold, k)
    return 1.0 if _hits(ranked, gold, k) == len(set(gold)) else 0.0


def _dcg(rels: Sequence[int], discount: Sequence[float]) -> float:
    return sum(rel / d for rel, d in zip(rels, discount, strict=False))


def _log2_plus_one(n: int) -> list[float]:
    """Discounts ``log2(i + 1)`` for ranks ``i = 1..n``."""
    return [math.log2(i + 1) for i in range(1, n + 1)]


def _longmemeval_discount(n: int) -> list[float]:
    """Discounts ``1, log2(2), log2(3), ...`` for ranks ``1..n`` (rank 1 undiscounted)."""
    return [1.0] + [math.log2(i) for i in range(2, n + 1)]


def ndcg_at_k(ranked: Sequence[str], gold: Collection[str], k: int) -> float:
    """Normalised discounted cumulative gain at ``k`` with binary relevance.

    ``DCG@k = sum_{i=1..k} rel_i / log2(i + 1)`` (Järvelin & Kekäläinen, 2002, "Cumulated
    gain-based evaluation of IR techniques", in the ``log2(i + 1)`` form of Burges et al., 2005),
    ``rel_i = 1`` when the id at rank ``i`` is gold. The ideal DCG puts ``min(|gold|, k)`` gold
    ids at the top, so a perfect ranking scores 1.0 even when ``|gold| > k``.
    """
    _check(gold, k)
    gold_set = set(gold)
    ideal = min(len(gold_set), k)
    actual = _dcg(_relevances(ranked, gold_set, k), _log2_plus_one(k))
    return actual / _dcg([1] * ideal, _log2_plus_one(ideal))


def recall_any_at_k(ranked: Sequence[str], gold: Collection[str], k: int) -> float:
    """LongMemEval's ``recall_any@k``: 1.0 if any gold id is among the top ``k``.

    Verified against ``evaluate_retrieval`` in ``src/retrieval/eval_utils.py`` of
    xiaowu0162/LongMemEval (Wu et al., 2024, "LongMemEval: Benchmarking Chat Assistants on
    Long-Term Interactive Memory"): ``float(any(doc in recalled_docs for doc in correct_docs))``
    with ``recalled_docs`` the set of the top ``k`` ids. Same value as :func:`any_at_k`.
    """
    return any_at_k(ranked, gold, k)


def recall_all_at_k(ranked: Sequence[str], gold: Collection[str], k: int) -> float:
    """LongMemEval's ``recall_all@k``: 1.0 if every gold id is among the top ``k``.

    Verified against ``evaluate_retrieval`` in xiaowu0162/LongMemEval
    (``float(all(doc in recalled_docs for doc in correct_docs))``). The official code returns
    1.0 for an empty gold list; here empty gold is rejected (callers skip such questions, as the
    official averaging skips abstention questions). Same value as :func:`all_at_k`.
    """
    return all_at_k(ranked, gold, k)


def ndcg_any_at_k(ranked: Sequence[str], gold: Collection[str], k: int) -> float:
    """LongMemEval's ``ndcg_any@k``: NDCG with binary relevance and LongMemEval's DCG.

    Verified against ``dcg`` / ``ndcg`` in ``src/retrieval/eval_utils.py`` of
    xiaowu0162/LongMemEval: ``DCG@k = rel_1 + sum_{i=2..k} rel_i / log2(i)`` (the original
    Järvelin & Kekäläinen form: ranks 1 and 2 both weigh 1), and the ideal DCG sorts the
    relevances of the whole haystack, i.e. ``min(|gold|, k)`` ones at the top (every gold id is
    in the haystack there). It differs from :func:`ndcg_at_k` only by the discount.
    """
    _check(gold, k)
    gold_set = set(gold)
    ideal = min(len(gold_set), k)
    actual = _dcg(_relevances(ranked, gold_set, k), _longmemeval_discount(k))
    return actual / _dcg([1] * ideal, _longmemeval_discount(ideal))


@dataclass(frozen=True, slots=True)
class Scored:
    """One question's metric values, with the group it is reported under (e.g. its category)."""

    group: str
    metrics: Mapping[str, float]


@dataclass(frozen=True, slots=True)
class MetricSummary:
    """Mean of each metric over ``count`` questions (``means`` is empty when ``count`` is 0)."""

    means: dict[str, float]
    count: int

    def as_dict(self, *, count_key: str | None = None) -> dict[str, float | int]:
        """The means as a plain dict, optionally with the question count under ``count_key``."""
        out: dict[str, float | int] = dict(self.means)
        if count_key is not None:
            out[count_key] = self.count
        return out


@dataclass(frozen=True, slots=True)
class GroupedSummary:
    """Means over all questions and per group; groups are sorted (numerically when possible)."""

    overall: MetricSummary
    groups: dict[str, MetricSummary] = field(default_factory=dict)


def _mean(rows: Sequence[Mapping[str, float]]) -> MetricSummary:
    if not rows:
        return MetricSummary(means={}, count=0)
    keys = list(rows[0])
    for index, row in enumerate(rows):
        if set(row) != set(keys):
            raise ValidationError(
                f"rows[{index}]", f"has metrics {sorted(row)}, expected {sorted(keys)}"
            )
    return MetricSummary(
        means={key: sum(row[key] for row in rows) / len(rows) for key in keys},
        count=len(rows),
    )


def _group_order(name: str) -> tuple[int, float, str]:
    try:
        return (0, float(name), name)
    except ValueError:
        return (1, 0.0, name)


def summarize(rows: Iterable[Scored]) -> GroupedSummary:
    """Average per-question metric dicts overall and per group (unweighted macro over questions).

    Each question weighs the same; a group's mean is over its own questions, and the overall
    mean is over all questions (so it is the count-weighted mean of the group means). Every row
    must carry the same metric names, else ``ValidationError``.
    """
    materialised = list(rows)
    by_group: dict[str, list[Mapping[str, float]]] = {}
    for row in materialised:
        by_group.setdefault(row.group, []).append(row.metrics)
    return GroupedSummary(
        overall=_mean([row.metrics for row in materialised]),
        groups={name: _mean(by_group[name]) for name in sorted(by_group, key=_group_order)},
    )
