"""The MCP server mounted on the REST server at /mcp (streamable HTTP), under the same keys."""

from __future__ import annotations

from typing import Any

import anyio
import httpx
import httpx2
import pytest
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from serving import Keys, Server


def _text(result: Any) -> str:
    return " ".join(getattr(part, "text", "") for part in result.content)


async def _session_calls(url: str, key: str) -> tuple[Any, Any, Any]:
    async with (
        httpx2.AsyncClient(headers={"Authorization": f"Bearer {key}"}) as http,
        streamable_http_client(url, http_client=http) as (read, write),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        tools = await session.list_tools()
        await session.call_tool("remember", {"text": "My sister lives in Lisbon", "user_id": "ana"})
        found = await session.call_tool(
            "recall", {"query": "where does my sister live?", "user_id": "ana"}
        )
        refused = await session.call_tool("recall", {"query": "sister", "user_id": "bob"})
        return tools, found, refused


def test_mcp_over_http_uses_the_api_keys(keyed: tuple[Server, Keys]) -> None:
    server, keys = keyed
    url = server.url + "/mcp/"

    async def main() -> tuple[Any, Any, Any]:
        with anyio.fail_after(30):
            return await _session_calls(url, keys.ana)

    tools, found, refused = anyio.run(main)
    assert {"remember", "recall", "forget", "list_memories"} <= {t.name for t in tools.tools}
    assert "Lisbon" in _text(found)
    assert refused.is_error and "scope" in _text(refused)
    # What the MCP session stored is the same memory the REST API serves.
    rest = server.client(keys.ana).post("/v1/users/ana/search", json={"query": "sister Lisbon"})
    assert any("Lisbon" in h["memory"]["text"] for h in rest.json()["hits"])
    # Without a valid key the MCP endpoint answers 401 before any MCP exchange.
    for headers in (
        {},
        {"Authorization": "Bearer wrong"},
        {"Authorization": f"Bearer {keys.revoked}"},
    ):
        answer = httpx.post(url, headers=headers, json={}, timeout=10)
        assert answer.status_code == 401
        assert answer.json()["error"]["type"] == "unauthorized"


@pytest.mark.parametrize("path", ["/mcp", "/mcp/"])
def test_mcp_mount_is_reachable_without_keys_locally(open_server: Server, path: str) -> None:
    async def main() -> Any:
        with anyio.fail_after(30):
            async with (
                httpx2.AsyncClient(follow_redirects=True) as http,
                streamable_http_client(open_server.url + path, http_client=http) as (read, write),
                ClientSession(read, write) as session,
            ):
                await session.initialize()
                return await session.call_tool("list_memories", {"user_id": "ana"})

    listed = anyio.run(main)
    assert not listed.is_error
