"""``RemoteMemory``: the :class:`kenning.Memory` API over HTTP, same methods, same result types.

Switching from embedded to server is one line::

    memory = Memory("memories.db")                                   # embedded
    memory = RemoteMemory("http://127.0.0.1:8765", api_key="...")    # server

Errors come back as the same exceptions: a 400/422 as :class:`~kenning.errors.ValidationError`
naming the field, a 404 as :class:`~kenning.errors.NotFound`; 401/403 raise
:class:`AccessDenied`, anything else :class:`RemoteError` with the status.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any, Self, TypeVar
from urllib.parse import quote

import httpx

from kenning.codec import from_jsonable, to_jsonable
from kenning.errors import KenningError, NotFound, ValidationError
from kenning.models import (
    AddResult,
    ConsolidationReport,
    Episode,
    ForgetResult,
    HistoryEntry,
    Hit,
    MemoryGraph,
    MemoryItem,
    MemoryKind,
    MemoryStatus,
    SearchResult,
    Stats,
)

T = TypeVar("T")

MessagesInput = str | Mapping[str, Any] | Sequence[str | Mapping[str, Any]]
TimeInput = datetime | str | float | None


class RemoteError(KenningError):
    """The server answered with an error this client has no closer exception for."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"HTTP {status}: {message}")
        self.status = status


class AccessDenied(RemoteError):
    """The API key is missing, unknown, revoked, or not allowed on this user."""


def _time(value: TimeInput) -> str | float | None:
    return value.isoformat() if isinstance(value, datetime) else value


def _kinds(kinds: Iterable[MemoryKind | str] | MemoryKind | str | None) -> list[str] | None:
    if kinds is None:
        return None
    if isinstance(kinds, str):
        return [str(kinds)]
    return [k.value if isinstance(k, MemoryKind) else str(k) for k in kinds]


READ_AFTER = "Kenning-Read-After"


def _position(token: str) -> tuple[int, int]:
    high, _, low = token.partition("/")
    try:
        return int(high, 16), int(low or "0", 16)
    except ValueError:
        return (-1, -1)


class RemoteMemory:
    """A Kenning server seen as a :class:`kenning.Memory` (per-call ``user_id`` as there)."""

    def __init__(
        self,
        url: str | Sequence[str],
        api_key: str | None = None,
        *,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        """``url``: one server, or several sharing one database, asked in turn (round robin).
        Whichever answers, a read sees this client's earlier writes (the servers'
        ``Kenning-Read-After`` token is sent back with every request)."""
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        urls = [url] if isinstance(url, str) else list(url)
        if not urls:
            raise ValidationError("url", "must name at least one server")
        self._clients = [
            httpx.Client(
                base_url=u.rstrip("/") + "/v1",
                headers=headers,
                timeout=timeout,
                transport=transport,
            )
            for u in urls
        ]
        self._turn = itertools.count()
        self._token: str | None = None
        self._lock = threading.Lock()

    # -- plumbing ------------------------------------------------------------------------
    def close(self) -> None:
        """Close the HTTP connection pools."""
        for client in self._clients:
            client.close()

    @property
    def _client(self) -> httpx.Client:
        return self._clients[next(self._turn) % len(self._clients)]

    def _remember(self, token: str | None) -> None:
        """Keep the latest write token seen (write-ahead-log positions: ``16/B374D848``)."""
        if not token:
            return
        with self._lock:
            if self._token is None or _position(token) >= _position(self._token):
                self._token = token

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        if self._token is not None:
            kwargs["headers"] = {**kwargs.get("headers", {}), READ_AFTER: self._token}
        try:
            response = self._client.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise RemoteError(0, f"cannot reach the server: {exc}") from exc
        self._remember(response.headers.get(READ_AFTER))
        if response.status_code < 400:
            return response.json() if response.content else None
        try:
            error = response.json().get("error", {})
        except ValueError:
            error = {}
        message = str(error.get("message") or response.text[:200])
        status = response.status_code
        if status in (400, 422):
            raise ValidationError(str(error.get("field") or "request"), message)
        if status == 404:
            raise NotFound(message)
        if status in (401, 403):
            raise AccessDenied(status, message)
        raise RemoteError(status, message)

    @staticmethod
    def _user(user_id: str) -> str:
        if not isinstance(user_id, str) or not user_id.strip():
            raise ValidationError("user_id", "must be a non-empty string")
        return "/users/" + quote(user_id, safe="")

    @staticmethod
    def _compact(values: Mapping[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in values.items() if v is not None}

    # -- write ---------------------------------------------------------------------------
    def add(
        self,
        messages: MessagesInput,
        *,
        user_id: str,
        agent_id: str | None = None,
        session_id: str | None = None,
        timestamp: TimeInput = None,
    ) -> AddResult:
        """Store messages (see :meth:`kenning.Memory.add`)."""
        if isinstance(messages, str | Mapping):
            messages = [messages]
        body = self._compact(
            {
                "messages": to_jsonable(list(messages)),
                "agent_id": agent_id,
                "session_id": session_id,
                "timestamp": _time(timestamp),
            }
        )
        data = self._call("POST", self._user(user_id) + "/messages", json=body)
        return from_jsonable(AddResult, data)

    def add_fact(
        self,
        text: str,
        *,
        user_id: str,
        key: str | None = None,
        subject: str | None = None,
        predicate: str | None = None,
        object: str | None = None,
        valid_from: TimeInput = None,
        valid_to: TimeInput = None,
        importance: float = 0.5,
        pinned: bool = False,
        ttl: float | timedelta | None = None,
        agent_id: str | None = None,
        session_id: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> MemoryItem:
        """Store a fact (see :meth:`kenning.Memory.add_fact`)."""
        body = self._compact(
            {
                "text": text,
                "key": key,
                "subject": subject,
                "predicate": predicate,
                "object": object,
                "valid_from": _time(valid_from),
                "valid_to": _time(valid_to),
                "importance": importance,
                "pinned": pinned,
                "ttl": ttl.total_seconds() if isinstance(ttl, timedelta) else ttl,
                "agent_id": agent_id,
                "session_id": session_id,
                "metadata": dict(metadata) if metadata else None,
            }
        )
        return from_jsonable(
            MemoryItem, self._call("POST", self._user(user_id) + "/facts", json=body)
        )

    # -- read ----------------------------------------------------------------------------
    def search(
        self,
        query: str,
        *,
        user_id: str,
        limit: int | None = None,
        kinds: Iterable[MemoryKind | str] | MemoryKind | str | None = None,
        agent_id: str | None = None,
        session_id: str | None = None,
        start: TimeInput = None,
        end: TimeInput = None,
        as_of: TimeInput = None,
        now: TimeInput = None,
    ) -> SearchResult:
        """Ranked memories for ``query`` (see :meth:`kenning.Memory.search`)."""
        body = self._compact(
            {
                "query": query,
                "limit": limit,
                "kinds": _kinds(kinds),
                "agent_id": agent_id,
                "session_id": session_id,
                "start": _time(start),
                "end": _time(end),
                "as_of": _time(as_of),
                "now": _time(now),
            }
        )
        data = self._call("POST", self._user(user_id) + "/search", json=body)
        return SearchResult(query=data["query"], hits=[from_jsonable(Hit, h) for h in data["hits"]])

    def get(self, memory_id: str, *, user_id: str) -> MemoryItem:
        """One memory of the user (any status)."""
        path = f"{self._user(user_id)}/memories/{quote(memory_id, safe='')}"
        return from_jsonable(MemoryItem, self._call("GET", path))

    def get_all(
        self,
        *,
        user_id: str,
        kinds: Iterable[MemoryKind | str] | MemoryKind | str | None = None,
        agent_id: str | None = None,
        session_id: str | None = None,
        statuses: Iterable[MemoryStatus | str] | None = (MemoryStatus.ACTIVE,),
        limit: int | None = 100,
        offset: int = 0,
    ) -> list[MemoryItem]:
        """A page of the user's memories in event-time order."""
        params: dict[str, Any] = self._compact(
            {
                "kind": _kinds(kinds),
                "status": [
                    s.value if isinstance(s, MemoryStatus) else s
                    for s in (MemoryStatus if statuses is None else statuses)
                ],
                "agent_id": agent_id,
                "session_id": session_id,
                "limit": limit,
                "offset": offset,
            }
        )
        data = self._call("GET", self._user(user_id) + "/memories", params=params)
        return [from_jsonable(MemoryItem, m) for m in data["items"]]

    def history(self, memory_id: str, *, user_id: str) -> list[HistoryEntry]:
        """Every recorded change of a memory and of its other versions."""
        path = f"{self._user(user_id)}/memories/{quote(memory_id, safe='')}/history"
        data = self._call("GET", path)
        items = data["items"] if isinstance(data, dict) else data
        return [from_jsonable(HistoryEntry, e) for e in items]

    def graph(self, memory_id: str, *, user_id: str, limit: int = 10) -> MemoryGraph:
        """The entities and links around a memory (see :meth:`kenning.Memory.graph`)."""
        path = f"{self._user(user_id)}/memories/{quote(memory_id, safe='')}/graph"
        return from_jsonable(MemoryGraph, self._call("GET", path, params={"limit": limit}))

    def episodes(
        self,
        *,
        user_id: str,
        session_id: str | None = None,
        limit: int | None = 100,
        offset: int = 0,
    ) -> list[Episode]:
        """The user's raw episodes in arrival order."""
        params = self._compact({"session_id": session_id, "limit": limit, "offset": offset})
        data = self._call("GET", self._user(user_id) + "/episodes", params=params)
        items = data["items"] if isinstance(data, dict) else data
        return [from_jsonable(Episode, e) for e in items]

    def stats(self, *, user_id: str | None = None) -> Stats:
        """Counts for one user (or, with an admin key, the whole store)."""
        path = self._user(user_id) + "/stats" if user_id is not None else "/stats"
        return from_jsonable(Stats, self._call("GET", path))

    # -- change --------------------------------------------------------------------------
    def update(
        self,
        memory_id: str,
        text: str,
        *,
        user_id: str,
        metadata: Mapping[str, Any] | None = None,
    ) -> MemoryItem:
        """Replace a memory's text (the old text stays in history)."""
        path = f"{self._user(user_id)}/memories/{quote(memory_id, safe='')}"
        body = self._compact({"text": text, "metadata": dict(metadata) if metadata else None})
        return from_jsonable(MemoryItem, self._call("PATCH", path, json=body))

    def delete(self, memory_id: str, *, user_id: str) -> MemoryItem:
        """Mark a memory deleted."""
        path = f"{self._user(user_id)}/memories/{quote(memory_id, safe='')}"
        return from_jsonable(MemoryItem, self._call("DELETE", path))

    def forget(
        self,
        memory_id: str | None = None,
        *,
        user_id: str,
        episode_id: str | None = None,
        hard: bool = False,
    ) -> ForgetResult:
        """Archive (or, with ``hard``, erase) a memory or everything from one episode."""
        if (memory_id is None) == (episode_id is None):
            raise ValidationError("memory_id", "give exactly one of memory_id or episode_id")
        target = (
            f"/memories/{quote(memory_id, safe='')}"
            if memory_id is not None
            else f"/episodes/{quote(str(episode_id), safe='')}"
        )
        data = self._call("POST", self._user(user_id) + target + "/forget", json={"hard": hard})
        return from_jsonable(ForgetResult, data)

    def undo(self, memory_id: str, *, user_id: str, change: int | None = None) -> MemoryItem:
        """Revert a recorded change of a memory."""
        path = f"{self._user(user_id)}/memories/{quote(memory_id, safe='')}/undo"
        return from_jsonable(
            MemoryItem, self._call("POST", path, json=self._compact({"change": change}))
        )

    def consolidate(
        self, *, user_id: str, archive_below: float | None = None
    ) -> ConsolidationReport:
        """Run a consolidation pass on the user's scope."""
        body = self._compact({"archive_below": archive_below})
        data = self._call("POST", self._user(user_id) + "/consolidate", json=body)
        return from_jsonable(ConsolidationReport, data)

    def export(self, *, user_id: str) -> dict[str, Any]:
        """Everything stored for the user: episodes and memories of every status."""
        data = self._call("GET", self._user(user_id) + "/export")
        return {
            "user_id": data["user_id"],
            "episodes": [from_jsonable(Episode, e) for e in data["episodes"]],
            "memories": [from_jsonable(MemoryItem, m) for m in data["memories"]],
        }
