"""Request bodies of the REST API (pydantic), separate from the core records.

Types are kept as loose as the Python API accepts (times as ISO strings or epoch seconds,
messages as strings or objects): ``Memory`` validates the values and its errors name the
field, so the same input fails the same way embedded and over HTTP.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from kenning.models import Episode, HistoryEntry, MemoryItem, MemoryKind

TimeValue = str | float
"""An ISO 8601 date/time (naive = UTC) or epoch seconds."""


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MessageIn(_Body):
    """One OpenAI-style message."""

    content: str = Field(description="The message text.")
    role: str = Field(default="user", description="user, assistant, system, tool or document.")
    name: str | None = Field(default=None, description="Speaker name.")
    timestamp: TimeValue | None = Field(default=None, description="When it was said.")
    id: str | None = Field(default=None, description="Client id: makes the add idempotent.")
    metadata: dict[str, Any] | None = Field(default=None, description="Any JSON object.")


class AddRequest(_Body):
    """Messages to remember (``Memory.add``)."""

    messages: str | list[str | MessageIn] = Field(
        description="A string, or a list of strings and message objects."
    )
    agent_id: str | None = Field(default=None, description="Agent the messages belong to.")
    session_id: str | None = Field(default=None, description="Conversation/session id.")
    timestamp: TimeValue | None = Field(
        default=None, description="Event time of messages that give none."
    )

    def raw_messages(self) -> str | list[str | dict[str, Any]]:
        if isinstance(self.messages, str):
            return self.messages
        return [m if isinstance(m, str) else m.model_dump(exclude_none=True) for m in self.messages]


class SearchRequest(_Body):
    """A search in the user's scope (``Memory.search``)."""

    query: str = Field(description="What to look for.")
    limit: int | None = Field(
        default=None, ge=1, description="Number of hits (default: the search_limit setting)."
    )
    kinds: list[MemoryKind] | None = Field(
        default=None, description="Memory kinds to search (default: turn, document, fact, ...)."
    )
    agent_id: str | None = Field(default=None, description="Only this agent's memories.")
    session_id: str | None = Field(default=None, description="Only this session.")
    start: str | None = Field(default=None, description="Only events at or after this.")
    end: str | None = Field(default=None, description="Only events before this.")
    as_of: str | None = Field(default=None, description="Only memories valid then.")
    now: str | None = Field(
        default=None, description="Reference time for 'last week' etc. in the query."
    )


class UpdateRequest(_Body):
    """A new text for a memory (``Memory.update``); the old one stays in its history."""

    text: str = Field(description="The new text.")
    metadata: dict[str, Any] | None = Field(
        default=None, description="Keys to merge into the memory's metadata."
    )


class ForgetRequest(_Body):
    """How to forget (``Memory.forget``)."""

    hard: bool = Field(
        default=False,
        description="Erase the source messages and everything derived from them (no undo); "
        "default: archive (undoable).",
    )


class ConsolidateRequest(_Body):
    """Options of a consolidation pass (``Memory.consolidate``)."""

    archive_below: float | None = Field(
        default=None,
        ge=0.0,
        le=1.0,
        description="Also archive memories whose retention is below this (default: none).",
    )


class UndoRequest(_Body):
    """Which change to revert (``Memory.undo``)."""

    change: int | None = Field(
        default=None, description="History entry id to revert (default: the latest change)."
    )


class FactRequest(_Body):
    """A fact to store (``Memory.add_fact``)."""

    text: str = Field(description="The fact, e.g. 'Ana lives in Berlin'.")
    key: str | None = Field(
        default=None, description="Slot it fills (e.g. 'ana.city'): a new value supersedes."
    )
    subject: str | None = Field(default=None, description="Who or what it is about.")
    predicate: str | None = Field(default=None, description="The relation.")
    object: str | None = Field(default=None, description="The value.")
    valid_from: TimeValue | None = Field(
        default=None, description="When it became true (default: now)."
    )
    valid_to: TimeValue | None = Field(default=None, description="When it stopped being true.")
    importance: float = Field(default=0.5, description="0 to 1.")
    pinned: bool = Field(default=False, description="Never fades, never archived.")
    ttl: float | None = Field(default=None, description="Expire after this many seconds.")
    agent_id: str | None = Field(default=None, description="Agent it belongs to.")
    session_id: str | None = Field(default=None, description="Session it belongs to.")
    metadata: dict[str, Any] | None = Field(default=None, description="Any JSON object.")


# -- answers: for the OpenAPI document only (routes return the records' JSON themselves) --


class ErrorDetail(BaseModel):
    type: str = Field(description="Machine-readable kind, e.g. `not_found` (docs/server.md).")
    message: str = Field(description="What went wrong, for people.")
    field: str | None = Field(description="The offending input (`messages[0].role`), if any.")


class ErrorBody(BaseModel):
    """Every error answer, whatever its status."""

    error: ErrorDetail


class Health(BaseModel):
    status: str
    version: str


class MemoryPage(BaseModel):
    items: list[MemoryItem]
    next_offset: int | None = Field(description="`offset` of the next page; null on the last.")


class EpisodePage(BaseModel):
    items: list[Episode]
    next_offset: int | None = Field(description="`offset` of the next page; null on the last.")


class HistoryList(BaseModel):
    items: list[HistoryEntry]


class Export(BaseModel):
    user_id: str
    episodes: list[Episode]
    memories: list[MemoryItem]
