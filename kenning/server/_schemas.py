"""Request bodies of the REST API (pydantic), separate from the core records.

Shapes are as loose as the Python API accepts (times as ISO strings or epoch seconds,
messages as strings or objects): ``Memory`` validates the values and its errors name the
field, so the same input fails the same way embedded and over HTTP. Scalars are strict: a
boolean is ``true`` or ``false`` (never ``"yes"`` or ``1``), a number is a JSON number (never
a string), so no input outside the OpenAPI schema is ever taken for something it is not.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Discriminator, Field, Tag

from kenning.models import Episode, HistoryEntry, MemoryItem, MemoryKind


def _time_value(value: object) -> object:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError("must be an ISO 8601 date/time string or epoch seconds (a number)")
    return value


TimeValue = Annotated[str | float, BeforeValidator(_time_value)]
"""An ISO 8601 date/time (naive = UTC) or epoch seconds."""


def _query_bool(value: object) -> object:
    if value in ("true", "false", True, False):
        return value in ("true", True)
    raise ValueError("must be true or false")


QueryBool = Annotated[bool, BeforeValidator(_query_bool)]
"""A boolean query parameter: exactly ``true`` or ``false`` (``yes``, ``1``, ``on`` are
refused, unlike FastAPI's default, since some of them confirm an irreversible erase)."""

# Union members are told apart by the value's JSON type, so that an error names the field
# inside the member the value was meant for (``messages[0].content``), never the member
# (``messages.str``). Error locations leave these tags out (kenning.server._errors).
UNION_TAGS = frozenset({"as-text", "as-list", "as-message"})


def _shape(value: object) -> str:
    if isinstance(value, str):
        return "as-text"
    return "as-list" if isinstance(value, list) else "as-message"


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ContentPart(BaseModel):
    """One part of an OpenAI-style content list: ``{"type": "text", "text": ...}``, or
    another type (``image_url``, ``input_audio``, ``file``...) kept verbatim, not indexed."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(description="text (or input_text, output_text), or any other type.")
    text: str | None = Field(default=None, description="The text of a text part.")


Content = Annotated[
    Annotated[str, Tag("as-text")] | Annotated[list[ContentPart], Tag("as-list")],
    Discriminator(
        _shape,
        custom_error_type="content_type",
        custom_error_message="must be a string or a list of content parts",
    ),
]


class MessageIn(_Body):
    """One OpenAI-style message."""

    content: Content = Field(
        description="The message text, or an OpenAI-style list of content parts: text parts "
        "are the text; other parts are kept in the episode and reported as skipped."
    )
    role: str = Field(default="user", description="user, assistant, system, tool or document.")
    name: str | None = Field(default=None, description="Speaker name.")
    timestamp: TimeValue | None = Field(default=None, description="When it was said.")
    id: str | None = Field(default=None, description="Client id: makes the add idempotent.")
    metadata: dict[str, Any] | None = Field(default=None, description="Any JSON object.")


MessageItem = Annotated[
    Annotated[str, Tag("as-text")] | Annotated[MessageIn, Tag("as-message")],
    Discriminator(
        _shape,
        custom_error_type="message_type",
        custom_error_message="must be a string or a message object",
    ),
]
Messages = Annotated[
    Annotated[str, Tag("as-text")] | Annotated[list[MessageItem], Tag("as-list")],
    Discriminator(
        _shape,
        custom_error_type="messages_type",
        custom_error_message="must be a string or a list of strings and message objects",
    ),
]


class AddRequest(_Body):
    """Messages to remember (``Memory.add``)."""

    messages: Messages = Field(description="A string, or a list of strings and message objects.")
    agent_id: str | None = Field(default=None, description="Agent the messages belong to.")
    session_id: str | None = Field(default=None, description="Conversation/session id.")
    timestamp: TimeValue | None = Field(
        default=None, description="Event time of messages that give none."
    )

    def raw_messages(self) -> str | list[str | dict[str, Any]]:
        if isinstance(self.messages, str):
            return self.messages
        return [
            m if isinstance(m, str) else m.model_dump(exclude_none=True, exclude_unset=True)
            for m in self.messages
        ]


class _Filters(_Body):
    """What a search looks at: the query and the scope's filters (``Memory.search``)."""

    query: str = Field(description="What to look for.")
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
    filters: dict[str, Any] | None = Field(
        default=None,
        description='Conditions on metadata: {"topic": "travel", "priority": {"gte": 2}}; '
        "operators eq, ne, in, nin, gt, gte, lt, lte (docs/api.md).",
    )


class SearchRequest(_Filters):
    """A search in the user's scope (``Memory.search``)."""

    limit: int | None = Field(
        default=None,
        ge=1,
        strict=True,
        description="Number of hits (default: the search_limit setting).",
    )


class ContextRequest(_Filters):
    """A context block for a prompt (``Memory.context``): a search's filters and a budget."""

    budget_tokens: int | None = Field(
        default=None,
        ge=20,
        le=1_000_000,
        strict=True,
        description="Most tokens the block's text may take (default: the "
        "context_budget_tokens setting, 1000).",
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
        strict=True,
        description="Erase the source messages and everything derived from them (no undo); "
        "default: archive (undoable).",
    )


class ConsolidateRequest(_Body):
    """Options of a consolidation pass (``Memory.consolidate``)."""

    archive_below: float | None = Field(
        default=None,
        strict=True,
        ge=0.0,
        le=1.0,
        description="Also archive memories whose retention is below this (default: none).",
    )


class UndoRequest(_Body):
    """Which change to revert (``Memory.undo``)."""

    change: int | None = Field(
        default=None,
        strict=True,
        description="History entry id to revert (default: the latest change).",
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
    importance: float = Field(default=0.5, strict=True, description="0 to 1.")
    pinned: bool = Field(default=False, strict=True, description="Never fades, never archived.")
    ttl: float | None = Field(
        default=None, strict=True, description="Expire after this many seconds."
    )
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
