"""Consolidation: the periodic pass that keeps a scope tidy (Think-in-Memory, MemoryBank).

1. Memories whose TTL ran out are archived; with ``archive_below``, so are memories whose
   retention fell below it (pinned ones never).
2. Near-duplicate facts and notes are merged (TiM): the older one absorbs the newer one's
   strength and the newer one is archived with a ``merge`` entry naming where it went.
3. Each session gets a summary memory: its most central messages, in order (rebuilt when
   the session has grown since).
4. Each subject with current single-valued facts gets a profile memory listing them
   (MemoryBank's user portrait), refreshed when they change.

Every change goes to history with before/after values, so it can be undone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

import numpy as np
import numpy.typing as npt

from kenning.embed.base import Embedder
from kenning.ids import new_id
from kenning.index.registry import IndexRegistry, vectors_to_bytes
from kenning.index.scope import ScopeIndex
from kenning.lifecycle.forget import archive
from kenning.models import (
    ConsolidationReport,
    HistoryAction,
    IndexKey,
    KeyKind,
    MemoryItem,
    MemoryKind,
    MemoryStatus,
)
from kenning.read.retention import retention
from kenning.store import HistoryRecord, MemoryFilter, Store, StoredMemory
from kenning.write.changes import Changes
from kenning.write.identity import SELF, subject_key
from kenning.write.versions import LIVE, same_value

_SUMMARY_LINES = 5
_LINE_CHARS = 200


def consolidate(
    store: Store,
    registry: IndexRegistry,
    embedder: Embedder,
    user_id: str,
    now: datetime,
    *,
    duplicate_threshold: float,
    retention_days: float,
    archive_below: float | None = None,
) -> ConsolidationReport:
    """One consolidation pass over a user's scope."""
    index = registry.get(user_id)
    expired, faded = _archive_stale(
        store, registry, index, user_id, now, archive_below, retention_days
    )
    merged = _merge_duplicates(store, registry, index, user_id, now, duplicate_threshold)
    writer = _Writer(store, registry, embedder, user_id, now)
    summaries = _summaries(store, index, user_id, writer)
    profiles = _profiles(store, user_id, writer)
    return ConsolidationReport(
        merged=merged, summaries=summaries, profiles=profiles, expired=expired, faded=faded
    )


def _archive_stale(
    store: Store,
    registry: IndexRegistry,
    index: ScopeIndex,
    user_id: str,
    now: datetime,
    archive_below: float | None,
    retention_days: float,
) -> tuple[int, int]:
    live = [i for i in index.items_at(range(len(index))) if i.status in LIVE]
    expired = [i for i in live if i.expires_at is not None and i.expires_at <= now]
    archive(store, user_id, expired, now, reason="ttl")
    if archive_below is None:
        return len(expired), 0
    gone = {i.id for i in expired}
    touched, strength, importance, pinned = index.retention_inputs()
    kept = retention(
        touched, strength, importance, pinned, now=now.timestamp(), days=retention_days
    )
    faded = [
        i
        for i in live
        if i.id not in gone
        and i.kind in (MemoryKind.TURN, MemoryKind.FACT, MemoryKind.NOTE, MemoryKind.DOCUMENT)
        and kept[index.position[i.id]] < archive_below
    ]
    archived = archive(store, user_id, faded, now, reason="faded")
    return len(expired), len(archived)


def _merge_duplicates(
    store: Store,
    registry: IndexRegistry,
    index: ScopeIndex,
    user_id: str,
    now: datetime,
    threshold: float,
) -> int:
    records = {
        index.position[item.id]: item
        for item in index.items_at(range(len(index)))
        if item.kind in (MemoryKind.FACT, MemoryKind.NOTE) and item.status is MemoryStatus.ACTIVE
    }
    positions = sorted(records)
    if len(positions) < 2:
        return 0
    vectors = index.vectors(positions)
    similarity = vectors @ vectors.T
    changes = Changes(now=now)
    absorbed: set[int] = set()
    for a in range(len(positions)):
        if a in absorbed:
            continue
        keep = changes.current(records[positions[a]])
        for b in np.flatnonzero(similarity[a, a + 1 :] >= threshold) + a + 1:
            if int(b) in absorbed:
                continue
            other = changes.current(records[positions[int(b)]])
            if keep.slot != other.slot or (keep.slot and not same_value(keep, other)):
                continue
            absorbed.add(int(b))
            grown = replace(
                keep,
                strength=keep.strength + other.strength,
                metadata={
                    **keep.metadata,
                    "merged": [*keep.metadata.get("merged", []), other.id],
                },
                updated_at=now,
            )
            changes.change(keep, grown, HistoryAction.MERGE, {"absorbed": other.id})
            keep = grown
            gone = replace(other, status=MemoryStatus.ARCHIVED, updated_at=now)
            changes.change(other, gone, HistoryAction.MERGE, {"into": keep.id})
    changes.commit(store)
    return len(absorbed)


class _Writer:
    """Creates or refreshes a derived memory (summary, profile) with its embedding."""

    def __init__(
        self,
        store: Store,
        registry: IndexRegistry,
        embedder: Embedder,
        user_id: str,
        now: datetime,
    ) -> None:
        self.store, self.registry, self.embedder = store, registry, embedder
        self.user_id, self.now = user_id, now

    def write(self, existing: MemoryItem | None, draft: MemoryItem) -> bool:
        """Store ``draft`` as new, or as the next version of ``existing``; False if unchanged."""
        if existing is not None and existing.text == draft.text:
            return False
        vector = vectors_to_bytes(self.embedder.embed([draft.text]))[0]
        keys = (IndexKey(text=draft.text, kind=KeyKind.TEXT, vector=vector),)
        if existing is None:
            memory = StoredMemory(item=draft, keys=keys, model_id=self.embedder.model_id)
            with self.store.atomic():
                self.store.put_memories([memory])
                self.store.add_history(
                    [HistoryRecord(draft.id, HistoryAction.ADD, self.now, new_text=draft.text)]
                )
        else:
            item = replace(
                draft, id=existing.id, created_at=existing.created_at, version=existing.version + 1
            )
            memory = StoredMemory(item=item, keys=keys, model_id=self.embedder.model_id)
            with self.store.atomic():
                self.store.replace_memory(memory)
                self.store.add_history(
                    [
                        HistoryRecord(
                            item.id,
                            HistoryAction.UPDATE,
                            self.now,
                            old_text=existing.text,
                            new_text=item.text,
                            details={"reason": "consolidation"},
                        )
                    ]
                )
        return True

    def item(
        self, kind: MemoryKind, text: str, sources: Sequence[MemoryItem], **fields: object
    ) -> MemoryItem:
        last = max(sources, key=lambda m: m.event_time or m.created_at)
        first = min(sources, key=lambda m: m.event_time or m.created_at)
        episodes = tuple(dict.fromkeys(e for m in sources for e in m.episode_ids))
        return replace(
            MemoryItem(
                id=new_id(),
                user_id=self.user_id,
                kind=kind,
                text=text,
                created_at=self.now,
                updated_at=self.now,
                agent_id=last.agent_id,
                session_id=last.session_id,
                episode_ids=episodes,
                event_time=last.event_time,
                valid_from=first.event_time,
            ),
            **fields,  # type: ignore[arg-type]
        )


def _existing(store: Store, user_id: str, kind: MemoryKind) -> list[MemoryItem]:
    return store.list_memories(MemoryFilter(user_id=user_id, kinds=(kind,)))


def _summaries(store: Store, index: ScopeIndex, user_id: str, writer: _Writer) -> int:
    summaries = {
        m.metadata.get("summary_of"): m for m in _existing(store, user_id, MemoryKind.SUMMARY)
    }
    turns_of: dict[str, int] = {}
    for item in index.items_at(np.flatnonzero(index.kind_mask(MemoryKind.TURN)).tolist()):
        if item.status in LIVE:
            turns_of[item.episode_ids[0]] = index.position[item.id]
    written = 0
    for session in _existing(store, user_id, MemoryKind.SESSION):
        summary = summaries.get(session.id)
        if summary is not None and summary.metadata.get("session_version") == session.version:
            continue
        positions = [turns_of[e] for e in session.episode_ids if e in turns_of]
        if not positions:
            continue
        text = _central_lines(index, positions, session)
        draft = writer.item(
            MemoryKind.SUMMARY,
            text,
            [session],
            metadata={"summary_of": session.id, "session_version": session.version},
        )
        written += writer.write(summary, draft)
    return written


def _central_lines(index: ScopeIndex, positions: list[int], session: MemoryItem) -> str:
    """The session's date, then the messages closest to its centroid, in their order."""
    vectors: npt.NDArray[np.float32] = index.vectors(positions)
    centroid = vectors.mean(axis=0)
    closeness = vectors @ centroid
    chosen = sorted(np.argsort(-closeness)[:_SUMMARY_LINES])
    when = session.event_time.date().isoformat() if session.event_time else "undated"
    lines = [f"Session of {when} ({len(positions)} messages):"]
    for item in index.items_at([positions[int(i)] for i in chosen]):
        text = " ".join(item.text.split())
        if len(text) > _LINE_CHARS:
            text = text[: _LINE_CHARS - 1].rstrip() + "…"
        lines.append(f"- {item.speaker}: {text}" if item.speaker else f"- {text}")
    return "\n".join(lines)


def _profiles(store: Store, user_id: str, writer: _Writer) -> int:
    facts = [
        f
        for f in store.list_memories(
            MemoryFilter(user_id=user_id, kinds=(MemoryKind.FACT,), statuses=(MemoryStatus.ACTIVE,))
        )
        if f.slot and f.subject and not f.metadata.get("ended")
    ]
    # One profile per person: the user's facts stated before they were named ("user") and
    # after ("Ana") are one profile, named by the name (kenning.write.identity).
    self_name = store.self_name(user_id)
    by_subject: dict[str, list[MemoryItem]] = {}
    for fact in facts:
        by_subject.setdefault(subject_key(fact.subject or "", self_name), []).append(fact)
    existing = {
        subject_key(m.subject or "", self_name): m
        for m in _existing(store, user_id, MemoryKind.PROFILE)
    }
    written = 0
    for key, subject_facts in sorted(by_subject.items()):
        subject_facts.sort(key=lambda f: f.slot or "")
        if self_name is not None and key == subject_key(SELF, self_name):
            name = self_name
        else:
            name = subject_facts[0].subject or key
        text = f"Profile of {name}: " + "; ".join(f.text.rstrip(".") for f in subject_facts) + "."
        draft = writer.item(
            MemoryKind.PROFILE,
            text,
            subject_facts,
            subject=name,
            metadata={"facts": [f.id for f in subject_facts]},
        )
        written += writer.write(existing.get(key), draft)
    return written
