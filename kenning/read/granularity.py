"""Multi-granularity scoring (LongMemEval, MemGAS): one granularity's hit lifts the others.

Memories of several granularities (turn, round, session) are made of the same messages.
Each granularity is scored on its own; a memory then receives, per other granularity, the
best score among the memories of that granularity that share a message with it: a turn
inside a well-matching round or session rises, and so does a session holding a strong turn.
How decisive a granularity's scores are (MemGAS: low entropy of its top scores) can set
how much it lifts the others.
"""

from __future__ import annotations

import numpy as np

from kenning.index.sparse import FloatArray, Triplets, group_max


def lift(incidence: Triplets, level_scores: FloatArray) -> FloatArray:
    """For every memory, the best ``level_scores`` among memories sharing a message with it.

    ``incidence`` is memories x messages (0/1); ``level_scores`` holds scores in [0, 1] for
    the memories of one granularity and -inf elsewhere. Memories sharing nothing get -inf.
    """
    shifted = np.where(np.isfinite(level_scores), level_scores + 1.0, 0.0)
    if incidence.nnz == 0 or not shifted.any():
        return np.full(incidence.shape[0], -np.inf)
    n_memories, n_messages = incidence.shape
    per_message = group_max(incidence.cols, shifted[incidence.rows], n_messages)
    best = group_max(incidence.rows, per_message[incidence.cols], n_memories)
    return np.where(best > 0, best - 1.0, -np.inf)


def peakedness(scores: FloatArray, *, top: int = 10, temperature: float = 0.1) -> float:
    """1 - normalised entropy of the softmax over the ``top`` best finite scores (MemGAS).

    1 when one memory stands out, 0 when the top scores are all alike.
    """
    finite = np.sort(scores[np.isfinite(scores)])[::-1][:top]
    if len(finite) < 2:
        return 1.0 if len(finite) == 1 else 0.0
    z = (finite - finite.max()) / temperature
    p = np.exp(z) / np.exp(z).sum()
    entropy = float(-(p * np.log(p + 1e-300)).sum())
    return float(1.0 - entropy / np.log(len(finite)))
