"""The export file format: a versioned JSON Lines file, one record per line (docs/api.md,
"Export and import").

Line 1 is the header (``{"format": "kenning-export", "version": 1, ...}``); every other line
is a record with a ``type``: ``episode``, ``memory``, ``entity``, ``mention``, ``link``,
``history``, ``llm_call``; the last is ``end``, with the number of records of each type, so
that a truncated file is recognised. Times are UTC ISO 8601 text with microseconds, vectors
base64 of their little-endian float32 bytes. A reader ignores fields it does not know (a
later version of Kenning may add some); a change that an older reader would misread gets a
new ``version``, which older readers refuse.

This module turns records into JSON objects and back, validating every field: a bad line
raises :class:`ExportFormatError` naming its line number and field.
"""

from __future__ import annotations

import base64
import binascii
import enum
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from kenning.errors import Conflict, ValidationError
from kenning.models import (
    Entity,
    Episode,
    HistoryAction,
    HistoryEntry,
    IndexKey,
    KeyKind,
    Link,
    LinkType,
    LLMCall,
    MemoryItem,
    MemoryKind,
    MemoryStatus,
    Step,
    StepKind,
    StepStatus,
    Task,
    TaskStatus,
)
from kenning.store._codec import decode_time, encode_time
from kenning.store.base import StoredMemory

FORMAT = "kenning-export"
VERSION = 1  # the version this Kenning writes and the newest it reads


class RecordType(enum.StrEnum):
    """The ``type`` of a record line, in the order an export writes them (per user)."""

    EPISODE = "episode"
    MEMORY = "memory"
    ENTITY = "entity"
    MENTION = "mention"
    LINK = "link"
    HISTORY = "history"
    LLM_CALL = "llm_call"
    TASK = "task"
    TASK_STEP = "task_step"
    END = "end"


class ExportFormatError(ValidationError):
    """A line of an export file is not what the format says: names the line and the field."""

    def __init__(self, line: int, field: str, message: str) -> None:
        super().__init__(field, message)
        self.line = line
        self.message = f"line {line}, field {field!r}: {message}"
        self.args = (self.message,)


class ImportConflict(Conflict):
    """A well-formed record that this store cannot take (an id held by another user, an
    episode stored under another id, vectors of another model when re-embedding is refused)."""

    def __init__(self, line: int, field: str, message: str) -> None:
        super().__init__(field, message)
        self.line = line
        self.message = f"line {line}, field {field!r}: {message}"
        self.args = (self.message,)


@dataclass(frozen=True, slots=True)
class Header:
    """Line 1: what the file holds and who wrote it."""

    version: int
    exported_at: datetime
    users: tuple[str, ...]
    user_id: str | None = None  # a one-user export; None: the whole store
    model_id: str | None = None  # the exporting engine's embedder (each memory names its own)
    kenning_version: str | None = None
    schema_version: int | None = None


@dataclass(frozen=True, slots=True)
class EpisodeRecord:
    episode: Episode
    processed_at: datetime | None  # None: its memories were never derived (pending)


@dataclass(frozen=True, slots=True)
class MentionRecord:
    user_id: str
    memory_id: str
    entity_id: str


@dataclass(frozen=True, slots=True)
class LinkRecord:
    user_id: str
    link: Link


@dataclass(frozen=True, slots=True)
class OwnedHistory:
    user_id: str | None  # None: an entry of a memory no longer stored, in a whole-store export
    entry: HistoryEntry


@dataclass(frozen=True, slots=True)
class LLMCallRecord:
    user_id: str | None  # None: a call not made for one user
    call: LLMCall


@dataclass(frozen=True, slots=True)
class End:
    counts: dict[str, int] = field(default_factory=dict)


Record = (
    EpisodeRecord
    | StoredMemory
    | Entity
    | MentionRecord
    | LinkRecord
    | OwnedHistory
    | LLMCallRecord
    | Task
    | Step
)

_E = TypeVar("_E", bound=enum.Enum)


# -- writing -------------------------------------------------------------------------------
def dumps(obj: Mapping[str, Any]) -> str:
    """One line of the file (without its newline)."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def encode_header(header: Header) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "version": header.version,
        "exported_at": encode_time(header.exported_at),
        "kenning_version": header.kenning_version,
        "schema_version": header.schema_version,
        "user_id": header.user_id,
        "users": list(header.users),
        "model_id": header.model_id,
    }


def _vector(blob: bytes | None) -> str | None:
    return None if blob is None else base64.b64encode(blob).decode("ascii")


def _memory(memory: StoredMemory) -> dict[str, Any]:
    item = memory.item
    return {
        "type": RecordType.MEMORY.value,
        "id": item.id,
        "user_id": item.user_id,
        "agent_id": item.agent_id,
        "session_id": item.session_id,
        "kind": item.kind.value,
        "text": item.text,
        "speaker": item.speaker,
        "event_time": encode_time(item.event_time),
        "valid_from": encode_time(item.valid_from),
        "valid_to": encode_time(item.valid_to),
        "created_at": encode_time(item.created_at),
        "updated_at": encode_time(item.updated_at),
        "expired_at": encode_time(item.expired_at),
        "status": item.status.value,
        "importance": item.importance,
        "strength": item.strength,
        "last_accessed": encode_time(item.last_accessed),
        "access_count": item.access_count,
        "version": item.version,
        "episode_ids": list(item.episode_ids),
        "metadata": item.metadata,
        "subject": item.subject,
        "predicate": item.predicate,
        "object": item.object,
        "slot": item.slot,
        "pinned": item.pinned,
        "expires_at": encode_time(item.expires_at),
        "model_id": memory.model_id,
        "keys": [
            {"kind": key.kind.value, "text": key.text, "vector": _vector(key.vector)}
            for key in memory.keys
        ],
    }


def _episode(record: EpisodeRecord) -> dict[str, Any]:
    e = record.episode
    return {
        "type": RecordType.EPISODE.value,
        "id": e.id,
        "user_id": e.user_id,
        "agent_id": e.agent_id,
        "session_id": e.session_id,
        "seq": e.seq,
        "role": e.role,
        "name": e.name,
        "content": e.content,
        "timestamp": encode_time(e.timestamp),
        "created_at": encode_time(e.created_at),
        "idempotency_key": e.idempotency_key,
        "metadata": e.metadata,
        "processed_at": encode_time(record.processed_at),
    }


def _history(record: OwnedHistory) -> dict[str, Any]:
    h = record.entry
    return {
        "type": RecordType.HISTORY.value,
        "id": h.id,
        "user_id": record.user_id,
        "memory_id": h.memory_id,
        "action": h.action.value,
        "at": encode_time(h.at),
        "old_text": h.old_text,
        "new_text": h.new_text,
        "details": h.details,
    }


def _llm_call(record: LLMCallRecord) -> dict[str, Any]:
    c = record.call
    return {
        "type": RecordType.LLM_CALL.value,
        "user_id": record.user_id,
        "purpose": c.purpose,
        "model": c.model,
        "started_at": encode_time(c.started_at),
        "duration_ms": c.duration_ms,
        "prompt_tokens": c.prompt_tokens,
        "completion_tokens": c.completion_tokens,
        "cost": c.cost,
        "ok": c.ok,
        "attempts": c.attempts,
        "error": c.error,
    }


def encode(record: Record) -> dict[str, Any]:
    """A record as its JSON object."""
    if isinstance(record, StoredMemory):
        return _memory(record)
    if isinstance(record, EpisodeRecord):
        return _episode(record)
    if isinstance(record, Entity):
        entity = {"id": record.id, "user_id": record.user_id, "name": record.name}
        return {
            "type": RecordType.ENTITY.value,
            **entity,
            "aliases": list(record.aliases),
            "kind": record.kind,
        }
    if isinstance(record, MentionRecord):
        return {
            "type": RecordType.MENTION.value,
            "user_id": record.user_id,
            "memory_id": record.memory_id,
            "entity_id": record.entity_id,
        }
    if isinstance(record, LinkRecord):
        link = record.link
        return {
            "type": RecordType.LINK.value,
            "user_id": record.user_id,
            "source_id": link.source_id,
            "target_id": link.target_id,
            "link_type": link.type.value,
            "weight": link.weight,
        }
    if isinstance(record, OwnedHistory):
        return _history(record)
    if isinstance(record, Task):
        return _task(record)
    if isinstance(record, Step):
        return _step(record)
    return _llm_call(record)


def _task(t: Task) -> dict[str, Any]:
    return {
        "type": RecordType.TASK.value,
        "id": t.id,
        "user_id": t.user_id,
        "agent_id": t.agent_id,
        "goal": t.goal,
        "status": t.status.value,
        "outcome": t.outcome,
        "steps": t.steps,
        "metadata": t.metadata,
        "created_at": encode_time(t.created_at),
        "updated_at": encode_time(t.updated_at),
    }


def _step(s: Step) -> dict[str, Any]:
    return {
        "type": RecordType.TASK_STEP.value,
        "id": s.id,
        "task_id": s.task_id,
        "user_id": s.user_id,
        "number": s.number,
        "parent_id": s.parent_id,
        "kind": s.kind.value,
        "text": s.text,
        "status": s.status.value,
        "outcome": s.outcome,
        "summary": s.summary,
        "stale_reason": s.stale_reason,
        "depends_on": list(s.depends_on),
        "data": s.data,
        "created_at": encode_time(s.created_at),
        "updated_at": encode_time(s.updated_at),
    }


def _decode_task(f: Fields) -> Task:
    return Task(
        id=f.text("id"),
        user_id=f.text("user_id"),
        agent_id=f.opt_text("agent_id"),
        goal=f.text("goal"),
        status=f.choice("status", TaskStatus),
        outcome=f.opt_text("outcome"),
        steps=f.integer("steps"),
        metadata=f.obj_field("metadata"),
        created_at=f.time("created_at"),
        updated_at=f.time("updated_at"),
    )


def _decode_step(f: Fields) -> Step:
    return Step(
        id=f.text("id"),
        task_id=f.text("task_id"),
        user_id=f.text("user_id"),
        number=f.integer("number"),
        parent_id=f.opt_text("parent_id"),
        kind=f.choice("kind", StepKind),
        text=f.text("text"),
        status=f.choice("status", StepStatus),
        outcome=f.opt_text("outcome"),
        summary=f.opt_text("summary"),
        stale_reason=f.opt_text("stale_reason"),
        depends_on=f.texts("depends_on"),
        data=f.obj_field("data"),
        created_at=f.time("created_at"),
        updated_at=f.time("updated_at"),
    )


_TYPES: dict[type, RecordType] = {
    EpisodeRecord: RecordType.EPISODE,
    Entity: RecordType.ENTITY,
    StoredMemory: RecordType.MEMORY,
    MentionRecord: RecordType.MENTION,
    LinkRecord: RecordType.LINK,
    OwnedHistory: RecordType.HISTORY,
    LLMCallRecord: RecordType.LLM_CALL,
    Task: RecordType.TASK,
    Step: RecordType.TASK_STEP,
}


def record_type(record: Record) -> RecordType:
    return _TYPES[type(record)]


# -- reading -------------------------------------------------------------------------------
class Fields:
    """The fields of one line's object, each read with its expected type (errors name both)."""

    def __init__(self, obj: Mapping[str, Any], line: int) -> None:
        self.obj = obj
        self.line = line

    def error(self, name: str, message: str) -> ExportFormatError:
        return ExportFormatError(self.line, name, message)

    def _value(self, name: str, kind: type | tuple[type, ...], what: str, optional: bool) -> Any:
        if name not in self.obj:
            if optional:
                return None
            raise self.error(name, "is missing")
        value = self.obj[name]
        if value is None and optional:
            return None
        if isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,)):
            raise self.error(name, f"must be {what}, not {value!r}")
        if not isinstance(value, kind):
            raise self.error(name, f"must be {what}, not {value!r}")
        return value

    def text(self, name: str) -> str:
        value: str = self._value(name, str, "a string", False)
        return value

    def opt_text(self, name: str) -> str | None:
        value: str | None = self._value(name, str, "a string or null", True)
        return value

    def integer(self, name: str) -> int:
        value: int = self._value(name, int, "an integer", False)
        return value

    def opt_integer(self, name: str) -> int | None:
        value: int | None = self._value(name, int, "an integer or null", True)
        return value

    def number(self, name: str) -> float:
        return float(self._value(name, (int, float), "a number", False))

    def flag(self, name: str) -> bool:
        value: bool = self._value(name, bool, "true or false", False)
        return value

    def obj_field(self, name: str) -> dict[str, Any]:
        value: dict[str, Any] | None = self._value(name, dict, "an object", True)
        return value or {}

    def texts(self, name: str) -> tuple[str, ...]:
        values: list[Any] = self._value(name, list, "a list of strings", False)
        if not all(isinstance(v, str) for v in values):
            raise self.error(name, "must be a list of strings")
        return tuple(values)

    def opt_time(self, name: str) -> datetime | None:
        value = self.opt_text(name)
        if value is None:
            return None
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise self.error(name, f"must be an ISO 8601 time, not {value!r}") from None
        if parsed.tzinfo is None:
            raise self.error(name, f"must name its time zone (e.g. ...Z), not {value!r}")
        return decode_time(parsed)

    def time(self, name: str) -> datetime:
        value = self.opt_time(name)
        if value is None:
            raise self.error(name, "is missing")
        return value

    def choice(self, name: str, kind: type[_E]) -> _E:
        value = self.text(name)
        try:
            return kind(value)
        except ValueError:
            allowed = ", ".join(str(member.value) for member in kind)
            raise self.error(name, f"must be one of {allowed}, not {value!r}") from None

    def vector(self, name: str, key: Mapping[str, Any]) -> bytes | None:
        value = key.get("vector")
        if value is None:
            return None
        if not isinstance(value, str):
            raise self.error(name, "vector must be base64 text or null")
        try:
            blob = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise self.error(name, "vector is not valid base64") from None
        if len(blob) % 4:
            raise self.error(name, "vector is not a whole number of float32 values")
        return blob


def parse_line(text: str, line: int) -> dict[str, Any]:
    """A line's JSON object."""
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ExportFormatError(line, "line", f"not valid JSON ({exc.msg})") from None
    if not isinstance(obj, dict):
        raise ExportFormatError(line, "line", "must be a JSON object")
    return obj


def is_export_header(obj: Mapping[str, Any]) -> bool:
    """Whether a file's first object says it is a Kenning export (of any version)."""
    return obj.get("format") == FORMAT


def decode_header(obj: Mapping[str, Any]) -> Header:
    f = Fields(obj, 1)
    if not is_export_header(obj):
        raise f.error("format", f"not a Kenning export (line 1 must have format {FORMAT!r})")
    version = f.integer("version")
    if version > VERSION:
        raise f.error(
            "version",
            f"format version {version} is newer than this Kenning reads ({VERSION}): "
            "upgrade Kenning to import it",
        )
    if version < 1:
        raise f.error("version", f"unknown format version {version}")
    return Header(
        version=version,
        exported_at=f.time("exported_at"),
        users=f.texts("users"),
        user_id=f.opt_text("user_id"),
        model_id=f.opt_text("model_id"),
        kenning_version=f.opt_text("kenning_version"),
        schema_version=f.opt_integer("schema_version"),
    )


def _decode_episode(f: Fields) -> EpisodeRecord:
    episode = Episode(
        id=f.text("id"),
        user_id=f.text("user_id"),
        agent_id=f.opt_text("agent_id"),
        session_id=f.opt_text("session_id"),
        seq=f.integer("seq"),
        role=f.text("role"),
        name=f.opt_text("name"),
        content=f.text("content"),
        timestamp=f.opt_time("timestamp"),
        created_at=f.time("created_at"),
        idempotency_key=f.text("idempotency_key"),
        metadata=f.obj_field("metadata"),
    )
    return EpisodeRecord(episode, f.opt_time("processed_at"))


def _decode_keys(f: Fields) -> tuple[IndexKey, ...]:
    raw = f.obj.get("keys")
    if not isinstance(raw, list):
        raise f.error("keys", "must be a list of {kind, text, vector} objects")
    keys = []
    for index, key in enumerate(raw):
        name = f"keys[{index}]"
        if not isinstance(key, dict) or not isinstance(key.get("text"), str):
            raise f.error(name, "must be an object with a string 'text'")
        try:
            kind = KeyKind(str(key.get("kind")))
        except ValueError:
            raise f.error(f"{name}.kind", f"unknown key kind {key.get('kind')!r}") from None
        keys.append(IndexKey(text=key["text"], kind=kind, vector=f.vector(name, key)))
    return tuple(keys)


def _decode_memory(f: Fields) -> StoredMemory:
    item = MemoryItem(
        id=f.text("id"),
        user_id=f.text("user_id"),
        agent_id=f.opt_text("agent_id"),
        session_id=f.opt_text("session_id"),
        kind=f.choice("kind", MemoryKind),
        text=f.text("text"),
        speaker=f.opt_text("speaker"),
        event_time=f.opt_time("event_time"),
        valid_from=f.opt_time("valid_from"),
        valid_to=f.opt_time("valid_to"),
        created_at=f.time("created_at"),
        updated_at=f.time("updated_at"),
        expired_at=f.opt_time("expired_at"),
        status=f.choice("status", MemoryStatus),
        importance=f.number("importance"),
        strength=f.number("strength"),
        last_accessed=f.opt_time("last_accessed"),
        access_count=f.integer("access_count"),
        version=f.integer("version"),
        episode_ids=f.texts("episode_ids"),
        metadata=f.obj_field("metadata"),
        subject=f.opt_text("subject"),
        predicate=f.opt_text("predicate"),
        object=f.opt_text("object"),
        slot=f.opt_text("slot"),
        pinned=f.flag("pinned"),
        expires_at=f.opt_time("expires_at"),
    )
    return StoredMemory(item=item, keys=_decode_keys(f), model_id=f.opt_text("model_id"))


def _decode_history(f: Fields) -> OwnedHistory:
    entry = HistoryEntry(
        id=f.integer("id"),
        memory_id=f.text("memory_id"),
        action=f.choice("action", HistoryAction),
        at=f.time("at"),
        old_text=f.opt_text("old_text"),
        new_text=f.opt_text("new_text"),
        details=f.obj_field("details"),
    )
    return OwnedHistory(f.opt_text("user_id"), entry)


def _decode_llm_call(f: Fields) -> LLMCallRecord:
    call = LLMCall(
        purpose=f.text("purpose"),
        model=f.text("model"),
        started_at=f.time("started_at"),
        duration_ms=f.number("duration_ms"),
        prompt_tokens=f.integer("prompt_tokens"),
        completion_tokens=f.integer("completion_tokens"),
        cost=f.number("cost"),
        ok=f.flag("ok"),
        attempts=f.integer("attempts"),
        error=f.opt_text("error"),
    )
    return LLMCallRecord(f.opt_text("user_id"), call)


def decode(obj: Mapping[str, Any], line: int) -> Record | End:
    """A record line's record (``End`` for the last line)."""
    f = Fields(obj, line)
    kind = f.choice("type", RecordType)
    if kind is RecordType.EPISODE:
        return _decode_episode(f)
    if kind is RecordType.MEMORY:
        return _decode_memory(f)
    if kind is RecordType.ENTITY:
        return Entity(
            id=f.text("id"),
            user_id=f.text("user_id"),
            name=f.text("name"),
            aliases=f.texts("aliases"),
            kind=f.opt_text("kind"),
        )
    if kind is RecordType.MENTION:
        return MentionRecord(f.text("user_id"), f.text("memory_id"), f.text("entity_id"))
    if kind is RecordType.LINK:
        link = Link(
            source_id=f.text("source_id"),
            target_id=f.text("target_id"),
            type=f.choice("link_type", LinkType),
            weight=f.number("weight"),
        )
        return LinkRecord(f.text("user_id"), link)
    if kind is RecordType.HISTORY:
        return _decode_history(f)
    if kind is RecordType.LLM_CALL:
        return _decode_llm_call(f)
    if kind is RecordType.TASK:
        return _decode_task(f)
    if kind is RecordType.TASK_STEP:
        return _decode_step(f)
    counts = f.obj_field("counts")
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in counts.values()):
        raise f.error("counts", "must map record types to integers")
    return End({str(k): int(v) for k, v in counts.items()})


def owner(record: Record) -> str | None:
    """The user a record belongs to (None: no one's, in a whole-store export)."""
    if isinstance(record, EpisodeRecord):
        return record.episode.user_id
    if isinstance(record, StoredMemory):
        return record.item.user_id
    return record.user_id
