"""The in-memory indexes of every user scope, loaded from the store on first use."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

import numpy as np

from kenning.embed.base import Embedder, Vectors
from kenning.index.scope import ScopeIndex
from kenning.models import KeyKind, MemoryItem
from kenning.store import Store, StoredMemory

log = logging.getLogger(__name__)


def vectors_to_bytes(vectors: Vectors) -> list[bytes]:
    """Row-wise float32 little-endian encoding, as stored in the key table."""
    return [np.ascontiguousarray(row, dtype="<f4").tobytes() for row in vectors]


class IndexRegistry:
    """Holds one :class:`ScopeIndex` per user; the write path keeps them current."""

    def __init__(
        self,
        store: Store,
        embedder: Embedder,
        *,
        k1: float,
        b: float,
        key_expansion: bool = True,
        synonym_threshold: float = 0.8,
    ) -> None:
        self._store = store
        self._embedder = embedder
        self._k1 = k1
        self._b = b
        self._key_expansion = key_expansion
        self._synonym_threshold = synonym_threshold
        self._scopes: dict[str, ScopeIndex] = {}
        self._lock = threading.RLock()

    def reset(self, *, key_expansion: bool) -> None:
        """Drop every loaded index; the next search reloads with these options."""
        with self._lock:
            self._key_expansion = key_expansion
            self._scopes.clear()

    def drop(self, user_id: str) -> None:
        """Forget a user's loaded index; the next use reloads it from the store."""
        with self._lock:
            self._scopes.pop(user_id, None)

    def get(self, user_id: str) -> ScopeIndex:
        """The user's index, loading it from the store the first time."""
        with self._lock:
            scope = self._scopes.get(user_id)
            if scope is None:
                scope = self._load(user_id)
                self._scopes[user_id] = scope
            return scope

    def loaded(self, user_id: str) -> ScopeIndex | None:
        """The user's index if it is already in memory."""
        return self._scopes.get(user_id)

    def _load(self, user_id: str) -> ScopeIndex:
        stored = list(self._store.iter_indexable(user_id))
        scope = ScopeIndex(
            self._embedder.dim,
            k1=self._k1,
            b=self._b,
            key_expansion=self._key_expansion,
            embed=self._embedder.embed,
            synonym_threshold=self._synonym_threshold,
        )
        self._insert(scope, stored)
        log.debug("loaded index of %s: %d memories", user_id, len(scope))
        return scope

    def _insert(self, scope: ScopeIndex, stored: Sequence[StoredMemory]) -> None:
        model_id = self._embedder.model_id
        # Only text keys carry vectors; expansion keys are lexical (see KeyKind).
        stale = [
            key.text
            for memory in stored
            for key in memory.keys
            if key.kind is KeyKind.TEXT and (memory.model_id != model_id or key.vector is None)
        ]
        fresh = iter(self._embedder.embed(stale)) if stale else iter(())
        for memory in stored:
            rows = []
            texts = []
            expansions: dict[KeyKind, str] = {}
            for key in memory.keys:
                if key.kind is not KeyKind.TEXT:
                    expansions[key.kind] = key.text
                    continue
                texts.append(key.text)
                if memory.model_id != model_id or key.vector is None:
                    rows.append(next(fresh))
                else:
                    rows.append(np.frombuffer(key.vector, dtype="<f4"))
            matrix = (
                np.vstack(rows) if rows else np.zeros((0, self._embedder.dim), dtype=np.float32)
            )
            scope.upsert(memory.item, texts, matrix, expansions)

    def refresh(self, user_id: str, items: Sequence[MemoryItem]) -> None:
        """Bring a loaded index's filter columns up to date with changed memories (same keys)."""
        with self._lock:
            scope = self._scopes.get(user_id)
            if scope is None:
                return
            for item in items:
                if item.id in scope.position:
                    scope.update_item(item)

    def apply(self, user_id: str, stored: Sequence[StoredMemory]) -> None:
        """Bring a loaded index up to date with memories just committed."""
        with self._lock:
            scope = self._scopes.get(user_id)
            if scope is not None:
                self._insert(scope, stored)
