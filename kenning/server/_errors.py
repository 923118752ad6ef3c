"""Every error as JSON ``{"error": {"type", "message", "field"}}``, never a stack trace.

Domain exceptions map to statuses in one place (:func:`install_error_handlers`); anything
unexpected becomes a 500 with a generic message, logged with the request's context.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, cast

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kenning.errors import Conflict, KenningError, NotFound, ValidationError
from kenning.server._schemas import UNION_TAGS

log = logging.getLogger("kenning.server")

_TYPES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    422: "invalid_request",
    429: "rate_limited",
    500: "internal_error",
}


class ApiError(Exception):
    """An error answered as it is: status, type, message and the field it concerns."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str | None = None,
        field: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.type = type  # None: the status's own (see error_response)
        self.message = message
        self.field = field
        self.headers = headers


def error_response(
    status: int,
    message: str,
    *,
    type: str | None = None,
    field: str | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = {
        "error": {"type": type or _TYPES.get(status, "error"), "message": message, "field": field}
    }
    return JSONResponse(body, status_code=status, headers=headers)


def _context(request: Request) -> str:
    key = getattr(request.state, "key_id", None)
    return f"{request.method} {request.url.path} (key {key or '-'})"


def _kenning_error(request: Request, exc: Exception) -> JSONResponse:
    if isinstance(exc, Conflict):
        return error_response(409, exc.message, field=exc.field)
    if isinstance(exc, ValidationError):
        # A value the schema allows but Memory refuses: as invalid as one the schema refuses.
        return error_response(422, exc.message, type="validation_error", field=exc.field)
    if isinstance(exc, NotFound):
        return error_response(404, str(exc))
    # StoreError, EmbeddingError, ConfigError...: the server's problem, not the caller's.
    log.error("%s failed: %s", _context(request), exc, exc_info=exc)
    return error_response(500, "internal error")


def _api_error(request: Request, exc: Exception) -> JSONResponse:
    exc = cast(ApiError, exc)  # registered for ApiError only
    return error_response(
        exc.status, exc.message, type=exc.type, field=exc.field, headers=exc.headers
    )


_WHERE = ("body", "query", "path", "header", "cookie")


def _field(loc: Sequence[Any]) -> str | None:
    """``messages[0].content`` from pydantic's ``("body", "messages", "as-list", 0,
    "as-message", "content")``: the first element says where (body, query, path, header),
    union tags are left out, list positions are indexes, as ``Memory``'s errors name them."""
    out = ""
    for part in loc[1:] if loc and loc[0] in _WHERE else loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part not in UNION_TAGS:
            out += f".{part}" if out else str(part)
    return out or None


def _request_validation(request: Request, exc: Exception) -> JSONResponse:
    problems = cast(RequestValidationError, exc).errors()
    if any(p.get("type") == "json_invalid" for p in problems):
        return error_response(400, "the request body is not valid JSON", type="invalid_json")
    first = problems[0] if problems else {"loc": (), "msg": "invalid request"}
    message = "; ".join(f"{_field(p['loc']) or 'request'}: {p['msg']}" for p in problems[:5])
    return error_response(422, message, field=_field(first["loc"]))


def _http_error(request: Request, exc: Exception) -> JSONResponse:
    exc = cast(StarletteHTTPException, exc)
    message = exc.detail if isinstance(exc.detail, str) else "request failed"
    if exc.status_code == 404 and message == "Not Found":
        message = f"no such endpoint: {request.method} {request.url.path}"
    return error_response(exc.status_code, message, headers=getattr(exc, "headers", None))


def install_error_handlers(app: FastAPI) -> None:
    """Map every exception the routes may raise to its JSON error."""
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(KenningError, _kenning_error)
    app.add_exception_handler(RequestValidationError, _request_validation)
    app.add_exception_handler(StarletteHTTPException, _http_error)


class CatchAllMiddleware:
    """Turns an unexpected exception into a generic 500 (logged with context), never a trace."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception:
            key = scope.get("state", {}).get("key_id")
            log.exception(
                "internal error on %s %s (key %s)", scope["method"], scope["path"], key or "-"
            )
            if not started:
                await error_response(500, "internal error")(scope, receive, send)
