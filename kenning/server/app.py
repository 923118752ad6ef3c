"""The application factory and ``kenning serve``'s runner."""

from __future__ import annotations

import ipaddress
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kenning import __version__
from kenning.errors import ConfigError
from kenning.memory import Memory
from kenning.server._auth import CHALLENGE, KEY_REQUIRED, document_optional_keys
from kenning.server._errors import CatchAllMiddleware, error_response, install_error_handlers
from kenning.server._limits import BodyLimitMiddleware, Limits, RateLimiter
from kenning.server._routes import ROUTERS
from kenning.server._task_routes import tasks as task_routes
from kenning.server._transfer_routes import transfer as transfer_routes
from kenning.server._user_routes import users as user_routes
from kenning.server.keys import LOCAL, ApiKeys, Principal
from kenning.store import Store

OPEN_NOTICE = "no API keys: open to local processes only"
WEB = Path(__file__).parent / "web"  # the page at "/": static files calling the same /v1 API


def create_app(
    memory: Memory,
    keys: ApiKeys | None = None,
    *,
    limits: Limits | None = None,
    host: str = "127.0.0.1",
) -> FastAPI:
    """The REST API on a ``Memory`` (which the caller closes); keys and limits default to
    the memory's store and settings. The MCP server is mounted at ``/mcp`` (streamable
    HTTP) under the same keys; ``host`` is where it is served (for the MCP transport's
    DNS-rebinding protection on localhost)."""
    from kenning.mcp import create_mcp_server

    limits = limits or Limits.from_settings(memory.settings)
    keys = keys or ApiKeys(memory.store)
    mcp = create_mcp_server(memory, allowed_users=mcp_scope)
    mcp_app = mcp.streamable_http_app(streamable_http_path="/", host=host)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # The model loads before uvicorn says "startup complete", never on a first request.
        memory.warm_up()
        # A mounted app's own lifespan does not run: the MCP session manager runs here.
        async with mcp.session_manager.run():
            yield
        memory.flush()  # buffered access statistics reach the store before shutdown

    app = FastAPI(
        title="Kenning",
        version=__version__,
        description="Long-term memory for LLM agents. Every /v1/users/{user_id} route needs an "
        "API key bound to that user (or admin), unless no key exists.",
        lifespan=lifespan,
    )
    app.state.memory = memory
    app.state.keys = keys
    app.state.limits = limits
    app.state.limiter = RateLimiter(limits.rate_limit)
    install_error_handlers(app)
    document_optional_keys(app)
    for router in ROUTERS:
        app.include_router(router)
    app.include_router(transfer_routes)
    app.include_router(user_routes)
    app.include_router(task_routes)
    app.mount("/mcp", KeyRequired(mcp_app, keys))
    app.mount("/web", StaticFiles(directory=WEB), name="web")

    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(WEB / "index.html")

    app.add_middleware(BodyLimitMiddleware, max_bytes=limits.max_body_bytes)
    app.add_middleware(ReadAfter, store=memory.store)
    app.add_middleware(CatchAllMiddleware)  # added last: the outermost
    return app


def mcp_scope(user_id: str, request: Any) -> bool:
    """Whether an MCP tool call may touch ``user_id``: the principal :class:`KeyRequired`
    found for the call's HTTP request must (every user when no key exists)."""
    found = getattr(request.state, "principal", None) if request is not None else None
    return isinstance(found, Principal) and found.may_touch(user_id)


def _bearer(scope: Scope) -> str:
    value = dict(scope["headers"]).get(b"authorization", b"").decode("latin-1")
    return value[7:].strip() if value[:7].lower() == "bearer " else ""


class KeyRequired:
    """ASGI wrapper: with API keys configured, a request without a valid one gets 401.

    The request's principal (``LOCAL`` when no key exists) is left in its state, where
    :func:`mcp_scope` reads it: each request is authenticated once.
    """

    def __init__(self, app: ASGIApp, keys: ApiKeys) -> None:
        self.app = app
        self.keys = keys

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            found = self.keys.authenticate(_bearer(scope)) if self.keys.required() else LOCAL
            if found is None:
                refused = error_response(401, KEY_REQUIRED, headers=CHALLENGE)
                await refused(scope, receive, send)
                return
            scope.setdefault("state", {})["principal"] = found
        await self.app(scope, receive, send)


READ_AFTER = "kenning-read-after"


class ReadAfter:
    """ASGI wrapper: a client reads its own writes through any server.

    Every response carries ``Kenning-Read-After``, a token for the writes the server has
    committed (with a read replica: a write-ahead-log position); a request that sends it
    back is answered from a replica only once the replica has replayed that far, else from
    the primary. Without a replica nothing is added: every read sees every write.
    """

    def __init__(self, app: ASGIApp, store: Store) -> None:
        self.app = app
        self.store = store

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        token = dict(scope["headers"]).get(READ_AFTER.encode(), b"").decode("latin-1")

        async def send_with_token(message: Message) -> None:
            written = (
                self.store.consistency_token() if message["type"] == "http.response.start" else None
            )
            if written is not None:
                message["headers"] = [
                    *message.get("headers", []),
                    (READ_AFTER.encode(), written.encode()),
                ]
            await send(message)

        # The token reaches the endpoint's thread: the thread pool copies the context.
        with self.store.read_after(token or None):
            await self.app(scope, receive, send_with_token)


def is_loopback(host: str) -> bool:
    """Whether ``host`` is a loopback address (or ``localhost``)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_binding(keys: ApiKeys, host: str) -> str | None:
    """Refuse a non-loopback address when no key exists; returns the notice to print, if any."""
    if keys.required():
        return None
    if not is_loopback(host):
        raise ConfigError(
            f"no API keys: refusing to listen on {host!r}; create one with "
            "`kenning keys create --user U` (or --admin), or listen on 127.0.0.1"
        )
    return OPEN_NOTICE


def run(memory: Memory, *, host: str, port: int, log_level: str = "info") -> None:
    """Serve the API until interrupted (blocking)."""
    import uvicorn

    app = create_app(memory, host=host)
    uvicorn.run(app, host=host, port=port, log_level=log_level)
