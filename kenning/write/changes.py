"""Field-level change records, so every lifecycle change can be read back and undone.

A history entry of a change stores ``before`` and ``after`` snapshots of the fields that
changed (JSON-ready); undoing it writes the ``before`` values back.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, TypeVar

from kenning.errors import ClaimLost, StaleWrite
from kenning.models import HistoryAction, Link, LLMCall, MemoryItem, MemoryStatus
from kenning.store import HistoryRecord, Store

log = logging.getLogger(__name__)

# Fields a change may touch (never the id, owner, kind or provenance).
MUTABLE_FIELDS = (
    "text",
    "status",
    "valid_from",
    "valid_to",
    "expired_at",
    "metadata",
    "importance",
    "strength",
    "pinned",
    "expires_at",
)
_TIMES = frozenset({"valid_from", "valid_to", "expired_at", "expires_at"})


def _encode(name: str, value: Any) -> Any:
    if name in _TIMES:
        return value.isoformat() if value is not None else None
    if name == "status":
        return str(value.value)
    return value


def _decode(name: str, value: Any) -> Any:
    if name in _TIMES:
        return datetime.fromisoformat(value) if value is not None else None
    if name == "status":
        return MemoryStatus(value)
    return value


def diff(before: MemoryItem, after: MemoryItem) -> dict[str, dict[str, Any]]:
    """``{"before": {...}, "after": {...}}`` for the mutable fields that differ."""
    names = [n for n in MUTABLE_FIELDS if getattr(before, n) != getattr(after, n)]
    return {
        "before": {n: _encode(n, getattr(before, n)) for n in names},
        "after": {n: _encode(n, getattr(after, n)) for n in names},
    }


def restore(item: MemoryItem, snapshot: dict[str, Any], now: datetime) -> MemoryItem:
    """``item`` with the snapshot's field values written back (a new version of it)."""
    values = {n: _decode(n, v) for n, v in snapshot.items() if n in MUTABLE_FIELDS}
    return replace(item, **values, updated_at=now, version=item.version + 1)


# A write that lost a race to another writer is redone from a fresh read this often.
_ATTEMPTS = 5
_T = TypeVar("_T")


def retry_stale(attempt: Callable[[], _T]) -> _T:
    """Run a read-modify-write, again from a fresh read when another writer changed a row
    first (:class:`StaleWrite`); the store's version check makes the last write safe. A lost
    claim (:class:`ClaimLost`) is not retried: another process derives those episodes."""
    for number in range(1, _ATTEMPTS + 1):
        try:
            return attempt()
        except ClaimLost:
            raise
        except StaleWrite as exc:
            if number == _ATTEMPTS:
                raise
            log.debug("%s; retrying (attempt %d)", exc, number + 1)
    raise AssertionError("unreachable")  # pragma: no cover


@dataclass(slots=True)
class Changes:
    """Changes to memories a batch causes, collected before one transaction writes them."""

    now: datetime
    new: dict[str, MemoryItem] = field(default_factory=dict)  # id -> item to insert
    updated: dict[str, MemoryItem] = field(default_factory=dict)  # id -> latest version
    history: list[HistoryRecord] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    calls: list[LLMCall] = field(default_factory=list)
    dropped: set[str] = field(default_factory=set)  # new ids not to insert (reinforcements)
    # id -> the stored version the batch started from: however often a memory changes in a
    # batch, it is written once, as the next version (the store refuses it if the row moved).
    base_versions: dict[str, int] = field(default_factory=dict)
    # id -> how to redo the batch's changes on a newer stored version (None: they cannot be
    # redone, the batch must start again); see rebased().
    redo: dict[str, list[Callable[[MemoryItem], MemoryItem | None]] | None] = field(
        default_factory=dict
    )

    def current(self, item: MemoryItem) -> MemoryItem:
        """The latest in-batch version of a memory."""
        return self.new.get(item.id) or self.updated.get(item.id) or item

    def change(
        self,
        before: MemoryItem,
        after: MemoryItem,
        action: HistoryAction,
        details: dict[str, Any] | None = None,
        *,
        redo: Callable[[MemoryItem], MemoryItem | None] | None = None,
    ) -> None:
        """Record a change of a memory (new in this batch or already stored).

        ``redo`` makes the same change to a newer version of the memory (None if it has
        nothing to do there): with it, a commit that finds the row changed by another
        writer applies the change to what is stored instead of starting the batch again.
        """
        if after.id in self.new:
            self.new[after.id] = after
        else:
            base = self.base_versions.setdefault(after.id, before.version)
            after = replace(after, version=base + 1)
            self.updated[after.id] = after
            steps = self.redo.setdefault(after.id, [])
            if steps is not None and redo is not None:
                steps.append(redo)
            else:
                self.redo[after.id] = None
        self.history.append(
            HistoryRecord(
                after.id, action, self.now, details={**diff(before, after), **(details or {})}
            )
        )

    def rebased(self, store: Store) -> list[MemoryItem]:
        """The updates to write, checked against the rows as stored now (call it inside the
        transaction that writes them, where no other writer can move the rows).

        An update whose row is still the version the batch read is written as it is; one
        whose row moved is redone on the stored version when every change to it can be
        (:meth:`change`'s ``redo``), and otherwise :class:`StaleWrite` starts the batch again.
        """
        current = {m.id: m for m in store.get_memories(list(self.updated))}
        out = []
        for memory_id, item in self.updated.items():
            stored = current.get(memory_id)
            if stored is None:
                raise StaleWrite(f"memory {memory_id!r} was erased since it was read")
            if stored.version == self.base_versions[memory_id]:
                out.append(item)
                continue
            steps = self.redo.get(memory_id)
            if steps is None:
                raise StaleWrite(
                    f"memory {memory_id!r} is at version {stored.version}, not "
                    f"{self.base_versions[memory_id]}: it changed since it was read"
                )
            redone = stored
            for step in steps:
                redone = step(redone) or redone
            if redone is not stored:
                out.append(replace(redone, version=stored.version + 1))
        return out

    def commit(self, store: Store) -> None:
        """Write the changes to already-stored memories (not ``new``) in one transaction;
        indexes follow through the store's change feed."""
        with store.atomic():
            store.update_items(self.rebased(store))
            store.put_links(self.links)
            store.add_history(self.history)
