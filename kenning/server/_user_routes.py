"""The ``/v1/users`` endpoints: the store's users, a user's sessions, erasing a user.

Listing every user needs an admin key; a user's sessions and its erasure need a key bound
to that user (or admin), like every other ``/v1/users/{user_id}`` route. Erasing a user
cannot be undone, so it must be confirmed in the request (``?confirm=true``).
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from kenning.models import ForgetResult, SessionSummary, UserSummary
from kenning.server._auth import Admin, ScopedUser
from kenning.server._routes import _ERRORS, Offset, PageLimit, _json, _limits, _memory, _page

users = APIRouter(prefix="/v1", tags=["users"], responses=_ERRORS)


class UserPage(BaseModel):
    """A page of the store's users, by id."""

    items: list[UserSummary]
    next_offset: int | None = Field(description="Offset of the next page (None: last page).")


class SessionList(BaseModel):
    """A user's sessions, latest activity first."""

    items: list[SessionSummary]


@users.get(
    "/users",
    summary="The store's users with their counts and activity (Memory.users; admin key only)",
    response_model=UserPage,
)
def list_users(
    request: Request, caller: Admin, limit: PageLimit = 50, offset: Offset = 0
) -> JSONResponse:
    _limits(request).check_page(limit)
    return _page(_memory(request).users(limit=limit + 1, offset=offset), limit, offset)


@users.get(
    "/users/{user_id}/sessions",
    summary="The user's sessions, latest first, with counts and dates (Memory.sessions)",
    response_model=SessionList,
)
def list_sessions(request: Request, user_id: ScopedUser) -> JSONResponse:
    return _json({"items": _memory(request).sessions(user_id=user_id)})


Confirm = Annotated[
    Literal["true"],
    Query(description="Must be `true`: erasing a user cannot be undone."),
]


@users.delete(
    "/users/{user_id}",
    summary="Erase the user and everything of it, as a hard forget does (Memory.delete_user)",
    response_model=ForgetResult,
)
def delete_user(request: Request, user_id: ScopedUser, confirm: Confirm) -> JSONResponse:
    return _json(_memory(request).delete_user(user_id))
