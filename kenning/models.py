"""Domain records: plain typed data, no I/O.

These are the objects the public API returns and the store contract speaks in.
Times are timezone-aware UTC ``datetime`` values everywhere.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any


class MemoryKind(enum.StrEnum):
    """Granularity or nature of a memory."""

    TURN = "turn"  # one message
    ROUND = "round"  # a message with the reply it got
    SESSION = "session"  # a whole session
    FACT = "fact"  # an atomic statement
    NOTE = "note"  # an A-MEM note
    SUMMARY = "summary"  # session / daily / global summary
    PROFILE = "profile"  # a user attribute
    DOCUMENT = "document"  # a chunk of a document handed in as text


class MemoryStatus(enum.StrEnum):
    """Lifecycle state; only ``active`` memories are searched by default."""

    ACTIVE = "active"
    SUPERSEDED = "superseded"
    ARCHIVED = "archived"
    DELETED = "deleted"


class HistoryAction(enum.StrEnum):
    """What happened to a memory in one history entry."""

    ADD = "add"
    UPDATE = "update"
    DELETE = "delete"
    SUPERSEDE = "supersede"  # validity closed by a newer fact of the same slot
    ARCHIVE = "archive"  # soft-forgotten: kept, no longer searched
    RESTORE = "restore"  # an undo, or an archived memory brought back
    MERGE = "merge"  # folded into a near-duplicate by consolidation
    EVOLVE = "evolve"  # note attributes changed because a related memory arrived
    REINFORCE = "reinforce"  # the same fact stated again: strength up, provenance added


class LinkType(enum.StrEnum):
    """Typed edge between two memories."""

    RELATED = "related"
    SUPERSEDES = "supersedes"
    DERIVED_FROM = "derived_from"  # e.g. a round derived from its turns
    SAME_EVENT = "same_event"


class KeyKind(enum.StrEnum):
    """Why an index key exists for a memory (LongMemEval's "key = value + expansions").

    ``TEXT`` keys carry a vector; the expansion kinds are indexed lexically (their words
    join the memory's BM25 document), and ``ENTITY`` keys also make the entity graph.
    Expansion keys hold one item per line.
    """

    TEXT = "text"  # the memory's own text (with speaker)
    EXPANSION = "expansion"  # any other extra key text
    REWRITE = "rewrite"  # first-person statements rewritten with the speaker's name
    KEYPHRASE = "keyphrase"  # content phrases ("support group", "pottery class")
    ENTITY = "entity"  # names of people, places and things mentioned
    DATE = "date"  # dates mentioned, resolved against the message time ("2023-05-07 ...")


@dataclass(frozen=True, slots=True)
class Scope:
    """Who data belongs to. ``user_id`` is required for every read and write."""

    user_id: str
    agent_id: str | None = None
    session_id: str | None = None


@dataclass(frozen=True, slots=True)
class Episode:
    """One raw input, stored verbatim and never changed."""

    id: str
    user_id: str
    content: str
    role: str
    created_at: datetime
    idempotency_key: str
    name: str | None = None
    agent_id: str | None = None
    session_id: str | None = None
    timestamp: datetime | None = None  # event time given by the caller
    seq: int = 0  # order of arrival within the user's scope
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class IndexKey:
    """A text under which a memory is retrievable, with its embedding."""

    text: str
    kind: KeyKind = KeyKind.TEXT
    vector: bytes | None = None  # float32 little-endian; None until embedded


EVOLVED = "evolved"
"""Metadata key of the keywords a memory gained from newer related memories (A-MEM
evolution): a list of ``{"keyword", "by", "at"}``, ``at`` the time the newer memory was said."""


@dataclass(frozen=True, slots=True)
class MemoryItem:
    """A retrievable unit derived from episodes."""

    id: str
    user_id: str
    kind: MemoryKind
    text: str
    created_at: datetime
    updated_at: datetime
    agent_id: str | None = None
    session_id: str | None = None
    episode_ids: tuple[str, ...] = ()
    event_time: datetime | None = None
    valid_from: datetime | None = None
    valid_to: datetime | None = None
    expired_at: datetime | None = None
    status: MemoryStatus = MemoryStatus.ACTIVE
    importance: float = 0.5
    strength: float = 1.0
    last_accessed: datetime | None = None
    access_count: int = 0
    version: int = 1
    metadata: dict[str, Any] = field(default_factory=dict)
    speaker: str | None = None  # who said it (message name, else role); None for aggregates
    # Facts: optional subject-predicate-object, and the single-valued slot ("ana.city")
    # whose newer value closes this one's validity.
    subject: str | None = None
    predicate: str | None = None
    object: str | None = None
    slot: str | None = None
    pinned: bool = False  # never fades, never archived by forgetting
    expires_at: datetime | None = None  # TTL: not searched after this record time

    def as_seen_at(self, at: datetime) -> MemoryItem:
        """This memory without the evolved keywords said after ``at`` (a view as of then)."""
        entries = self.metadata.get(EVOLVED)
        if not entries:
            return self
        kept = [e for e in entries if datetime.fromisoformat(str(e["at"])) <= at]
        if len(kept) == len(entries):
            return self
        metadata = {k: v for k, v in self.metadata.items() if k != EVOLVED}
        return replace(self, metadata={**metadata, EVOLVED: kept} if kept else metadata)


@dataclass(frozen=True, slots=True)
class Entity:
    """A canonical name with aliases, in one user's scope."""

    id: str
    user_id: str
    name: str
    aliases: tuple[str, ...] = ()
    kind: str | None = None


@dataclass(frozen=True, slots=True)
class Link:
    """A typed edge between two memories."""

    source_id: str
    target_id: str
    type: LinkType
    weight: float = 1.0


@dataclass(frozen=True, slots=True)
class EntityNode:
    """An entity a memory mentions, with other memories of the same user that mention it.

    ``memory_ids``: at most the requested number, active ones first, latest event first.
    """

    name: str
    memory_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class MemoryGraph:
    """The graph around one memory: the entities it mentions and its typed links.

    ``neighbours`` holds every other memory that ``entities`` or ``links`` name, once each.
    """

    memory: MemoryItem
    entities: list[EntityNode]
    links: list[Link]
    neighbours: list[MemoryItem]


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One recorded change of a memory."""

    id: int
    memory_id: str
    action: HistoryAction
    at: datetime
    old_text: str | None = None
    new_text: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SignalScore:
    """One retrieval signal's view of a hit: raw score, rank, share of the fused score."""

    raw: float
    rank: int | None
    contribution: float


@dataclass(frozen=True, slots=True)
class Hit:
    """A memory returned by search, with its fused score explained by signal."""

    memory: MemoryItem
    score: float
    signals: dict[str, SignalScore]


@dataclass(frozen=True, slots=True)
class SearchResult:
    """Ranked hits for one query, best first."""

    query: str
    hits: list[Hit]

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.hits)

    def __len__(self) -> int:
        return len(self.hits)

    def __getitem__(self, index: int) -> Hit:
        return self.hits[index]


class ContextSection(enum.StrEnum):
    """Where a memory sits in a context block (``Memory.context``), in rendered order."""

    PROFILE = "profile"  # who the user is: their profile, or their current facts
    FACTS = "facts"  # statements with their validity
    CONVERSATIONS = "conversations"  # messages, grouped by session and dated
    DOCUMENTS = "documents"  # passages of documents
    NOTES = "notes"  # summaries and notes


@dataclass(frozen=True, slots=True)
class ContextItem:
    """One memory in a context block: its rendered line and what it cost."""

    section: ContextSection
    memory: MemoryItem
    text: str  # the line as it appears in the block
    tokens: int
    score: float | None  # its search score; None for the profile
    group: str | None = None  # the session heading a message sits under


@dataclass(frozen=True, slots=True)
class ContextBlock:
    """The best memories for a query within a token budget, as prompt text and as records.

    ``items`` are in the order they appear in ``text``; ``omitted`` counts the search hits
    that did not fit; ``tokenizer`` says how tokens were counted (``estimate``: characters
    / 4, else the tokenizer file).
    """

    query: str
    user_id: str
    text: str
    items: list[ContextItem]
    tokens: int
    budget_tokens: int
    omitted: int
    tokenizer: str


@dataclass(frozen=True, slots=True)
class SkippedPart:
    """A non-text part of a message's content list (an image, audio, a file): kept verbatim
    in the episode's ``metadata["content_parts"]``, not read or indexed."""

    message: int  # the message's place in the add call
    part: int  # the part's place in the message's content list
    type: str  # its "type", e.g. "image_url"


@dataclass(frozen=True, slots=True)
class AddResult:
    """What one ``add`` call stored: new episodes (duplicates skipped) and derived memories;
    ``skipped`` lists the content parts that are not text (kept, not indexed)."""

    episodes: list[Episode]
    duplicates: int
    memories: list[MemoryItem]
    skipped: list[SkippedPart] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class LLMCall:
    """One logical LLM call (all its HTTP attempts), recorded for usage and cost reports."""

    purpose: str  # "extract" | "contradiction"
    model: str
    started_at: datetime
    duration_ms: float
    prompt_tokens: int
    completion_tokens: int
    cost: float
    ok: bool
    attempts: int
    error: str | None = None  # the failure reason when ``ok`` is False


@dataclass(frozen=True, slots=True)
class LLMUsage:
    """LLM calls made for a scope or the whole store, with their tokens and cost."""

    calls: int = 0
    failed: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float = 0.0


@dataclass(frozen=True, slots=True)
class Stats:
    """Counts for a scope or the whole store."""

    users: int
    episodes: int
    memories: dict[str, int]
    entities: int
    links: int
    history: int
    llm: LLMUsage = field(default_factory=LLMUsage)


@dataclass(frozen=True, slots=True)
class ForgetResult:
    """What a ``forget`` call did: memories archived (soft) or erased with their sources (hard)."""

    archived: tuple[str, ...] = ()
    erased_memories: int = 0
    erased_episodes: int = 0


@dataclass(frozen=True, slots=True)
class UserSummary:
    """One user of the store: how much it holds and when it was active.

    ``first_at``/``last_at`` span the event times of the user's messages (a message without
    a timestamp counts when it arrived), else of its memories; None when it has neither.
    """

    user_id: str
    episodes: int = 0  # messages stored
    memories: int = 0  # memories of any status but deleted
    first_at: datetime | None = None
    last_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class SessionSummary:
    """One session of a user (``session_id`` None: messages given no session)."""

    session_id: str | None
    episodes: int = 0  # messages of the session
    memories: int = 0  # memories of the session, of any status but deleted
    first_at: datetime | None = None  # earliest event time of its messages (else memories)
    last_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ConsolidationReport:
    """What a consolidation pass changed in one scope."""

    merged: int = 0  # near-duplicate facts/notes folded into another
    summaries: int = 0  # session summaries written or refreshed
    profiles: int = 0  # profile memories written or refreshed
    expired: int = 0  # archived because their TTL ran out
    faded: int = 0  # archived because their retention fell below the threshold


@dataclass(frozen=True, slots=True)
class ApiKey:
    """An API key of the REST server, as stored: only the SHA-256 of the secret is kept.

    A key may touch the scopes of ``users`` only, unless it is ``admin`` (every scope and the
    store-wide endpoints). A revoked key (``revoked_at`` set) authenticates nothing.
    """

    id: str
    name: str
    hash: str  # hex SHA-256 of the secret token
    created_at: datetime
    users: tuple[str, ...] = ()
    admin: bool = False
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None


class ModelMismatch(enum.StrEnum):
    """What an import (``Memory.import_``) does with vectors another embedding model made."""

    REEMBED = "reembed"  # embed the memory's text keys again with the store's model
    REFUSE = "refuse"  # refuse the import (ImportConflict): nothing of that batch is written


# -- task memory (kenning.tasks) ----------------------------------------------------------


class TaskStatus(enum.StrEnum):
    """Where a task stands."""

    ACTIVE = "active"
    DONE = "done"
    FAILED = "failed"


class StepKind(enum.StrEnum):
    """What a step of a task is: a subgoal (holding steps) or something the agent did or saw."""

    SUBGOAL = "subgoal"
    ACTION = "action"
    TOOL_CALL = "tool_call"
    OBSERVATION = "observation"
    NOTE = "note"


class StepStatus(enum.StrEnum):
    """A subgoal is open, then done or failed; other steps are recorded; a step replaced by
    a revision is revised (kept, verbatim)."""

    OPEN = "open"
    DONE = "done"
    FAILED = "failed"
    RECORDED = "recorded"
    REVISED = "revised"


@dataclass(frozen=True, slots=True)
class Task:
    """A long agent task: its goal, status and outcome; ``steps`` counts its steps."""

    id: str
    user_id: str
    goal: str
    status: TaskStatus
    created_at: datetime
    updated_at: datetime
    agent_id: str | None = None
    outcome: str | None = None
    steps: int = 0
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Step:
    """One step of a task (append-only: a revision is a new step; the old one is kept with
    status ``revised``). ``number`` is its place in the task (1, 2, ...); ``parent_id`` the
    subgoal it sits under; ``stale_reason`` is set while a step it depends on was revised."""

    id: str
    task_id: str
    user_id: str
    number: int
    kind: StepKind
    text: str
    status: StepStatus
    created_at: datetime
    updated_at: datetime
    parent_id: str | None = None
    outcome: str | None = None
    summary: str | None = None
    stale_reason: str | None = None
    depends_on: tuple[str, ...] = ()
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Revision:
    """What revising a step did: the new step, the revised one, and every step that
    depended on it (transitively), now flagged stale."""

    step: Step
    revised: Step
    stale: list[Step]


@dataclass(frozen=True, slots=True)
class TaskContext:
    """A task's working context within a token budget (``TaskMemory.context``): ``text``
    for the prompt; ``steps`` shown in full, ``collapsed`` finished subgoals shown as their
    summary, ``stale`` steps flagged, ``memories`` from the user's long-term memory."""

    task: Task
    text: str
    tokens: int
    budget_tokens: int
    steps: list[Step]
    collapsed: list[Step]
    stale: list[Step]
    memories: list[MemoryItem]
    omitted: int  # steps of the active subgoal left out for the budget (oldest first)
