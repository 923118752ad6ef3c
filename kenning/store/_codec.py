"""Encoding of domain values for storage, shared by every backend."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any


def encode_time(value: datetime | None) -> str | None:
    """UTC ISO-8601 text with microseconds: sorts lexicographically in time order."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("naive datetime reached the store; times must be timezone-aware")
    # isoformat pads the year to four digits (strftime's %Y does not on glibc).
    return value.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def decode_time(value: str | datetime | None) -> datetime | None:
    """Inverse of :func:`encode_time`; also takes the datetime a driver's time column gives."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    return datetime.fromisoformat(value).astimezone(UTC)


def encode_json(value: dict[str, Any] | None) -> str:
    """Compact JSON for metadata columns."""
    return json.dumps(value or {}, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def normalize_json(value: dict[str, Any]) -> dict[str, Any]:
    """The value exactly as it will read back from the store (keys become strings)."""
    return decode_json(encode_json(value))


def decode_json(value: str | dict[str, Any] | None) -> dict[str, Any]:
    """Inverse of :func:`encode_json`; also takes the object a driver's JSON column gives."""
    if not value:
        return {}
    decoded = json.loads(value) if isinstance(value, str) else value
    if not isinstance(decoded, dict):
        raise ValueError("metadata column does not hold a JSON object")
    return decoded
