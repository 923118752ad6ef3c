"""The MCP server: four memory tools and the task tools (:mod:`kenning.mcp._tasks`) over
one :class:`kenning.Memory`.

Each tool validates its arguments against a JSON schema (bounded sizes), resolves and checks
the user it touches, calls one ``Memory`` method and returns a bounded, typed result. Errors
that Kenning raises on purpose (:class:`~kenning.KenningError`) become MCP tool errors carrying
their message; anything else is logged by the SDK and reported as a bare tool failure.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from kenning import __version__
from kenning.config import Settings
from kenning.errors import ConfigError, KenningError
from kenning.mcp._budget import Line, clip, fit_lines
from kenning.memory import Memory
from kenning.models import Hit, MemoryItem, MemoryKind
from kenning.read.tokens import approx_tokens

try:
    from mcp.server.mcpserver import Context, MCPServer
    from mcp.server.mcpserver.exceptions import ToolError
    from mcp.types import CallToolResult, TextContent, ToolAnnotations
except ModuleNotFoundError as exc:  # pragma: no cover - exercised only without the extra
    raise ConfigError('the MCP server needs the official MCP SDK: pip install "mcp>=2,<3"') from exc

if TYPE_CHECKING:
    from starlette.applications import Starlette

SERVER_NAME = "kenning"

# Bounds of the tools' arguments and results (also stated in their descriptions).
MAX_TEXT_CHARS = 50_000  # remember(text=...) and each message's content
MAX_MESSAGES = 100  # messages per remember call
RECALL_DEFAULT_BUDGET = 800
RECALL_MIN_BUDGET = 50
RECALL_MAX_BUDGET = 8_000
RECALL_MAX_LIMIT = 50
LIST_DEFAULT_LIMIT = 20
LIST_MAX_LIMIT = 100
LIST_TEXT_CHARS = 500  # each listed memory's text is clipped to this many characters

UserCheck = Callable[[str, Any], bool]
"""``(user_id, request) -> allowed``: may the current tool call touch ``user_id``?

``request`` is the transport's request object: the Starlette ``Request`` of the HTTP call
under streamable HTTP (whatever authentication middleware stored in ``request.state`` or
``request.scope`` is visible there), ``None`` over stdio.
"""

AllowedUsers = Collection[str] | UserCheck
"""A fixed set of user ids, or a :data:`UserCheck` called on every tool call."""

_INSTRUCTIONS = """\
Kenning is a long-term memory. Call `remember` with facts, preferences and conversation \
messages worth keeping; call `recall` with a question before answering something that may \
depend on the past (results are ranked, dated and fitted to a token budget); use \
`list_memories` to browse and `forget` to archive (or, with hard=true, erase) a memory. \
For a long task, `task_start` it, open and close subgoals, record steps, and call \
`task_context` for the working context (plan, current steps, stale ones) instead of \
rereading the transcript."""


# -- schemas (the MCP edge's own; the core models stay free of MCP concerns) -----------


class MessageIn(BaseModel):
    """One conversation message."""

    model_config = ConfigDict(extra="forbid")

    role: Literal["user", "assistant", "system", "tool", "document"] = Field(
        default="user", description="Who wrote it; 'document' for reference text."
    )
    content: str = Field(min_length=1, max_length=MAX_TEXT_CHARS, description="The message text.")
    name: str | None = Field(
        default=None, max_length=200, description="Speaker name, e.g. 'Ana' (optional)."
    )
    timestamp: str | None = Field(
        default=None,
        max_length=64,
        description="When it was said, ISO 8601 (optional; default: now).",
    )


class Remembered(BaseModel):
    """What ``remember`` stored."""

    user_id: str
    episode_ids: list[str] = Field(description="Ids of the stored messages (episodes).")
    memory_ids: list[str] = Field(description="Ids of the memories derived from them.")
    duplicates: int = Field(description="Messages already stored before (not stored again).")


class Recalled(BaseModel):
    """One memory returned by ``recall``."""

    id: str
    kind: MemoryKind
    date: str | None = Field(description="Event date (YYYY-MM-DD), else the date stored.")
    score: float
    text: str = Field(description="The memory text, clipped (ending in '…') to fit the budget.")


class RecallResult(BaseModel):
    """The result of ``recall``; the text content renders ``memories`` one per line."""

    query: str
    user_id: str
    memories: list[Recalled]
    omitted: int = Field(description="Matches left out to stay within the token budget.")
    clipped: bool = Field(description="Whether the last memory's text was cut to fit.")
    tokens: int = Field(description="Approximate tokens of the text content: ceil(chars / 4).")
    token_budget: int


class Listed(BaseModel):
    """One memory of a ``list_memories`` page."""

    id: str
    kind: MemoryKind
    status: str
    date: str | None
    text: str = Field(description=f"The text, clipped to {LIST_TEXT_CHARS} characters.")
    session_id: str | None = None


class MemoryPage(BaseModel):
    """A page of ``list_memories``."""

    user_id: str
    offset: int
    limit: int
    memories: list[Listed]
    next_offset: int | None = Field(description="Offset of the next page; null on the last one.")


class Forgotten(BaseModel):
    """What ``forget`` archived or erased."""

    memory_id: str
    hard: bool
    archived: list[str] = Field(description="Ids archived (soft forget; reversible with undo).")
    erased_memories: int = Field(description="Memories erased (hard forget).")
    erased_episodes: int = Field(description="Source messages erased (hard forget).")


UserId = Annotated[
    str | None,
    Field(
        min_length=1,
        max_length=200,
        description="User whose memories to use; required unless the server has a default user.",
    ),
]


# -- helpers ----------------------------------------------------------------------------


@contextmanager
def _tool_errors() -> Iterator[None]:
    """Kenning's deliberate errors become tool errors with their message (no traceback)."""
    try:
        yield
    except KenningError as exc:
        raise ToolError(str(exc)) from exc


def _date(item: MemoryItem) -> str | None:
    when: datetime | None = item.event_time or item.created_at
    return when.date().isoformat() if when else None


def _line(hit: Hit) -> Line:
    item = hit.memory
    return Line(
        head=f"[{_date(item) or '?'}] {item.kind.value} {item.id} ({hit.score:.2f})", text=item.text
    )


def render_recall(
    query: str, user_id: str, hits: list[Hit], budget: int
) -> tuple[str, RecallResult]:
    """Fit ``hits`` (best first) into ``budget`` approximate tokens of rendered text: the
    text (one line per memory) and the same memories as a record."""
    fitted = fit_lines([_line(h) for h in hits], budget)
    kept = [
        Recalled(
            id=h.memory.id,
            kind=h.memory.kind,
            date=_date(h.memory),
            score=round(h.score, 4),
            text=text,
        )
        for h, text in zip(hits, fitted.texts, strict=False)
    ]
    return fitted.text, RecallResult(
        query=query,
        user_id=user_id,
        memories=kept,
        omitted=len(hits) - len(kept),
        clipped=fitted.clipped,
        tokens=approx_tokens(fitted.text),
        token_budget=budget,
    )


def _allows(allowed: AllowedUsers | None, user: str, request: Any) -> bool:
    if allowed is None:
        return True
    if callable(allowed):
        return bool(allowed(user, request))
    return user in allowed


# -- the server -------------------------------------------------------------------------


def create_mcp_server(
    memory: Memory,
    *,
    default_user: str | None = None,
    allowed_users: AllowedUsers | None = None,
    name: str = SERVER_NAME,
) -> MCPServer:
    """An MCP server exposing ``memory`` through the tools ``remember``, ``recall``,
    ``forget`` and ``list_memories``.

    ``default_user`` is used when a call gives no ``user_id`` (without it, ``user_id`` is
    required). ``allowed_users`` restricts which users a call may touch: a set of ids, or a
    :data:`UserCheck` ``(user_id, request) -> bool`` called on every tool call with the
    transport's request (the HTTP request under streamable HTTP, ``None`` over stdio), so
    an HTTP front end can scope each call by the API key it authenticated. A refused user is
    a tool error. The caller owns ``memory`` (the server never closes it).
    """
    if default_user is not None and not default_user.strip():
        raise ConfigError("default_user must be a non-empty string when given")
    if isinstance(allowed_users, str):
        raise ConfigError("allowed_users must be a collection of user ids or a callable")
    if allowed_users is not None and not callable(allowed_users):
        allowed_users = frozenset(allowed_users)
    with _host_logging_kept():
        server: MCPServer = MCPServer(name, instructions=_INSTRUCTIONS, version=__version__)
    user_note = (
        f" `user_id` may be omitted (default: {default_user!r})."
        if default_user
        else " `user_id` is required."
    )

    def user_of(user_id: str | None, ctx: Context) -> str:
        user = user_id or default_user
        if not user:
            raise ToolError("user_id: required (this server has no default user)")
        request = ctx.request_context.request if allowed_users is not None else None
        if not _allows(allowed_users, user, request):
            raise ToolError(f"user_id: {user!r} is outside this session's scope")
        return user

    def remember(
        ctx: Context,
        text: Annotated[
            str | None,
            Field(max_length=MAX_TEXT_CHARS, description="A single message or note to store."),
        ] = None,
        messages: Annotated[
            list[MessageIn] | None,
            Field(
                min_length=1,
                max_length=MAX_MESSAGES,
                description="Conversation messages to store, in order (instead of text).",
            ),
        ] = None,
        user_id: UserId = None,
        session_id: Annotated[
            str | None, Field(max_length=200, description="Conversation/session id (optional).")
        ] = None,
    ) -> Remembered:
        user = user_of(user_id, ctx)
        if (text is None) == (messages is None):
            raise ToolError("give exactly one of text or messages")
        payload: Any = (
            text if messages is None else [m.model_dump(exclude_none=True) for m in messages]
        )
        with _tool_errors():
            result = memory.add(payload, user_id=user, session_id=session_id)
        return Remembered(
            user_id=user,
            episode_ids=[e.id for e in result.episodes],
            memory_ids=[m.id for m in result.memories],
            duplicates=result.duplicates,
        )

    def recall(
        ctx: Context,
        query: Annotated[
            str,
            Field(min_length=1, max_length=2_000, description="What to remember, as a question."),
        ],
        user_id: UserId = None,
        token_budget: Annotated[
            int,
            Field(
                ge=RECALL_MIN_BUDGET,
                le=RECALL_MAX_BUDGET,
                description="Most tokens (approx. characters / 4) the rendered result may take.",
            ),
        ] = RECALL_DEFAULT_BUDGET,
        limit: Annotated[
            int, Field(ge=1, le=RECALL_MAX_LIMIT, description="Most memories to return.")
        ] = 10,
    ) -> Annotated[CallToolResult, RecallResult]:
        user = user_of(user_id, ctx)
        with _tool_errors():
            found = memory.search(query, user_id=user, limit=limit)
        text, result = render_recall(query, user, found.hits, token_budget)
        return CallToolResult(
            content=[TextContent(type="text", text=text or "No matching memories.")],
            structured_content=result.model_dump(mode="json"),
        )

    def forget(
        ctx: Context,
        memory_id: Annotated[
            str, Field(min_length=1, max_length=200, description="Id of the memory to forget.")
        ],
        user_id: UserId = None,
        hard: Annotated[
            bool,
            Field(
                strict=True,  # "yes" or 1 never confirms an erase
                description="false: archive the memory (kept, no longer recalled, undoable). "
                "true: erase its source messages and everything derived from them, for good.",
            ),
        ] = False,
    ) -> Forgotten:
        user = user_of(user_id, ctx)
        with _tool_errors():
            result = memory.forget(memory_id, user_id=user, hard=hard)
        return Forgotten(
            memory_id=memory_id,
            hard=hard,
            archived=list(result.archived),
            erased_memories=result.erased_memories,
            erased_episodes=result.erased_episodes,
        )

    def list_memories(
        ctx: Context,
        user_id: UserId = None,
        limit: Annotated[
            int, Field(ge=1, le=LIST_MAX_LIMIT, description="Page size.")
        ] = LIST_DEFAULT_LIMIT,
        offset: Annotated[int, Field(ge=0, description="Memories to skip.")] = 0,
        kind: Annotated[
            MemoryKind | None, Field(description="Only memories of this kind (optional).")
        ] = None,
    ) -> MemoryPage:
        user = user_of(user_id, ctx)
        with _tool_errors():
            items = memory.get_all(user_id=user, kinds=kind, limit=limit + 1, offset=offset)
        page = items[:limit]
        return MemoryPage(
            user_id=user,
            offset=offset,
            limit=limit,
            memories=[
                Listed(
                    id=m.id,
                    kind=m.kind,
                    status=m.status.value,
                    date=_date(m),
                    text=clip(m.text, LIST_TEXT_CHARS),
                    session_id=m.session_id,
                )
                for m in page
            ],
            next_offset=offset + limit if len(items) > limit else None,
        )

    server.add_tool(
        remember,
        description=(
            "Store something worth remembering about the user: either `text` (one message or "
            f"note) or `messages` (up to {MAX_MESSAGES} conversation messages with role, "
            "content, optional name and ISO timestamp). Facts are extracted and indexed. "
            "A message sent again with the same timestamp is not stored twice. Returns the "
            "stored episode ids and the ids of the memories derived from them." + user_note
        ),
        annotations=ToolAnnotations(
            title="Remember", read_only_hint=False, destructive_hint=False, idempotent_hint=True
        ),
    )
    server.add_tool(
        recall,
        description=(
            "Find the memories most relevant to `query`, best first, each line as "
            "`[date] kind id (score) text`. The text is fitted to `token_budget` (default "
            f"{RECALL_DEFAULT_BUDGET}, {RECALL_MIN_BUDGET}-{RECALL_MAX_BUDGET}; tokens "
            "approximated as characters / 4): lower-ranked matches are left out and the last "
            f"one may be cut (ending in '…'). At most `limit` (1-{RECALL_MAX_LIMIT}) memories."
            + user_note
        ),
        annotations=ToolAnnotations(title="Recall", read_only_hint=True),
    )
    server.add_tool(
        forget,
        description=(
            "Forget a memory by id. Default: archive it (kept with its history, no longer "
            "recalled, reversible). hard=true erases the messages it came from and everything "
            "derived from them; this cannot be undone. Returns what was archived or erased."
            + user_note
        ),
        annotations=ToolAnnotations(title="Forget", read_only_hint=False, destructive_hint=True),
    )
    server.add_tool(
        list_memories,
        description=(
            "List the user's active memories in time order, a page at a time: `limit` "
            f"(1-{LIST_MAX_LIMIT}, default {LIST_DEFAULT_LIMIT}) from `offset`, optionally one "
            f"`kind`. Texts are clipped to {LIST_TEXT_CHARS} characters; `next_offset` is null "
            "on the last page." + user_note
        ),
        annotations=ToolAnnotations(title="List memories", read_only_hint=True),
    )
    from kenning.mcp._tasks import add_task_tools  # imports this module's helpers

    add_task_tools(server, memory, user_of=user_of, user_note=user_note)
    return server


def streamable_http_app(
    memory: Memory,
    *,
    default_user: str | None = None,
    allowed_users: AllowedUsers | None = None,
    path: str = "/mcp",
    stateless: bool = False,
    json_response: bool = False,
    host: str = "127.0.0.1",
) -> Starlette:
    """An ASGI app serving the MCP server over streamable HTTP at ``path``.

    Its lifespan runs the SDK's session manager: serve it directly (uvicorn), or, mounted
    inside another app, enter ``server.session_manager.run()`` in that app's lifespan (see
    docs/mcp.md). ``host`` is the host it is served on; for localhost the SDK turns on DNS
    rebinding protection (Host and Origin must be local).
    """
    server = create_mcp_server(memory, default_user=default_user, allowed_users=allowed_users)
    return server.streamable_http_app(
        streamable_http_path=path,
        stateless_http=stateless,
        json_response=json_response,
        host=host,
    )


def run_stdio(settings: Settings | None = None, *, default_user: str | None = None) -> None:
    """Open ``Memory(settings=settings or Settings())`` and serve it over stdio until EOF."""
    with Memory(settings=settings or Settings()) as memory:
        memory.warm_up()  # before the client's first call, not during it
        create_mcp_server(memory, default_user=default_user).run("stdio")


@contextmanager
def _host_logging_kept() -> Iterator[None]:
    """Undo the SDK's ``logging.basicConfig`` (root at INFO, a rich handler): a library must
    not configure its host's logging, and the INFO lines it unlocks (httpx logs every
    request) cost about a millisecond per request."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        yield
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
