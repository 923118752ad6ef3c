"""Score fusion: pure functions from per-signal scores to one ranking score.

Every function takes arrays aligned on candidates (``-inf`` or NaN = the signal
has no opinion) and returns an array of the same length.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

import numpy as np
import numpy.typing as npt

from kenning.config import FusionMethod

FloatArray = npt.NDArray[np.float64]


def ranks(scores: FloatArray) -> FloatArray:
    """1-based rank of each candidate, best first (ties broken by position); NaN if no score."""
    finite = np.isfinite(scores)
    order = np.argsort(-np.where(finite, scores, -np.inf), kind="stable")
    out = np.empty(len(scores), dtype=np.float64)
    out[order] = np.arange(1, len(scores) + 1, dtype=np.float64)
    out[~finite] = np.nan
    return out


def ranks_at(scores: FloatArray, at: npt.NDArray[np.int64]) -> FloatArray:
    """:func:`ranks` of the candidates at ``at`` only: one comparison with every score per
    candidate asked, instead of sorting them all (a search explains its ten hits)."""
    key = np.where(np.isfinite(scores), scores, -np.inf)
    asked = key[at]
    above = (key[None, :] > asked[:, None]).sum(axis=1)
    before = np.arange(len(key))[None, :] < at[:, None]
    tied_before = ((key[None, :] == asked[:, None]) & before).sum(axis=1)
    out: FloatArray = (1 + above + tied_before).astype(np.float64)
    out[~np.isfinite(scores[at])] = np.nan
    return out


def rrf(scores: FloatArray, k: float = 60.0) -> FloatArray:
    """Reciprocal rank ``1 / (k + rank)`` (Cormack, Clarke & Buettcher, SIGIR 2009); 0 without a score."""
    r = ranks(scores)
    return np.where(np.isnan(r), 0.0, 1.0 / (k + np.nan_to_num(r, nan=0.0)))


def minmax(scores: FloatArray) -> FloatArray:
    """Scale finite scores to [0, 1] (all-equal scores map to 1 if positive, else 0); 0 without a score."""
    finite = np.isfinite(scores)
    if not finite.any():
        return np.zeros(len(scores))
    low, high = float(scores[finite].min()), float(scores[finite].max())
    if high - low <= 1e-12:
        value = 1.0 if high > 0 else 0.0
        return np.where(finite, value, 0.0)
    return np.where(finite, (scores - low) / (high - low), 0.0)


def zscore(scores: FloatArray) -> FloatArray:
    """Standardise finite scores to mean 0, unit variance; the minimum where there is no score."""
    finite = np.isfinite(scores)
    if finite.sum() < 2:
        return np.zeros(len(scores))
    values = scores[finite]
    std = float(values.std()) or 1.0
    z = (scores - float(values.mean())) / std
    floor = float(z[finite].min())
    return np.where(finite, z, floor)


_NORMALISERS = {FusionMethod.RRF: rrf, FusionMethod.MINMAX: minmax, FusionMethod.ZSCORE: zscore}


def fuse(
    signals: Mapping[str, FloatArray],
    weights: Mapping[str, float],
    method: FusionMethod,
    *,
    calibrated: Collection[str] = (),
) -> tuple[FloatArray, dict[str, FloatArray]]:
    """Weighted sum of normalised signals; returns the fused score and each signal's share.

    Signals named in ``calibrated`` are already on a [0, 1] scale that means the same in every
    query; they are taken as they are (no score = 0) instead of being stretched to [0, 1],
    which would make the best of a set of poor matches look perfect.
    """
    contributions: dict[str, FloatArray] = {}
    total: FloatArray | None = None
    for name, scores in signals.items():
        weight = weights.get(name, 0.0)
        values = np.asarray(scores, dtype=np.float64)
        if name in calibrated:
            normalised = np.where(np.isfinite(values), np.clip(values, 0.0, 1.0), 0.0)
        else:
            normalised = _NORMALISERS[method](values)
        part = weight * normalised
        contributions[name] = part
        total = part if total is None else total + part
    if total is None:
        raise ValueError("at least one signal is required")
    return total, contributions
