"""The in-memory indexes of every user scope: caches of the store that follow its change feed."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from kenning.embed.base import Embedder, Vectors
from kenning.index.scope import ScopeIndex
from kenning.models import KeyKind, MemoryStatus
from kenning.store import Store, StoredMemory

log = logging.getLogger(__name__)


def vectors_to_bytes(vectors: Vectors) -> list[bytes]:
    """Row-wise float32 little-endian encoding, as stored in the key table."""
    return [np.ascontiguousarray(row, dtype="<f4").tobytes() for row in vectors]


@dataclass(slots=True)
class _Loaded:
    """A user's index and the feed position it reflects."""

    scope: ScopeIndex
    position: int


class IndexRegistry:
    """One :class:`ScopeIndex` per user: a cache of the store that follows its change feed.

    The store is the truth; several processes may write it. Every :meth:`get` first asks the
    store what changed in the user's scope since the feed position the index reflects and
    applies exactly that (re-reading the changed memories), so a call that starts after any
    process's write returned sees it. Nothing else updates an index: a process's own writes
    reach it through the feed too. An erase makes the next :meth:`get` rebuild the scope, so
    no erased text (not even a vocabulary word or an entity name) stays in memory.

    :meth:`user_lock` serialises the calls of one user in this process (an index is not
    thread-safe); different users proceed in parallel.
    """

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
        self._scopes: dict[str, _Loaded] = {}
        self._locks: dict[str, threading.RLock] = {}
        self._lock = threading.Lock()  # guards the two dicts, never held during work

    def user_lock(self, user_id: str) -> threading.RLock:
        """The lock of one user's calls in this process (re-entrant)."""
        with self._lock:
            lock = self._locks.get(user_id)
            if lock is None:
                lock = self._locks[user_id] = threading.RLock()
            return lock

    def reset(self, *, key_expansion: bool) -> None:
        """Drop every loaded index; the next use reloads with these options."""
        with self._lock:
            self._key_expansion = key_expansion
            self._scopes.clear()

    def get(self, user_id: str) -> ScopeIndex:
        """The user's index, current with the store (hold :meth:`user_lock` while using it)."""
        with self.user_lock(user_id):
            known = self._scopes.get(user_id)
            loaded = self._load(user_id) if known is None else self._catch_up(user_id, known)
            with self._lock:
                self._scopes[user_id] = loaded
            return loaded.scope

    def loaded(self, user_id: str) -> ScopeIndex | None:
        """The user's index if it is in memory (possibly behind the store)."""
        found = self._scopes.get(user_id)
        return found.scope if found is not None else None

    def _load(self, user_id: str) -> _Loaded:
        # The head is read first: a change committed while the scope loads is applied
        # (again, harmlessly) by the next catch-up.
        position = self._store.feed_head(user_id)
        scope = ScopeIndex(
            self._embedder.dim,
            k1=self._k1,
            b=self._b,
            key_expansion=self._key_expansion,
            embed=self._embedder.embed,
            synonym_threshold=self._synonym_threshold,
        )
        with scope.lexical.deferred_merges():
            self._insert(scope, list(self._store.iter_indexable(user_id)))
        log.debug("loaded index of %s: %d memories at feed %d", user_id, len(scope), position)
        return _Loaded(scope, position)

    def _catch_up(self, user_id: str, loaded: _Loaded) -> _Loaded:
        changes = self._store.changes_since(user_id, loaded.position)
        if changes.head == loaded.position:
            return loaded
        if changes.erased:
            log.debug("user %s: %d memories erased; rebuilding", user_id, len(changes.erased))
            return self._load(user_id)
        stored = self._store.indexable_memories(user_id, changes.changed)
        present = {memory.item.id for memory in stored}
        for memory_id in changes.changed:
            if memory_id not in present:  # deleted: never searchable again
                loaded.scope.remove(memory_id)
        self._insert(loaded.scope, stored)
        # Fields alone changed (status, validity, access statistics): no keys to re-read.
        for item in self._store.get_memories(changes.touched):
            if item.user_id != user_id or item.id not in loaded.scope.position:
                continue
            if item.status is MemoryStatus.DELETED:
                loaded.scope.remove(item.id)
            elif not loaded.scope.removed(loaded.scope.position[item.id]):
                loaded.scope.update_item(item)
        loaded.position = changes.head
        return loaded

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
            if scope.has_keys(memory.item.id, memory.keys):
                scope.update_item(memory.item)  # same keys (e.g. access statistics)
                continue
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
            scope.upsert(memory.item, texts, matrix, expansions, keys=memory.keys)
