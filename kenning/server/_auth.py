"""Authentication and scope checks, as FastAPI dependencies.

Every ``/v1/users/{user_id}/...`` route depends on :func:`scoped_user`: the key must be bound
to that user (or be admin), whatever ids the request names after it. Routes then pass the
path's ``user_id`` to every ``Memory`` call, which refuses ids of another scope (404), so a
guessed memory or episode id of another user is indistinguishable from a missing one.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, FastAPI, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from kenning.server._errors import ApiError
from kenning.server._limits import RateLimiter
from kenning.server.keys import LOCAL, ApiKeys, Principal

_bearer = HTTPBearer(
    auto_error=False,
    description="An API key from `kenning keys create` (not needed when no key exists).",
)
CHALLENGE = {"WWW-Authenticate": "Bearer"}
KEY_REQUIRED = "an API key is required (Authorization: Bearer ...)"


def principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """Who the request acts for; 401 for a missing, unknown or revoked key, 429 over the rate."""
    keys: ApiKeys = request.app.state.keys
    limiter: RateLimiter = request.app.state.limiter
    client = f"client:{request.client.host if request.client else 'local'}"
    if not keys.required():
        limiter.check(client)
        return LOCAL
    if credentials is None:
        limiter.check(client)  # keyless requests share the caller's address bucket too
        raise ApiError(401, KEY_REQUIRED, headers=CHALLENGE)
    found = keys.authenticate(credentials.credentials)
    if found is None:
        # Failed attempts count against the caller's address: guessing keys is rate limited.
        limiter.check(client)
        raise ApiError(401, "unknown or revoked API key", headers=CHALLENGE)
    request.state.key_id = found.key_id
    limiter.check(f"key:{found.key_id}")
    return found


Caller = Annotated[Principal, Depends(principal)]


def document_optional_keys(app: FastAPI) -> None:
    """Say in the OpenAPI document that the bearer key is optional (``security`` lists
    ``{}`` beside it): a server with no key accepts requests without one, and clients
    generated from the document (or fuzzers checking that schema-violating requests are
    refused) must not take its absence for an invalid request."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = generate()
            for operations in schema.get("paths", {}).values():
                for operation in operations.values():
                    if operation.get("security") and {} not in operation["security"]:
                        operation["security"].append({})
        return app.openapi_schema or {}

    app.openapi = openapi  # type: ignore[method-assign]


async def scoped_user(
    caller: Caller,
    user_id: Annotated[str, Path(description="The user whose memories the request touches.")],
) -> str:
    """The path's user id, if the caller's key may touch it (403 otherwise).

    ``async`` because it only compares ids: FastAPI runs a sync dependency in a worker
    thread, a hop that costs more than the check.
    """
    if not caller.may_touch(user_id):
        raise ApiError(403, f"this API key may not access user {user_id!r}", field="user_id")
    return user_id


async def admin(caller: Caller) -> Principal:
    """The caller, if its key is admin (403 otherwise)."""
    if not caller.admin:
        raise ApiError(403, "this endpoint needs an admin API key")
    return caller


ScopedUser = Annotated[str, Depends(scoped_user)]
Admin = Annotated[Principal, Depends(admin)]
