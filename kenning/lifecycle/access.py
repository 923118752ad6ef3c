"""Retrieval statistics (MemoryBank's strength and last access), buffered between writes.

Counts are written in one transaction at the next write, read of a memory, or close, or
when the buffer is old (10 s) or large (1,000 memories): a durable write per search would
cost more than the search itself.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import datetime

from kenning.store import Store

BUFFER_SIZE = 1000
BUFFER_SECONDS = 10.0


class AccessBuffer:
    """Retrieval counts of every user's searches, shared by one ``Memory``'s threads."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()
        self._at: datetime | None = None
        self._since = 0.0

    def note(self, counts: Counter[str], at: datetime) -> bool:
        """Add retrievals made at ``at``; whether the buffer should be flushed now."""
        now = time.monotonic()
        with self._lock:
            if not self._counts:
                self._since = now
            self._counts.update(counts)
            self._at = at
            return len(self._counts) >= BUFFER_SIZE or now - self._since >= BUFFER_SECONDS

    def flush(self, strength_gain: float) -> None:
        """Write the buffered counts to the store (nothing when empty)."""
        with self._lock:
            if self._counts and self._at is not None:
                counts, self._counts = self._counts, Counter()
                self._store.record_access(counts, self._at, strength_gain=strength_gain)
