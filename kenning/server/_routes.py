"""The ``/v1`` endpoints: each calls one ``Memory`` method with the path's user id.

Routes are plain functions (FastAPI runs them in its thread pool; ``Memory`` is
thread-safe). Results are records encoded by :func:`kenning.codec.to_json`.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request
from fastapi.responses import JSONResponse

from kenning import __version__
from kenning.codec import to_json
from kenning.errors import ValidationError
from kenning.memory import Memory
from kenning.models import (
    AddResult,
    ConsolidationReport,
    ContextBlock,
    ForgetResult,
    MemoryGraph,
    MemoryItem,
    MemoryKind,
    MemoryStatus,
    SearchResult,
    Stats,
)
from kenning.server._auth import Admin, ScopedUser
from kenning.server._limits import Limits
from kenning.server._schemas import (
    AddRequest,
    ConsolidateRequest,
    ContextRequest,
    EpisodePage,
    ErrorBody,
    Export,
    FactRequest,
    ForgetRequest,
    Health,
    HistoryList,
    MemoryPage,
    SearchRequest,
    UndoRequest,
    UpdateRequest,
)

_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": description}
    for status, description in (
        (400, "The body is not valid JSON"),
        (401, "An API key is required, or the one given is unknown or revoked"),
        (403, "The key may not touch this user (or needs admin)"),
        (404, "No such memory or episode in this user's scope"),
        (409, "Nothing to undo"),
        (413, "Body, batch or text over the server's limits"),
        (
            422,
            "A value was refused: not in the schema, out of range or above the server's limits (`field` names it)",
        ),
        (429, "Over the rate limit (see `Retry-After`)"),
        (500, "Internal error (details in the server log only)"),
    )
}
"""Every error answer is an :class:`ErrorBody`; documented once per router."""

health = APIRouter(prefix="/v1", tags=["health"])
memories = APIRouter(prefix="/v1/users/{user_id}", tags=["memories"], responses=_ERRORS)
episodes = APIRouter(prefix="/v1/users/{user_id}", tags=["episodes"], responses=_ERRORS)
admin = APIRouter(prefix="/v1", tags=["admin"], responses=_ERRORS)


def _memory(request: Request) -> Memory:
    engine: Memory = request.app.state.memory
    return engine


def _limits(request: Request) -> Limits:
    limits: Limits = request.app.state.limits
    return limits


class _RecordResponse(JSONResponse):
    """JSON of Kenning's records (dataclasses, enums, datetimes) by :func:`to_json`."""

    def render(self, content: Any) -> bytes:
        return to_json(content)


def _json(value: Any, status: int = 200) -> JSONResponse:
    return _RecordResponse(value, status_code=status)


def _json_query(text: str | None, field: str) -> Any:
    """A JSON value given in a query string; 422 naming ``field`` when it is not JSON."""
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError as exc:
        raise ValidationError(field, f"must be JSON: {exc}") from exc


def _page(items: list[Any], limit: int, offset: int) -> JSONResponse:
    """One page of a listing fetched with ``limit + 1``: the extra item says a next page exists."""
    more = len(items) > limit
    return _json(
        {"items": items[:limit], "next_offset": offset + limit if more else None},
    )


PageLimit = Annotated[int, Query(ge=1, description="Page size (at most server_max_page_size).")]
Offset = Annotated[int, Query(ge=0, description="Items to skip (from next_offset).")]
GraphLimit = Annotated[
    int, Query(ge=1, description="Other memories per entity (at most server_max_page_size).")
]


@health.get("/health", summary="Liveness and version (no key needed)", response_model=Health)
def get_health() -> dict[str, str]:
    return {"status": "ok", "version": __version__}


@memories.post(
    "/messages", status_code=201, summary="Remember messages (Memory.add)", response_model=AddResult
)
def add_messages(request: Request, user_id: ScopedUser, body: AddRequest) -> JSONResponse:
    messages = body.raw_messages()
    _limits(request).check_messages(messages)
    result = _memory(request).add(
        messages,
        user_id=user_id,
        agent_id=body.agent_id,
        session_id=body.session_id,
        timestamp=body.timestamp,
    )
    return _json(result, 201)


@memories.post(
    "/search",
    summary="Most relevant memories, with each signal's share (Memory.search)",
    response_model=SearchResult,
)
def search(request: Request, user_id: ScopedUser, body: SearchRequest) -> JSONResponse:
    limits = _limits(request)
    limits.check_text(body.query, "query")
    if body.limit is not None:
        limits.check_page(body.limit, limits.max_search_limit)
    result = _memory(request).search(
        body.query,
        user_id=user_id,
        limit=body.limit,
        kinds=body.kinds,
        agent_id=body.agent_id,
        session_id=body.session_id,
        start=body.start,
        end=body.end,
        as_of=body.as_of,
        now=body.now,
        filters=body.filters,
    )
    return _json(result)


@memories.post(
    "/context",
    summary="The best memories within a token budget, as prompt text and records (Memory.context)",
    response_model=ContextBlock,
)
def context(request: Request, user_id: ScopedUser, body: ContextRequest) -> JSONResponse:
    _limits(request).check_text(body.query, "query")
    result = _memory(request).context(
        body.query,
        user_id=user_id,
        budget_tokens=body.budget_tokens,
        kinds=body.kinds,
        agent_id=body.agent_id,
        session_id=body.session_id,
        start=body.start,
        end=body.end,
        as_of=body.as_of,
        now=body.now,
        filters=body.filters,
    )
    return _json(result)


@memories.get(
    "/memories",
    summary="A page of the user's memories in event-time order",
    response_model=MemoryPage,
)
def list_memories(
    request: Request,
    user_id: ScopedUser,
    kind: Annotated[list[MemoryKind] | None, Query(description="Kinds (repeatable).")] = None,
    status: Annotated[
        list[MemoryStatus] | None, Query(description="Statuses (repeatable; default: active).")
    ] = None,
    session_id: Annotated[str | None, Query(description="Only this session.")] = None,
    agent_id: Annotated[str | None, Query(description="Only this agent.")] = None,
    limit: PageLimit = 50,
    offset: Offset = 0,
    filters: Annotated[
        str | None,
        Query(
            description='Conditions on metadata as JSON: {"topic": "travel", "priority": '
            '{"gte": 2}} (as in a search body).'
        ),
    ] = None,
) -> JSONResponse:
    _limits(request).check_page(limit)
    items = _memory(request).get_all(
        user_id=user_id,
        kinds=kind,
        statuses=status or (MemoryStatus.ACTIVE,),
        session_id=session_id,
        agent_id=agent_id,
        limit=limit + 1,
        offset=offset,
        filters=_json_query(filters, "filters"),
    )
    return _page(items, limit, offset)


@memories.get(
    "/memories/{memory_id}",
    summary="One memory, any status (Memory.get)",
    response_model=MemoryItem,
)
def get_memory(request: Request, user_id: ScopedUser, memory_id: str) -> JSONResponse:
    return _json(_memory(request).get(memory_id, user_id=user_id))


@memories.patch(
    "/memories/{memory_id}",
    summary="Replace a memory's text (Memory.update)",
    response_model=MemoryItem,
)
def update_memory(
    request: Request, user_id: ScopedUser, memory_id: str, body: UpdateRequest
) -> JSONResponse:
    _limits(request).check_text(body.text, "text")
    item = _memory(request).update(memory_id, body.text, user_id=user_id, metadata=body.metadata)
    return _json(item)


@memories.delete(
    "/memories/{memory_id}", summary="Delete a memory (Memory.delete)", response_model=MemoryItem
)
def delete_memory(request: Request, user_id: ScopedUser, memory_id: str) -> JSONResponse:
    return _json(_memory(request).delete(memory_id, user_id=user_id))


@memories.get(
    "/memories/{memory_id}/history",
    summary="Every change of a memory (Memory.history)",
    response_model=HistoryList,
)
def memory_history(request: Request, user_id: ScopedUser, memory_id: str) -> JSONResponse:
    return _json({"items": _memory(request).history(memory_id, user_id=user_id)})


@memories.get(
    "/memories/{memory_id}/graph",
    summary="The entities and links around a memory, with the memories they lead to (Memory.graph)",
    response_model=MemoryGraph,
)
def memory_graph(
    request: Request, user_id: ScopedUser, memory_id: str, limit: GraphLimit = 10
) -> JSONResponse:
    _limits(request).check_page(limit)
    return _json(_memory(request).graph(memory_id, user_id=user_id, limit=limit))


@memories.post(
    "/memories/{memory_id}/forget",
    summary="Archive or erase a memory (Memory.forget)",
    response_model=ForgetResult,
)
def forget_memory(
    request: Request,
    user_id: ScopedUser,
    memory_id: str,
    body: Annotated[ForgetRequest | None, Body()] = None,
) -> JSONResponse:
    hard = body.hard if body else False
    return _json(_memory(request).forget(memory_id, user_id=user_id, hard=hard))


@memories.post(
    "/memories/{memory_id}/undo",
    summary="Revert a change (Memory.undo); 409 if none",
    response_model=MemoryItem,
)
def undo_memory(
    request: Request,
    user_id: ScopedUser,
    memory_id: str,
    body: Annotated[UndoRequest | None, Body()] = None,
) -> JSONResponse:
    change = body.change if body else None
    return _json(_memory(request).undo(memory_id, user_id=user_id, change=change))


@memories.post(
    "/consolidate",
    summary="Merge duplicates, summaries, profiles (Memory.consolidate)",
    response_model=ConsolidationReport,
)
def consolidate(
    request: Request,
    user_id: ScopedUser,
    body: Annotated[ConsolidateRequest | None, Body()] = None,
) -> JSONResponse:
    below = body.archive_below if body else None
    return _json(_memory(request).consolidate(user_id=user_id, archive_below=below))


@memories.post(
    "/facts", status_code=201, summary="Store a fact (Memory.add_fact)", response_model=MemoryItem
)
def add_fact(request: Request, user_id: ScopedUser, body: FactRequest) -> JSONResponse:
    _limits(request).check_text(body.text, "text")
    fields = body.model_dump(exclude={"text"})
    return _json(_memory(request).add_fact(body.text, user_id=user_id, **fields), 201)


@memories.get(
    "/export", summary="Every episode and memory of the user, any status", response_model=Export
)
def export(request: Request, user_id: ScopedUser) -> JSONResponse:
    engine = _memory(request)
    return _json(
        {
            "user_id": user_id,
            "episodes": engine.episodes(user_id=user_id, limit=None),
            "memories": engine.get_all(user_id=user_id, statuses=None, limit=None),
        }
    )


@memories.get("/stats", summary="Counts for the user (Memory.stats)", response_model=Stats)
def user_stats(request: Request, user_id: ScopedUser) -> JSONResponse:
    return _json(_memory(request).stats(user_id=user_id))


@episodes.get(
    "/episodes",
    summary="A page of the user's raw episodes, in arrival order",
    response_model=EpisodePage,
)
def list_episodes(
    request: Request,
    user_id: ScopedUser,
    session_id: Annotated[str | None, Query(description="Only this session.")] = None,
    limit: PageLimit = 50,
    offset: Offset = 0,
) -> JSONResponse:
    _limits(request).check_page(limit)
    items = _memory(request).episodes(
        user_id=user_id, session_id=session_id, limit=limit + 1, offset=offset
    )
    return _page(items, limit, offset)


@episodes.post(
    "/episodes/{episode_id}/forget",
    summary="Forget everything derived from one episode (Memory.forget)",
    response_model=ForgetResult,
)
def forget_episode(
    request: Request,
    user_id: ScopedUser,
    episode_id: str,
    body: Annotated[ForgetRequest | None, Body()] = None,
) -> JSONResponse:
    hard = body.hard if body else False
    return _json(_memory(request).forget(user_id=user_id, episode_id=episode_id, hard=hard))


@admin.get("/stats", summary="Counts for the whole store (admin key only)", response_model=Stats)
def store_stats(request: Request, caller: Admin) -> JSONResponse:
    return _json(_memory(request).stats())


ROUTERS = (health, memories, episodes, admin)
