"""Editing one memory: a new version with its keys rebuilt (``update``, ``undo``), or its
deletion (``delete``); each with its history entry, in one transaction."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from kenning.embed.base import Embedder
from kenning.index.registry import vectors_to_bytes
from kenning.models import HistoryAction, IndexKey, KeyKind, MemoryItem, MemoryKind, MemoryStatus
from kenning.store import HistoryRecord, Store, StoredMemory
from kenning.write.changes import diff
from kenning.write.derive import passages
from kenning.write.expand import memory_expansions


def rewrite(
    store: Store,
    embedder: Embedder,
    old: MemoryItem,
    new: MemoryItem,
    action: HistoryAction,
    now: datetime,
    *,
    passage_words: int,
    details: Mapping[str, Any] | None = None,
) -> MemoryItem:
    """Store a new version of a memory with keys rebuilt from its text."""
    texts = [new.text]
    if new.kind in (MemoryKind.TURN, MemoryKind.DOCUMENT):
        texts += passages(new.text, passage_words)
    vectors = vectors_to_bytes(embedder.embed(texts))
    keys = [
        IndexKey(text=t, kind=KeyKind.TEXT, vector=v) for t, v in zip(texts, vectors, strict=True)
    ]
    if new.kind in (MemoryKind.TURN, MemoryKind.DOCUMENT, MemoryKind.FACT):
        keys += [IndexKey(text=t, kind=k) for k, t in memory_expansions(new).items()]
    stored = StoredMemory(item=new, keys=tuple(keys), model_id=embedder.model_id)
    record = HistoryRecord(
        new.id,
        action,
        now,
        old_text=old.text,
        new_text=new.text,
        details={**diff(old, new), **(details or {})},
    )
    with store.atomic():
        store.replace_memory(stored)
        store.add_history([record])
    return new


def mark_deleted(store: Store, old: MemoryItem, now: datetime) -> MemoryItem:
    """The memory with status ``deleted`` and no keys (never searched again), recorded."""
    new = replace(
        old,
        status=MemoryStatus.DELETED,
        updated_at=now,
        expired_at=now,
        version=old.version + 1,
    )
    record = HistoryRecord(
        old.id, HistoryAction.DELETE, now, old_text=old.text, details=diff(old, new)
    )
    with store.atomic():
        store.replace_memory(StoredMemory(item=new, keys=(), model_id=None))
        store.add_history([record])
    return new
