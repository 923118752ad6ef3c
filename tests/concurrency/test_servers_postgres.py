"""Three ``kenning serve`` processes on one PostgreSQL database, clients spreading their
requests over them round robin: no acknowledged message is lost or stored twice, every
server sees the others' writes at its next call, and a hard forget through one server is in
no answer of the others."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from itertools import cycle

import httpx
import pytest

from kenning.testing.postgres import LocalPostgres

pytestmark = pytest.mark.slow

SERVERS = 3
CLIENTS = 6
ADDS = 20
USERS = ("ana", "bo", "cy")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _start(url: str, port: int, log: object) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KENNING_")}
    env |= {
        "KENNING_EMBEDDER": "hash",
        "KENNING_EMBEDDING_CACHE_PATH": "",
        "KENNING_SERVER_RATE_LIMIT": "100000",
    }
    command = [sys.executable, "-m", "kenning.cli", "serve", "--host", "127.0.0.1"]
    return subprocess.Popen(
        [*command, "--port", str(port), "--db", url], env=env, stdout=log, stderr=log
    )


def _wait_ready(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert process.poll() is None, "a server exited while starting"
        try:
            if httpx.get(f"{base}/v1/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError(f"{base} did not start within 120 s")


@pytest.fixture
def servers(local_postgres: LocalPostgres, tmp_path: object) -> Iterator[list[str]]:
    url = local_postgres.create_database()
    processes: list[subprocess.Popen[bytes]] = []
    bases = []
    log = open(os.path.join(str(tmp_path), "servers.log"), "wb")  # noqa: SIM115
    try:
        for _ in range(SERVERS):
            port = _free_port()
            processes.append(_start(url, port, log))
            bases.append(f"http://127.0.0.1:{port}")
        for base, process in zip(bases, processes, strict=True):
            _wait_ready(base, process)
        yield bases
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)
        log.close()
        local_postgres.drop_database(url.rsplit("/", 1)[1].split("?", 1)[0])


def _client_adds(bases: list[str], client: int, acked: list[tuple[str, str]]) -> None:
    """One client: ADDS messages, each to the next server in turn, retried with its id."""
    rotation = cycle(bases[client % len(bases) :] + bases[: client % len(bases)])
    with httpx.Client(timeout=60) as http:
        for n in range(ADDS):
            user = USERS[(client + n) % len(USERS)]
            message = {"id": f"c{client}-n{n}", "content": f"client {client} note {n} kiwi{n}"}
            response = http.post(
                f"{next(rotation)}/v1/users/{user}/messages",
                json={"messages": [message], "session_id": f"c{client}"},
            )
            assert response.status_code == 201, response.text
            acked.append((user, message["id"]))


def _episode_keys(base: str, user: str) -> list[str]:
    keys: list[str] = []
    offset: int | None = 0
    while offset is not None:
        page = httpx.get(
            f"{base}/v1/users/{user}/episodes", params={"limit": 100, "offset": offset}
        ).json()
        keys += [e["idempotency_key"] for e in page["items"]]
        offset = page["next_offset"]
    return keys


def test_three_servers_lose_and_duplicate_nothing(servers: list[str]) -> None:
    acked: list[tuple[str, str]] = []
    threads = [
        threading.Thread(target=_client_adds, args=(servers, c, acked)) for c in range(CLIENTS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(acked) == CLIENTS * ADDS
    for user in USERS:
        # A message's id is its idempotency key (``id:<id>``).
        expected = sorted(f"id:{key}" for owner, key in acked if owner == user)
        for base in servers:  # every server answers from the one database
            keys = _episode_keys(base, user)
            assert sorted(keys) == expected, f"lost or duplicated messages of {user} on {base}"


def test_a_write_and_an_erase_through_one_server_reach_the_others(servers: list[str]) -> None:
    first, second, third = servers

    def search(base: str, query: str) -> str:
        response = httpx.post(
            f"{base}/v1/users/ana/search", json={"query": query, "kinds": ["turn"]}
        )
        assert response.status_code == 200, response.text
        return response.text

    httpx.post(f"{first}/v1/users/ana/messages", json={"messages": ["I like green tea"]})
    for base in servers:
        assert "green tea" in search(base, "green tea")  # each server loads the scope
    added = httpx.post(f"{second}/v1/users/ana/messages", json={"messages": ["My PIN is 4711"]})
    turn = next(m for m in added.json()["memories"] if m["kind"] == "turn")
    assert "4711" in search(first, "PIN") and "4711" in search(third, "PIN")
    erased = httpx.post(f"{third}/v1/users/ana/memories/{turn['id']}/forget", json={"hard": True})
    assert erased.status_code == 200, erased.text
    for base in servers:
        assert "4711" not in search(base, "what is my PIN")
        listed = httpx.get(f"{base}/v1/users/ana/memories", params={"limit": 500}).text
        assert "4711" not in listed and "green tea" in listed
