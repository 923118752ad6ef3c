"""The real server (uvicorn in a background thread) on a free localhost port, and helpers."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import uvicorn

from kenning import Memory
from kenning.server import ApiKeys, create_app


@dataclass
class Server:
    """A running server, its engine, and clients bound to a key (or none)."""

    url: str
    memory: Memory
    keys: ApiKeys
    clients: list[httpx.Client] = field(default_factory=list)

    def client(self, key: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        client = httpx.Client(base_url=self.url, headers=headers, timeout=30)
        self.clients.append(client)
        return client


@dataclass(frozen=True)
class Keys:
    """Secrets of the keys a keyed server starts with."""

    ana: str
    bob: str
    both: str
    admin: str
    revoked: str


ServerFactory = Callable[..., Server]
"""The ``make_server`` fixture: ``(setup=None, **settings) -> Server``."""


def serve(memory: Memory, keys: ApiKeys) -> Iterator[Server]:
    # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY on accepted connections only when the
    # listening socket says it is TCP, and without it every small response stalls ~40 ms
    # (Nagle's algorithm meeting the client's delayed ACK).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        create_app(memory, keys), log_level="warning", lifespan="on", access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "server did not start"
        time.sleep(0.01)
    running = Server(url=f"http://127.0.0.1:{port}", memory=memory, keys=keys)
    try:
        yield running
    finally:
        for client in running.clients:
            client.close()
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def error_of(response: httpx.Response, status: int) -> dict[str, Any]:
    """The JSON error of a response, after checking its status and shape."""
    assert response.status_code == status, (response.status_code, response.text)
    body = response.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"type", "message", "field"}, body
    assert "Traceback" not in response.text
    error: dict[str, Any] = body["error"]
    return error
