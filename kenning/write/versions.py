"""Fact versions: a single-valued slot ("ana.city") holds one value at a time (Zep).

A newer value closes the validity of the one before it (``valid_to`` = the newer one's
``valid_from``; status ``superseded``; ``expired_at`` = when we learned it) and both stay
stored. Versions are ordered by event time, not arrival, so a fact reported late ("I lived
in Rome in 2019") slots in where it belongs and is closed by the version after it. Saying
the value in effect again reinforces that version instead of storing a copy.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from kenning.models import MemoryItem, MemoryStatus

# Statuses of memories that are still searched: current or superseded, not archived.
LIVE = (MemoryStatus.ACTIVE, MemoryStatus.SUPERSEDED)
_ARTICLE = re.compile(r"^(?:a|an|the|my|our)\s+")


def start_of(item: MemoryItem) -> datetime:
    """When a version took effect: its ``valid_from``, else its event or record time."""
    return item.valid_from or item.event_time or item.created_at


def same_value(a: MemoryItem, b: MemoryItem) -> bool:
    """Whether two versions of a slot say the same thing (case, spacing, articles ignored)."""
    if bool(a.metadata.get("ended")) != bool(b.metadata.get("ended")):
        return False

    def norm(item: MemoryItem) -> str:
        value = " ".join((item.object or item.text).casefold().split())
        return _ARTICLE.sub("", value).strip(" .!")

    return norm(a) == norm(b)


def in_effect(versions: Sequence[MemoryItem], at: datetime) -> MemoryItem | None:
    """The live version that had taken effect by ``at`` (the latest one to start by then)."""
    started = [v for v in versions if v.status in LIVE and start_of(v) <= at]
    return max(started, key=lambda v: (start_of(v), v.created_at)) if started else None


@dataclass(frozen=True, slots=True)
class Closure:
    """A version whose validity a successor closes."""

    before: MemoryItem
    after: MemoryItem
    successor: MemoryItem


def close_chain(versions: Sequence[MemoryItem], now: datetime) -> list[Closure]:
    """The versions to close so that each live version ends where the next one starts."""
    live = sorted(
        (v for v in versions if v.status in LIVE), key=lambda v: (start_of(v), v.created_at)
    )
    closures = []
    for older, newer in itertools.pairwise(live):
        end = start_of(newer)
        if older.status is MemoryStatus.SUPERSEDED and older.valid_to == end:
            continue
        after = replace(
            older,
            valid_to=end,
            status=MemoryStatus.SUPERSEDED,
            expired_at=older.expired_at or now,
            updated_at=now,
        )
        closures.append(Closure(before=older, after=after, successor=newer))
    return closures
