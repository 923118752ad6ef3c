"""The first stage of a two-stage search: a few thousand candidates out of a large scope.

Each source is sublinear or a single vectorised pass, never a signal over every memory:

* **nearest neighbours**: the HNSW graph over the memories' key vectors (int8), re-scored
  against the float16 rows; when few memories are eligible (a session, an agent, one kind), the
  eligible ones are scored exactly instead, since the graph would return mostly others;
* **lexical**: the best BM25 documents, from the query terms' postings;
* **entities**: memories that mention an entity the query names (entity postings);
* **time**: the best lexical matches whose event falls in the range the query names;
* **feedback**: the best BM25 documents for the names and terms of the best hits so far,
  the bridge a multi-hop question's second hop needs (as the ``entities`` signal does);

then the **relatives** of all of them: memories made of the same messages (the turn, round,
session and facts each granularity lift reads) and, for a fact, its slot's version in effect
at the search's reference time (what lifecycle ranking puts an ended version below).
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import numpy.typing as npt

from kenning.index.lexical import tokenize
from kenning.index.scope import Eligibility, ScopeIndex
from kenning.read.fusion import minmax
from kenning.read.query import QueryAnalysis

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

# Feedback terms found in more than this share of the scope's documents fetch no candidates
# (see _feedback_terms).
_COMMON_SHARE = 0.05


def _best_matches(
    positions: IntArray, scores: FloatArray, eligible: npt.NDArray[np.bool_], k: int
) -> IntArray:
    """Of some memories and their scores, the ``k`` eligible ones with the highest positive
    scores (any order)."""
    kept = (scores > 0) & eligible[positions]
    positions, scores = positions[kept], scores[kept]
    if len(positions) <= k:
        return positions
    return positions[np.argpartition(-scores, k - 1)[:k]]


def candidate_pool(
    index: ScopeIndex,
    vector: npt.NDArray[np.float32],
    lexical_query: str,
    analysis: QueryAnalysis,
    where: Eligibility,
    *,
    k: int,
    dense_weight: float,
    feedback_docs: int,
    feedback_terms: int,
    at: float,
) -> tuple[IntArray, FloatArray]:
    """Positions (ascending) of the memories a two-stage search scores for this query, and
    their BM25 scores for ``lexical_query`` (the second stage reads them rather than scoring
    the query again). ``at``: the reference time of lifecycle ranking (epoch seconds)."""
    eligible = index.eligible(where)
    dense_positions, dense = index.nearest_eligible(vector, eligible, k)
    # BM25 from the query terms' postings only: the matching memories, not every memory.
    lexical = index.lexical_matches(lexical_query)
    found = [dense_positions, _best_matches(lexical.positions, lexical.scores, eligible, k)]
    for name in analysis.entities:
        # Hubs (a chat's own speakers) are left out, as the graph leaves them out.
        if not index.graph.is_hub(name, len(index)):
            mentioning = np.asarray(index.graph.mentioning(name, latest=4 * k), dtype=np.int64)
            found.append(mentioning[eligible[mentioning]][-k:])  # the latest mentions
    span = analysis.time_range
    if span is not None:
        event = index.event_times()[lexical.positions]
        inside = (event >= span.start.timestamp()) & (event < span.end.timestamp())
        found.append(_best_matches(lexical.positions[inside], lexical.scores[inside], eligible, k))
    seeds = np.unique(np.concatenate(found))
    if feedback_docs > 0 and len(seeds):
        chosen = _feedback_terms(
            index,
            seeds,
            dense_weight * minmax(_at(seeds, dense_positions, dense))
            + (1.0 - dense_weight) * minmax(index.lexical_scores_from(seeds, lexical)),
            lexical_query,
            docs=feedback_docs,
            terms=feedback_terms,
        )
        if chosen:
            second = index.lexical_matches(chosen)
            found.append(_best_matches(second.positions, second.scores, eligible, k // 2))
    pool = index.relatives(np.unique(np.concatenate(found)), at)
    return pool, index.lexical_scores_from(pool, lexical)


def _at(positions: IntArray, known: IntArray, values: FloatArray) -> FloatArray:
    """``values`` (given at ``known``, a subset of ``positions``) aligned to ``positions``."""
    out = np.full(len(positions), -np.inf)
    out[np.searchsorted(positions, known)] = values
    return out


def _feedback_terms(
    index: ScopeIndex,
    seeds: IntArray,
    preliminary: FloatArray,
    lexical_query: str,
    *,
    docs: int,
    terms: int,
) -> dict[str, float]:
    """The most frequent terms and entity names of the best ``docs`` seeds, not in the query."""
    asked = set(tokenize(lexical_query))
    counts: Counter[str] = Counter()
    for position in seeds[np.argsort(-preliminary, kind="stable")[:docs]].tolist():
        words = index.lexical_terms(position)
        words += [t for name in index.graph.names_mentioned(position) for t in tokenize(name)]
        counts.update(t for t in set(words) if t not in asked)
    # A term in a large share of the scope finds everything and weighs little in BM25; its
    # postings are the longest to read. Such terms do not fetch candidates.
    common = {t for t in counts if index.lexical.document_share(t) > _COMMON_SHARE}
    return {term: 1.0 for term, _ in counts.most_common(terms + len(common)) if term not in common}
