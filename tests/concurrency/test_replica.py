"""A streaming read replica serves reads; a client reads its own writes through any server.

Replay on the replica is paused to make it lag for as long as a test needs (deterministic,
no sleeping): a reader that must see a write then reads the primary; one that need not is
answered from the replica, which shows the replica is really used.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from rawdb import raw_sql

from concurrency.server_process import servers
from kenning import Memory
from kenning.client import RemoteMemory
from kenning.store import PostgresStore
from kenning.testing import HashEmbedder
from kenning.testing.postgres import LocalPostgres, StreamingReplica, database_name

pytestmark = pytest.mark.slow


@pytest.fixture
def urls(
    local_postgres: LocalPostgres, local_replica: StreamingReplica
) -> Iterator[tuple[str, str]]:
    primary = local_postgres.create_database()
    _wait_replayed(local_replica.url(), primary)  # the new database reached the replica
    try:
        yield primary, local_replica.url(database_name(primary))
    finally:
        local_postgres.drop_database(primary)


def _wait_replayed(replica: str, primary: str) -> None:
    """Until the replica (any database URL on it) has replayed everything the primary wrote
    so far."""
    target = raw_sql(primary, "SELECT pg_current_wal_lsn()")[0][0]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        caught_up = raw_sql(replica, "SELECT pg_last_wal_replay_lsn() >= ?::pg_lsn", (target,))
        if caught_up[0][0]:
            return
        time.sleep(0.05)
    raise AssertionError("the replica did not catch up within 60 s")


@contextmanager
def paused(replica: str) -> Iterator[None]:
    raw_sql(replica, "SELECT pg_wal_replay_pause()")
    try:
        yield
    finally:
        raw_sql(replica, "SELECT pg_wal_replay_resume()")


def _texts(memory: Memory, user: str) -> list[str]:
    return [item.text for item in memory.get_all(user_id=user, kinds="turn")]


def test_reads_go_to_a_caught_up_replica_and_to_the_primary_otherwise(
    urls: tuple[str, str],
) -> None:
    primary, replica = urls
    with Memory(primary, embedder=HashEmbedder()) as setup:
        setup.add("I like green tea", user_id="ana")
    _wait_replayed(replica, primary)
    writer = PostgresStore(primary, replica_url=replica)
    reader = PostgresStore(primary, replica_url=replica)
    with (
        Memory(store=writer, embedder=HashEmbedder()) as a,
        Memory(store=reader, embedder=HashEmbedder()) as b,
    ):
        assert _texts(b, "ana") == ["I like green tea"]
        assert reader.replica_reads > 0  # served by the replica
        with paused(replica):
            a.add("My PIN is 4711", user_id="ana")
            before = writer.replica_reads
            assert "My PIN is 4711" in _texts(a, "ana")  # its own write: from the primary
            assert "My PIN is 4711" in [h.memory.text for h in a.search("PIN", user_id="ana")]
            assert writer.replica_reads == before
            assert "My PIN is 4711" not in _texts(b, "ana")  # another reader: the lagging replica
            with reader.read_after(writer.consistency_token()):
                assert "My PIN is 4711" in _texts(b, "ana")  # with the writer's token
        _wait_replayed(replica, primary)
        assert "My PIN is 4711" in _texts(b, "ana")
    writer.close()
    reader.close()


def test_a_client_reads_its_own_writes_through_another_server(
    urls: tuple[str, str], tmp_path: Path
) -> None:
    primary, replica = urls
    with servers(primary, 3, tmp_path, database_read_url=replica) as (first, second, third):
        httpx.post(f"{first}/v1/users/ana/messages", json={"messages": ["I like green tea"]})
        _wait_replayed(replica, primary)
        with paused(replica), RemoteMemory([first, second]) as client:
            client.add("My PIN is 4711", user_id="ana")  # through the first server
            hits = client.search("PIN", user_id="ana")  # through the second
            assert "My PIN is 4711" in [h.memory.text for h in hits]
            # A client without the token is answered from the lagging replica (by a server
            # that has written nothing itself: a server reads its own writes too).
            plain = httpx.get(f"{third}/v1/users/ana/memories", params={"kind": "turn"})
            assert plain.status_code == 200
            # The texts, not the raw body: a timestamp's microseconds may spell 4711.
            texts = [item["text"] for item in plain.json()["items"]]
            assert texts == ["I like green tea"]
