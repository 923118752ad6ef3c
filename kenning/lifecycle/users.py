"""Users and sessions as a whole: listing them, and erasing a user.

Erasing a user removes every row of it in one store transaction (episodes, memories, keys,
provenance, mentions, links, history, entities, LLM calls, change-feed rows and its scope),
with the same guarantee as a hard forget: nothing of its text stays readable in the store's
files, in this process's index or in an index snapshot. Other processes holding an index of
the user rebuild it at their next use, when the store's feed shows the scope is gone
(:attr:`kenning.store.FeedChanges.scope_created`).
"""

from __future__ import annotations

from kenning.errors import NotFound, ValidationError
from kenning.index.registry import IndexRegistry
from kenning.models import ForgetResult, SessionSummary, UserSummary
from kenning.store import Store

_MAX_INT = 2**63 - 1


def list_users(store: Store, *, limit: int | None, offset: int) -> list[UserSummary]:
    """A page of the store's users, by id."""
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 0):
        raise ValidationError("limit", "must be a non-negative integer")
    if isinstance(offset, bool) or not isinstance(offset, int) or not 0 <= offset <= _MAX_INT:
        raise ValidationError("offset", "must be a non-negative integer")
    return store.user_summaries(limit=limit, offset=offset)


def list_sessions(store: Store, user_id: str) -> list[SessionSummary]:
    """The user's sessions, latest activity first (none for an unknown user)."""
    return store.session_summaries(user_id)


def erase_user(store: Store, registry: IndexRegistry, user_id: str) -> ForgetResult:
    """Erase everything of a user; :class:`NotFound` if the store holds nothing of it.

    The caller holds the user's lock of ``registry``: no search of this process reads the
    index while it goes.
    """
    erased = store.delete_user(user_id)
    registry.drop(user_id)  # even when nothing was stored: a stale snapshot goes too
    if erased is None:
        raise NotFound(f"user {user_id!r} not found")
    return erased
