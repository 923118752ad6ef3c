"""``AsyncMemory``: :class:`kenning.Memory` for asyncio applications (FastAPI, LangGraph, ...).

The same constructor arguments, the same methods with the same parameters and result types,
each a coroutine, and the same exceptions::

    async with AsyncMemory("memories.db") as memory:
        await memory.add("I moved to Berlin", user_id="ana")
        hits = await memory.search("where does Ana live?", user_id="ana")

No call blocks the event loop: the store is opened, and every method runs, on a thread pool
the instance owns (``max_workers`` threads, Python's default when None). ``Memory`` is made for
this: its locks are per user and narrow, never held across the embedding model, and its
stores serialise their own connections. The pool is the instance's own rather than the event
loop's default one so that :meth:`AsyncMemory.aclose` can let the calls in flight finish
before it closes the store, and so that a burst of slow calls (embedding long documents) never
starves what else the application runs on the default pool (asyncio's DNS lookups among them).
Context variables go along to the thread, as with ``asyncio.to_thread``.

A cancelled call stops being awaited, not running: a write that started completes (``add``
is idempotent, so retrying it is safe).

Adding a method of ``Memory`` here is one method with its signature copied verbatim and the
body ``return await self._run(Memory.name, <the arguments>)``; mypy checks the arguments
against ``Memory``'s, and ``tests/core/test_core_async.py`` fails until every public method
of ``Memory`` has its coroutine here with the same signature.
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from itertools import islice
from pathlib import Path
from types import TracebackType
from typing import Any, Concatenate, ParamSpec, Self, TextIO, TypeVar

from kenning.config import Settings
from kenning.embed.base import Embedder
from kenning.errors import StoreError
from kenning.llm import ChatClient
from kenning.memory import Memory, MessagesInput
from kenning.models import (
    AddResult,
    ConsolidationReport,
    ContextBlock,
    Episode,
    ForgetResult,
    HistoryEntry,
    MemoryGraph,
    MemoryItem,
    MemoryKind,
    MemoryStatus,
    SearchResult,
    SessionSummary,
    Stats,
    UserSummary,
)
from kenning.store import Store
from kenning.store.export import ExportReport, ImportReport, ModelMismatch, Source

__all__ = ["AsyncMemory"]

P = ParamSpec("P")
T = TypeVar("T")

_EXPORT_BATCH = 500  # lines read from the store per trip to the pool


class AsyncMemory:
    """Long-term memory for asyncio code: :class:`~kenning.Memory`'s methods as coroutines.

    >>> async with AsyncMemory("memories.db") as m:                    # doctest: +SKIP
    ...     await m.add("I adopted a dog named Rex", user_id="ana")
    ...     await m.search("what pet does Ana have?", user_id="ana")
    """

    def __init__(
        self,
        path: str | Path | None = None,
        *,
        settings: Settings | None = None,
        embedder: Embedder | None = None,
        store: Store | None = None,
        max_workers: int | None = None,
    ) -> None:
        """The arguments of :class:`~kenning.Memory`, which is opened (on the pool, not here)
        by ``async with`` or the first call; ``max_workers``: threads running calls at once."""
        self._arguments = (path, settings, embedder, store)
        self._memory: Memory | None = None
        self._opening = threading.Lock()
        self._executor = ThreadPoolExecutor(max_workers, thread_name_prefix="kenning")
        self._closed = False

    # -- plumbing ------------------------------------------------------------------------
    def _engine(self) -> Memory:
        """The synchronous engine, opened on first use (on a pool thread)."""
        with self._opening:
            if self._memory is None:
                path, settings, embedder, store = self._arguments
                self._memory = Memory(path, settings=settings, embedder=embedder, store=store)
            return self._memory

    async def _run(
        self, method: Callable[Concatenate[Memory, P], T], /, *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """``method(memory, *args, **kwargs)`` on the pool, with this task's context."""
        if self._closed:
            raise StoreError("this AsyncMemory is closed")

        def call() -> T:
            return method(self._engine(), *args, **kwargs)

        context = contextvars.copy_context()
        return await asyncio.get_running_loop().run_in_executor(self._executor, context.run, call)

    async def __aenter__(self) -> Self:
        await self._run(lambda memory: None)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Refuse new calls, let those in flight finish, then close the engine (see
        :meth:`kenning.Memory.close`). Closing twice does nothing."""
        if self._closed:
            return
        self._closed = True
        await asyncio.to_thread(self._shutdown)

    def _shutdown(self) -> None:
        self._executor.shutdown(wait=True)
        if self._memory is not None:
            self._memory.close()

    @property
    def memory(self) -> Memory:
        """The synchronous engine underneath (its ``settings`` among others). Its methods
        block: call them from a thread, not from the event loop."""
        if self._memory is None:
            raise StoreError("this AsyncMemory is not open yet: use `async with` or await a call")
        return self._memory

    @property
    def store(self) -> Store:
        """The underlying store (for tools and tests; prefer the methods here)."""
        return self.memory.store

    @property
    def embedder(self) -> Embedder:
        """The embedder in use."""
        return self.memory.embedder

    @property
    def llm(self) -> ChatClient | None:
        """The LLM client (``fact_extraction=llm``), or None."""
        return self.memory.llm

    async def warm_up(self) -> None:
        """Load the embedding model now (see :meth:`kenning.Memory.warm_up`)."""
        return await self._run(Memory.warm_up)

    async def flush(self) -> None:
        """Write buffered retrieval statistics to the store."""
        return await self._run(Memory.flush)

    async def describe(self) -> dict[str, Any]:
        """The retrieval configuration in effect."""
        return await self._run(Memory.describe)

    async def configure(self, **changes: Any) -> dict[str, Any]:
        """Change settings of the live engine; returns the old values."""
        # (a lambda: ``**changes`` could hold a ``self`` that Concatenate cannot rule out)
        return await self._run(lambda memory: memory.configure(**changes))

    # -- write -----------------------------------------------------------------------
    async def add(
        self,
        messages: MessagesInput,
        *,
        user_id: str,
        agent_id: str | None = None,
        session_id: str | None = None,
        timestamp: datetime | str | float | None = None,
    ) -> AddResult:
        """Store messages and the memories derived from them (see :meth:`kenning.Memory.add`)."""
        return await self._run(
            Memory.add,
            messages,
            user_id=user_id,
            agent_id=agent_id,
            session_id=session_id,
            timestamp=timestamp,
        )

    async def process_pending(self, *, user_id: str | None = None) -> list[MemoryItem]:
        """Derive memories of episodes an ``add`` stored but did not derive."""
        return await self._run(Memory.process_pending, user_id=user_id)

    # -- read ------------------------------------------------------------------------
    async def search(
        self,
        query: str,
        *,
        user_id: str,
        limit: int | None = None,
        kinds: Iterable[MemoryKind | str] | MemoryKind | str | None = None,
        agent_id: str | None = None,
        session_id: str | None = None,
        start: datetime | str | None = None,
        end: datetime | str | None = None,
        as_of: datetime | str | None = None,
        now: datetime | str | None = None,
        filters: Mapping[str, Any] | None = None,
    ) -> SearchResult:
        """The memories most relevant to ``query`` (see :meth:`kenning.Memory.search`);
        ``filters``: conditions on their metadata."""
        return await self._run(
            Memory.search,
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

    async def get(self, memory_id: str, *, user_id: str | None = None) -> MemoryItem:
        """One memory by id (any status)."""
        return await self._run(Memory.get, memory_id, user_id=user_id)

    async def get_all(
        self,
        *,
        user_id: str,
        kinds: Iterable[MemoryKind | str] | MemoryKind | str | None = None,
        agent_id: str | None = None,
        session_id: str | None = None,
        statuses: Iterable[MemoryStatus | str] | None = (MemoryStatus.ACTIVE,),
        limit: int | None = 100,
        offset: int = 0,
        filters: Mapping[str, Any] | None = None,
    ) -> list[MemoryItem]:
        """The user's memories in event-time order, paginated; ``filters`` as in
        :meth:`search`."""
        return await self._run(
            Memory.get_all,
            user_id=user_id,
            kinds=kinds,
            agent_id=agent_id,
            session_id=session_id,
            statuses=statuses,
            limit=limit,
            offset=offset,
            filters=filters,
        )

    async def episodes(
        self,
        *,
        user_id: str,
        session_id: str | None = None,
        limit: int | None = 100,
        offset: int = 0,
    ) -> list[Episode]:
        """The raw episodes of a user, in arrival order."""
        return await self._run(
            Memory.episodes, user_id=user_id, session_id=session_id, limit=limit, offset=offset
        )

    async def history(self, memory_id: str, *, user_id: str | None = None) -> list[HistoryEntry]:
        """Every recorded change of a memory and of its other versions, oldest first."""
        return await self._run(Memory.history, memory_id, user_id=user_id)

    async def graph(self, memory_id: str, *, user_id: str, limit: int = 10) -> MemoryGraph:
        """The entities and links around a memory (see :meth:`kenning.Memory.graph`)."""
        return await self._run(Memory.graph, memory_id, user_id=user_id, limit=limit)

    async def stats(self, *, user_id: str | None = None) -> Stats:
        """Counts for one user or the whole store."""
        return await self._run(Memory.stats, user_id=user_id)

    async def users(self, *, limit: int | None = None, offset: int = 0) -> list[UserSummary]:
        """The store's users by id, each with its counts and the span of its activity."""
        return await self._run(Memory.users, limit=limit, offset=offset)

    async def sessions(self, *, user_id: str) -> list[SessionSummary]:
        """The user's sessions, latest activity first, with their counts and spans."""
        return await self._run(Memory.sessions, user_id=user_id)

    async def context(
        self,
        query: str,
        *,
        user_id: str,
        budget_tokens: int | None = None,
        kinds: Iterable[MemoryKind | str] | MemoryKind | str | None = None,
        agent_id: str | None = None,
        session_id: str | None = None,
        start: datetime | str | None = None,
        end: datetime | str | None = None,
        as_of: datetime | str | None = None,
        now: datetime | str | None = None,
        filters: Mapping[str, Any] | None = None,
    ) -> ContextBlock:
        """The best memories for ``query`` within ``budget_tokens``, ready for a prompt (see
        :meth:`kenning.Memory.context`)."""
        return await self._run(
            Memory.context,
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

    # -- change ----------------------------------------------------------------------
    async def update(
        self,
        memory_id: str,
        text: str,
        *,
        user_id: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> MemoryItem:
        """Replace a memory's text (re-indexed); the old text stays in its history."""
        return await self._run(Memory.update, memory_id, text, user_id=user_id, metadata=metadata)

    async def delete(self, memory_id: str, *, user_id: str | None = None) -> MemoryItem:
        """Mark a memory deleted."""
        return await self._run(Memory.delete, memory_id, user_id=user_id)

    # -- lifecycle -----------------------------------------------------------------------
    async def add_fact(
        self,
        text: str,
        *,
        user_id: str,
        key: str | None = None,
        subject: str | None = None,
        predicate: str | None = None,
        object: str | None = None,
        valid_from: datetime | str | None = None,
        valid_to: datetime | str | None = None,
        importance: float = 0.5,
        pinned: bool = False,
        ttl: float | timedelta | None = None,
        agent_id: str | None = None,
        session_id: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> MemoryItem:
        """Store a fact (see :meth:`kenning.Memory.add_fact`)."""
        return await self._run(
            Memory.add_fact,
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

    async def forget(
        self,
        memory_id: str | None = None,
        *,
        user_id: str,
        episode_id: str | None = None,
        hard: bool = False,
    ) -> ForgetResult:
        """Archive (or, with ``hard``, erase) a memory or everything from one episode."""
        return await self._run(
            Memory.forget, memory_id, user_id=user_id, episode_id=episode_id, hard=hard
        )

    async def pin(self, memory_id: str, *, user_id: str, pinned: bool = True) -> MemoryItem:
        """Pin a memory (it never fades and is never archived by forgetting), or unpin it."""
        return await self._run(Memory.pin, memory_id, user_id=user_id, pinned=pinned)

    async def set_ttl(
        self, memory_id: str, ttl: float | timedelta | None, *, user_id: str
    ) -> MemoryItem:
        """Make a memory expire ``ttl`` seconds from now (None: never)."""
        return await self._run(Memory.set_ttl, memory_id, ttl, user_id=user_id)

    async def undo(self, memory_id: str, *, user_id: str, change: int | None = None) -> MemoryItem:
        """Revert a recorded change of a memory (the latest, or history entry ``change``)."""
        return await self._run(Memory.undo, memory_id, user_id=user_id, change=change)

    async def delete_user(self, user_id: str) -> ForgetResult:
        """Erase a user and everything of it (see :meth:`kenning.Memory.delete_user`)."""
        return await self._run(Memory.delete_user, user_id)

    async def consolidate(
        self, *, user_id: str, archive_below: float | None = None
    ) -> ConsolidationReport:
        """Tidy a scope (see :meth:`kenning.Memory.consolidate`)."""
        return await self._run(Memory.consolidate, user_id=user_id, archive_below=archive_below)

    # -- export and import -----------------------------------------------------------------
    async def export_lines(self, *, user_id: str | None = None) -> AsyncIterator[str]:
        """The export's JSON lines, header first (see :meth:`kenning.Memory.export_lines`),
        read from the store on the pool a batch at a time. The one method whose result differs
        from ``Memory``'s: an async iterator, as iterating an ``Export`` reads the store."""
        lines = iter(await self._run(Memory.export_lines, user_id=user_id))
        while batch := await self._run(lambda memory: list(islice(lines, _EXPORT_BATCH))):
            for line in batch:
                yield line

    async def export(
        self, destination: str | Path | TextIO, *, user_id: str | None = None
    ) -> ExportReport:
        """Write everything stored (or one user's data) to a JSON Lines file or text stream."""
        return await self._run(Memory.export, destination, user_id=user_id)

    async def import_(
        self,
        source: Source,
        *,
        user_id: str | None = None,
        model_mismatch: ModelMismatch | str = ModelMismatch.REEMBED,
    ) -> ImportReport:
        """Add what an export file holds and this store does not (see
        :meth:`kenning.Memory.import_`)."""
        return await self._run(
            Memory.import_, source, user_id=user_id, model_mismatch=model_mismatch
        )
