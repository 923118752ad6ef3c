"""Fixtures: the real server (uvicorn in a background thread) on a free localhost port.

Each test gets its own database (hash embedder, no embedding cache) and its own server;
tests talk to it over HTTP with httpx, exactly as an agent would.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from serving import Keys, Server, ServerFactory, serve

from kenning import Memory, Settings
from kenning.server import ApiKeys


@pytest.fixture
def make_server(new_database: Callable[[], str]) -> Iterator[ServerFactory]:
    """Start a server on a fresh database (of each backend); ``setup(keys)`` runs before it
    starts."""
    stack: list[Iterator[Server]] = []
    memories: list[Memory] = []

    def start(setup: Callable[[ApiKeys], Any] | None = None, **overrides: Any) -> Server:
        settings = Settings(embedder="hash", embedding_cache_path="", **overrides)
        memory = Memory(new_database(), settings=settings)
        memories.append(memory)
        keys = ApiKeys(memory.store)
        if setup is not None:
            setup(keys)
        running = serve(memory, keys)
        stack.append(running)
        return next(running)

    try:
        yield start
    finally:
        for running in reversed(stack):
            running.close()
        for memory in memories:
            memory.close()


@pytest.fixture
def open_server(make_server: ServerFactory) -> Server:
    """A server with no API keys (local access, no authentication)."""
    return make_server()


@pytest.fixture
def keyed(make_server: ServerFactory) -> tuple[Server, Keys]:
    """A server with keys for ana, bob, both, an admin, and a revoked one."""
    made: dict[str, str] = {}

    def setup(keys: ApiKeys) -> None:
        made["ana"] = keys.create(users=["ana"], name="ana's agent")
        made["bob"] = keys.create(users=["bob"])
        made["both"] = keys.create(users=["ana", "bob"])
        made["admin"] = keys.create(admin=True)
        made["revoked"] = keys.create(users=["ana"], name="old")
        keys.revoke(next(k.id for k in keys.list() if k.name == "old"))

    server = make_server(setup)
    return server, Keys(**made)
