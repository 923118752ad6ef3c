"""The read path: candidates from every signal, fused, filtered, explained."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from engram.config import FusionMethod
from engram.embed.base import Embedder
from engram.index.scope import Eligibility, ScopeIndex
from engram.models import Hit, SignalScore
from engram.read.fusion import fuse, ranks


@dataclass(frozen=True, slots=True)
class SearchSettings:
    """How signals are fused. Defaults were chosen on the LoCoMo development half (docs/retrieval.md)."""

    method: FusionMethod = FusionMethod.MINMAX
    weights: dict[str, float] = field(default_factory=lambda: {"dense": 0.5, "bm25": 0.5})


def search_scope(
    index: ScopeIndex,
    embedder: Embedder,
    query: str,
    *,
    where: Eligibility,
    limit: int,
    settings: SearchSettings,
) -> list[Hit]:
    """Rank the eligible memories of one scope for a query."""
    mask = index.eligible(where)
    candidates = np.flatnonzero(mask)
    if len(candidates) == 0:
        return []
    query_vector = embedder.embed([query])[0]
    signals = {
        "dense": index.dense_scores(query_vector)[candidates],
        "bm25": index.lexical_scores(query)[candidates],
    }
    # BM25 0 means "no term matched": no opinion, not a weak match.
    signals["bm25"] = np.where(signals["bm25"] > 0, signals["bm25"], -np.inf)
    fused, contributions = fuse(signals, settings.weights, settings.method)
    top = min(limit, len(candidates))
    best = (
        np.argpartition(-fused, top - 1)[:top]
        if top < len(candidates)
        else np.arange(len(candidates))
    )
    best = best[np.lexsort((best, -fused[best]))]
    signal_ranks = {name: ranks(scores) for name, scores in signals.items()}
    hits = []
    for local in best:
        signal_view = {
            name: SignalScore(
                raw=float(signals[name][local]) if np.isfinite(signals[name][local]) else 0.0,
                rank=None
                if np.isnan(signal_ranks[name][local])
                else int(signal_ranks[name][local]),
                contribution=float(contributions[name][local]),
            )
            for name in signals
        }
        hits.append(
            Hit(
                memory=index.items[int(candidates[local])],
                score=float(fused[local]),
                signals=signal_view,
            )
        )
    return hits
