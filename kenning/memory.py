"""``Memory``: the embedded engine's public facade.

Thin on purpose: it validates arguments, then delegates to the write path
(:mod:`kenning.write`), the read path (:mod:`kenning.read`) and the store.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any

from pydantic import ValidationError as PydanticValidationError

from kenning.config import FactExtraction, Settings
from kenning.embed.base import Embedder, load_model
from kenning.errors import ConfigError, Conflict, NotFound, ValidationError
from kenning.index.registry import IndexRegistry, Snapshots, vectors_to_bytes
from kenning.index.scope import Eligibility
from kenning.lifecycle.consolidate import consolidate
from kenning.lifecycle.forget import archive, erase, set_flags
from kenning.lifecycle.undo import lineage_history, undoable
from kenning.llm import ChatClient
from kenning.models import (
    AddResult,
    ConsolidationReport,
    Episode,
    ForgetResult,
    HistoryAction,
    HistoryEntry,
    IndexKey,
    KeyKind,
    MemoryGraph,
    MemoryItem,
    MemoryKind,
    MemoryStatus,
    SearchResult,
    Stats,
)
from kenning.read.neighbourhood import memory_graph
from kenning.read.search import SearchSettings, search_scope
from kenning.read.stages import Stage, timed
from kenning.store import (
    HistoryRecord,
    MemoryFilter,
    SQLiteStore,
    Store,
    StoredMemory,
    open_store,
)
from kenning.write.changes import Changes, diff, restore, retry_stale
from kenning.write.derive import passages
from kenning.write.expand import memory_expansions
from kenning.write.facts import FactExtractor
from kenning.write.ingest import IngestOptions, Ingestor
from kenning.write.messages import (
    FACT_ROLE,
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

# Settings fixed for the life of a Memory (its store and embedder are built from them).
_FIXED_SETTINGS = frozenset(
    {
        "db_path",
        "database_url",
        "database_read_url",
        "db_pool_size",
        "embedder",
        "embedding_model",
        "embedding_url",
        "embedding_api_key",
        "embedding_batch_size",
        "embedding_cache_path",
        "bm25_k1",
        "bm25_b",
        "synonym_threshold",
        "fact_extraction",
        "links",
        "link_threshold",
        "link_neighbours",
        "llm_url",
        "llm_model",
        "llm_api_key",
        "llm_timeout",
        "llm_max_retries",
        "llm_batch_turns",
        "llm_cost_input",
        "llm_cost_output",
    }
)

_ACCESS_BUFFER_SIZE = 1000
_ACCESS_BUFFER_SECONDS = 10.0

MessagesInput = str | Mapping[str, Any] | Sequence[str | Mapping[str, Any]]


def _kinds(
    kinds: Iterable[MemoryKind | str] | MemoryKind | str | None,
) -> tuple[MemoryKind, ...] | None:
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


def _chat_client(settings: Settings) -> ChatClient | None:
    """The LLM client fact_extraction=llm needs (None otherwise)."""
    if settings.fact_extraction is not FactExtraction.LLM:
        return None
    if not settings.llm_url or not settings.llm_model:
        raise ConfigError(
            "fact_extraction=llm needs llm_url and llm_model (KENNING_LLM_URL, KENNING_LLM_MODEL)"
        )
    return ChatClient(
        base_url=settings.llm_url,
        model=settings.llm_model,
        api_key=settings.llm_api_key,
        timeout=settings.llm_timeout,
        max_retries=settings.llm_max_retries,
        cost_input=settings.llm_cost_input,
        cost_output=settings.llm_cost_output,
    )


def _snapshots(settings: Settings, opened: Store | None) -> Snapshots | None:
    """Where index snapshots go: ``index_dir``, else beside the SQLite file this ``Memory``
    opened (none for an in-memory store, or a store the caller passed in)."""
    if not settings.index_snapshots:
        return None
    directory = settings.index_dir
    if directory is None:
        if not isinstance(opened, SQLiteStore) or opened.path == ":memory:":
            return None
        directory = Path(f"{opened.path}.index")
    return Snapshots(directory, min_memories=settings.index_snapshot_min)


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
            snapshots=_snapshots(self.settings, opened),
        )
        self._chat = _chat_client(self.settings)
        self._ingestor = Ingestor(
            store,
            embedder,
            self._registry,
            facts=FactExtractor(
                self.settings.fact_extraction,
                self._chat,
                batch_turns=self.settings.llm_batch_turns,
            ),
            options=IngestOptions(
                links=self.settings.links,
                link_threshold=self.settings.link_threshold,
                link_neighbours=self.settings.link_neighbours,
                passage_words=self.settings.passage_words,
            ),
        )
        self._search_settings = SearchSettings.from_settings(self.settings)
        self._lock = threading.RLock()
        self._closed = False
        # Retrieval counts are buffered and written in one transaction at the next write,
        # read of a memory, or close (or when the buffer is old or large): a durable write
        # per search would cost more than the search itself.
        self._access: Counter[str] = Counter()
        self._access_at: datetime | None = None
        self._access_since = 0.0

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
        with self._lock:
            if self._access and self._access_at is not None:
                counts, self._access = self._access, Counter()
                self._store.record_access(
                    counts, self._access_at, strength_gain=self.settings.recall_gain
                )

    def _note_access(self, user_id: str, memory_ids: Iterable[str]) -> None:
        """Count retrievals (the caller holds the user's lock, which guards the index)."""
        counts = Counter(memory_ids)
        at = datetime.now(UTC)
        index = self._registry.loaded(user_id)
        if index is not None:
            index.touch(counts, at, self.settings.recall_gain)
        now = time.monotonic()
        with self._lock:  # the buffer is shared by every user's calls
            if not self._access:
                self._access_since = now
            self._access.update(counts)
            self._access_at = at
            full = (
                len(self._access) >= _ACCESS_BUFFER_SIZE
                or now - self._access_since >= _ACCESS_BUFFER_SECONDS
            )
        if full:
            self.flush()

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
        search = self._search_settings
        return {
            "embedder": self._embedder.model_id,
            "fusion": search.method.value,
            "search_path": {
                "path": search.search_path.value,
                "exact_search_max": search.exact_search_max,
                "candidates": search.search_candidates,
            },
            "key_expansion": self.settings.key_expansion,
            "components": {
                name: getattr(search, name)
                for name in (
                    "granularity",
                    "adaptive_granularity",
                    "speaker",
                    "time",
                    "graph",
                    "prf",
                    "diversity",
                )
            },
            "weights": search.weights,
            "bm25": {"k1": self.settings.bm25_k1, "b": self.settings.bm25_b},
        }

    def configure(self, **changes: Any) -> dict[str, Any]:
        """Change settings of a live engine (retrieval components, weights); returns the old values.

        Used by ``kenning eval --ablation`` to switch components off in turn without
        ingesting again; ``key_expansion`` reloads the indexes on the next search. Storage
        settings (``db_path``, the embedder) cannot change on a live engine.
        """
        fixed = sorted(set(changes) & _FIXED_SETTINGS)
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
        return self._ingestor.add(
            normalized,
            user_id=user,
            agent_id=agent,
            session_id=session,
            timestamp=when,
            now=datetime.now(UTC),
        )

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
    ) -> SearchResult:
        """The memories most relevant to ``query`` in the user's scope, best first.

        ``start``/``end`` bound the event time; ``as_of`` keeps only memories valid at
        that time. Time expressions in the query ("last week", "in May") are read relative
        to ``now`` (default: the scope's latest event time, else the clock). Each hit's
        ``signals`` says how much each retrieval signal gave.
        """
        if not isinstance(query, str) or not query.strip():
            raise ValidationError("query", "must be a non-empty string")
        user = require_id(user_id, "user_id")
        limit = self.settings.search_limit if limit is None else limit
        _integer(limit, "limit", low=1, high=1000)
        lifecycle = self.settings.lifecycle
        default_kinds = DEFAULT_SEARCH_KINDS if lifecycle else _WITHOUT_FACTS
        where = Eligibility(
            kinds=_kinds(kinds) or default_kinds,
            # Superseded memories stay searchable: ranked lower now, first as of their time.
            statuses=LIVE if lifecycle else (MemoryStatus.ACTIVE,),
            unexpired_at=datetime.now(UTC),
            session_id=optional_id(session_id, "session_id"),
            agent_id=optional_id(agent_id, "agent_id"),
            start=parse_time(start, "start"),
            end=parse_time(end, "end"),
            as_of=parse_time(as_of, "as_of"),
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
    ) -> list[MemoryItem]:
        """The user's memories in event-time order, paginated with ``limit``/``offset``."""
        user = require_id(user_id, "user_id")
        if limit is not None:
            _integer(limit, "limit", low=0)
        _integer(offset, "offset", low=0)
        try:
            status_filter = None if statuses is None else tuple(MemoryStatus(s) for s in statuses)
        except ValueError as exc:
            raise ValidationError("statuses", str(exc)) from exc
        self.flush()
        where = MemoryFilter(
            user_id=user,
            kinds=_kinds(kinds),
            statuses=status_filter,
            session_id=session_id,
            agent_id=agent_id,
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
            _integer(limit, "limit", low=0)
        _integer(offset, "offset", low=0)
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
        _integer(limit, "limit", low=1)
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
            updated = self._rewrite(old, new, HistoryAction.UPDATE, now)
            if updated.kind is MemoryKind.TURN:
                self._ingestor.refresh_facts(updated, now)
            return updated

        return retry_stale(attempt)

    def _rewrite(
        self,
        old: MemoryItem,
        new: MemoryItem,
        action: HistoryAction,
        now: datetime,
        details: Mapping[str, Any] | None = None,
    ) -> MemoryItem:
        """Store a new version of a memory with keys rebuilt from its text."""
        texts = [new.text]
        if new.kind in (MemoryKind.TURN, MemoryKind.DOCUMENT):
            texts += passages(new.text, self.settings.passage_words)
        vectors = vectors_to_bytes(self._embedder.embed(texts))
        keys = [
            IndexKey(text=t, kind=KeyKind.TEXT, vector=v)
            for t, v in zip(texts, vectors, strict=True)
        ]
        if new.kind in (MemoryKind.TURN, MemoryKind.DOCUMENT, MemoryKind.FACT):
            keys += [IndexKey(text=t, kind=k) for k, t in memory_expansions(new).items()]
        stored = StoredMemory(item=new, keys=tuple(keys), model_id=self._embedder.model_id)
        record = HistoryRecord(
            new.id,
            action,
            now,
            old_text=old.text,
            new_text=new.text,
            details={**diff(old, new), **(details or {})},
        )
        with self._store.atomic():
            self._store.replace_memory(stored)
            self._store.add_history([record])
        return new

    def delete(self, memory_id: str, *, user_id: str | None = None) -> MemoryItem:
        """Mark a memory deleted: it is never returned by search again; history records it."""

        def attempt() -> MemoryItem:
            old = self.get(memory_id, user_id=user_id)
            if old.status == MemoryStatus.DELETED:
                return old
            now = datetime.now(UTC)
            new = replace(
                old,
                status=MemoryStatus.DELETED,
                updated_at=now,
                expired_at=now,
                version=old.version + 1,
            )
            with self._store.atomic():
                self._store.replace_memory(StoredMemory(item=new, keys=(), model_id=None))
                self._store.add_history(
                    [
                        HistoryRecord(
                            memory_id,
                            HistoryAction.DELETE,
                            now,
                            old_text=old.text,
                            details=diff(old, new),
                        )
                    ]
                )
            return new

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
        if not isinstance(text, str) or not text.strip():
            raise ValidationError("text", "must be a non-empty string")
        user = require_id(user_id, "user_id")
        slot = optional_id(key, "key")
        start = parse_time(valid_from, "valid_from")
        end = parse_time(valid_to, "valid_to")
        if start is not None and end is not None and end <= start:
            raise ValidationError("valid_to", "must be later than valid_from")
        if (
            isinstance(importance, bool)
            or not isinstance(importance, int | float)
            or not 0 <= importance <= 1
        ):
            raise ValidationError("importance", "must be a number between 0 and 1")
        now = datetime.now(UTC)
        expires = _expiry(ttl, now)
        spec = {
            "slot": slot.casefold() if slot else None,
            "subject": subject,
            "predicate": predicate,
            "object": object,
            "valid_to": end.isoformat() if end else None,
            "importance": float(importance),
            "pinned": bool(pinned),
            "expires_at": expires.isoformat() if expires else None,
        }
        for name in ("subject", "predicate", "object"):
            if spec[name] is not None and (
                not isinstance(spec[name], str) or not str(spec[name]).strip()
            ):
                raise ValidationError(name, "must be a non-empty string when given")
        message = normalize_messages(
            {"role": "user", "content": text, "metadata": {**(metadata or {}), "fact": spec}}
        )[0]
        message = replace(message, role=FACT_ROLE, timestamp=start or now)
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
            for m in self._store.slot_versions(user, str(spec["slot"]))
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

        def attempt() -> MemoryItem:
            item = self.get(memory_id, user_id=require_id(user_id, "user_id"))
            return set_flags(self._store, item, datetime.now(UTC), pinned=bool(pinned))

        return retry_stale(attempt)

    def set_ttl(self, memory_id: str, ttl: float | timedelta | None, *, user_id: str) -> MemoryItem:
        """Make a memory expire ``ttl`` seconds from now (None: never); expired ones are not searched."""

        def attempt() -> MemoryItem:
            item = self.get(memory_id, user_id=require_id(user_id, "user_id"))
            now = datetime.now(UTC)
            return set_flags(self._store, item, now, expires_at=_expiry(ttl, now))

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
                return self._rewrite(item, restored, HistoryAction.RESTORE, now, details)
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


_MAX_INT = 2**63 - 1  # the stores' integer range (SQLite INTEGER, PostgreSQL bigint)


def _integer(value: object, field: str, *, low: int, high: int = _MAX_INT) -> None:
    """``value`` must be an int (not a bool) from ``low`` to ``high``, by default any the
    stores can hold; the error names ``field``."""
    if not isinstance(value, bool) and isinstance(value, int) and low <= value <= high:
        return
    if high != _MAX_INT:
        raise ValidationError(field, f"must be an integer between {low} and {high}")
    if isinstance(value, int) and not isinstance(value, bool) and value > high:
        raise ValidationError(field, f"must be at most {high}")
    raise ValidationError(
        field, "must be a positive integer" if low else "must be a non-negative integer"
    )


def _expiry(ttl: float | timedelta | None, now: datetime) -> datetime | None:
    if ttl is None:
        return None
    seconds = ttl.total_seconds() if isinstance(ttl, timedelta) else ttl
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not seconds > 0:
        raise ValidationError("ttl", "must be a positive number of seconds")
    try:
        return now + timedelta(seconds=seconds)
    except OverflowError:  # also infinity: past the last representable date
        raise ValidationError("ttl", f"{seconds!r} seconds is too long") from None
