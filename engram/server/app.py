"""The application factory and ``engram serve``'s runner."""

from __future__ import annotations

import ipaddress
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from engram import __version__
from engram.errors import ConfigError
from engram.memory import Memory
from engram.server._errors import CatchAllMiddleware, install_error_handlers
from engram.server._limits import BodyLimitMiddleware, Limits, RateLimiter
from engram.server._routes import ROUTERS
from engram.server.keys import ApiKeys

OPEN_NOTICE = "no API keys: open to local processes only"


def create_app(
    memory: Memory, keys: ApiKeys | None = None, *, limits: Limits | None = None
) -> FastAPI:
    """The REST API on a ``Memory`` (which the caller closes); keys and limits default to
    the memory's store and settings."""
    limits = limits or Limits.from_settings(memory.settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        memory.flush()  # buffered access statistics reach the store before shutdown

    app = FastAPI(
        title="Engram",
        version=__version__,
        description="Long-term memory for LLM agents. Every /v1/users/{user_id} route needs an "
        "API key bound to that user (or admin), unless no key exists.",
        lifespan=lifespan,
    )
    app.state.memory = memory
    app.state.keys = keys or ApiKeys(memory.store)
    app.state.limits = limits
    app.state.limiter = RateLimiter(limits.rate_limit)
    install_error_handlers(app)
    for router in ROUTERS:
        app.include_router(router)
    app.add_middleware(BodyLimitMiddleware, max_bytes=limits.max_body_bytes)
    app.add_middleware(CatchAllMiddleware)  # added last: the outermost
    return app


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
            "`engram keys create --user U` (or --admin), or listen on 127.0.0.1"
        )
    return OPEN_NOTICE


def run(memory: Memory, *, host: str, port: int, log_level: str = "info") -> None:
    """Serve the API until interrupted (blocking)."""
    import uvicorn

    app = create_app(memory)
    uvicorn.run(app, host=host, port=port, log_level=log_level)
