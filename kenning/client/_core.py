"""What :class:`~kenning.client.RemoteMemory` and :class:`~kenning.client.AsyncRemoteMemory`
share, with no I/O: each method's request (:class:`Call`), the read-after token, and the
reading of a response (its result, or the exception its error maps to).

The two clients are thin transports: a method builds its :class:`Call` with the function of the
same name here, sends it with ``httpx.Client`` or ``httpx.AsyncClient``, and hands the response
to :meth:`Session.finish`. A new endpoint is one function here and one line in each client.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Callable, Generator, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any, Generic, TypeVar
from urllib.parse import quote

import httpx

from kenning.codec import from_jsonable, to_jsonable
from kenning.errors import KenningError, NotFound, ValidationError
from kenning.models import (
    AddResult,
    ConsolidationReport,
    ContextBlock,
    Episode,
    ForgetResult,
    HistoryEntry,
    Hit,
    MemoryGraph,
    MemoryItem,
    MemoryKind,
    MemoryStatus,
    SearchResult,
    SessionSummary,
    Stats,
    UserSummary,
)

T = TypeVar("T")

MessagesInput = str | Mapping[str, Any] | Sequence[str | Mapping[str, Any]]
TimeInput = datetime | str | float | None
KindsInput = Iterable[MemoryKind | str] | MemoryKind | str | None

READ_AFTER = "Kenning-Read-After"


class RemoteError(KenningError):
    """The server answered with an error this client has no closer exception for."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"HTTP {status}: {message}")
        self.status = status


class AccessDenied(RemoteError):
    """The API key is missing, unknown, revoked, or not allowed on this user."""


@dataclass(frozen=True, slots=True)
class Call(Generic[T]):
    """One request of a client method and how to read its answer."""

    method: str
    path: str
    parse: Callable[[Any], T]
    json: Any = None
    params: Mapping[str, Any] | None = None

    def options(self) -> dict[str, Any]:
        """The body and query arguments of ``httpx``'s ``request``."""
        options: dict[str, Any] = {}
        if self.json is not None:
            options["json"] = self.json
        if self.params is not None:
            options["params"] = dict(self.params)
        return options


def _position(token: str) -> tuple[int, int]:
    high, _, low = token.partition("/")
    try:
        return int(high, 16), int(low or "0", 16)
    except ValueError:
        return (-1, -1)


class Session:
    """The servers a client asks in turn, and the latest write token it has seen.

    Whichever server answers, a read sees this client's earlier writes: the latest
    ``Kenning-Read-After`` token (a write-ahead-log position, ``16/B374D848``) goes back with
    every request. Thread-safe, and shared by every task of an event loop.
    """

    def __init__(self, url: str | Sequence[str], api_key: str | None) -> None:
        urls = [url] if isinstance(url, str) else list(url)
        if not urls:
            raise ValidationError("url", "must name at least one server")
        self.base_urls = [u.rstrip("/") + "/v1" for u in urls]
        self.headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._turn = itertools.count()
        self._token: str | None = None
        self._lock = threading.Lock()

    def next_server(self) -> int:
        """The index of the server to ask next (round robin)."""
        return next(self._turn) % len(self.base_urls)

    def request_headers(self) -> dict[str, str]:
        """Headers of the next request: the read-after token, once a response gave one."""
        token = self._token
        return {READ_AFTER: token} if token is not None else {}

    def _remember(self, token: str | None) -> None:
        if not token:
            return
        with self._lock:
            if self._token is None or _position(token) >= _position(self._token):
                self._token = token

    def finish(self, call: Call[T], response: httpx.Response) -> T:
        """The result of ``call`` from its response, or the exception its error maps to."""
        self._remember(response.headers.get(READ_AFTER))
        if response.status_code < 400:
            return call.parse(response.json() if response.content else None)
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


Plan = Generator[Call[Any], Any, T]
"""A method of several requests: a client sends each :class:`Call` the plan yields and sends
the result back into it, until the plan returns the method's result."""


def unreachable(exc: httpx.HTTPError) -> RemoteError:
    """The error of a request that got no response."""
    return RemoteError(0, f"cannot reach the server: {exc}")


# -- helpers ---------------------------------------------------------------------------------
def _time(value: TimeInput) -> str | float | None:
    return value.isoformat() if isinstance(value, datetime) else value


def _kinds(kinds: KindsInput) -> list[str] | None:
    if kinds is None:
        return None
    if isinstance(kinds, str):
        return [str(kinds)]
    return [k.value if isinstance(k, MemoryKind) else str(k) for k in kinds]


def _filters(filters: Mapping[str, Any] | None) -> Any:
    """Metadata conditions as JSON values (the server checks them, as ``Memory`` does)."""
    if filters is None:
        return None
    value = to_jsonable(dict(filters) if isinstance(filters, Mapping) else filters)
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValidationError("filters", f"must be JSON: {exc}") from exc
    return value


def _user(user_id: str) -> str:
    if not isinstance(user_id, str) or not user_id.strip():
        raise ValidationError("user_id", "must be a non-empty string")
    return "/users/" + quote(user_id, safe="")


def _memory(user_id: str, memory_id: str, suffix: str = "") -> str:
    return f"{_user(user_id)}/memories/{quote(memory_id, safe='')}{suffix}"


def _compact(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def _items(data: Any) -> list[Any]:
    return list(data["items"] if isinstance(data, dict) else data)


def _parse_list(cls: type[T], data: Any) -> list[T]:
    return [from_jsonable(cls, x) for x in _items(data)]


def _parse_search(data: Any) -> SearchResult:
    return SearchResult(query=data["query"], hits=[from_jsonable(Hit, h) for h in data["hits"]])


def _parse_export(data: Any) -> dict[str, Any]:
    return {
        "user_id": data["user_id"],
        "episodes": [from_jsonable(Episode, e) for e in data["episodes"]],
        "memories": [from_jsonable(MemoryItem, m) for m in data["memories"]],
    }


def _one(cls: type[T]) -> Callable[[Any], T]:
    return partial(from_jsonable, cls)


# -- one function per client method (same name, same parameters) ---------------------------------
def add(
    messages: MessagesInput,
    *,
    user_id: str,
    agent_id: str | None = None,
    session_id: str | None = None,
    timestamp: TimeInput = None,
) -> Call[AddResult]:
    if isinstance(messages, str | Mapping):
        messages = [messages]
    body = _compact(
        {
            "messages": to_jsonable(list(messages)),
            "agent_id": agent_id,
            "session_id": session_id,
            "timestamp": _time(timestamp),
        }
    )
    return Call("POST", _user(user_id) + "/messages", _one(AddResult), json=body)


def add_fact(
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
) -> Call[MemoryItem]:
    body = _compact(
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
    return Call("POST", _user(user_id) + "/facts", _one(MemoryItem), json=body)


def search(
    query: str,
    *,
    user_id: str,
    limit: int | None = None,
    kinds: KindsInput = None,
    agent_id: str | None = None,
    session_id: str | None = None,
    start: TimeInput = None,
    end: TimeInput = None,
    as_of: TimeInput = None,
    now: TimeInput = None,
    filters: Mapping[str, Any] | None = None,
) -> Call[SearchResult]:
    body = _compact(
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
            "filters": _filters(filters),
        }
    )
    return Call("POST", _user(user_id) + "/search", _parse_search, json=body)


def context(
    query: str,
    *,
    user_id: str,
    budget_tokens: int | None = None,
    kinds: KindsInput = None,
    agent_id: str | None = None,
    session_id: str | None = None,
    start: TimeInput = None,
    end: TimeInput = None,
    as_of: TimeInput = None,
    now: TimeInput = None,
    filters: Mapping[str, Any] | None = None,
) -> Call[ContextBlock]:
    body = _compact(
        {
            "query": query,
            "budget_tokens": budget_tokens,
            "kinds": _kinds(kinds),
            "agent_id": agent_id,
            "session_id": session_id,
            "start": _time(start),
            "end": _time(end),
            "as_of": _time(as_of),
            "now": _time(now),
            "filters": _filters(filters),
        }
    )
    return Call("POST", _user(user_id) + "/context", _one(ContextBlock), json=body)


def get(memory_id: str, *, user_id: str) -> Call[MemoryItem]:
    return Call("GET", _memory(user_id, memory_id), _one(MemoryItem))


def get_all(
    *,
    user_id: str,
    kinds: KindsInput = None,
    agent_id: str | None = None,
    session_id: str | None = None,
    statuses: Iterable[MemoryStatus | str] | None = (MemoryStatus.ACTIVE,),
    limit: int | None = 100,
    offset: int = 0,
    filters: Mapping[str, Any] | None = None,
) -> Call[list[MemoryItem]]:
    conditions = _filters(filters)
    params = _compact(
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
            "filters": None if conditions is None else json.dumps(conditions),
        }
    )
    return Call(
        "GET", _user(user_id) + "/memories", partial(_parse_list, MemoryItem), params=params
    )


def history(memory_id: str, *, user_id: str) -> Call[list[HistoryEntry]]:
    return Call("GET", _memory(user_id, memory_id, "/history"), partial(_parse_list, HistoryEntry))


def graph(memory_id: str, *, user_id: str, limit: int = 10) -> Call[MemoryGraph]:
    path = _memory(user_id, memory_id, "/graph")
    return Call("GET", path, _one(MemoryGraph), params={"limit": limit})


def episodes(
    *, user_id: str, session_id: str | None = None, limit: int | None = 100, offset: int = 0
) -> Call[list[Episode]]:
    params = _compact({"session_id": session_id, "limit": limit, "offset": offset})
    return Call("GET", _user(user_id) + "/episodes", partial(_parse_list, Episode), params=params)


def stats(*, user_id: str | None = None) -> Call[Stats]:
    path = _user(user_id) + "/stats" if user_id is not None else "/stats"
    return Call("GET", path, _one(Stats))


def update(
    memory_id: str, text: str, *, user_id: str, metadata: Mapping[str, Any] | None = None
) -> Call[MemoryItem]:
    body = _compact({"text": text, "metadata": dict(metadata) if metadata else None})
    return Call("PATCH", _memory(user_id, memory_id), _one(MemoryItem), json=body)


def delete(memory_id: str, *, user_id: str) -> Call[MemoryItem]:
    return Call("DELETE", _memory(user_id, memory_id), _one(MemoryItem))


def forget(
    memory_id: str | None = None,
    *,
    user_id: str,
    episode_id: str | None = None,
    hard: bool = False,
) -> Call[ForgetResult]:
    if (memory_id is None) == (episode_id is None):
        raise ValidationError("memory_id", "give exactly one of memory_id or episode_id")
    target = (
        _memory(user_id, memory_id)
        if memory_id is not None
        else f"{_user(user_id)}/episodes/{quote(str(episode_id), safe='')}"
    )
    return Call("POST", target + "/forget", _one(ForgetResult), json={"hard": hard})


def undo(memory_id: str, *, user_id: str, change: int | None = None) -> Call[MemoryItem]:
    path = _memory(user_id, memory_id, "/undo")
    return Call("POST", path, _one(MemoryItem), json=_compact({"change": change}))


def consolidate(*, user_id: str, archive_below: float | None = None) -> Call[ConsolidationReport]:
    body = _compact({"archive_below": archive_below})
    return Call("POST", _user(user_id) + "/consolidate", _one(ConsolidationReport), json=body)


def export(*, user_id: str) -> Call[dict[str, Any]]:
    return Call("GET", _user(user_id) + "/export", _parse_export)


# -- users ---------------------------------------------------------------------------------------
UserPage = tuple[list[UserSummary], int | None]  # a page and the offset of the next one


def _parse_user_page(data: Any) -> UserPage:
    return _parse_list(UserSummary, data), data.get("next_offset")


def users(*, limit: int, offset: int = 0) -> Call[UserPage]:
    return Call("GET", "/users", _parse_user_page, params={"limit": limit, "offset": offset})


_PAGE = 100  # users per request (server_max_page_size is 500 by default)


def all_users(*, limit: int | None = None, offset: int = 0) -> Plan[list[UserSummary]]:
    """Every user from ``offset`` on (at most ``limit``), page by page."""
    found: list[UserSummary] = []
    next_offset: int | None = offset
    while next_offset is not None and (limit is None or len(found) < limit):
        page = _PAGE if limit is None else min(_PAGE, limit - len(found))
        items, next_offset = yield users(limit=page, offset=next_offset)
        found += items
    return found


def sessions(*, user_id: str) -> Call[list[SessionSummary]]:
    return Call("GET", _user(user_id) + "/sessions", partial(_parse_list, SessionSummary))


def delete_user(user_id: str) -> Call[ForgetResult]:
    return Call("DELETE", _user(user_id), _one(ForgetResult), params={"confirm": "true"})
