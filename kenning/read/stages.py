"""Where a search spends its time, stage by stage, for ``kenning bench``.

Timing is off unless a caller opens :func:`recording`; then every :func:`timed` block
of the search adds its wall time to that stage. A context variable carries the record, so
concurrent searches in other threads or tasks never mix their figures.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar


class Stage(enum.StrEnum):
    """The stages of one search, in order."""

    EMBED = "embed"  # the query's embedding (the model)
    CATCH_UP = "catch_up"  # applying other writes to the in-memory index (the change feed)
    CANDIDATES = "candidates"  # first stage: nearest neighbours, postings, relatives
    SCORING = "scoring"  # every signal over the candidates, fusion, lifecycle, diversity
    ASSEMBLY = "assembly"  # hits with their explanations, recording the access


_record: ContextVar[dict[Stage, float] | None] = ContextVar("kenning_stage_times", default=None)


@contextmanager
def recording() -> Iterator[dict[Stage, float]]:
    """Collect the seconds each stage takes inside this block (summed over repeats)."""
    record: dict[Stage, float] = {}
    token = _record.set(record)
    try:
        yield record
    finally:
        _record.reset(token)


@contextmanager
def timed(stage: Stage) -> Iterator[None]:
    """Add this block's wall time to ``stage`` when a :func:`recording` is open."""
    record = _record.get()
    if record is None:
        yield
        return
    start = time.perf_counter()
    try:
        yield
    finally:
        record[stage] = record.get(stage, 0.0) + time.perf_counter() - start
