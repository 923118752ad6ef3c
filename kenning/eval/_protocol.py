"""The slice of the ``Memory`` facade the evaluation harness uses, as a structural type.

The harness depends on this protocol rather than on ``kenning.Memory`` so that it (and its tests)
run against any object with these two methods: the real facade, or a recording fake.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from kenning.models import ContextBlock, MemoryKind, SearchResult

__all__ = ["Message", "SupportsAdd", "SupportsContext", "SupportsMemory"]

Message = str | Mapping[str, Any]
"""A message as ``add`` takes it: a string, or an OpenAI-style dict (role, content, name, ...)."""


class SupportsAdd(Protocol):
    """What every runner ingests through: ``add`` turns or documents."""

    def add(
        self,
        messages: Sequence[Message],
        *,
        user_id: str,
        session_id: str | None = None,
        timestamp: datetime | None = None,
    ) -> object:
        """Store messages in ``user_id``'s scope (the harness ignores the result)."""
        ...


class SupportsMemory(SupportsAdd, Protocol):
    """What the harness calls on a memory: ``add`` turns or documents, ``search`` a query."""

    def search(
        self,
        query: str,
        *,
        user_id: str,
        limit: int = 10,
        kinds: list[MemoryKind] | None = None,
        now: datetime | None = None,
    ) -> SearchResult:
        """Ranked hits for ``query`` in ``user_id``'s scope, best first (relative times in
        the query resolved against ``now``)."""
        ...


@runtime_checkable
class SupportsContext(Protocol):
    """A memory that builds context blocks (``kenning eval locomo --context-budget``)."""

    def context(
        self, query: str, *, user_id: str, budget_tokens: int | None = None
    ) -> ContextBlock:
        """The best memories for ``query`` within ``budget_tokens``."""
        ...
