"""Which memory must rank above which: rules over the fused scores, each one explained.

Fusion adds signals; some of them only re-order among the best candidates (the granularity
lifts, graph, feedback and subject signals). Two rules keep that re-ordering honest, and each
returns what it changed so that a hit's ``signals`` show the reason:

* :func:`agreement_guard`: a memory that both the dense and the lexical search rank first is
  the strongest evidence a search has. Re-ordering signals alone never push it down; only a
  reason of the query's own (a time range, a named speaker, recency, validity) can.
* :func:`newest_competitor` (``newest_wins``, off by default: measured, it costs more on
  RealMem and generated stories than it gains on hand-written ones): for a question about the
  present, of two statements that answer the same question (close to each other in meaning,
  both among the best answers), the older one never ranks above the newer one, so "where does
  Ana live now?" can find a move that no rule table recognised as a change of address.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
Adjustment = tuple[FloatArray, FloatArray]  # (raw value, what it added or took away)

# Signals that re-order among the best candidates rather than say why a memory answers the
# query: the granularity lifts, the entity graph, both feedback signals, and the subject mark.
REORDERING = frozenset({"turn", "round", "session", "graph", "prf", "entities", "subject"})
_EPSILON = 1e-9
_MARGIN = 1e-3


def top(scores: FloatArray, k: int) -> npt.NDArray[np.int64]:
    """Places of the ``k`` best scores, best first (ties by place)."""
    best = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
    return best[np.lexsort((best, -scores[best]))]


def _first(scores: FloatArray) -> int | None:
    finite = np.isfinite(scores)
    if not finite.any():
        return None
    return int(np.argmax(np.where(finite, scores, -np.inf)))


def agreement_guard(
    dense: FloatArray,
    lexical: Callable[[], FloatArray],
    contributions: Mapping[str, FloatArray],
    fused: FloatArray,
    reordering: Collection[str] = REORDERING,
) -> Adjustment | None:
    """Lift the memory first on both ``dense`` and ``lexical()`` above every candidate that
    beats it only through re-ordering signals (in place); ``lexical`` is called only when
    some rival would need lifting (it may cost a BM25 pass). Returns the ``agreement``
    adjustment, or None when no memory is first on both or none needed lifting.

    When no candidate matches the query lexically (``lexical`` all -inf: the query's words,
    the names it asks about aside, appear nowhere), the lexical search has no opinion and
    the dense first stands alone.

    A rival "beats it only through re-ordering" when its share of the score from the other
    signals (dense, BM25, time, speaker, recency...) is no larger: its lead comes from lifts,
    graph or feedback, which are guesses about the best candidates, not evidence of their own.
    """
    first = _first(dense)
    if first is None:
        return None
    reasons = np.zeros(len(fused))
    for name, part in contributions.items():
        if name not in reordering:
            reasons = reasons + part
    rivals = (fused > fused[first]) & (reasons <= reasons[first] + _EPSILON)
    if not rivals.any() or _first(lexical()) not in (None, first):
        return None
    # A clear margin: retention, applied later, differs by a hair between memories searched a
    # moment apart, and must not undo the lift by accident.
    gain = float(fused[rivals].max() * (1.0 + _MARGIN) - fused[first]) + _EPSILON
    fused[first] += gain
    raw = np.zeros(len(fused))
    added = np.zeros(len(fused))
    raw[first], added[first] = 1.0, gain
    return raw, added


def newest_competitor(
    vectors: npt.NDArray[np.float32],
    event_times: FloatArray,
    scores: FloatArray,
    window: npt.NDArray[np.int64],
    *,
    similarity: float,
    ratio: float,
) -> Adjustment | None:
    """Cap each statement in ``window`` (places among the candidates, best first) below a
    newer competitor (in place); returns the ``newer`` adjustment, or None if none was capped.

    ``vectors`` and ``event_times`` are aligned with ``window``. Two statements compete when
    their cosine similarity is at least ``similarity`` and the newer one scores at least
    ``ratio`` of the older one: they say the same kind of thing, and both answer the query.
    Capping only lowers scores, so it is applied from the best down until nothing changes.
    """
    known = np.isfinite(event_times)
    if known.sum() < 2:
        return None
    cosine = vectors @ vectors.T
    newer = (event_times[None, :] > event_times[:, None]) & known[None, :] & known[:, None]
    competes = newer & (cosine >= similarity)
    if not competes.any():
        return None
    before = scores[window].copy()
    # Who competes with whom is decided once, on the scores as they came: capping must not
    # make further rivals qualify (a chain of caps would bury a statement without a reason).
    competes &= before[None, :] >= ratio * before[:, None]
    if not competes.any():
        return None
    for _ in range(len(window)):
        current = scores[window]
        ceiling = np.where(competes, current[None, :], -np.inf).max(axis=1)
        capped = np.isfinite(ceiling) & (current > ceiling)
        if not capped.any():
            break
        scores[window[capped]] = ceiling[capped] * (1.0 - 1e-6)
    taken = scores[window] - before
    if not (taken < 0).any():
        return None
    raw = np.zeros(len(scores))
    change = np.zeros(len(scores))
    raw[window] = (taken < 0).astype(np.float64)
    change[window] = taken
    return raw, change
