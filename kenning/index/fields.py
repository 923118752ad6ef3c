"""How a memory's record becomes index columns: name codes, digests of the fields that
caches depend on, the key signature, and the time ranges its text mentions."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from kenning.extract.timeexpr import find_time_expressions
from kenning.models import IndexKey, MemoryItem

NO_RANGES = np.zeros((0, 2), dtype=np.float64)


class Codes:
    """Small integer codes for names (sessions, agents), so a filter is one comparison."""

    def __init__(self) -> None:
        self._codes: dict[str, int] = {}

    def code(self, name: str | None) -> int:
        if name is None:
            return -1
        return self._codes.setdefault(name, len(self._codes))

    def find(self, name: str) -> int:
        """The code of a name, or -2 (matching nothing) for an unknown one."""
        return self._codes.get(name, -2)


def structure(item: MemoryItem) -> tuple[Any, ...]:
    """What validity, supersession and the episode incidence are computed from."""
    return (
        item.kind,
        item.status,
        item.valid_from,
        item.valid_to,
        item.slot,
        item.subject,
        item.episode_ids,
    )


def filtered(item: MemoryItem) -> tuple[Any, ...]:
    """What eligibility reads beyond the structure (see ``_eligible``)."""
    return (item.event_time, item.session_id, item.agent_id)


def signature(keys: Sequence[IndexKey]) -> int:
    """A digest of the keys a memory is indexed under (stable across processes)."""
    digest = hashlib.blake2b(digest_size=8)
    for key in keys:
        digest.update(key.kind.value.encode())
        digest.update(b"\0" + key.text.encode() + b"\0")
        digest.update(key.vector or b"")
    return _nonzero(digest.digest())


def digest(values: tuple[Any, ...]) -> int:
    """A stable digest of some fields (their repr), never 0 (0 means none)."""
    return _nonzero(hashlib.blake2b(repr(values).encode(), digest_size=8).digest())


def _nonzero(digest: bytes) -> int:
    return int.from_bytes(digest, "little", signed=True) or 1


def mentioned_ranges(item: MemoryItem) -> npt.NDArray[np.float64]:
    """The ``[start, end)`` ranges of the time expressions in a memory's text.

    Resolved against the memory's event time, as the write path resolved its ``DATE`` key.
    """
    if item.event_time is None:
        return NO_RANGES
    mentions = find_time_expressions(item.text, item.event_time)
    return np.asarray(
        [(m.start.timestamp(), m.end.timestamp()) for m in mentions], dtype=np.float64
    ).reshape(-1, 2)
