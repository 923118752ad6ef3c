"""The read path: candidates from every signal, fused, filtered, diversified, explained.

Signals (each can be switched off in :class:`SearchSettings`):

* ``dense`` and ``bm25``: the query against each memory's keys (BM25 over the text plus
  expansion keys when key expansion is on);
* ``turn`` / ``round`` / ``session``: multi-granularity lifts (:mod:`kenning.read.granularity`);
* ``speaker``: the memory was said by a speaker the query names;
* ``time``: the memory's event time, or a date it mentions, falls in the range the query
  names; for "when" questions, the memory mentions a date;
* ``graph``: Personalized PageRank over the entity graph seeded by the query's entities
  and the best hits so far (:mod:`kenning.read.pagerank`);
* ``prf``: BM25 with terms fed back from the best hits so far (pseudo-relevance feedback);
* ``entities``: BM25 with the entity names the best hits mention (entity feedback: the
  next hop of a multi-hop question).

Dense, BM25, speaker, time and graph are min-max normalised over the candidates; the lifts,
the feedback signals and the "when" mark are calibrated (``_CALIBRATED``) and fused as they
are. A hit's score is the weighted sum divided by the total weight (so it lies in [0, 1]),
and ``Hit.signals`` shows each signal's share of it. Then come the adjustments, each shown
beside the signals: the agreement guard and the newest-wins rule
(:mod:`kenning.read.precedence`), validity and retention (the lifecycle), and for "when"
questions a message raised to the fact drawn from it.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt

from kenning.config import FusionMethod, SearchPath, Settings
from kenning.index.lexical import tokenize
from kenning.index.pool import PoolView
from kenning.index.scope import Eligibility, ScopeIndex
from kenning.models import Hit, MemoryKind, SignalScore
from kenning.read.candidates import candidate_pool
from kenning.read.diversity import mmr
from kenning.read.fusion import fuse, minmax, ranks_at
from kenning.read.granularity import lift, peakedness
from kenning.read.pagerank import personalized_pagerank
from kenning.read.precedence import agreement_guard, newest_competitor, top
from kenning.read.query import (
    QueryAnalysis,
    analyse_query,
    asks_past,
    named_speakers,
    without_current_words,
    without_names,
)
from kenning.read.retention import retention
from kenning.read.stages import Stage, timed

FloatArray = npt.NDArray[np.float64]

LEVELS = (MemoryKind.TURN, MemoryKind.ROUND, MemoryKind.SESSION)
# HippoRAG 2 seeds passage nodes with 0.05 of the weight of phrase nodes.
_MEMORY_SEED_WEIGHT = 0.05
# Lifts share one scale across granularities (see _level_scores) and are fused as they are:
# stretching them per query would let the best of a set of poor rounds lift like a perfect
# match (measured: the same LoCoMo test-half figures, and sane rankings in small scopes).
_LIFTS = tuple(level.value for level in LEVELS)
# Feedback signals are shares of their best match: min-max would give the weakest of two
# matches 0 and make a lone weak match count as much as a strong one.
_CALIBRATED = (*_LIFTS, "prf", "entities", "when", "recent")
_SEED_FLOOR = 0.5
_CONTEXT_KINDS = (*LEVELS, MemoryKind.DOCUMENT)


@dataclass(frozen=True, slots=True)
class SearchSettings:
    """Which retrieval components run and how their signals are weighted.

    Built by :meth:`from_settings` from :class:`kenning.Settings`, the one place for defaults
    and documentation (docs/configuration.md).
    """

    method: FusionMethod
    search_path: SearchPath
    exact_search_max: int
    search_candidates: int
    dense_weight: float  # BM25 gets 1 - dense_weight
    granularity: bool
    adaptive_granularity: bool
    turn_weight: float
    round_weight: float
    session_weight: float
    speaker: bool
    speaker_weight: float
    time: bool
    time_weight: float
    when_weight: float
    graph: bool
    graph_weight: float
    graph_damping: float
    graph_seeds: int
    prf: bool
    prf_weight: float
    prf_docs: int
    prf_terms: int
    entity_feedback_weight: float
    entity_feedback_docs: int
    diversity: bool
    mmr_lambda: float
    lifecycle: bool
    passages: bool
    agreement_guard: bool
    newest_wins: bool
    competitor_similarity: float
    competitor_ratio: float
    recency_weight: float
    subject_weight: float
    superseded_factor: float
    retention_weight: float
    retention_days: float

    @classmethod
    def from_settings(cls, settings: Settings) -> SearchSettings:
        """The search settings an :class:`kenning.Settings` describes."""
        values = settings.model_dump()
        return cls(
            method=FusionMethod(settings.fusion),
            search_path=SearchPath(settings.search_path),
            **{
                f.name: values[f.name]
                for f in fields(cls)
                if f.name not in ("method", "search_path")
            },
        )

    @property
    def weights(self) -> dict[str, float]:
        """Weight of every signal (a switched-off component's signals are simply not computed)."""
        return {
            "dense": self.dense_weight,
            "bm25": 1.0 - self.dense_weight,
            "turn": self.turn_weight,
            "round": self.round_weight,
            "session": self.session_weight,
            "speaker": self.speaker_weight,
            "time": self.time_weight,
            "when": self.when_weight,
            "graph": self.graph_weight,
            "prf": self.prf_weight,
            "entities": self.entity_feedback_weight,
            "recent": self.recency_weight,
            "subject": self.subject_weight,
        }


def _seeds(preliminary: FloatArray, k: int) -> npt.NDArray[np.int64]:
    """The best ``k`` hits so far that score at least ``_SEED_FLOOR`` of the best one.

    Feedback and graph seeds from hits that barely match would let them reinforce themselves
    (a lone lexical match outranked by a weak hit boosted by its own entity names).
    """
    top = np.argsort(-preliminary, kind="stable")[:k]
    best = float(preliminary[top[0]]) if len(top) else 0.0
    return top[(preliminary[top] > 0) & (preliminary[top] >= _SEED_FLOOR * best)]


def _share_of_best(values: FloatArray) -> FloatArray | None:
    """Scores as a share of the best one, for a signal fused as it is (see ``_CALIBRATED``)."""
    best = float(values.max()) if len(values) else 0.0
    return np.where(values > 0, values / best, -np.inf) if best > 0 else None


def _no_score(values: FloatArray) -> FloatArray:
    """Zero means "no match" for BM25-like scores: no opinion rather than a weak one."""
    return np.where(values > 0, values, -np.inf)


def _level_scores(
    index: ScopeIndex,
    dense: FloatArray,
    bm25: FloatArray,
    context: npt.NDArray[np.bool_],
    s: SearchSettings,
) -> dict[MemoryKind, FloatArray]:
    """Each granularity's own fused score in [0, 1].

    Dense and BM25 are scaled once over every granularity together, so a round scores high
    only if it matches as well as the best memory of any granularity: a level whose best
    match is poor lifts little.
    """
    members = np.flatnonzero(context)
    scaled = np.full(len(index), -np.inf)
    if len(members):
        scaled[members] = s.dense_weight * minmax(dense[members]) + (1.0 - s.dense_weight) * minmax(
            bm25[members]
        )
    return {level: np.where(index.kind_mask(level), scaled, -np.inf) for level in LEVELS}


def _lifts(
    index: ScopeIndex,
    levels: dict[MemoryKind, FloatArray],
    candidates: npt.NDArray[np.int64],
    s: SearchSettings,
) -> tuple[dict[str, FloatArray], dict[str, float]]:
    incidence = index.incidence()
    signals: dict[str, FloatArray] = {}
    weights: dict[str, float] = {}
    base = {
        MemoryKind.TURN: s.turn_weight,
        MemoryKind.ROUND: s.round_weight,
        MemoryKind.SESSION: s.session_weight,
    }
    peaks = {level: peakedness(levels[level]) for level in LEVELS} if s.adaptive_granularity else {}
    mean_peak = float(np.mean(list(peaks.values()))) if peaks else 1.0
    for level in LEVELS:
        own_level = index.kind_mask(level)
        # Nothing to lift when no memory has this level's scores, or when every candidate is
        # of this level (a memory's own level is its dense/bm25, not a lift).
        if not np.isfinite(levels[level]).any() or own_level[candidates].all():
            continue
        lifted = lift(incidence, levels[level])
        lifted[own_level] = -np.inf
        values = lifted[candidates]
        if not np.isfinite(values).any():
            continue
        signals[level.value] = values
        factor = peaks[level] / mean_peak if peaks and mean_peak > 0 else 1.0
        weights[level.value] = base[level] * factor
    return signals, weights


def _graph_signal(
    index: ScopeIndex,
    analysis: QueryAnalysis,
    candidates: npt.NDArray[np.int64],
    preliminary: FloatArray,
    s: SearchSettings,
) -> FloatArray | None:
    """PPR mass of each candidate, seeded HippoRAG-2 style.

    Seeds: the entities the query names, the entities the best hits so far mention
    (weighted by the hit's score) and, with a small weight, those hits themselves; the walk
    then reaches memories that share entities with them (the second hop of a multi-hop
    question). A seed's own mass is left out of its score: the graph signal says what the
    walk found, not what seeded it.
    """
    n = len(index)
    adjacency = index.graph.adjacency(n)
    if adjacency.nnz == 0:
        return None
    reset = np.zeros(adjacency.shape[0])
    top = _seeds(preliminary, s.graph_seeds)
    for local in top:
        position = int(candidates[local])
        weight = float(preliminary[local])
        mentioned = index.graph.mentioned_nodes(position, n)
        if mentioned:
            reset[mentioned] += weight / len(mentioned)
        reset[position] += _MEMORY_SEED_WEIGHT * weight
    named = index.graph.entity_nodes(analysis.entities, n)
    if named:
        reset[named] += max(float(reset.sum()), 1.0) / len(named)
    if reset.sum() <= 0:
        return None
    ppr = personalized_pagerank(adjacency, reset, damping=s.graph_damping)
    mass = ppr[candidates] - (1.0 - s.graph_damping) * reset[candidates] / reset.sum()
    return _no_score(mass)


def _feedback(
    terms_of: Callable[[int], Iterable[str]],
    query: str,
    candidates: npt.NDArray[np.int64],
    preliminary: FloatArray,
    *,
    docs: int,
    terms: int,
    skip: Collection[str] = (),
) -> dict[str, float]:
    """Terms of the best hits so far, weighted by the rank they come from (RM3-style)."""
    excluded = set(tokenize(query)) | set(skip)
    feedback: dict[str, float] = {}
    for rank, local in enumerate(_seeds(preliminary, docs)):
        for term in set(terms_of(int(candidates[local]))):
            if term not in excluded:
                feedback[term] = feedback.get(term, 0.0) + 1.0 / (rank + 1)
    return dict(sorted(feedback.items(), key=lambda kv: (-kv[1], kv[0]))[:terms])


def _prf_signal(
    index: ScopeIndex,
    query: str,
    candidates: npt.NDArray[np.int64],
    preliminary: FloatArray,
    s: SearchSettings,
) -> FloatArray | None:
    """BM25 for the most frequent terms of the best hits."""
    chosen = _feedback(
        index.lexical_terms, query, candidates, preliminary, docs=s.prf_docs, terms=s.prf_terms
    )
    return _share_of_best(index.lexical_term_scores(chosen)[candidates]) if chosen else None


def _entity_feedback_signal(
    index: ScopeIndex,
    query: str,
    candidates: npt.NDArray[np.int64],
    preliminary: FloatArray,
    s: SearchSettings,
) -> FloatArray | None:
    """BM25 for the names the best hits mention: the bridge to a multi-hop question's next hop.

    "Which county borders the county where the town of X lies?" finds the passage about X,
    which names its county; searching for that name finds the passage about the county.
    Speakers' names are left out: in a chat they are everywhere (the speaker signal has them).
    """
    n = len(index)
    speakers = {t for speaker in index.speakers() for t in tokenize(speaker)}

    def names_of(position: int) -> list[str]:
        nodes = index.graph.mentioned_nodes(position, n)
        return [t for node in nodes for t in tokenize(index.graph.names[node - n])]

    chosen = _feedback(
        names_of,
        query,
        candidates,
        preliminary,
        docs=s.entity_feedback_docs,
        terms=2 * s.prf_terms,
        skip=speakers,
    )
    return _share_of_best(index.lexical_term_scores(chosen)[candidates]) if chosen else None


def search_scope(
    index: ScopeIndex,
    query: str,
    query_vector: npt.NDArray[np.float32],
    *,
    where: Eligibility,
    limit: int,
    settings: SearchSettings,
    now: datetime,
    clock: datetime | None = None,
) -> list[Hit]:
    """Rank the eligible memories of one scope for a query and its embedding (which the
    caller computes before taking the user's lock: the model is the slow part).

    ``now`` reads the query's time expressions; ``clock`` (default: the system clock) is
    the record time that retention is measured against.
    """
    s = settings
    analysis = analyse_query(
        query,
        now=now,
        speakers=index.speakers() if s.speaker else (),
        entity_keys=index.graph.keys() if s.graph else (),
    )
    # The query's time words stay in its BM25 query: measured on the LoCoMo dev half, taking
    # them out (they are handled by the time signal) lost 0.9 points recall@10, since
    # memories repeat the same relative expressions ("last weekend", "recently").
    # "These days", "at the moment": the words that ask for the present match chit-chat
    # ("a 2-day trip"), not the answer; the recency signal handles them.
    lexical_query = without_current_words(query) if s.lifecycle else query
    if two_stage(len(index), s):
        with timed(Stage.CANDIDATES):
            pool, pool_bm25 = candidate_pool(
                index,
                query_vector,
                lexical_query,
                analysis,
                where,
                k=s.search_candidates,
                dense_weight=s.dense_weight,
                feedback_docs=s.entity_feedback_docs if s.prf else 0,
                feedback_terms=2 * s.prf_terms,
                at=(where.as_of or now).timestamp(),
            )
            index = PoolView(index, pool, lexical=(lexical_query, pool_bm25))
    with timed(Stage.SCORING):
        ranked = _rank(
            index, query, query_vector, lexical_query, analysis, where, limit, s, now, clock
        )
    if ranked is None:
        return []
    with timed(Stage.ASSEMBLY):
        return _hits(index, ranked)


def two_stage(scope_size: int, s: SearchSettings) -> bool:
    """Whether a search of a scope this large takes the two-stage path."""
    if s.search_path is SearchPath.AUTO:
        return scope_size > s.exact_search_max
    return s.search_path is SearchPath.TWO_STAGE


@dataclass(frozen=True, slots=True)
class _Ranked:
    """A ranking and what explains it: ``best`` are places among ``candidates`` (positions in
    the index); signals, contributions and adjustments are aligned with the candidates."""

    candidates: npt.NDArray[np.int64]
    best: npt.NDArray[np.int64]
    fused: FloatArray
    signals: dict[str, FloatArray]
    contributions: dict[str, FloatArray]
    adjustments: dict[str, tuple[FloatArray, FloatArray]]


def _rank(
    index: ScopeIndex,
    query: str,
    query_vector: npt.NDArray[np.float32],
    lexical_query: str,
    analysis: QueryAnalysis,
    where: Eligibility,
    limit: int,
    s: SearchSettings,
    now: datetime,
    clock: datetime | None,
) -> _Ranked | None:
    """Every signal over the eligible memories of ``index``, fused and adjusted: the chosen
    places among the candidates, with what :func:`_hits` needs to explain them."""
    mask = index.eligible(where)
    candidates = np.flatnonzero(mask)
    if len(candidates) == 0:
        return None
    dense = index.dense_scores(query_vector, passages=s.passages)
    bm25 = _no_score(index.lexical_scores(lexical_query))
    signals = {"dense": dense[candidates], "bm25": bm25[candidates]}
    weights = dict(s.weights)

    if s.granularity:
        # Granularities are scaled against each other and documents, not against facts or
        # summaries: a crisp fact would set the scale and shrink every message's lift.
        context = index.eligible(replace(where, kinds=_CONTEXT_KINDS))
        levels = _level_scores(index, dense, bm25, context, s)
        lifted, lift_weights = _lifts(index, levels, candidates, s)
        signals.update(lifted)
        weights.update(lift_weights)
    if s.speaker and analysis.speakers:
        signals["speaker"] = np.where(
            index.speaker_mask(analysis.speakers)[candidates], 1.0, -np.inf
        )
    if s.time:
        span = analysis.time_range
        if span is not None:
            start, end = span.start.timestamp(), span.end.timestamp()
            event = index.event_times()
            inside = ((event >= start) & (event < end)) | index.mentions_time_in(start, end)
            signals["time"] = np.where(inside[candidates], 1.0, -np.inf)
        if analysis.asks_when:
            dated = index.dated()[candidates]
            # A mark that most candidates carry tells little: in an encyclopedia nearly every
            # passage has a date, in a chat few messages do.
            signals["when"] = np.where(dated, 1.0 - float(dated.mean()), -np.inf)
    if s.lifecycle and not analysis.asks_when:
        # A fact about the person the query names is about what is asked (the speaker signal
        # cannot tell: the person's chit-chat has the same speaker). Not for "when" questions:
        # a fact states what holds, the message it came from says when.
        subjects = named_speakers(query, index.subjects())
        about = index.subject_mask(subjects)[candidates] if subjects else None
        if about is not None and about.any():
            signals["subject"] = np.where(about, 1.0, -np.inf)
    preliminary: FloatArray | None = None
    # "Currently ... in June 2023" asks about then, not now: the time signal has it.
    if s.lifecycle and analysis.asks_current and analysis.time_range is None:
        preliminary, _ = fuse(signals, weights, s.method, calibrated=_CALIBRATED)
        recent = _recent_signal(index, candidates, preliminary)
        if recent is not None:
            signals["recent"] = recent
    if s.graph or s.prf:
        if preliminary is None or "recent" in signals:
            preliminary, _ = fuse(signals, weights, s.method, calibrated=_CALIBRATED)
        if s.graph:
            graph = _graph_signal(index, analysis, candidates, preliminary, s)
            if graph is not None:
                signals["graph"] = graph
        if s.prf:
            for name, make in (("prf", _prf_signal), ("entities", _entity_feedback_signal)):
                feedback = make(index, query, candidates, preliminary, s)
                if feedback is not None:
                    signals[name] = feedback
    fused, contributions = fuse(signals, weights, s.method, calibrated=_CALIBRATED)
    # Scale so a memory that tops every signal scores 1 (contributions still add up).
    total = sum(weights.get(name, 0.0) for name in signals) or 1.0
    fused = fused / total
    contributions = {name: part / total for name, part in contributions.items()}
    adjustments: dict[str, tuple[FloatArray, FloatArray]] = {}
    if s.agreement_guard:
        agreement = agreement_guard(
            signals["dense"],
            lambda: _content_lexical(index, lexical_query, analysis, candidates, signals["bm25"]),
            contributions,
            fused,
        )
        if agreement is not None:
            adjustments["agreement"] = agreement
    if s.lifecycle:
        # A message whose facts have ended still records the past: only questions about
        # the present hold it against the message.
        present = not (analysis.asks_when or asks_past(query))
        fused, contributions, factors = _lifecycle(
            index,
            candidates,
            fused,
            contributions,
            where,
            now,
            clock or datetime.now(UTC),
            s,
            messages=present,
            # What _one_per_message and diversity draw the hits from.
            window=3 * limit + 8,
        )
        adjustments |= factors
    # Only a question that asks for the present state ("now", "these days", "still"): plain
    # present tense ("what does Mel like?") asks about a lasting trait as often as a state,
    # and measured on LoCoMo, promoting newer statements for it cost 3 points ndcg@10.
    if s.lifecycle and s.newest_wins and analysis.asks_current and analysis.time_range is None:
        newer = _newest_competitor(index, candidates, fused, s)
        if newer is not None:
            adjustments["newer"] = newer
    if s.lifecycle and analysis.asks_when:
        adjustments["fact"] = _messages_say_when(index, candidates, fused)
    if s.lifecycle:
        best = _one_per_message(index, candidates, fused, limit)
    else:
        best = top(fused, min(limit, len(candidates)))
    if s.diversity and len(best) > 1:
        pool = top(fused, min(3 * limit, len(candidates)))
        vectors = index.vectors([int(candidates[i]) for i in pool])
        best = pool[mmr(fused[pool], vectors, len(best), lambda_=s.mmr_lambda)]
    return _Ranked(candidates, best, fused, signals, contributions, adjustments)


def _content_lexical(
    index: ScopeIndex,
    lexical_query: str,
    analysis: QueryAnalysis,
    candidates: npt.NDArray[np.int64],
    bm25: FloatArray,
) -> FloatArray:
    """BM25 of the query without the names of the speakers it names, for the agreement
    guard: "what is Ana's diet?" in Ana's own chat matches every fact restated as "Ana ...",
    which says who, not what (the speaker signal has who)."""
    if not analysis.speakers:
        return bm25
    content = without_names(lexical_query, analysis.speakers)
    return _no_score(index.lexical_scores(content))[candidates]


_COMPETITION_WINDOW = 10


def _newest_competitor(
    index: ScopeIndex, candidates: npt.NDArray[np.int64], fused: FloatArray, s: SearchSettings
) -> tuple[FloatArray, FloatArray] | None:
    """:func:`newest_competitor` over the best ``_COMPETITION_WINDOW`` candidates."""
    window = top(fused, min(_COMPETITION_WINDOW, len(candidates)))
    positions = candidates[window]
    return newest_competitor(
        index.vectors(positions.tolist()),
        index.event_times()[positions],
        fused,
        window,
        similarity=s.competitor_similarity,
        ratio=s.competitor_ratio,
    )


def _lifecycle(
    index: ScopeIndex,
    candidates: npt.NDArray[np.int64],
    fused: FloatArray,
    contributions: dict[str, FloatArray],
    where: Eligibility,
    now: datetime,
    clock: datetime,
    s: SearchSettings,
    *,
    messages: bool,
    window: int,
) -> tuple[FloatArray, dict[str, FloatArray], dict[str, tuple[FloatArray, FloatArray]]]:
    """Scale scores by validity (ended memories rank lower) and retention.

    Returns the new scores, the signals' contributions unchanged, and for each factor its
    value and the (negative) amount it took, so all contributions still add up to the score.
    """
    reference = (where.as_of or now).timestamp()
    ended = index.ended_by(reference, messages=messages)[candidates]
    validity = np.where(ended, s.superseded_factor, 1.0)
    touched, strength, importance, pinned = index.retention_inputs()
    kept = retention(
        touched[candidates],
        strength[candidates],
        importance[candidates],
        pinned[candidates],
        now=clock.timestamp(),
        days=s.retention_days,
    )
    fading = 1.0 - s.retention_weight + s.retention_weight * kept
    after_validity = fused * validity
    if ended.any():
        _below_successors(
            index, candidates, ended, after_validity, reference, window=window, factor=fading
        )
    final = after_validity * fading
    adjustments = {
        "validity": (validity, after_validity - fused),
        "retention": (kept, final - after_validity),
    }
    return final, contributions, adjustments


_RECENT_POOL = 10


def _recent_signal(
    index: ScopeIndex, candidates: npt.NDArray[np.int64], preliminary: FloatArray
) -> FloatArray | None:
    """For "now" questions: the later among the best hits so far, the better.

    Only the best ``_RECENT_POOL`` hits compete, so recency orders what is relevant (the
    old and the new statement of a changed fact) rather than promoting the latest chit-chat.
    Calibrated: the latest of them gets 1, the earliest 1/n.
    """
    pool = np.argsort(-preliminary, kind="stable")[:_RECENT_POOL]
    event = index.event_times()[candidates[pool]]
    known = np.isfinite(event)
    if known.sum() < 2:
        return None
    order = np.argsort(np.argsort(np.where(known, event, -np.inf), kind="stable"), kind="stable")
    out = np.full(len(candidates), -np.inf)
    out[pool[known]] = (order[known] + 1 - (~known).sum()) / known.sum()
    return out


def _messages_say_when(
    index: ScopeIndex, candidates: npt.NDArray[np.int64], fused: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """For "when" questions, a message ranks at least as high as a fact drawn from it (in
    place): the fact states what holds, the message says when it happened.

    Returns the ``fact`` entry of the hits' signals: raw 1 where a fact lifted its message,
    and what the lift added.
    """
    lifted = np.zeros(len(candidates))
    added = np.zeros(len(candidates))
    facts, messages = _local_pairs(index, candidates, *index.fact_messages())
    for i, j in zip(facts.tolist(), messages.tolist(), strict=True):
        if fused[j] <= fused[i]:
            gain = float(fused[i] - fused[j]) + 1e-9
            fused[j] += gain
            added[j] += gain
            lifted[j] = 1.0
    return lifted, added


def _one_per_message(
    index: ScopeIndex, candidates: npt.NDArray[np.int64], fused: FloatArray, limit: int
) -> npt.NDArray[np.int64]:
    """The top hits with at most one of a message and the facts drawn from it (the best).

    A fact restates its message: returning both would spend two of ``limit`` places on one
    piece of evidence.
    """
    pool = top(fused, min(2 * limit + 8, len(candidates)))
    seen: set[int] = set()
    kept: list[int] = []
    for local in pool:
        message = index.message_of(int(candidates[local]))
        if message is not None:
            if message in seen:
                continue
            seen.add(message)
        kept.append(int(local))
        if len(kept) == limit:
            break
    return np.asarray(kept, dtype=np.int64)


def _below_successors(
    index: ScopeIndex,
    candidates: npt.NDArray[np.int64],
    ended: npt.NDArray[np.bool_],
    scores: FloatArray,
    reference: float,
    *,
    window: int,
    factor: FloatArray,
) -> None:
    """An ended memory never outranks what replaced it (in place).

    A factor alone cannot promise that: min-max fusion can give an old version twice its
    successor's score when their texts barely differ ("lives in Paris" / "in Berlin").
    Only ended memories that reach the best ``window`` (by ``scores * factor``, the final
    order) are capped, until none is left there: capping lowers scores only, so the best
    ``window`` come out as if every ended memory had been capped, at the cost of the few
    that can matter.
    """
    local = np.full(len(index), -1, dtype=np.int64)
    local[candidates] = np.arange(len(candidates))
    capped = np.zeros(len(candidates), dtype=bool)
    while True:
        best = top(scores * factor, min(window, len(scores)))
        todo = best[ended[best] & ~capped[best]]
        if not len(todo):
            return
        capped[todo] = True
        for i in todo.tolist():
            successors = local[sorted(index.successors(int(candidates[i]), reference))]
            successors = successors[(successors >= 0)]
            successors = successors[~ended[successors]]
            if len(successors):
                ceiling = float(scores[successors].max())
                scores[i] = min(float(scores[i]), ceiling * (1.0 - 1e-6))


def _local_pairs(
    index: ScopeIndex,
    candidates: npt.NDArray[np.int64],
    first: npt.NDArray[np.int64],
    second: npt.NDArray[np.int64],
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Pairs of memory positions as places among the candidates, pairs with an end that is
    not a candidate left out (order kept)."""
    local = np.full(len(index), -1, dtype=np.int64)
    local[candidates] = np.arange(len(candidates))
    a, b = local[first], local[second]
    both = (a >= 0) & (b >= 0)
    return a[both], b[both]


def _hits(index: ScopeIndex, ranked: _Ranked) -> list[Hit]:
    candidates, best, fused = ranked.candidates, ranked.best, ranked.fused
    signals, contributions = ranked.signals, ranked.contributions
    signal_ranks = {name: ranks_at(scores, best) for name, scores in signals.items()}
    records = {item.id: item for item in index.items_at([int(candidates[local]) for local in best])}
    hits = []
    for place, local in enumerate(best):
        memory = records.get(index.id_of(int(candidates[local])))
        if memory is None:  # deleted since the index was read
            continue
        signal_view = {
            name: SignalScore(
                raw=float(signals[name][local]) if np.isfinite(signals[name][local]) else 0.0,
                rank=None
                if np.isnan(signal_ranks[name][place])
                else int(signal_ranks[name][place]),
                contribution=float(contributions[name][local]),
            )
            for name in signals
        }
        for name, (raw, taken) in ranked.adjustments.items():
            signal_view[name] = SignalScore(
                raw=float(raw[local]), rank=None, contribution=float(taken[local])
            )
        hits.append(
            Hit(
                memory=memory,
                score=float(fused[local]),
                signals=signal_view,
            )
        )
    return hits
