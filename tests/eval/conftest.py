"""A recording fake memory for the evaluation harness tests (no engine, no embedder).

The shared benchmark data comes from the fixtures in ``tests/conftest.py``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from kenning.models import AddResult, Hit, MemoryItem, MemoryKind, SearchResult, SignalScore

_WORD = re.compile(r"[a-z0-9']+")
_EPOCH = datetime(2020, 1, 1, tzinfo=UTC)


def _words(text: str) -> set[str]:
    return set(_WORD.findall(text.lower()))


@dataclass
class AddCall:
    messages: list[Any]
    user_id: str
    session_id: str | None
    timestamp: datetime | None


@dataclass
class SearchCall:
    query: str
    user_id: str
    limit: int
    kinds: list[MemoryKind] | None
    now: datetime | None = None


@dataclass
class FakeMemory:
    """Records every call; ranks by word overlap with the query, ties by insertion order.

    ``add`` makes a TURN (or DOCUMENT for role "document") memory per message, carrying the
    message's metadata, plus one SESSION memory per call that has non-document messages.
    """

    adds: list[AddCall] = field(default_factory=list)
    searches: list[SearchCall] = field(default_factory=list)
    items: dict[str, list[MemoryItem]] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=lambda: {"graph": True, "prf": True})
    configured: list[dict[str, Any]] = field(default_factory=list)

    def configure(self, **changes: Any) -> dict[str, Any]:
        self.configured.append(dict(changes))
        previous = {name: self.settings.get(name) for name in changes}
        self.settings.update(changes)
        return previous

    def add(
        self,
        messages: Sequence[str | Mapping[str, Any]],
        *,
        user_id: str,
        session_id: str | None = None,
        timestamp: datetime | None = None,
    ) -> AddResult:
        self.adds.append(AddCall(list(messages), user_id, session_id, timestamp))
        store = self.items.setdefault(user_id, [])
        made: list[MemoryItem] = []
        conversational: list[str] = []
        for message in messages:
            record: Mapping[str, Any] = (
                {"role": "user", "content": message} if isinstance(message, str) else message
            )
            role = record.get("role", "user")
            kind = MemoryKind.DOCUMENT if role == "document" else MemoryKind.TURN
            if kind is MemoryKind.TURN:
                conversational.append(record["content"])
            made.append(self._item(user_id, kind, record["content"], session_id, record))
        if conversational:
            made.append(
                self._item(user_id, MemoryKind.SESSION, "\n".join(conversational), session_id, {})
            )
        store.extend(made)
        return AddResult(episodes=[], duplicates=0, memories=made)

    def _item(
        self,
        user_id: str,
        kind: MemoryKind,
        text: str,
        session_id: str | None,
        record: Mapping[str, Any],
    ) -> MemoryItem:
        number = sum(len(items) for items in self.items.values()) + 1
        return MemoryItem(
            id=f"m{number}-{len(text)}-{kind.value}-{id(record)}",
            user_id=user_id,
            kind=kind,
            text=text,
            created_at=_EPOCH,
            updated_at=_EPOCH,
            session_id=session_id if kind is not MemoryKind.DOCUMENT else None,
            metadata=dict(record.get("metadata") or {}),
        )

    def search(
        self,
        query: str,
        *,
        user_id: str,
        limit: int = 10,
        kinds: list[MemoryKind] | None = None,
        now: datetime | None = None,
    ) -> SearchResult:
        self.searches.append(SearchCall(query, user_id, limit, kinds, now))
        query_words = _words(query)
        candidates = [
            item for item in self.items.get(user_id, []) if kinds is None or item.kind in kinds
        ]
        scored = sorted(
            enumerate(candidates),
            key=lambda pair: (-len(query_words & _words(pair[1].text)), pair[0]),
        )
        hits = [
            Hit(
                memory=item,
                score=float(len(query_words & _words(item.text))),
                signals={"overlap": SignalScore(raw=0.0, rank=rank, contribution=1.0)},
            )
            for rank, (_, item) in enumerate(scored[:limit], start=1)
        ]
        return SearchResult(query=query, hits=hits)


@pytest.fixture
def fake_memory() -> FakeMemory:
    return FakeMemory()
