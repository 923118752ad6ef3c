"""Rows to records and back: the column lists the core selects and their decoders."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from kenning.errors import StoreError
from kenning.models import (
    ApiKey,
    Episode,
    HistoryAction,
    HistoryEntry,
    MemoryItem,
    MemoryKind,
    MemoryStatus,
)
from kenning.store._codec import decode_json, decode_time

MEMORY_COLUMNS = (
    "id, user_id, agent_id, session_id, kind, text, event_time, valid_from, valid_to, "
    "created_at, updated_at, expired_at, status, importance, strength, last_accessed, "
    "access_count, version, metadata, speaker, subject, predicate, object, slot, pinned, "
    "expires_at"
)
EPISODE_COLUMNS = (
    "id, user_id, agent_id, session_id, seq, role, name, content, timestamp, created_at, "
    "idempotency_key, metadata"
)
KEY_COLUMNS = "id, name, hash, users, admin, created_at, revoked_at, last_used_at"
HISTORY_COLUMNS = "id, memory_id, action, at, old_text, new_text, details"
# Where the owner and the status sit in a row of MEMORY_COLUMNS / EPISODE_COLUMNS.
MEMORY_USER = MEMORY_COLUMNS.split(", ").index("user_id")
MEMORY_STATUS = MEMORY_COLUMNS.split(", ").index("status")
EPISODE_USER = EPISODE_COLUMNS.split(", ").index("user_id")
MEMORY_ASSIGNMENTS = ", ".join(f"{c.strip()} = ?" for c in MEMORY_COLUMNS.split(",")[1:])
# When a memory starts (see Store.slot_versions), as indexed by memories_by_slot_start.
START = "coalesce(valid_from, event_time, created_at)"


def memory_values(
    item: MemoryItem,
    time: Callable[[datetime | None], Any],
    encode: Callable[[dict[str, Any] | None], Any],
) -> tuple[Any, ...]:
    """A memory as the values of MEMORY_COLUMNS, times and JSON as the dialect passes them."""
    return (
        item.id,
        item.user_id,
        item.agent_id,
        item.session_id,
        item.kind.value,
        item.text,
        time(item.event_time),
        time(item.valid_from),
        time(item.valid_to),
        time(item.created_at),
        time(item.updated_at),
        time(item.expired_at),
        item.status.value,
        item.importance,
        item.strength,
        time(item.last_accessed),
        item.access_count,
        item.version,
        encode(item.metadata),
        item.speaker,
        item.subject,
        item.predicate,
        item.object,
        item.slot,
        int(item.pinned),
        time(item.expires_at),
    )


def required_time(value: str | datetime | None) -> datetime:
    decoded = decode_time(value)
    if decoded is None:
        raise StoreError("a required time column is NULL")
    return decoded


def api_key(row: Sequence[Any]) -> ApiKey:
    return ApiKey(
        id=row[0],
        name=row[1],
        hash=row[2],
        users=tuple(json.loads(row[3])),
        admin=bool(row[4]),
        created_at=required_time(row[5]),
        revoked_at=decode_time(row[6]),
        last_used_at=decode_time(row[7]),
    )


def history(rows: Sequence[Sequence[Any]]) -> list[HistoryEntry]:
    return [
        HistoryEntry(
            id=int(row[0]),
            memory_id=row[1],
            action=HistoryAction(row[2]),
            at=required_time(row[3]),
            old_text=row[4],
            new_text=row[5],
            details=decode_json(row[6]),
        )
        for row in rows
    ]


def episode(row: Sequence[Any]) -> Episode:
    return Episode(
        id=row[0],
        user_id=row[1],
        agent_id=row[2],
        session_id=row[3],
        seq=int(row[4]),
        role=row[5],
        name=row[6],
        content=row[7],
        timestamp=decode_time(row[8]),
        created_at=required_time(row[9]),
        idempotency_key=row[10],
        metadata=decode_json(row[11]),
    )


def memory(row: Sequence[Any], episode_ids: tuple[str, ...]) -> MemoryItem:
    return MemoryItem(
        id=row[0],
        user_id=row[1],
        agent_id=row[2],
        session_id=row[3],
        kind=MemoryKind(row[4]),
        text=row[5],
        event_time=decode_time(row[6]),
        valid_from=decode_time(row[7]),
        valid_to=decode_time(row[8]),
        created_at=required_time(row[9]),
        updated_at=required_time(row[10]),
        expired_at=decode_time(row[11]),
        status=MemoryStatus(row[12]),
        importance=float(row[13]),
        strength=float(row[14]),
        last_accessed=decode_time(row[15]),
        access_count=int(row[16]),
        version=int(row[17]),
        episode_ids=episode_ids,
        metadata=decode_json(row[18]),
        speaker=row[19],
        subject=row[20],
        predicate=row[21],
        object=row[22],
        slot=row[23],
        pinned=bool(row[24]),
        expires_at=decode_time(row[25]),
    )
