"""Checks of the scalar arguments the ``Memory`` facade takes: each error names its field."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from kenning.errors import ValidationError
from kenning.models import MemoryKind


def kinds(
    kinds: Iterable[MemoryKind | str] | MemoryKind | str | None,
) -> tuple[MemoryKind, ...] | None:
    """Memory kinds by value or member (one, or several); None stays None."""
    if kinds is None:
        return None
    if isinstance(kinds, str):
        kinds = [kinds]
    try:
        return tuple(MemoryKind(k) for k in kinds)
    except ValueError as exc:
        raise ValidationError(
            "kinds", f"{exc}; valid kinds: {[k.value for k in MemoryKind]}"
        ) from exc


MAX_INT = 2**63 - 1  # the stores' integer range (SQLite INTEGER, PostgreSQL bigint)


def integer(value: object, field: str, *, low: int, high: int = MAX_INT) -> None:
    """``value`` must be an int (not a bool) from ``low`` to ``high``, by default any the
    stores can hold; the error names ``field``."""
    if not isinstance(value, bool) and isinstance(value, int) and low <= value <= high:
        return
    if high != MAX_INT:
        raise ValidationError(field, f"must be an integer between {low} and {high}")
    if isinstance(value, int) and not isinstance(value, bool) and value > high:
        raise ValidationError(field, f"must be at most {high}")
    raise ValidationError(
        field, "must be a positive integer" if low else "must be a non-negative integer"
    )


def boolean(value: object, field: str) -> bool:
    """``value`` must be a bool (``"yes"``, ``1`` or ``None`` are refused); the error names
    ``field``."""
    if isinstance(value, bool):
        return value
    raise ValidationError(field, f"must be true or false, got {type(value).__name__}")


def expiry(ttl: float | timedelta | None, now: datetime) -> datetime | None:
    """When something given ``ttl`` (seconds, or a timedelta) from ``now`` expires."""
    if ttl is None:
        return None
    seconds = ttl.total_seconds() if isinstance(ttl, timedelta) else ttl
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not seconds > 0:
        raise ValidationError("ttl", "must be a positive number of seconds")
    try:
        return now + timedelta(seconds=seconds)
    except OverflowError:  # also infinity: past the last representable date
        raise ValidationError("ttl", f"{seconds!r} seconds is too long") from None
