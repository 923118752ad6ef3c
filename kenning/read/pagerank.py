"""Personalized PageRank by sparse power iteration (HippoRAG 2's graph search).

``p = (1 - d) r + d P p`` where ``P`` is the column-stochastic transition matrix of the
graph and ``r`` the normalised reset (personalisation) vector (Page et al. 1999;
Haveliwala 2002; HippoRAG 2, Gutiérrez et al. 2025, uses damping ``d = 0.5``). Mass
that reaches a node without edges returns to the reset distribution, so ``p`` sums to 1.
"""

from __future__ import annotations

import numpy as np

from kenning.index.sparse import FloatArray, Triplets


def personalized_pagerank(
    adjacency: Triplets,
    reset: FloatArray,
    *,
    damping: float = 0.5,
    max_iter: int = 50,
    tol: float = 1e-8,
) -> FloatArray:
    """Stationary distribution of a walk that restarts at ``reset`` with probability ``1 - d``.

    ``adjacency`` is a non-negative (weighted, possibly asymmetric: ``A[i, j]`` is the edge
    i -> j) square matrix; ``reset`` non-negative weights over its nodes (not all zero).
    """
    if not 0.0 <= damping < 1.0:
        raise ValueError("damping must be in [0, 1)")
    n = adjacency.shape[0]
    reset = np.asarray(reset, dtype=np.float64)
    if reset.shape != (n,) or (reset < 0).any() or reset.sum() <= 0:
        raise ValueError("reset must be a non-negative vector over the nodes, not all zero")
    r = reset / reset.sum()
    out_weight = adjacency.row_sums()
    dangling = out_weight == 0
    # P = A.T diag(1 / out-weight), normalised edge by edge (1 / a tiny weight would overflow).
    edge_out = out_weight[adjacency.rows]
    share = np.divide(adjacency.values, edge_out, out=np.zeros_like(edge_out), where=edge_out > 0)
    transition = Triplets(adjacency.shape, adjacency.rows, adjacency.cols, share)
    p: FloatArray = r.copy()
    for _ in range(max_iter):
        following = transition.rmatvec(p)
        following += p[dangling].sum() * r  # walks stuck at a dead end restart
        updated: FloatArray = np.asarray((1.0 - damping) * r + damping * following)
        if np.abs(updated - p).sum() < tol:
            return updated
        p = updated
    return p
