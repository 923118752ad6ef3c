"""Kenning's exception tree.

    KenningError
    ├── ConfigError        bad settings or a missing optional dependency
    ├── ValidationError    a caller passed bad input (names the field)
    │   └── Conflict       valid input that the current state refuses (nothing to undo)
    ├── NotFound           an id that does not exist in the caller's scope
    ├── StoreError         the storage backend failed (wraps the driver error)
    │   └── StaleWrite     a row changed since it was read: retry
    │       └── ClaimLost  another process took over the episodes being derived
    ├── EmbeddingError     the embedder failed or returned something unusable
    └── LLMError           the chat endpoint failed or answered unusably (after retries)

Every error a user can trigger is one of these; internal failures are wrapped
with context instead of leaking driver exceptions.
"""

from __future__ import annotations


class KenningError(Exception):
    """Base class of every error Kenning raises on purpose."""


class ConfigError(KenningError):
    """The configuration is invalid or names something that is not installed."""


class ValidationError(KenningError, ValueError):
    """Input from the caller is invalid; ``field`` names the offending field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class Conflict(ValidationError):
    """The request is well formed but conflicts with the current state (e.g. nothing to undo).

    A subclass of :class:`ValidationError` (it names the field), so callers that catch that
    keep working; the REST server answers it with 409.
    """


class NotFound(KenningError, LookupError):
    """The requested object does not exist (or is outside the caller's scope)."""


class StoreError(KenningError):
    """The storage backend failed; the original exception is chained."""


class StaleWrite(StoreError):
    """A write found its row changed since it was read (another process or thread wrote
    it first), or its claim on pending episodes taken over; the transaction was rolled back.

    The engine retries the operation from a fresh read; callers rarely see it.
    """


class ClaimLost(StaleWrite):
    """The pending episodes being derived were claimed by another process meanwhile (the
    lease ran out); that process derives them, this derivation is dropped."""


class EmbeddingError(KenningError):
    """The embedder failed or returned vectors of the wrong shape."""


class LLMError(KenningError):
    """The LLM endpoint failed, or its answer could not be repaired into the schema.

    ``reason`` is a short machine-friendly cause (``"http 503"``, ``"timeout"``,
    ``"invalid json"``, ``"schema"``) recorded with the fallback that replaced the call.
    """

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(f"{reason}: {message}")
        self.reason = reason


__all__ = [
    "ClaimLost",
    "ConfigError",
    "Conflict",
    "EmbeddingError",
    "KenningError",
    "LLMError",
    "NotFound",
    "StaleWrite",
    "StoreError",
    "ValidationError",
]
