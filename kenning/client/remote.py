"""``RemoteMemory``: the :class:`kenning.Memory` API over HTTP, same methods, same result types.

Switching from embedded to server is one line::

    memory = Memory("memories.db")                                   # embedded
    memory = RemoteMemory("http://127.0.0.1:8765", api_key="...")    # server

Errors come back as the same exceptions: a 400/422 as :class:`~kenning.errors.ValidationError`
naming the field, a 404 as :class:`~kenning.errors.NotFound`; 401/403 raise
:class:`AccessDenied`, anything else :class:`RemoteError` with the status.

Each method builds its request with the function of the same name in
:mod:`kenning.client._core`, which :class:`~kenning.client.AsyncRemoteMemory` shares.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import timedelta
from types import TracebackType
from typing import Any, Self, TypeVar

import httpx

from kenning.client import _core
from kenning.client._core import (
    READ_AFTER,
    AccessDenied,
    Call,
    KindsInput,
    MessagesInput,
    Plan,
    RemoteError,
    Session,
    TimeInput,
)
from kenning.models import (
    AddResult,
    ConsolidationReport,
    ContextBlock,
    Episode,
    ForgetResult,
    HistoryEntry,
    MemoryGraph,
    MemoryItem,
    MemoryStatus,
    SearchResult,
    SessionSummary,
    Stats,
    UserSummary,
)

__all__ = ["READ_AFTER", "AccessDenied", "RemoteError", "RemoteMemory"]

T = TypeVar("T")


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
        self._session = Session(url, api_key)
        self._clients = [
            httpx.Client(
                base_url=base, headers=self._session.headers, timeout=timeout, transport=transport
            )
            for base in self._session.base_urls
        ]

    # -- plumbing ------------------------------------------------------------------------
    def close(self) -> None:
        """Close the HTTP connection pools."""
        for client in self._clients:
            client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _send(self, call: Call[T]) -> T:
        client = self._clients[self._session.next_server()]
        try:
            response = client.request(
                call.method, call.path, headers=self._session.request_headers(), **call.options()
            )
        except httpx.HTTPError as exc:
            raise _core.unreachable(exc) from exc
        return self._session.finish(call, response)

    def _follow(self, plan: Plan[T]) -> T:
        """The result of a method of several requests (see :data:`kenning.client._core.Plan`)."""
        try:
            call = next(plan)
            while True:
                call = plan.send(self._send(call))
        except StopIteration as done:
            result: T = done.value
            return result

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
        return self._send(
            _core.add(
                messages,
                user_id=user_id,
                agent_id=agent_id,
                session_id=session_id,
                timestamp=timestamp,
            )
        )

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
        return self._send(
            _core.add_fact(
                text,
                user_id=user_id,
                key=key,
                subject=subject,
                predicate=predicate,
                object=object,
                valid_from=valid_from,
                valid_to=valid_to,
                importance=importance,
                pinned=pinned,
                ttl=ttl,
                agent_id=agent_id,
                session_id=session_id,
                metadata=metadata,
            )
        )

    # -- read ----------------------------------------------------------------------------
    def search(
        self,
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
    ) -> SearchResult:
        """Ranked memories for ``query`` (see :meth:`kenning.Memory.search`); ``filters``:
        conditions on their metadata (``{"topic": "travel", "priority": {"gte": 2}}``)."""
        return self._send(
            _core.search(
                query,
                user_id=user_id,
                limit=limit,
                kinds=kinds,
                agent_id=agent_id,
                session_id=session_id,
                start=start,
                end=end,
                as_of=as_of,
                now=now,
                filters=filters,
            )
        )

    def context(
        self,
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
    ) -> ContextBlock:
        """The best memories for ``query`` within ``budget_tokens``, ready for a prompt (see
        :meth:`kenning.Memory.context`)."""
        return self._send(
            _core.context(
                query,
                user_id=user_id,
                budget_tokens=budget_tokens,
                kinds=kinds,
                agent_id=agent_id,
                session_id=session_id,
                start=start,
                end=end,
                as_of=as_of,
                now=now,
                filters=filters,
            )
        )

    def get(self, memory_id: str, *, user_id: str) -> MemoryItem:
        """One memory of the user (any status)."""
        return self._send(_core.get(memory_id, user_id=user_id))

    def get_all(
        self,
        *,
        user_id: str,
        kinds: KindsInput = None,
        agent_id: str | None = None,
        session_id: str | None = None,
        statuses: Iterable[MemoryStatus | str] | None = (MemoryStatus.ACTIVE,),
        limit: int | None = 100,
        offset: int = 0,
        filters: Mapping[str, Any] | None = None,
    ) -> list[MemoryItem]:
        """A page of the user's memories in event-time order; ``filters`` as in
        :meth:`search`."""
        return self._send(
            _core.get_all(
                user_id=user_id,
                kinds=kinds,
                agent_id=agent_id,
                session_id=session_id,
                statuses=statuses,
                limit=limit,
                offset=offset,
                filters=filters,
            )
        )

    def history(self, memory_id: str, *, user_id: str) -> list[HistoryEntry]:
        """Every recorded change of a memory and of its other versions."""
        return self._send(_core.history(memory_id, user_id=user_id))

    def graph(self, memory_id: str, *, user_id: str, limit: int = 10) -> MemoryGraph:
        """The entities and links around a memory (see :meth:`kenning.Memory.graph`)."""
        return self._send(_core.graph(memory_id, user_id=user_id, limit=limit))

    def episodes(
        self,
        *,
        user_id: str,
        session_id: str | None = None,
        limit: int | None = 100,
        offset: int = 0,
    ) -> list[Episode]:
        """The user's raw episodes in arrival order."""
        return self._send(
            _core.episodes(user_id=user_id, session_id=session_id, limit=limit, offset=offset)
        )

    def stats(self, *, user_id: str | None = None) -> Stats:
        """Counts for one user (or, with an admin key, the whole store)."""
        return self._send(_core.stats(user_id=user_id))

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
        return self._send(_core.update(memory_id, text, user_id=user_id, metadata=metadata))

    def delete(self, memory_id: str, *, user_id: str) -> MemoryItem:
        """Mark a memory deleted."""
        return self._send(_core.delete(memory_id, user_id=user_id))

    def forget(
        self,
        memory_id: str | None = None,
        *,
        user_id: str,
        episode_id: str | None = None,
        hard: bool = False,
    ) -> ForgetResult:
        """Archive (or, with ``hard``, erase) a memory or everything from one episode."""
        return self._send(
            _core.forget(memory_id, user_id=user_id, episode_id=episode_id, hard=hard)
        )

    def undo(self, memory_id: str, *, user_id: str, change: int | None = None) -> MemoryItem:
        """Revert a recorded change of a memory."""
        return self._send(_core.undo(memory_id, user_id=user_id, change=change))

    def consolidate(
        self, *, user_id: str, archive_below: float | None = None
    ) -> ConsolidationReport:
        """Run a consolidation pass on the user's scope."""
        return self._send(_core.consolidate(user_id=user_id, archive_below=archive_below))

    def export(self, *, user_id: str) -> dict[str, Any]:
        """Everything stored for the user: episodes and memories of every status."""
        return self._send(_core.export(user_id=user_id))

    # -- users ---------------------------------------------------------------------------
    def users(self, *, limit: int | None = None, offset: int = 0) -> list[UserSummary]:
        """The server's users by id (admin key only); every one unless ``limit``, fetched
        page by page."""
        return self._follow(_core.all_users(limit=limit, offset=offset))

    def sessions(self, *, user_id: str) -> list[SessionSummary]:
        """The user's sessions, latest activity first (see :meth:`kenning.Memory.sessions`)."""
        return self._send(_core.sessions(user_id=user_id))

    def delete_user(self, user_id: str) -> ForgetResult:
        """Erase the user and everything of it (see :meth:`kenning.Memory.delete_user`)."""
        return self._send(_core.delete_user(user_id))
