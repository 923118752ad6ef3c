"""Undo and version lineage.

Every lifecycle change is stored with before/after values of the fields it touched
(:mod:`kenning.write.changes`); undoing writes the before values back as a new change
(``restore``), so an undo can itself be undone.
"""

from __future__ import annotations

from kenning.models import HistoryEntry, LinkType
from kenning.store import Store


def lineage(store: Store, memory_id: str) -> list[str]:
    """The memory and every version it supersedes or is superseded by (transitively)."""
    seen = [memory_id]
    frontier = [memory_id]
    while frontier:
        current = frontier.pop()
        for link in store.links_of(current):
            if link.type is not LinkType.SUPERSEDES:
                continue
            for other in (link.source_id, link.target_id):
                if other not in seen:
                    seen.append(other)
                    frontier.append(other)
    return seen


def lineage_history(store: Store, memory_id: str) -> list[HistoryEntry]:
    """History of every version of a memory's slot, in the order it happened."""
    entries = [e for m in lineage(store, memory_id) for e in store.get_history(m)]
    return sorted(entries, key=lambda e: (e.at, e.id))


def undoable(entries: list[HistoryEntry], change: int | None = None) -> HistoryEntry | None:
    """The entry ``change`` (default: the latest one) if it recorded the values it replaced."""
    if change is not None:
        entries = [e for e in entries if e.id == change]
    for entry in reversed(entries):
        if "before" in entry.details:
            return entry
    return None
