"""Three ``kenning serve`` processes on one PostgreSQL database, clients spreading their
requests over them round robin: no acknowledged message is lost or stored twice, every
server sees the others' writes at its next call, and a hard forget through one server is in
no answer of the others."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from itertools import cycle
from pathlib import Path

import httpx
import pytest

from concurrency.server_process import servers as running
from kenning.testing.postgres import LocalPostgres

pytestmark = pytest.mark.slow

SERVERS = 3
CLIENTS = 6
ADDS = 20
USERS = ("ana", "bo", "cy")


@pytest.fixture
def servers(local_postgres: LocalPostgres, tmp_path: Path) -> Iterator[list[str]]:
    url = local_postgres.create_database()
    try:
        with running(url, SERVERS, tmp_path) as bases:
            yield bases
    finally:
        local_postgres.drop_database(url)


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
