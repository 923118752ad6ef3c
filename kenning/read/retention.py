"""Retention R = exp(-t / S) (MemoryBank's forgetting curve, after Ebbinghaus).

``t`` is the time since a memory was last recalled (or created), in days; the stability
``S`` is ``retention_days`` for a memory of strength 1 and importance 0.5, grows linearly
with strength (each recall adds ``recall_gain``) and with importance (x0.5 at importance 0,
x1.5 at 1). Pinned memories never fade.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
_DAY = 86400.0


def retention(
    touched: FloatArray,
    strength: FloatArray,
    importance: FloatArray,
    pinned: npt.NDArray[np.bool_],
    *,
    now: float,
    days: float,
) -> FloatArray:
    """R in (0, 1] per memory; ``touched`` and ``now`` are epoch seconds (NaN: never, R=1)."""
    age = np.maximum(np.nan_to_num(now - touched, nan=0.0), 0.0) / _DAY
    stability = days * np.maximum(strength, 1e-6) * (0.5 + np.clip(importance, 0.0, 1.0))
    out: FloatArray = np.where(pinned, 1.0, np.exp(-age / stability))
    return out
