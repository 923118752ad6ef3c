"""Forgetting: archive (soft, reversible), erase (hard, verifiable), pin and TTL.

Archiving keeps a memory and its history but stops searching it. Erasing removes the
source messages of a memory and *everything derived from them* (turns, rounds, facts,
summaries, keys, links, history), then rebuilds the sessions that lost messages from
the messages that remain, so no copy of the erased text survives in the store.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from kenning.models import (
    EVOLVED,
    ForgetResult,
    HistoryAction,
    HistoryEntry,
    MemoryItem,
    MemoryKind,
    MemoryStatus,
)
from kenning.store import Store
from kenning.write.changes import Changes, restore
from kenning.write.identity import slot_alias, slot_versions
from kenning.write.ingest import Ingestor
from kenning.write.settle import rechain
from kenning.write.versions import LIVE


def archive(
    store: Store,
    user_id: str,
    items: Sequence[MemoryItem],
    now: datetime,
    *,
    reason: str,
) -> list[MemoryItem]:
    """Archive memories (those still searchable); returns the archived versions."""
    changes = Changes(now=now)
    for item in items:
        if item.status in LIVE and not (item.pinned and reason != "requested"):
            after = replace(item, status=MemoryStatus.ARCHIVED, updated_at=now)
            changes.change(item, after, HistoryAction.ARCHIVE, {"reason": reason})
    changes.commit(store)
    return list(changes.updated.values())


def erase(
    store: Store,
    ingestor: Ingestor,
    user_id: str,
    episode_ids: Sequence[str],
    now: datetime,
) -> ForgetResult:
    """Erase episodes and everything derived from them; rebuild the sessions they were in.

    What the erased memories did to others is reverted too: keywords they gave their
    neighbours are taken back, and versions they superseded are re-chained without them.
    The history entries recording those changes go as well, since they quote the erased text.
    """
    found = store.get_episodes(user_id, episode_ids)
    derived = store.memories_of_episodes(user_id, [e.id for e in found])
    doomed = {m.id for m in derived}
    sessions = {m.session_id for m in derived if m.kind is MemoryKind.SESSION}
    # A slot and its other spelling (kenning.write.identity) are one chain: re-chained once.
    self_name = store.self_name(user_id)
    slots = {min(m.slot, slot_alias(m.slot, self_name) or m.slot) for m in derived if m.slot}
    caused = [
        e for e in store.history_caused_by(user_id, sorted(doomed)) if e.memory_id not in doomed
    ]
    with store.atomic():
        erased = store.delete_episodes(user_id, [e.id for e in found])
        _revert(store, caused, now)
        store.delete_history([e.id for e in caused])
        changes = Changes(now=now)
        versions_of = slot_versions(store, user_id, self_name)
        for slot in sorted(slots):
            rechain(changes, slot, versions_of(slot, None))
        store.update_items(list(changes.updated.values()))
        store.put_links(changes.links)
        store.add_history(changes.history)
        for session_id in sorted(sessions, key=lambda s: s or ""):
            ingestor.rebuild_session(user_id, session_id, now)
    return ForgetResult(erased_memories=erased, erased_episodes=len(found))


def _revert(store: Store, caused: Sequence[HistoryEntry], now: datetime) -> None:
    """Take back evolved keywords and supersessions that erased memories caused."""
    for entry in reversed(caused):
        current = store.get_memories([entry.memory_id])
        if not current:
            continue
        item = current[0]
        before, after = entry.details.get("before", {}), entry.details.get("after", {})
        if entry.action is HistoryAction.EVOLVE and "metadata" in after:
            brought = entry.details.get("by")
            evolved = [e for e in item.metadata.get(EVOLVED, ()) if e.get("by") != brought]
            metadata = {k: v for k, v in item.metadata.items() if k != EVOLVED}
            if evolved:
                metadata[EVOLVED] = evolved
            store.update_items(
                [replace(item, metadata=metadata, updated_at=now, version=item.version + 1)]
            )
        elif entry.action is HistoryAction.SUPERSEDE:
            store.update_items([restore(item, before, now)])


def set_flags(
    store: Store,
    item: MemoryItem,
    now: datetime,
    *,
    pinned: bool | None = None,
    expires_at: datetime | str | None = "keep",
) -> MemoryItem:
    """Pin/unpin a memory or set/clear its expiry; recorded in history (undoable)."""
    after = item
    if pinned is not None:
        after = replace(after, pinned=pinned)
    if not isinstance(expires_at, str):
        after = replace(after, expires_at=expires_at)
    if after == item:
        return item
    after = replace(after, updated_at=now)
    changes = Changes(now=now)
    changes.change(item, after, HistoryAction.UPDATE, {"reason": "flags"})
    changes.commit(store)
    return after
