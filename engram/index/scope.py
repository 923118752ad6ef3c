"""All of one user's memories, held in memory for search: vectors, BM25 and filter columns.

One row per index key in both the dense and the BM25 index; each row points at
its memory. Filters (kind, status, session, agent, time, ``as_of``) are numpy masks
over memories, so a search touches no SQL until the winners are known.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt

from engram.index.dense import DenseIndex
from engram.index.lexical import BM25Index
from engram.models import MemoryItem, MemoryKind, MemoryStatus

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

_KIND_CODES = {kind: code for code, kind in enumerate(MemoryKind)}
_STATUS_CODES = {status: code for code, status in enumerate(MemoryStatus)}


def _ts(value: datetime | None) -> float:
    return value.timestamp() if value is not None else float("nan")


@dataclass(frozen=True, slots=True)
class Eligibility:
    """Which memories a search may return (all conditions must hold)."""

    kinds: tuple[MemoryKind, ...] | None = None
    statuses: tuple[MemoryStatus, ...] = (MemoryStatus.ACTIVE,)
    session_id: str | None = None
    agent_id: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    as_of: datetime | None = None


class _Column:
    """A growable numpy column."""

    def __init__(self, dtype: type, fill: object) -> None:
        self.values: npt.NDArray[Any] = np.full(64, fill, dtype=dtype)
        self.fill = fill
        self.size = 0

    def set(self, position: int, value: object) -> None:
        if position >= len(self.values):
            grown = np.full(
                max(position + 1, 2 * len(self.values)), self.fill, dtype=self.values.dtype
            )
            grown[: len(self.values)] = self.values
            self.values = grown
        self.values[position] = value
        self.size = max(self.size, position + 1)

    def view(self) -> npt.NDArray[Any]:
        return self.values[: self.size]


class ScopeIndex:
    """Search structures for one user's memories."""

    def __init__(self, dim: int, *, k1: float = 1.2, b: float = 0.75) -> None:
        self.dense = DenseIndex(dim)
        self.lexical = BM25Index(k1=k1, b=b)
        self.items: list[MemoryItem] = []
        self.position: dict[str, int] = {}
        self._rows_of: list[list[int]] = []
        self._row_memory = _Column(np.int64, -1)
        self._kind = _Column(np.int16, -1)
        self._status = _Column(np.int16, -1)
        self._event = _Column(np.float64, np.nan)
        self._valid_from = _Column(np.float64, np.nan)
        self._valid_to = _Column(np.float64, np.nan)
        self._session: list[str | None] = []
        self._agent: list[str | None] = []

    def __len__(self) -> int:
        return len(self.items)

    def upsert(
        self, item: MemoryItem, key_texts: Sequence[str], vectors: npt.NDArray[np.float32]
    ) -> None:
        """Add a memory, or replace an indexed one (its old keys stop matching)."""
        if len(key_texts) != len(vectors):
            raise ValueError("one vector per key text is required")
        position = self.position.get(item.id)
        if position is None:
            position = len(self.items)
            self.position[item.id] = position
            self.items.append(item)
            self._rows_of.append([])
            self._session.append(item.session_id)
            self._agent.append(item.agent_id)
        else:
            self._drop_rows(position)
        self.update_item(item)
        rows = list(self.dense.add(vectors))
        for text, row in zip(key_texts, rows, strict=True):
            lexical_row = self.lexical.add(text)
            if lexical_row != row:
                raise RuntimeError("dense and lexical rows diverged")
            self._row_memory.set(row, position)
        self._rows_of[position] = rows

    def update_item(self, item: MemoryItem) -> None:
        """Refresh an indexed memory's filter columns (status, validity, text...)."""
        position = self.position[item.id]
        self.items[position] = item
        self._kind.set(position, _KIND_CODES[item.kind])
        self._status.set(position, _STATUS_CODES[item.status])
        self._event.set(position, _ts(item.event_time))
        self._valid_from.set(position, _ts(item.valid_from))
        self._valid_to.set(position, _ts(item.valid_to))
        self._session[position] = item.session_id
        self._agent[position] = item.agent_id

    def remove(self, memory_id: str) -> None:
        """Forget a memory entirely (deleted memories are never searchable)."""
        position = self.position.get(memory_id)
        if position is None:
            return
        self._drop_rows(position)
        self._status.set(position, -1)

    def _drop_rows(self, position: int) -> None:
        for row in self._rows_of[position]:
            self.dense.clear(row)
            self.lexical.remove(row)
            self._row_memory.set(row, -1)
        self._rows_of[position] = []

    def eligible(self, where: Eligibility) -> BoolArray:
        """Mask over memory positions that satisfy every condition."""
        n = len(self.items)
        status = self._status.view()
        mask = np.isin(status, [_STATUS_CODES[s] for s in where.statuses])
        if where.kinds is not None:
            mask &= np.isin(self._kind.view(), [_KIND_CODES[k] for k in where.kinds])
        if where.session_id is not None:
            mask &= np.fromiter((s == where.session_id for s in self._session), dtype=bool, count=n)
        if where.agent_id is not None:
            mask &= np.fromiter((a == where.agent_id for a in self._agent), dtype=bool, count=n)
        event = self._event.view()
        if where.start is not None:
            mask &= event >= where.start.timestamp()
        if where.end is not None:
            mask &= event < where.end.timestamp()
        if where.as_of is not None:
            t = where.as_of.timestamp()
            began = np.where(np.isnan(self._valid_from.view()), event, self._valid_from.view())
            mask &= ~(began > t)  # NaN (no time known) counts as valid
            mask &= ~(self._valid_to.view() <= t)
        return mask

    def _per_memory_max(self, row_scores: npt.NDArray[np.float32]) -> FloatArray:
        best = np.full(len(self.items), -np.inf, dtype=np.float64)
        owners = self._row_memory.view()[: len(row_scores)]
        live = np.flatnonzero(owners >= 0)
        # Assign in ascending score order: for a memory with several keys the last write,
        # i.e. the highest score, wins (much faster than np.maximum.at).
        order = live[np.argsort(row_scores[live], kind="stable")]
        best[owners[order]] = row_scores[order]
        return best

    def dense_scores(self, query_vector: npt.NDArray[np.float32]) -> FloatArray:
        """Best cosine similarity over each memory's keys (-inf for memories without keys)."""
        return self._per_memory_max(self.dense.scores(query_vector))

    def lexical_scores(self, query: str) -> FloatArray:
        """Best BM25 score over each memory's keys."""
        return self._per_memory_max(self.lexical.scores(query))
