"""``AsyncRemoteMemory`` reads its own writes through another server, as ``RemoteMemory`` does
(tests/concurrency/test_replica.py): the read-after token is shared code, sent back here too."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from concurrency.server_process import servers
from concurrency.test_replica import _wait_replayed, paused, urls  # noqa: F401  (a fixture)
from kenning import AsyncRemoteMemory

pytestmark = pytest.mark.slow


def test_an_async_client_reads_its_own_writes_through_another_server(
    urls: tuple[str, str],  # noqa: F811
    tmp_path: Path,
) -> None:
    primary, replica = urls
    with servers(primary, 3, tmp_path, database_read_url=replica) as (first, second, third):
        httpx.post(f"{first}/v1/users/ana/messages", json={"messages": ["I like green tea"]})
        _wait_replayed(replica, primary)

        async def run() -> list[str]:
            async with AsyncRemoteMemory([first, second]) as client:
                await client.add("My PIN is 4711", user_id="ana")  # through the first server
                hits = await client.search("PIN", user_id="ana")  # through the second
                return [h.memory.text for h in hits]

        with paused(replica):
            assert "My PIN is 4711" in asyncio.run(run())
            # Without the token, a server that wrote nothing answers from the lagging replica.
            plain = httpx.get(f"{third}/v1/users/ana/memories", params={"kind": "turn"})
            assert plain.status_code == 200
            # The texts, not the raw body: a timestamp's microseconds may spell 4711.
            texts = [item["text"] for item in plain.json()["items"]]
            assert texts == ["I like green tea"]
