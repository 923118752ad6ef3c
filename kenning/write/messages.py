"""Validation and normalisation of what ``add`` receives."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from dateutil import parser as date_parser

from kenning.errors import ValidationError
from kenning.ids import new_id
from kenning.models import Episode, SkippedPart
from kenning.store import normalize_json

ROLES = frozenset({"user", "assistant", "system", "tool", "document"})
DOCUMENT_ROLE = "document"
# Role of the episode an explicit ``add_fact`` call stores (never accepted from messages):
# its metadata["fact"] holds the structure the caller gave (slot, subject, ...).
FACT_ROLE = "fact"
_ALLOWED_FIELDS = frozenset({"role", "content", "name", "timestamp", "metadata", "id"})
# OpenAI-style content lists: the types whose ``text`` is the message's text (Chat
# Completions' "text", the Responses API's "input_text" and "output_text").
TEXT_PARTS = frozenset({"text", "input_text", "output_text"})
# Where an episode keeps the parts of its content that are not text (images, audio, files),
# verbatim, with their place in the list. Not copied to derived memories.
CONTENT_PARTS = "content_parts"


@dataclass(frozen=True, slots=True)
class Message:
    """One validated input message."""

    role: str
    content: str
    name: str | None = None
    timestamp: datetime | None = None
    client_id: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    skipped: tuple[SkippedPart, ...] = ()  # non-text content parts, kept in the metadata


def parse_time(value: object, field_name: str) -> datetime | None:
    """A timezone-aware UTC datetime from a datetime, an ISO/loose date string or epoch seconds.

    Naive values are taken as UTC.
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        try:
            parsed = datetime.fromtimestamp(float(value), tz=UTC)
        except (OverflowError, OSError, ValueError) as exc:
            raise ValidationError(field_name, f"{value!r} is not a valid epoch time") from exc
    elif isinstance(value, str):
        try:
            parsed = date_parser.parse(value)
        except (ValueError, OverflowError) as exc:
            raise ValidationError(field_name, f"cannot parse {value!r} as a date/time") from exc
    else:
        raise ValidationError(
            field_name, f"expected a datetime, string or number, got {type(value).__name__}"
        )
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError as exc:  # e.g. 0001-01-01 at +01:00 is before the year 1 in UTC
        raise ValidationError(field_name, f"{value!r} is out of the supported range") from exc


def optional_id(value: object, field_name: str) -> str | None:
    """An identifier (session_id, agent_id, ...) or ``None`` when not given."""
    return None if value is None else require_id(value, field_name)


def require_id(value: object, field_name: str) -> str:
    """A non-empty identifier string of at most 256 characters (user_id, message id, ...)."""
    if value is None:
        raise ValidationError(field_name, "is required")
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(field_name, "must be a non-empty string")
    if len(value) > 256:
        raise ValidationError(field_name, "must be at most 256 characters")
    check_encodable(value, field_name)
    return value


def check_encodable(value: str, field_name: str) -> None:
    """Reject strings no store keeps: lone surrogates (not valid Unicode) and NUL characters
    (PostgreSQL's text cannot hold them; refused on every backend, so that the same input is
    accepted or refused the same way wherever it goes)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValidationError(field_name, "contains characters that are not valid Unicode") from exc
    if "\x00" in value:
        raise ValidationError(field_name, "contains a NUL character (U+0000), which is not stored")


def _strings(value: object) -> Iterator[str]:
    """Every string in a JSON value, keys included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for key, inner in value.items():
            yield str(key)
            yield from _strings(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _strings(inner)


def normalize_messages(
    messages: str | Mapping[str, Any] | Sequence[str | Mapping[str, Any]],
) -> list[Message]:
    """Accept a string, an OpenAI-style message dict, or a list of either."""
    if isinstance(messages, str | Mapping):
        messages = [messages]
    if not isinstance(messages, Sequence) or not messages:
        raise ValidationError(
            "messages", "must be a non-empty string, message dict, or list of them"
        )
    out: list[Message] = []
    for index, raw in enumerate(messages):
        where = f"messages[{index}]"
        if isinstance(raw, str):
            if not raw.strip():
                raise ValidationError(f"{where}", "is an empty string")
            check_encodable(raw, where)
            out.append(Message(role="user", content=raw))
            continue
        if not isinstance(raw, Mapping):
            raise ValidationError(where, f"must be a string or a dict, got {type(raw).__name__}")
        unknown = set(raw) - _ALLOWED_FIELDS
        if unknown:
            raise ValidationError(f"{where}.{sorted(unknown)[0]}", "is not a known message field")
        content, parts = _content(raw.get("content"), f"{where}.content")
        role = raw.get("role", "user")
        if role not in ROLES:
            raise ValidationError(f"{where}.role", f"must be one of {sorted(ROLES)}, got {role!r}")
        name = raw.get("name")
        if name is not None:
            if not isinstance(name, str) or not name.strip():
                raise ValidationError(f"{where}.name", "must be a non-empty string when given")
            check_encodable(name, f"{where}.name")
        metadata = raw.get("metadata") or {}
        if not isinstance(metadata, Mapping):
            raise ValidationError(f"{where}.metadata", "must be a JSON object")
        try:
            metadata = normalize_json(dict(metadata))
        except (TypeError, ValueError) as exc:
            raise ValidationError(
                f"{where}.metadata", f"must be a JSON object with string keys: {exc}"
            ) from exc
        if parts:
            metadata = {**metadata, CONTENT_PARTS: [dict(p) for _, p in parts]}
        for text in _strings(metadata):
            check_encodable(text, f"{where}.metadata")
        client_id = raw.get("id")
        if client_id is not None:
            client_id = require_id(str(client_id), f"{where}.id")
        out.append(
            Message(
                role=role,
                content=content,
                name=name,
                timestamp=parse_time(raw.get("timestamp"), f"{where}.timestamp"),
                client_id=client_id,
                metadata=metadata,
                skipped=tuple(
                    SkippedPart(message=index, part=place, type=str(part["type"]))
                    for place, part in parts
                ),
            )
        )
    return out


def _content(value: object, where: str) -> tuple[str, list[tuple[int, dict[str, Any]]]]:
    """A message's text, and its non-text parts with their places: ``content`` is a string
    or an OpenAI-style list of parts (``{"type": "text", "text": ...}``, images, audio...)."""
    if isinstance(value, str):
        if not value.strip():
            raise ValidationError(where, "must be a non-empty string")
        check_encodable(value, where)
        return value, []
    if not isinstance(value, list) or not value:
        raise ValidationError(where, "must be a non-empty string or a list of content parts")
    texts: list[str] = []
    others: list[tuple[int, dict[str, Any]]] = []
    for place, part in enumerate(value):
        if not isinstance(part, Mapping) or not isinstance(part.get("type"), str):
            raise ValidationError(f"{where}[{place}]", 'must be an object with a "type"')
        if part["type"] in TEXT_PARTS:
            text = part.get("text")
            if not isinstance(text, str):
                raise ValidationError(f"{where}[{place}].text", "must be a string")
            check_encodable(text, f"{where}[{place}].text")
            texts.append(text)
        else:
            try:
                others.append((place, normalize_json({**part, "index": place})))
            except (TypeError, ValueError) as exc:
                raise ValidationError(f"{where}[{place}]", f"must be JSON: {exc}") from exc
    text = "\n".join(t for t in texts if t.strip())
    if not text:
        raise ValidationError(
            where, "has no text part: Kenning remembers text (add a text part, e.g. a caption)"
        )
    return text, others


def build_episodes(
    messages: Sequence[Message],
    *,
    user_id: str,
    agent_id: str | None,
    session_id: str | None,
    timestamp: datetime | None,
    now: datetime,
) -> list[Episode]:
    """Episodes with idempotency keys.

    The key is the client's ``id`` when given. Otherwise, when the message has an event
    time (its own or the call's), it is a hash of scope, session, speaker, content, time and
    the occurrence number among identical messages of the call: re-sending a batch stores
    nothing new, while two identical "ok" replies in one call both count. A message with
    neither id nor time is always stored: without them a retry cannot be told from a user
    saying the same thing again, and losing input is worse than keeping a duplicate; the
    ingestor still recognises a resend of the session's latest messages (``Ingestor``).
    """
    seen: Counter[str] = Counter()
    episodes = []
    for message in messages:
        when = message.timestamp or timestamp
        episode_id = new_id()
        if message.client_id is not None:
            key = f"id:{message.client_id}"
        elif when is None:
            key = f"new:{episode_id}"
        else:
            basis = json.dumps(
                [
                    agent_id,
                    session_id,
                    message.role,
                    message.name,
                    message.content,
                    when.isoformat(),
                ],
                ensure_ascii=False,
            )
            seen[basis] += 1
            digest = hashlib.sha256(f"{basis}#{seen[basis]}".encode()).hexdigest()
            key = f"sha256:{digest}"
        episodes.append(
            Episode(
                id=episode_id,
                user_id=user_id,
                agent_id=agent_id,
                session_id=session_id,
                role=message.role,
                name=message.name,
                content=message.content,
                timestamp=when,
                created_at=now,
                idempotency_key=key,
                metadata=message.metadata,
            )
        )
    return episodes
