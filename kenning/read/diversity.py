"""Diversity among the top hits: maximal marginal relevance (Carbonell & Goldstein, SIGIR 1998).

``MMR = argmax_{d in R \\ S} [ lambda * rel(d) - (1 - lambda) * max_{s in S} sim(d, s) ]``:
each pick trades relevance for novelty with respect to what was already picked, so near
copies of one memory (a turn, its round, a repeated message) do not fill the top.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


def mmr(
    relevance: FloatArray,
    vectors: npt.NDArray[np.float32],
    k: int,
    *,
    lambda_: float = 0.7,
) -> list[int]:
    """Indices of ``k`` picks in order; ``relevance`` is scaled to [0, 1] first, rows are unit."""
    n = len(relevance)
    if n == 0 or k <= 0:
        return []
    rel = np.asarray(relevance, dtype=np.float64)
    span = float(rel.max() - rel.min())
    rel = (rel - rel.min()) / span if span > 1e-12 else np.ones(n)
    similarity = np.asarray(vectors @ vectors.T, dtype=np.float64)
    chosen: list[int] = []
    redundancy = np.full(n, -np.inf)
    available = np.ones(n, dtype=bool)
    for _ in range(min(k, n)):
        penalty = np.where(np.isfinite(redundancy), redundancy, 0.0)
        value = np.where(available, lambda_ * rel - (1.0 - lambda_) * penalty, -np.inf)
        pick = int(np.argmax(value))
        chosen.append(pick)
        available[pick] = False
        redundancy = np.maximum(redundancy, similarity[pick])
    return chosen
