"""The message an explicit ``Memory.add_fact`` call stores: its text, and the structure the
caller gave (slot, subject, validity...) in ``metadata["fact"]``, checked field by field."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from kenning.errors import ValidationError
from kenning.write.arguments import boolean, expiry
from kenning.write.messages import FACT_ROLE, Message, normalize_messages, optional_id, parse_time


@dataclass(frozen=True, slots=True)
class FactSpec:
    """What ``add_fact`` says about a fact besides its text, as the caller gave it."""

    key: str | None = None
    subject: str | None = None
    predicate: str | None = None
    object: str | None = None
    valid_from: datetime | str | None = None
    valid_to: datetime | str | None = None
    importance: float = 0.5
    pinned: bool = False
    ttl: float | timedelta | None = None


def fact_message(
    text: str, spec: FactSpec, metadata: Mapping[str, Any] | None, now: datetime
) -> Message:
    """The fact's message (role ``fact``, at its ``valid_from``, default ``now``); the
    derivation reads its structure from ``metadata["fact"]`` (:mod:`kenning.write.derive`)."""
    if not isinstance(text, str) or not text.strip():
        raise ValidationError("text", "must be a non-empty string")
    slot = optional_id(spec.key, "key")
    start = parse_time(spec.valid_from, "valid_from")
    end = parse_time(spec.valid_to, "valid_to")
    if start is not None and end is not None and end <= start:
        raise ValidationError("valid_to", "must be later than valid_from")
    importance = spec.importance
    if isinstance(importance, bool) or not isinstance(importance, int | float):
        raise ValidationError("importance", "must be a number between 0 and 1")
    if not 0 <= importance <= 1:
        raise ValidationError("importance", "must be a number between 0 and 1")
    for name in ("subject", "predicate", "object"):
        value = getattr(spec, name)
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise ValidationError(name, "must be a non-empty string when given")
    expires = expiry(spec.ttl, now)
    structure = {
        "slot": slot.casefold() if slot else None,
        "subject": spec.subject,
        "predicate": spec.predicate,
        "object": spec.object,
        "valid_to": end.isoformat() if end else None,
        "importance": float(importance),
        "pinned": boolean(spec.pinned, "pinned"),
        "expires_at": expires.isoformat() if expires else None,
    }
    message = normalize_messages(
        {"role": "user", "content": text, "metadata": {**(metadata or {}), "fact": structure}}
    )[0]
    return replace(message, role=FACT_ROLE, timestamp=start or now)
