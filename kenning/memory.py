"""``Memory``: the embedded engine's public facade.

Thin on purpose: it validates arguments, then delegates to the write path
(:mod:`kenning.write`), the read path (:mod:`kenning.read`) and the store.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any, TextIO

from pydantic import ValidationError as PydanticValidationError

from kenning._assembly import FIXED_SETTINGS, chat_client, describe, ingest_options, snapshots
from kenning.config import Settings
from kenning.embed.base import Embedder, load_model
from kenning.errors import Conflict, NotFound, ValidationError
from kenning.index.registry import IndexRegistry, vectors_to_bytes
from kenning.index.scope import Eligibility
from kenning.lifecycle.access import AccessBuffer
from kenning.lifecycle.consolidate import consolidate
from kenning.lifecycle.edit import mark_deleted, rewrite
from kenning.lifecycle.forget import archive, erase, set_flags
from kenning.lifecycle.undo import lineage_history, undoable
from kenning.lifecycle.users import erase_user, list_sessions, list_users
from kenning.llm import ChatClient
from kenning.models import (
    AddResult,
    ConsolidationReport,
    ContextBlock,
    Episode,
    ForgetResult,
    HistoryAction,
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
from kenning.read.context import build_context
from kenning.read.neighbourhood import memory_graph
from kenning.read.search import SearchSettings, search_scope
from kenning.read.stages import Stage, timed
from kenning.read.tokens import token_counter
from kenning.store import (
    MemoryFilter,
    Store,
    open_store,
)
from kenning.store.export import (
    Export,
    ExportReport,
    ImportReport,
    ModelMismatch,
    Source,
    import_source,
    write_export,
)
from kenning.store.filters import parse_filters
from kenning.write.arguments import boolean, expiry, integer
from kenning.write.arguments import kinds as kinds_of
from kenning.write.changes import Changes, restore, retry_stale
from kenning.write.explicit import FactSpec, fact_message
from kenning.write.facts import FactExtractor
from kenning.write.identity import SELF, slot_versions, subject_key
from kenning.write.ingest import Ingestor
from kenning.write.messages import (
    build_episodes,
    normalize_messages,
    optional_id,
    parse_time,
    require_id,
)
from kenning.write.versions import LIVE

# Granularities a plain search returns: whole-message memories and knowledge, not the
# round/session aggregates (ask for those with ``kinds=``).
DEFAULT_SEARCH_KINDS: tuple[MemoryKind, ...] = (
    MemoryKind.TURN,
    MemoryKind.DOCUMENT,
    MemoryKind.FACT,
    MemoryKind.NOTE,
    MemoryKind.SUMMARY,
    MemoryKind.PROFILE,
)

_WITHOUT_FACTS = tuple(k for k in DEFAULT_SEARCH_KINDS if k is not MemoryKind.FACT)


MessagesInput = str | Mapping[str, Any] | Sequence[str | Mapping[str, Any]]


class Memory:
    """Long-term memory on a store: a SQLite file, or a PostgreSQL database by its URL.

    >>> with Memory("memories.db") as m:                              # doctest: +SKIP
    ...     m.add("I adopted a dog named Rex", user_id="ana")
    ...     m.search("what pet does Ana have?", user_id="ana")
    """

    def __init__(
        self,
        path: str | Path | None = None,
        *,
        settings: Settings | None = None,
        embedder: Embedder | None = None,
        store: Store | None = None,
    ) -> None:
        self.settings = settings or Settings()
        opened = None
        if store is None:
            store = opened = open_store(
                path if path is not None else self.settings.database,
                pool_size=self.settings.db_pool_size,
                replica_url=self.settings.database_read_url,
            )
        self._store = store
        if embedder is None:
            from kenning.embed import build_embedder

            embedder = build_embedder(self.settings)
        self._embedder = embedder
        self._registry = IndexRegistry(
            store,
            embedder,
            k1=self.settings.bm25_k1,
            b=self.settings.bm25_b,
            key_expansion=self.settings.key_expansion,
            synonym_threshold=self.settings.synonym_threshold,
            snapshots=snapshots(self.settings, opened),
        )
        self._chat = chat_client(self.settings)
        self._ingestor = Ingestor(
            store,
            embedder,
            self._registry,
            facts=FactExtractor(
                self.settings.fact_extraction,
                self._chat,
                batch_turns=self.settings.llm_batch_turns,
            ),
            options=ingest_options(self.settings),
        )
        self._search_settings = SearchSettings.from_settings(self.settings)
        self._lock = threading.RLock()
        self._closed = False
        self._access = AccessBuffer(store)

    # -- context management --------------------------------------------------------
    def __enter__(self) -> Memory:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the store (and the embedder's cache, if it has one)."""
        if self._closed:
            return
        self.flush()
        self._registry.save_snapshots()
        self._closed = True
        self._ingestor.close()
        self._store.close()
        if self._chat is not None:
            self._chat.close()
        closer = getattr(self._embedder, "close", None)
        if callable(closer):
            closer()

    def warm_up(self) -> None:
        """Load the embedding model now instead of on the first call that needs it.

        ``kenning serve`` and ``kenning mcp`` call this before they say they are ready.
        """
        load_model(self._embedder)

    def flush(self) -> None:
        """Write buffered retrieval statistics (access counts, last access) to the store."""
        self._access.flush(self.settings.recall_gain)

    def _note_access(self, user_id: str, memory_ids: Iterable[str]) -> None:
        """Count retrievals (the caller holds the user's lock, which guards the index)."""
        counts = Counter(memory_ids)
        at = datetime.now(UTC)
        index = self._registry.loaded(user_id)
        if index is not None:
            index.touch(counts, at, self.settings.recall_gain)
        if self._access.note(counts, at):
            self.flush()

    @property
    def llm(self) -> ChatClient | None:
        """The LLM client (``fact_extraction=llm``), or None: task summaries use it too."""
        return self._chat

    @property
    def store(self) -> Store:
        """The underlying store (for tools and tests; prefer the methods here)."""
        return self._store

    @property
    def embedder(self) -> Embedder:
        """The embedder in use."""
        return self._embedder

    def describe(self) -> dict[str, Any]:
        """The retrieval configuration in effect (stamped into evaluation results)."""
        return describe(self.settings, self._search_settings, self._embedder.model_id)

    def configure(self, **changes: Any) -> dict[str, Any]:
        """Change settings of a live engine (retrieval components, weights); returns the old values.

        Used by ``kenning eval --ablation`` to switch components off in turn without
        ingesting again; ``key_expansion`` reloads the indexes on the next search. Storage
        settings (``db_path``, the embedder) cannot change on a live engine.
        """
        fixed = sorted(set(changes) & FIXED_SETTINGS)
        if fixed:
            raise ValidationError(fixed[0], "cannot change on an open Memory")
        previous = {
            name: getattr(self.settings, name) for name in changes if name in Settings.model_fields
        }
        try:
            settings = Settings(**{**self.settings.model_dump(), **changes})
        except PydanticValidationError as exc:
            raise ValidationError("settings", str(exc)) from exc
        with self._lock:
            if settings.key_expansion != self.settings.key_expansion:
                self._registry.reset(key_expansion=settings.key_expansion)
            self.settings = settings
            self._search_settings = SearchSettings.from_settings(settings)
        return previous

    # -- write -----------------------------------------------------------------------
    def add(
        self,
        messages: MessagesInput,
        *,
        user_id: str,
        agent_id: str | None = None,
        session_id: str | None = None,
        timestamp: datetime | str | float | None = None,
    ) -> AddResult:
        """Store messages (strings or OpenAI-style dicts) and the memories derived from them.

        A message's ``content`` may be an OpenAI-style list of parts: its text parts are the
        message's text; other parts (images, audio, files) are kept verbatim in the episode's
        ``metadata["content_parts"]`` and listed in the result's ``skipped``.

        Idempotent: a message already stored (same client ``id``, or same content,
        speaker, session and time) is not stored again and counts in ``duplicates``.
        """
        user = require_id(user_id, "user_id")
        agent = optional_id(agent_id, "agent_id")
        session = optional_id(session_id, "session_id")
        when = parse_time(timestamp, "timestamp")
        normalized = normalize_messages(messages)
        self.flush()
        # No lock here: the ingestor claims what it stores and takes the user's lock only
        # to read the index, never while the model runs.
        result = self._ingestor.add(
            normalized,
            user_id=user,
            agent_id=agent,
            session_id=session,
            timestamp=when,
            now=datetime.now(UTC),
        )
        return replace(result, skipped=[part for m in normalized for part in m.skipped])

    def process_pending(self, *, user_id: str | None = None) -> list[MemoryItem]:
        """Derive memories of episodes that an ``add`` stored but did not derive: its call
        failed, or its process died (claims of a dead process on this host are taken over at
        once, others when their lease of 10 minutes runs out). ``add`` does this for its user
        too; this is for recovery runs (``kenning recover``)."""
        return self._ingestor.recover(
            None if user_id is None else require_id(user_id, "user_id"), now=datetime.now(UTC)
        )

    # -- read ------------------------------------------------------------------------
    def search(
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
        """The memories most relevant to ``query`` in the user's scope, best first.

        ``start``/``end`` bound the event time; ``as_of`` keeps only memories valid at
        that time; ``filters`` are conditions on their metadata (:mod:`kenning.store.filters`:
        ``{"topic": "travel", "priority": {"gte": 2}}``). Time expressions in the query ("last week", "in May") are read relative
        to ``now`` (default: the scope's latest event time, else the clock). Each hit's
        ``signals`` says how much each retrieval signal gave.
        """
        if not isinstance(query, str) or not query.strip():
            raise ValidationError("query", "must be a non-empty string")
        user = require_id(user_id, "user_id")
        limit = self.settings.search_limit if limit is None else limit
        integer(limit, "limit", low=1, high=1000)
        lifecycle = self.settings.lifecycle
        default_kinds = DEFAULT_SEARCH_KINDS if lifecycle else _WITHOUT_FACTS
        where = Eligibility(
            kinds=kinds_of(kinds) or default_kinds,
            # Superseded memories stay searchable: ranked lower now, first as of their time.
            statuses=LIVE if lifecycle else (MemoryStatus.ACTIVE,),
            unexpired_at=datetime.now(UTC),
            session_id=optional_id(session_id, "session_id"),
            agent_id=optional_id(agent_id, "agent_id"),
            start=parse_time(start, "start"),
            end=parse_time(end, "end"),
            as_of=parse_time(as_of, "as_of"),
        )
        if where.start is not None and where.end is not None and where.start > where.end:
            raise ValidationError("start", "is after end: no event could match")
        conditions = parse_filters(filters)
        if conditions:
            # The store answers the metadata conditions; the index keeps the ids it gave.
            where = replace(
                where,
                only=frozenset(
                    self._store.memory_ids(
                        MemoryFilter(user_id=user, statuses=where.statuses, metadata=conditions)
                    )
                ),
            )
        reference = parse_time(now, "now")
        with timed(Stage.EMBED):
            query_vector = self._embedder.embed([query])[0]  # before the lock: the model is slow
        with self._registry.user_lock(user):
            with timed(Stage.CATCH_UP):
                index = self._registry.get(user)
            if reference is None:
                latest = index.latest_event()
                reference = (
                    datetime.fromtimestamp(latest, UTC) if latest is not None else datetime.now(UTC)
                )
            hits = search_scope(
                index,
                query,
                query_vector,
                where=where,
                limit=limit,
                settings=self._search_settings,
                now=reference,
            )
            with timed(Stage.ASSEMBLY):
                self._note_access(user, (h.memory.id for h in hits))
        if where.as_of is not None:
            # As of then: without the keywords that newer memories gave these since.
            hits = [replace(h, memory=h.memory.as_seen_at(where.as_of)) for h in hits]
        return SearchResult(query=query, hits=hits)

    def context(
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
        """The best memories for ``query`` within ``budget_tokens``, ready for a prompt:
        the user's profile on top, facts with their validity, messages grouped by session
        and dated (:mod:`kenning.read.context`), as ``text`` and as ``items``. Filters are
        those of :meth:`search`."""
        budget = self.settings.context_budget_tokens if budget_tokens is None else budget_tokens
        integer(budget, "budget_tokens", low=20, high=1_000_000)
        found = self.search(
            query,
            user_id=user_id,
            limit=self.settings.context_candidates,
            kinds=kinds,
            agent_id=agent_id,
            session_id=session_id,
            start=start,
            end=end,
            as_of=as_of,
            now=now,
            filters=filters,
        )
        return build_context(
            query,
            user_id,
            found.hits,
            None if as_of is not None else self._own_profile(user_id),
            budget_tokens=budget,
            counter=token_counter(self.settings.context_tokenizer),
        )

    def _own_profile(self, user_id: str) -> MemoryItem | None:
        """The user's own profile memory (kenning.write.identity), once consolidation wrote it."""
        self_name = self._store.self_name(user_id)
        own = subject_key(SELF, self_name)
        profiles = self._store.list_memories(
            MemoryFilter(
                user_id=user_id, kinds=(MemoryKind.PROFILE,), statuses=(MemoryStatus.ACTIVE,)
            )
        )
        return next((p for p in profiles if subject_key(p.subject or "", self_name) == own), None)

    def get(self, memory_id: str, *, user_id: str | None = None) -> MemoryItem:
        """One memory by id (any status). With ``user_id``, it must belong to that user."""
        self.flush()
        found = self._store.get_memories([memory_id])
        if not found or (user_id is not None and found[0].user_id != user_id):
            raise NotFound(f"memory {memory_id!r} not found")
        return found[0]

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
        filters: Mapping[str, Any] | None = None,
    ) -> list[MemoryItem]:
        """The user's memories in event-time order, paginated with ``limit``/``offset``;
        ``filters`` are conditions on their metadata, as in :meth:`search`."""
        user = require_id(user_id, "user_id")
        if limit is not None:
            integer(limit, "limit", low=0)
        integer(offset, "offset", low=0)
        try:
            status_filter = None if statuses is None else tuple(MemoryStatus(s) for s in statuses)
        except ValueError as exc:
            raise ValidationError("statuses", str(exc)) from exc
        self.flush()
        where = MemoryFilter(
            user_id=user,
            kinds=kinds_of(kinds),
            statuses=status_filter,
            session_id=session_id,
            agent_id=agent_id,
            metadata=parse_filters(filters),
        )
        return self._store.list_memories(where, limit=limit, offset=offset)

    def episodes(
        self,
        *,
        user_id: str,
        session_id: str | None = None,
        limit: int | None = 100,
        offset: int = 0,
    ) -> list[Episode]:
        """The raw episodes of a user, in arrival order."""
        user = require_id(user_id, "user_id")
        if limit is not None:
            integer(limit, "limit", low=0)
        integer(offset, "offset", low=0)
        return self._store.list_episodes(user, session_id=session_id, limit=limit, offset=offset)

    def history(self, memory_id: str, *, user_id: str | None = None) -> list[HistoryEntry]:
        """Every recorded change of a memory and of its other versions, oldest first.

        A fact's versions are the facts of its slot it superseded or was superseded by; each
        entry's ``memory_id`` says which version it concerns.
        """
        self.get(memory_id, user_id=user_id)
        return lineage_history(self._store, memory_id)

    def graph(self, memory_id: str, *, user_id: str, limit: int = 10) -> MemoryGraph:
        """The graph around a memory (any status): the entities it mentions, each with at most
        ``limit`` other memories of the user mentioning it (active first, latest event first),
        its typed links within the user's scope, and those other memories as ``neighbours``.
        """
        user = require_id(user_id, "user_id")
        integer(limit, "limit", low=1)
        with self._registry.user_lock(user):
            centre = self.get(memory_id, user_id=user)
            return memory_graph(self._store, self._registry.get(user), centre, limit=limit)

    def stats(self, *, user_id: str | None = None) -> Stats:
        """Counts for one user or the whole store."""
        self.flush()
        return self._store.stats(user_id)

    # -- change ----------------------------------------------------------------------
    def update(
        self,
        memory_id: str,
        text: str,
        *,
        user_id: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> MemoryItem:
        """Replace a memory's text (re-indexed); the old text stays in its history."""
        if not isinstance(text, str) or not text.strip():
            raise ValidationError("text", "must be a non-empty string")

        def attempt() -> MemoryItem:
            old = self.get(memory_id, user_id=user_id)
            if old.status == MemoryStatus.DELETED:
                raise NotFound(f"memory {memory_id!r} was deleted")
            now = datetime.now(UTC)
            new = replace(
                old,
                text=text,
                updated_at=now,
                version=old.version + 1,
                metadata={**old.metadata, **(metadata or {})},
            )
            updated = rewrite(
                self._store,
                self._embedder,
                old,
                new,
                HistoryAction.UPDATE,
                now,
                passage_words=self.settings.passage_words,
            )
            if updated.kind is MemoryKind.TURN:
                self._ingestor.refresh_facts(updated, now)
            return updated

        return retry_stale(attempt)

    def delete(self, memory_id: str, *, user_id: str | None = None) -> MemoryItem:
        """Mark a memory deleted: it is never returned by search again; history records it."""

        def attempt() -> MemoryItem:
            old = self.get(memory_id, user_id=user_id)
            if old.status == MemoryStatus.DELETED:
                return old
            return mark_deleted(self._store, old, datetime.now(UTC))

        return retry_stale(attempt)

    # -- lifecycle -----------------------------------------------------------------------
    def add_fact(
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
        """Store a fact; with ``key`` (a slot such as ``"user.city"``) it supersedes the slot's
        value in effect at ``valid_from`` (default: now), which stays stored with its validity
        closed. Stored as an episode first, like any input; ``ttl`` (seconds) makes it expire.
        """
        user = require_id(user_id, "user_id")
        now = datetime.now(UTC)
        message = fact_message(
            text,
            FactSpec(
                key, subject, predicate, object, valid_from, valid_to, importance, pinned, ttl
            ),
            metadata,
            now,
        )
        self.flush()
        episodes = build_episodes(
            [message],
            user_id=user,
            agent_id=optional_id(agent_id, "agent_id"),
            session_id=optional_id(session_id, "session_id"),
            timestamp=None,
            now=now,
        )
        # The same fact at the same time is one episode (idempotent, like ``add``).
        episode = self._store.put_episodes(episodes)[0]
        self._ingestor.recover(user, now=now)  # claims and derives the unclaimed episode
        derived = self._store.memories_of_episodes(user, [episode.id])
        if derived:
            return derived[0]
        # Restating the value in effect reinforced that version instead of storing a copy.
        current = [
            m
            for m in slot_versions(self._store, user, self._store.self_name(user))(
                str(message.metadata["fact"]["slot"]), None
            )
            if m.status is MemoryStatus.ACTIVE
        ]
        if current:
            return current[-1]
        raise NotFound("the fact was not stored")

    def forget(
        self,
        memory_id: str | None = None,
        *,
        user_id: str,
        episode_id: str | None = None,
        hard: bool = False,
    ) -> ForgetResult:
        """Forget a memory (or everything derived from one episode).

        Soft (default): archive the memory, or every memory derived from the episode; kept
        with its history, no longer searched, and ``undo`` brings it back. Hard: erase the
        source messages and everything derived from them (facts, rounds, summaries, keys,
        links, history), rebuilding their sessions from the remaining messages; nothing of
        the erased text remains in the store. Hard forgetting cannot be undone.
        """
        user = require_id(user_id, "user_id")
        boolean(hard, "hard")  # "yes" or 1 never confirms an erase
        if (memory_id is None) == (episode_id is None):
            raise ValidationError("memory_id", "give exactly one of memory_id or episode_id")

        def attempt() -> ForgetResult:
            self.flush()
            now = datetime.now(UTC)
            if memory_id is not None:
                item = self.get(memory_id, user_id=user)
                episodes = list(item.episode_ids)
                targets = [item]
            else:
                eid = require_id(episode_id, "episode_id")
                if not self._store.get_episodes(user, [eid]):
                    raise NotFound(f"episode {eid!r} not found")
                episodes = [eid]
                targets = self._store.memories_of_episodes(user, episodes)
            if hard:
                erased = erase(self._store, self._ingestor, user, episodes, now)
                self._registry.discard_snapshot(user)  # it may hold what was erased
                return erased
            archived = archive(self._store, user, targets, now, reason="requested")
            return ForgetResult(archived=tuple(m.id for m in archived))

        return retry_stale(attempt)

    def pin(self, memory_id: str, *, user_id: str, pinned: bool = True) -> MemoryItem:
        """Pin a memory (it never fades and is never archived by forgetting), or unpin it."""
        flag = boolean(pinned, "pinned")

        def attempt() -> MemoryItem:
            item = self.get(memory_id, user_id=require_id(user_id, "user_id"))
            return set_flags(self._store, item, datetime.now(UTC), pinned=flag)

        return retry_stale(attempt)

    def set_ttl(self, memory_id: str, ttl: float | timedelta | None, *, user_id: str) -> MemoryItem:
        """Make a memory expire ``ttl`` seconds from now (None: never); expired ones are not searched."""

        def attempt() -> MemoryItem:
            item = self.get(memory_id, user_id=require_id(user_id, "user_id"))
            now = datetime.now(UTC)
            return set_flags(self._store, item, now, expires_at=expiry(ttl, now))

        return retry_stale(attempt)

    def undo(self, memory_id: str, *, user_id: str, change: int | None = None) -> MemoryItem:
        """Revert a recorded change of a memory: the latest one, or the history entry whose id
        is ``change``. An undo is a change too: undoing twice redoes."""
        user = require_id(user_id, "user_id")

        def attempt() -> MemoryItem:
            self.flush()
            item = self.get(memory_id, user_id=user)
            entry = undoable(self._store.get_history(memory_id), change)
            if entry is None:
                field = "memory_id" if change is None else "change"
                raise Conflict(
                    field, "nothing to undo: no reversible change of this memory recorded there"
                )
            now = datetime.now(UTC)
            restored = restore(item, entry.details["before"], now)
            details = {"undoes": entry.id}
            if "text" in entry.details["before"] or item.status is MemoryStatus.DELETED:
                return rewrite(
                    self._store,
                    self._embedder,
                    item,
                    restored,
                    HistoryAction.RESTORE,
                    now,
                    passage_words=self.settings.passage_words,
                    details=details,
                )
            changes = Changes(now=now)
            changes.change(item, restored, HistoryAction.RESTORE, details)
            changes.commit(self._store)
            return restored

        return retry_stale(attempt)

    def consolidate(
        self, *, user_id: str, archive_below: float | None = None
    ) -> ConsolidationReport:
        """Tidy a scope: archive expired (and, with ``archive_below``, faded) memories, merge
        near-duplicate facts, write session summaries and subject profiles."""
        user = require_id(user_id, "user_id")
        if archive_below is not None and not 0 <= archive_below <= 1:
            raise ValidationError("archive_below", "must be between 0 and 1")
        with self._registry.user_lock(user):
            self.flush()
            return consolidate(
                self._store,
                self._registry,
                self._embedder,
                user,
                datetime.now(UTC),
                duplicate_threshold=self.settings.duplicate_threshold,
                retention_days=self.settings.retention_days,
                archive_below=archive_below,
            )

    # -- users -----------------------------------------------------------------------
    def users(self, *, limit: int | None = None, offset: int = 0) -> list[UserSummary]:
        """The store's users by id, each with its counts and the span of its activity."""
        self.flush()
        return list_users(self._store, limit=limit, offset=offset)

    def sessions(self, *, user_id: str) -> list[SessionSummary]:
        """The user's sessions, latest activity first, with their counts and spans."""
        self.flush()
        return list_sessions(self._store, require_id(user_id, "user_id"))

    def delete_user(self, user_id: str) -> ForgetResult:
        """Erase a user and everything of it, as completely as a hard forget (no undo):
        messages, memories, keys, links, entities, history, LLM usage and its scope.
        Every process's index follows; :class:`NotFound` if nothing of the user is stored."""
        user = require_id(user_id, "user_id")
        with self._registry.user_lock(user):
            self.flush()  # retrieval counts of its memories, before they go
            return erase_user(self._store, self._registry, user)

    # -- export and import -------------------------------------------------------------
    def export_lines(self, *, user_id: str | None = None) -> Export:
        """The store (or one user) in the export format: iterate it for its JSON lines,
        header first (docs/api.md, "Export and import"). ``NotFound`` for an unknown user."""
        user = None if user_id is None else require_id(user_id, "user_id")
        self.flush()
        return Export(self._store, user_id=user, model_id=self._embedder.model_id)

    def export(
        self, destination: str | Path | TextIO, *, user_id: str | None = None
    ) -> ExportReport:
        """Write everything stored (or one user's data) to a JSON Lines file or text stream:
        episodes, memories with keys, vectors and history, entities, mentions, links."""
        return write_export(self.export_lines(user_id=user_id), destination)

    def import_(
        self,
        source: Source,
        *,
        user_id: str | None = None,
        model_mismatch: ModelMismatch | str = ModelMismatch.REEMBED,
    ) -> ImportReport:
        """Add what an export file (a path, a text stream or its lines) holds and this store
        does not; importing it again changes nothing. ``user_id``: that user's records
        only. Vectors of another embedding model are embedded again, or refused."""
        try:
            mismatch = ModelMismatch(model_mismatch)
        except ValueError as exc:
            raise ValidationError("model_mismatch", str(exc)) from exc
        self.flush()
        return import_source(
            self._store,
            source,
            user_id=None if user_id is None else require_id(user_id, "user_id"),
            model_id=self._embedder.model_id,
            embed=lambda texts: vectors_to_bytes(self._embedder.embed(texts)),
            model_mismatch=mismatch,
        )
