"""The store contract: domain operations every backend implements.

The contract speaks in records from :mod:`kenning.models`, never in SQL. Nothing
outside :mod:`kenning.store` knows which backend it runs on. Every method that
writes runs inside :meth:`Store.atomic`, which nests (savepoints), so a caller can
group several operations into one transaction.
"""

from __future__ import annotations

import abc
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kenning.models import (
    ApiKey,
    Entity,
    Episode,
    ForgetResult,
    HistoryAction,
    HistoryEntry,
    IndexKey,
    Link,
    LLMCall,
    MemoryItem,
    MemoryKind,
    MemoryStatus,
    SessionSummary,
    Stats,
    Step,
    Task,
    UserSummary,
)
from kenning.store.filters import Condition


@dataclass(frozen=True, slots=True)
class MemoryFilter:
    """Which memories a listing returns; ``user_id`` is always required."""

    user_id: str
    kinds: tuple[MemoryKind, ...] | None = None
    statuses: tuple[MemoryStatus, ...] | None = (MemoryStatus.ACTIVE,)
    session_id: str | None = None
    agent_id: str | None = None
    start: datetime | None = None  # event_time >= start
    end: datetime | None = None  # event_time < end
    metadata: tuple[Condition, ...] = ()  # every one must hold (kenning.store.filters)


@dataclass(frozen=True, slots=True)
class StoredMemory:
    """A memory with its index keys, as the in-memory indexes load it."""

    item: MemoryItem
    keys: tuple[IndexKey, ...]
    model_id: str | None  # model that produced the key vectors, if any


@dataclass(frozen=True, slots=True)
class HistoryRecord:
    """A history entry to append (the store assigns id)."""

    memory_id: str
    action: HistoryAction
    at: datetime
    old_text: str | None = None
    new_text: str | None = None
    details: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class FeedChanges:
    """What changed in a user's scope after a feed position, up to ``head``.

    ``changed`` memories have new keys (re-read and re-index them); ``touched`` ones changed
    fields only (status, validity, access statistics: re-read the rows); ``erased`` are gone.
    """

    head: int
    changed: tuple[str, ...] = ()
    touched: tuple[str, ...] = ()
    erased: tuple[str, ...] = ()
    # When the user's scope was created (None: it does not exist). Another value than an
    # index saw before means the scope was deleted (Store.delete_user) and perhaps made
    # anew: the old feed's positions mean nothing, the index is rebuilt.
    scope_created: datetime | None = None


@dataclass(frozen=True, slots=True)
class Claim:
    """Who derives pending episodes (``owner``, unique per process) and until when.

    Owners are ``"host:pid:token"``, so a claim of a process known to be dead can be taken
    before it expires.
    """

    owner: str
    until: datetime


class Store(abc.ABC):
    """Persistent storage of scopes, episodes, memories, keys, entities, links, history."""

    # Where the store is, for messages and logs: a path, or a URL without its password.
    location: str

    # -- lifecycle -------------------------------------------------------------
    @abc.abstractmethod
    def atomic(self) -> AbstractContextManager[None]:
        """A transaction; nested calls become savepoints. Rolls back on exception."""

    @abc.abstractmethod
    def close(self) -> None:
        """Release connections; the store is unusable afterwards."""

    @property
    @abc.abstractmethod
    def schema_version(self) -> int:
        """Number of the last migration applied."""

    # -- read replicas -------------------------------------------------------------
    def read_after(self, token: str | None) -> AbstractContextManager[None]:
        """Within the block, reads reflect at least the writes a :meth:`consistency_token`
        stood for (a client reading its own writes through another server). A backend
        without read replicas reads its one database: nothing to do."""
        return nullcontext()

    def consistency_token(self) -> str | None:
        """A token for the writes this process has committed, to pass to :meth:`read_after`
        (None: every read sees every committed write)."""
        return None

    # -- episodes ----------------------------------------------------------------
    @abc.abstractmethod
    def put_episodes(
        self, episodes: Sequence[Episode], *, claim: Claim | None = None
    ) -> list[Episode]:
        """Insert episodes not already stored under their (user, idempotency key).

        Returns, in input order, the stored episode for each input: the new one, or
        the earlier one with the same key (compare ids to tell them apart). New
        episodes receive consecutive ``seq`` numbers within their user's scope and, with
        ``claim``, are claimed for derivation by its owner.
        """

    @abc.abstractmethod
    def get_episodes(self, user_id: str, episode_ids: Sequence[str]) -> list[Episode]:
        """Episodes of this user with these ids (unknown ids are left out)."""

    @abc.abstractmethod
    def list_episodes(
        self,
        user_id: str,
        *,
        session_id: str | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[Episode]:
        """Episodes in arrival order."""

    @abc.abstractmethod
    def last_episode(self, user_id: str, session_id: str | None, before_seq: int) -> Episode | None:
        """The latest episode of this session that arrived before ``before_seq``."""

    @abc.abstractmethod
    def self_name(self, user_id: str) -> str | None:
        """The name on the user's earliest named ``user``-role episode: who the user is
        (see :mod:`kenning.write.identity`); ``None`` while no message named them."""

    @abc.abstractmethod
    def recent_episodes(self, user_id: str, session_id: str | None, limit: int) -> list[Episode]:
        """The session's last ``limit`` episodes, oldest first."""

    @abc.abstractmethod
    def pending_episodes(self, user_id: str | None = None) -> list[Episode]:
        """Stored episodes whose derived memories were never committed."""

    @abc.abstractmethod
    def pending_claims(
        self, user_id: str | None = None
    ) -> list[tuple[str | None, datetime | None]]:
        """The distinct (owner, expiry) claims on pending episodes, ``(None, None)`` for
        unclaimed ones: whether anything is there to claim, and whose process may be dead."""

    @abc.abstractmethod
    def release_claims(self, episode_ids: Sequence[str], owner: str) -> None:
        """Give up ``owner``'s claims on these episodes (its derivation failed): anyone may
        claim them now."""

    @abc.abstractmethod
    def claim_pending(
        self,
        claim: Claim,
        now: datetime,
        *,
        user_id: str | None = None,
        dead_owners: Sequence[str] = (),
    ) -> list[Episode]:
        """Atomically claim pending episodes that are unclaimed, whose claim expired before
        ``now``, or whose owner is in ``dead_owners``; returns them in (user, seq) order.

        Two processes claiming at once never get the same episode.
        """

    @abc.abstractmethod
    def mark_processed(
        self, episode_ids: Sequence[str], at: datetime, *, owner: str | None = None
    ) -> None:
        """Record that these episodes' derived memories are committed.

        With ``owner``, every episode must still be pending and claimed by it; otherwise
        :class:`~kenning.errors.StaleWrite` is raised (call it inside the transaction that
        stores the derived memories, which then rolls back).
        """

    # -- memories ----------------------------------------------------------------
    @abc.abstractmethod
    def put_memories(self, memories: Sequence[StoredMemory]) -> None:
        """Insert new memories with their keys."""

    @abc.abstractmethod
    def replace_memory(self, memory: StoredMemory) -> None:
        """Overwrite an existing memory's fields and keys (same id).

        The stored row must be the version before ``memory.item.version``; otherwise
        :class:`~kenning.errors.StaleWrite` is raised.
        """

    @abc.abstractmethod
    def get_memories(self, memory_ids: Sequence[str]) -> list[MemoryItem]:
        """Memories with these ids, in the given order (unknown ids left out)."""

    @abc.abstractmethod
    def list_memories(
        self, where: MemoryFilter, *, limit: int | None = None, offset: int = 0
    ) -> list[MemoryItem]:
        """Memories matching the filter, oldest event first."""

    @abc.abstractmethod
    def count_memories(self, where: MemoryFilter) -> int:
        """How many memories match the filter."""

    @abc.abstractmethod
    def memory_ids(self, where: MemoryFilter) -> set[str]:
        """The ids of every memory matching ``where`` (a search's metadata filter)."""

    @abc.abstractmethod
    def find_session_memory(self, user_id: str, session_id: str | None) -> StoredMemory | None:
        """The active session-kind memory of this session, if any."""

    @abc.abstractmethod
    def iter_indexable(self, user_id: str) -> Iterator[StoredMemory]:
        """Every non-deleted memory of the user with its keys, for index loading."""

    @abc.abstractmethod
    def indexable_memories(self, user_id: str, memory_ids: Sequence[str]) -> list[StoredMemory]:
        """The non-deleted memories of the user among ``memory_ids``, with their keys."""

    # -- the change feed -----------------------------------------------------------
    # Every write of a user's memories (insert, replace, update, access statistics,
    # erase) advances the user's feed head in the same transaction and records the
    # memory with the new head, so a process holding an index of the scope can apply
    # exactly what changed since the head it last applied.
    @abc.abstractmethod
    def feed_head(self, user_id: str) -> int:
        """The user's feed head (0 before any change)."""

    @abc.abstractmethod
    def changes_since(self, user_id: str, after: int) -> FeedChanges:
        """The memories changed after feed position ``after``, and the head they lead to,
        read from one snapshot (a change committed meanwhile is left for the next call)."""

    @abc.abstractmethod
    def episode_vectors(
        self, user_id: str, episode_ids: Sequence[str], model_id: str
    ) -> dict[str, bytes]:
        """Text-key vectors (by ``model_id``) of the turn memories derived from these episodes."""

    @abc.abstractmethod
    def update_items(self, items: Sequence[MemoryItem]) -> None:
        """Overwrite existing memories' fields (status, validity, metadata...), keeping keys.

        Each stored row must be the version before ``item.version``; otherwise
        :class:`~kenning.errors.StaleWrite` is raised.
        """

    @abc.abstractmethod
    def slot_versions(
        self, user_id: str, slot: str, *, since: datetime | None = None
    ) -> list[MemoryItem]:
        """Every non-deleted memory of the user holding this fact slot, oldest validity first.

        With ``since``, only the versions a new version starting then can affect: the ones
        that took effect at or before it, latest first start only (ties kept), and every one
        starting later.
        """

    @abc.abstractmethod
    def memories_of_episodes(self, user_id: str, episode_ids: Sequence[str]) -> list[MemoryItem]:
        """Memories of any status derived (in whole or in part) from these episodes."""

    @abc.abstractmethod
    def delete_episodes(self, user_id: str, episode_ids: Sequence[str]) -> int:
        """Erase episodes and every memory derived from them, with their keys, mentions,
        links and history, and the user's entities no memory mentions any more; returns how
        many memories were erased.

        Nothing of the erased text may remain readable in the backend's files afterwards.
        """

    @abc.abstractmethod
    def record_access(
        self, counts: Mapping[str, int], at: datetime, *, strength_gain: float = 0.0
    ) -> None:
        """Add ``counts[id]`` retrievals to each memory, stamp ``last_accessed``, and raise
        ``strength`` by ``strength_gain`` per retrieval (MemoryBank: recall strengthens)."""

    # -- LLM usage -----------------------------------------------------------------
    @abc.abstractmethod
    def put_llm_calls(self, user_id: str | None, calls: Sequence[LLMCall]) -> None:
        """Record LLM calls made on behalf of a user (None: not tied to one)."""

    # -- entities and links ------------------------------------------------------
    @abc.abstractmethod
    def put_entities(self, entities: Sequence[Entity]) -> None:
        """Insert or update entities (by id)."""

    @abc.abstractmethod
    def put_mentions(self, mentions: Iterable[tuple[str, str]]) -> None:
        """Link (memory id, entity id) pairs; existing pairs are kept once."""

    @abc.abstractmethod
    def put_links(self, links: Sequence[Link]) -> None:
        """Insert typed links between memories; existing ones are kept once."""

    @abc.abstractmethod
    def links_of(self, memory_id: str) -> list[Link]:
        """Links that start or end at this memory."""

    # -- history -----------------------------------------------------------------
    @abc.abstractmethod
    def add_history(self, records: Sequence[HistoryRecord]) -> None:
        """Append history entries."""

    @abc.abstractmethod
    def get_history(self, memory_id: str) -> list[HistoryEntry]:
        """Every recorded change of a memory, oldest first."""

    @abc.abstractmethod
    def history_caused_by(self, user_id: str, memory_ids: Sequence[str]) -> list[HistoryEntry]:
        """Changes of the user's memories that these memories caused (``details["by"]``),
        oldest first: what must be reverted when they are erased."""

    @abc.abstractmethod
    def delete_history(self, entry_ids: Sequence[int]) -> None:
        """Remove history entries (only an erase does: they quote erased text)."""

    # -- scopes and stats --------------------------------------------------------
    # -- task memory (kenning.tasks) ----------------------------------------------------
    @abc.abstractmethod
    def put_task(self, task: Task) -> Task:
        """Store a new task (its ``steps`` count as given: 0, or an imported task's)."""

    @abc.abstractmethod
    def get_task(self, user_id: str, task_id: str) -> Task | None:
        """A task of this user, or None."""

    @abc.abstractmethod
    def list_tasks(self, user_id: str, *, agent_id: str | None = None) -> list[Task]:
        """The user's tasks (of one agent), oldest first."""

    @abc.abstractmethod
    def update_task(self, task: Task) -> None:
        """Write a task's status, outcome and metadata."""

    @abc.abstractmethod
    def add_task_step(self, step: Step) -> Step:
        """Append a step (and its dependencies) to its task; returns it with its number,
        the task's next (counted in the same transaction, so concurrent writers never share
        one). ``NotFound`` if the task is gone."""

    @abc.abstractmethod
    def add_task_dependencies(self, step: Step, depends_on: Sequence[str]) -> None:
        """Record that ``step`` depends on the steps ``depends_on`` (repeats are ignored)."""

    @abc.abstractmethod
    def task_steps(self, user_id: str, task_id: str) -> list[Step]:
        """Every step of a task, by number, with what each depends on."""

    @abc.abstractmethod
    def get_task_step(self, user_id: str, step_id: str) -> Step | None:
        """One step of this user's tasks by id, or None."""

    @abc.abstractmethod
    def update_task_steps(self, steps: Sequence[Step]) -> None:
        """Write steps' status, outcome, summary, stale reason and data (texts never change)."""

    @abc.abstractmethod
    def delete_tasks(self, user_id: str, task_ids: Sequence[str] | None = None) -> int:
        """Erase tasks (default: every task of the user) with their steps; how many."""

    @abc.abstractmethod
    def list_users(self) -> list[str]:
        """Every user id that has a scope."""

    @abc.abstractmethod
    def stats(self, user_id: str | None = None) -> Stats:
        """Counts for one user or the whole store."""

    @abc.abstractmethod
    def user_summaries(self, *, limit: int | None = None, offset: int = 0) -> list[UserSummary]:
        """Every user with its counts and active span, by user id."""

    @abc.abstractmethod
    def session_summaries(self, user_id: str) -> list[SessionSummary]:
        """The user's sessions with their counts and spans, latest activity first."""

    @abc.abstractmethod
    def delete_user(self, user_id: str) -> ForgetResult | None:
        """Erase a user: every episode, memory, key, provenance row, mention, link, history
        entry, entity, LLM call and change-feed row of the user, and its scope, in one
        transaction; None if nothing of the user was stored. Processes holding an index of the scope
        rebuild it at their next use (``FeedChanges.scope_created`` changes).

        Nothing of the erased text may remain readable in the backend's files afterwards
        (as :meth:`delete_episodes`).
        """

    # -- API keys of the REST server -----------------------------------------------
    @abc.abstractmethod
    def put_api_key(self, key: ApiKey) -> None:
        """Insert a new API key (its id and hash must be new)."""

    @abc.abstractmethod
    def find_api_key(self, key_hash: str) -> ApiKey | None:
        """The key with this secret hash (revoked or not), if any."""

    @abc.abstractmethod
    def list_api_keys(self) -> list[ApiKey]:
        """Every key, revoked ones included, oldest first."""

    @abc.abstractmethod
    def revoke_api_key(self, key_id: str, at: datetime) -> ApiKey | None:
        """Revoke a key (a revoked key stays revoked at its first time); None if unknown."""

    @abc.abstractmethod
    def touch_api_key(self, key_id: str, at: datetime) -> None:
        """Record that the key authenticated a request at ``at``."""
