"""Identifiers of episodes and memories: 32 hex digits, ordered by creation time.

The first 12 digits are the Unix time in milliseconds, the other 20 are random (the layout
of a UUIDv7, without its version bits). Rows keyed by such ids land at the end of the
store's B-tree indexes rather than anywhere in them, so an insert dirties the same few
pages however large the table is: with random ids, each of an add's rows touched its own
leaf pages of a 1 GB store (docs/benchmarks.md, "Adds").
"""

from __future__ import annotations

import secrets
import time


def new_id() -> str:
    """A new id: creation time first, then 80 random bits."""
    return f"{time.time_ns() // 1_000_000:012x}{secrets.randbits(80):020x}"
