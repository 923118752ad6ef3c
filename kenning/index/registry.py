"""The in-memory indexes of every user scope: caches of the store that follow its change feed."""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from kenning.embed.base import Embedder, Vectors
from kenning.index import snapshot
from kenning.index.scope import ScopeIndex
from kenning.models import KeyKind, MemoryItem, MemoryStatus
from kenning.store import Store, StoredMemory

log = logging.getLogger(__name__)

# A feed position after every change: changes_since(user, it) reads the head alone.
_AFTER_EVERY_CHANGE = 2**62

# Scopes with more dense rows than this get their HNSW graph built before a snapshot is
# written (smaller ones are searched exactly and may never need it).
_GRAPH_FROM = 4096


def vectors_to_bytes(vectors: Vectors) -> list[bytes]:
    """Row-wise float32 little-endian encoding, as stored in the key table."""
    return [np.ascontiguousarray(row, dtype="<f4").tobytes() for row in vectors]


@dataclass(slots=True)
class _Loaded:
    """A user's index, the feed position it reflects and how many of its memories changed
    since its snapshot was written (or since it was built)."""

    scope: ScopeIndex
    position: int
    created: datetime | None  # the scope's creation (FeedChanges.scope_created)
    changed: int = 0  # memories re-indexed since the snapshot
    touched: int = 0  # memories whose fields alone changed since (access statistics...)


@dataclass(frozen=True, slots=True)
class Snapshots:
    """Where index snapshots live (kenning.index.snapshot) and when they are written.

    ``min_memories``: scopes smaller than this load fast from the store and get none.
    A loaded scope's snapshot is rewritten once it is behind by ``min_memories`` changed
    memories or a tenth of the scope, whichever is more, and when the ``Memory`` closes if
    any memory changed (not counting access statistics alone).
    """

    directory: Path
    min_memories: int = 1000


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
        snapshots: Snapshots | None = None,
    ) -> None:
        self._store = store
        self._snapshots = snapshots
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

    def drop(self, user_id: str) -> None:
        """Forget the user's index and snapshot (after the user was erased): nothing of its
        text stays in this process; a later use loads the scope anew."""
        with self.user_lock(user_id):
            with self._lock:
                self._scopes.pop(user_id, None)
            self.discard_snapshot(user_id)

    def loaded(self, user_id: str) -> ScopeIndex | None:
        """The user's index if it is in memory (possibly behind the store)."""
        found = self._scopes.get(user_id)
        return found.scope if found is not None else None

    def _fresh(self) -> ScopeIndex:
        return ScopeIndex(
            self._embedder.dim,
            k1=self._k1,
            b=self._b,
            key_expansion=self._key_expansion,
            embed=self._embedder.embed,
            synonym_threshold=self._synonym_threshold,
            fetch=self._records,
        )

    def _load(self, user_id: str) -> _Loaded:
        # The head (and the scope it counts in, read with it) first: a change committed
        # while the scope loads is applied (again, harmlessly) by the next catch-up.
        start = self._store.changes_since(user_id, _AFTER_EVERY_CHANGE)
        head = start.head
        restored = self._restore(user_id, head, start.scope_created)
        if restored is not None:
            return self._catch_up(user_id, restored)
        scope = self._fresh()
        with scope.lexical.deferred_merges():
            self._insert(scope, list(self._store.iter_indexable(user_id)))
        log.debug("loaded index of %s: %d memories at feed %d", user_id, len(scope), head)
        loaded = _Loaded(scope, head, start.scope_created)
        self._save(user_id, loaded)
        return loaded

    # -- snapshots ----------------------------------------------------------------------
    def snapshot_path(self, user_id: str) -> Path | None:
        """Where the user's index snapshot lives (None when snapshots are off)."""
        if self._snapshots is None:
            return None
        name = hashlib.blake2b(user_id.encode(), digest_size=16).hexdigest()
        return self._snapshots.directory / f"{name}.snapshot"

    def _manifest(self, user_id: str, created: datetime | None) -> dict[str, Any]:
        """What a snapshot must have been made with to be used (see kenning.index.snapshot):
        ``created``, the scope's creation, keeps a deleted user's snapshot from a new scope
        of the same id."""
        return {
            "user_id": user_id,
            "scope_created": created.isoformat() if created else None,
            "model_id": self._embedder.model_id,
            "dim": self._embedder.dim,
            "k1": self._k1,
            "b": self._b,
            "key_expansion": self._key_expansion,
            "synonym_threshold": self._synonym_threshold,
        }

    def _restore(self, user_id: str, head: int, created: datetime | None) -> _Loaded | None:
        path = self.snapshot_path(user_id)
        if path is None or not path.exists():
            return None
        scope = self._fresh()
        position = snapshot.load(path, scope, self._manifest(user_id, created))
        if position is None or position > head:  # another model, or another database's
            return None
        log.debug("restored index of %s: %d memories at feed %d", user_id, len(scope), position)
        return _Loaded(scope, position, created)

    def _save(self, user_id: str, loaded: _Loaded) -> None:
        """Write the user's snapshot (a scope big enough to be worth one)."""
        path = self.snapshot_path(user_id)
        if path is None or self._snapshots is None:
            return
        scope = loaded.scope
        if len(scope) < self._snapshots.min_memories:
            return
        # Work left for later is done now, so that the opening process finds it done.
        scope.settle()
        if len(scope.dense) > _GRAPH_FROM:
            scope.dense.graph()
        manifest = {**self._manifest(user_id, loaded.created), "position": loaded.position}
        try:
            snapshot.save(scope, path, manifest)
        except OSError:
            log.exception("could not write the index snapshot of %s to %s", user_id, path)
            return
        loaded.changed = loaded.touched = 0
        # An erase that committed while the file was written must not leave its text in it:
        # the eraser deletes the file after its commit, and a file renamed after that
        # deletion is caught here.
        after = self._store.changes_since(user_id, loaded.position)
        if after.erased or after.scope_created != loaded.created:
            path.unlink(missing_ok=True)

    def save_snapshots(self) -> None:
        """Bring every loaded scope up to the store and write the snapshot of each whose
        memories changed since its last one (access statistics alone do not count: the next
        opener's catch-up applies them for less than the file costs to write)."""
        for user_id in list(self._scopes):
            with self.user_lock(user_id):
                known = self._scopes.get(user_id)
                if known is None:
                    continue
                loaded = self._catch_up(user_id, known)
                with self._lock:
                    self._scopes[user_id] = loaded
                if loaded.changed:
                    self._save(user_id, loaded)

    def discard_snapshot(self, user_id: str) -> None:
        """Delete the user's snapshot (after an erase: it may hold the erased memories)."""
        path = self.snapshot_path(user_id)
        if path is not None:
            path.unlink(missing_ok=True)

    def _records(self, memory_ids: Sequence[str]) -> list[MemoryItem]:
        """What an index reads of its memories' records: the store's, deleted ones left out."""
        found = self._store.get_memories(memory_ids)
        return [item for item in found if item.status is not MemoryStatus.DELETED]

    def _catch_up(self, user_id: str, loaded: _Loaded) -> _Loaded:
        changes = self._store.changes_since(user_id, loaded.position)
        if changes.scope_created != loaded.created:
            log.debug("user %s: scope deleted or made anew; rebuilding", user_id)
            self.discard_snapshot(user_id)
            return self._load(user_id)
        if changes.head <= loaded.position:  # below: a read replica behind this index
            return loaded
        if changes.erased:
            log.debug("user %s: %d memories erased; rebuilding", user_id, len(changes.erased))
            self.discard_snapshot(user_id)
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
        loaded.changed += len(changes.changed)
        loaded.touched += len(changes.touched)
        if self._behind(loaded):
            self._save(user_id, loaded)
        return loaded

    def _behind(self, loaded: _Loaded) -> bool:
        """Whether a scope's snapshot is worth rewriting: it misses ``min_memories`` changed
        memories or a tenth of the scope, whichever is more."""
        if self._snapshots is None:
            return False
        # A memory whose fields alone changed (access statistics after every search) counts
        # for an eighth: the next catch-up only reads its row and sets its columns, where a
        # re-indexed one is also tokenized and its vectors inserted (a chosen weight).
        missed = loaded.changed + loaded.touched / 8
        return missed >= max(self._snapshots.min_memories, len(loaded.scope) // 10)

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
