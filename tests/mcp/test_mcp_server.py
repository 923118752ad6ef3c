"""The MCP server end to end: ``python -m kenning.mcp`` as a real subprocess spoken to over
stdio with the SDK's client, and ``streamable_http_app`` served by uvicorn on localhost."""

from __future__ import annotations

import logging
import os
import socket
import sys
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest
from mcp import ClientSession, StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.types import CallToolResult, TextContent

from kenning import Memory
from kenning.mcp import approx_tokens, create_mcp_server, streamable_http_app
from kenning.testing import HashEmbedder

REPO = Path(__file__).resolve().parents[2]
TOOLS = {"remember", "recall", "forget", "list_memories"} | {
    f"task_{verb}"
    for verb in (
        "start",
        "open_subgoal",
        "record",
        "close_subgoal",
        "revise",
        "context",
        "expand",
        "finish",
    )
}

FACTS = [
    "I adopted a dog named Rex last spring",
    "My sister Lena lives in Lisbon and works as an architect",
    "I am allergic to peanuts, so no satay for me",
    "I play the cello in a community orchestra on Thursdays",
    "We are planning a trip to Japan in October to see the autumn leaves",
    "My favourite book is The Left Hand of Darkness by Ursula K. Le Guin",
]

KEY_USERS = {"Bearer key-ana": {"ana"}, "Bearer key-bob": {"bob"}}

Session = Callable[[ClientSession], Awaitable[None]]


def _server_env(db: str) -> dict[str, str]:
    """The environment of the server subprocess: this checkout first on the path, no model,
    the store a SQLite path or a PostgreSQL URL."""
    path = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p)
    store = "KENNING_DATABASE_URL" if "://" in db else "KENNING_DB_PATH"
    return {
        "PYTHONPATH": path,
        store: db,
        "KENNING_EMBEDDER": "hash",
        "KENNING_EMBEDDING_CACHE_PATH": "",
    }


@asynccontextmanager
async def _stdio_session(db: str, *args: str) -> AsyncIterator[ClientSession]:
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "kenning.mcp", *args], env=_server_env(db), cwd=REPO
    )
    with open(os.devnull, "w") as errlog:  # the server's INFO logs go to its stderr
        async with (
            stdio_client(params, errlog=errlog) as (read, write),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            yield session


def _run_stdio(db: str, body: Session, *args: str) -> None:
    """Run ``body`` against a fresh server; its failure is raised as is (not in a group)."""
    failures: list[Exception] = []

    async def main() -> None:
        with anyio.fail_after(25):
            async with _stdio_session(db, *args) as session:
                try:
                    await body(session)
                except Exception as exc:
                    failures.append(exc)

    anyio.run(main)
    if failures:
        raise failures[0]


def _text(result: CallToolResult) -> str:
    return "\n".join(c.text for c in result.content if isinstance(c, TextContent))


def _data(result: CallToolResult) -> dict[str, Any]:
    assert not result.is_error, _text(result)
    assert result.structured_content is not None
    return dict(result.structured_content)


async def _remember_all(session: ClientSession, user: str = "ana") -> list[str]:
    stored = _data(
        await session.call_tool(
            "remember",
            {"messages": [{"role": "user", "content": f} for f in FACTS], "user_id": user},
        )
    )
    assert len(stored["episode_ids"]) == len(FACTS)
    return list(stored["memory_ids"])


def test_tools_are_listed_with_descriptions_and_bounded_schemas(db_location: str) -> None:
    async def body(session: ClientSession) -> None:
        tools = {t.name: t for t in (await session.list_tools()).tools}
        assert set(tools) == TOOLS
        for tool in tools.values():
            assert tool.description and len(tool.description) > 80, tool.name
            assert tool.input_schema["type"] == "object"
            assert "user_id" in tool.input_schema["properties"]
            assert tool.output_schema is not None, tool.name
        recall = tools["recall"].input_schema
        assert recall["required"] == ["query"]
        assert recall["properties"]["token_budget"]["default"] == 800
        assert recall["properties"]["token_budget"]["maximum"] == 8000
        listing = tools["list_memories"].input_schema["properties"]
        assert listing["limit"]["maximum"] == 100
        assert tools["forget"].input_schema["required"] == ["memory_id"]
        assert tools["recall"].annotations is not None
        assert tools["recall"].annotations.read_only_hint is True

    _run_stdio(db_location, body)


def test_remember_recall_budget_pages_forget_and_errors(db_location: str) -> None:
    async def body(session: ClientSession) -> None:
        await _remember_all(session)
        said = {"content": "I moved to Porto", "timestamp": "2024-05-01T10:00:00Z"}
        first_time = {"messages": [said], "user_id": "ana", "session_id": "s1"}
        once = _data(await session.call_tool("remember", first_time))
        again = _data(await session.call_tool("remember", first_time))
        assert len(once["episode_ids"]) == 1 and once["duplicates"] == 0
        assert again["duplicates"] == 1 and again["episode_ids"] == []

        # remember -> recall: the text content carries what was stored.
        found = await session.call_tool(
            "recall", {"query": "what is my dog called?", "user_id": "ana"}
        )
        data = _data(found)
        assert "Rex" in _text(found)
        assert "Rex" in data["memories"][0]["text"]
        first = data["memories"][0]
        assert first["kind"] in {"turn", "fact"} and first["date"] and first["score"] > 0
        assert first["id"] in _text(found)
        # Another user sees nothing of Ana's.
        other = _data(await session.call_tool("recall", {"query": "dog Rex", "user_id": "bob"}))
        assert other["memories"] == []

        # The token budget bounds the rendered text: fewer and shorter items when tight.
        query = {"query": "tell me about my family, pets, hobbies and travel", "user_id": "ana"}
        wide = await session.call_tool("recall", {**query, "token_budget": 4000, "limit": 20})
        tight = await session.call_tool("recall", {**query, "token_budget": 50, "limit": 20})
        wide_data, tight_data = _data(wide), _data(tight)
        assert approx_tokens(_text(wide)) <= 4000
        assert approx_tokens(_text(tight)) <= 50
        assert tight_data["tokens"] == approx_tokens(_text(tight))
        assert len(wide_data["memories"]) >= 4
        assert len(tight_data["memories"]) < len(wide_data["memories"])
        assert tight_data["omitted"] > 0 and len(_text(tight)) < len(_text(wide))
        # Out-of-range arguments are rejected by the schema, as tool errors.
        too_small = await session.call_tool("recall", {**query, "token_budget": 5})
        assert too_small.is_error and "token_budget" in _text(too_small)

        # list_memories pages through everything once, in order, without overlap.
        seen: list[str] = []
        offset: int | None = 0
        pages = 0
        while offset is not None:
            page = _data(
                await session.call_tool(
                    "list_memories", {"user_id": "ana", "limit": 3, "offset": offset}
                )
            )
            assert len(page["memories"]) <= 3
            seen += [m["id"] for m in page["memories"]]
            offset = page["next_offset"]
            pages += 1
        assert len(seen) == len(set(seen)) > 6 and pages == -(-len(seen) // 3)
        facts = _data(await session.call_tool("list_memories", {"user_id": "ana", "kind": "fact"}))
        assert facts["memories"] and {m["kind"] for m in facts["memories"]} == {"fact"}
        too_many = await session.call_tool("list_memories", {"user_id": "ana", "limit": 101})
        assert too_many.is_error

        # Soft forget: the memory is archived and no longer recalled.
        rex_query = {"query": "what is my dog called?", "user_id": "ana"}
        top = first["id"]
        gone = _data(await session.call_tool("forget", {"memory_id": top, "user_id": "ana"}))
        assert top in gone["archived"] and gone["hard"] is False
        after = _data(await session.call_tool("recall", rex_query))
        assert top not in [m["id"] for m in after["memories"]]
        # Hard forget of what still mentions Rex erases its source message and all derived.
        left = [m["id"] for m in after["memories"] if "Rex" in m["text"]]
        assert left, "the source message of the archived memory is still recalled"
        erased = _data(
            await session.call_tool(
                "forget", {"memory_id": left[0], "user_id": "ana", "hard": True}
            )
        )
        assert erased["erased_episodes"] == 1 and erased["erased_memories"] >= 1
        assert "Rex" not in _text(await session.call_tool("recall", rex_query))

        # Kenning's errors are tool errors with the message, not tracebacks.
        missing = await session.call_tool("forget", {"memory_id": "no-such-id", "user_id": "ana"})
        assert missing.is_error
        assert "no-such-id" in _text(missing) and "not found" in _text(missing)
        assert "Traceback" not in _text(missing)
        # Ana's memory is not Bob's to forget.
        kept = _data(await session.call_tool("list_memories", {"user_id": "ana", "limit": 1}))
        anas = kept["memories"][0]["id"]
        foreign = await session.call_tool("forget", {"memory_id": anas, "user_id": "bob"})
        assert foreign.is_error and "not found" in _text(foreign)
        neither = await session.call_tool("remember", {"user_id": "ana"})
        assert neither.is_error and "exactly one of text or messages" in _text(neither)
        no_user = await session.call_tool("recall", {"query": "dog"})
        assert no_user.is_error and "user_id" in _text(no_user)

    _run_stdio(db_location, body)


def test_default_user_from_the_command_line(db_location: str) -> None:
    async def body(session: ClientSession) -> None:
        stored = _data(await session.call_tool("remember", {"text": "I live in Porto"}))
        assert stored["user_id"] == "ana"
        found = _data(await session.call_tool("recall", {"query": "where do I live?"}))
        assert found["user_id"] == "ana" and "Porto" in found["memories"][0]["text"]

    _run_stdio(db_location, body, "--user", "ana")


@pytest.fixture
def http_url(db_location: str) -> Iterator[str]:
    """``streamable_http_app`` served by uvicorn on a free localhost port, each call scoped
    by the bearer key of its HTTP request (as the REST server's API keys would)."""
    uvicorn = pytest.importorskip("uvicorn")
    memory = Memory(db_location, embedder=HashEmbedder())

    def key_allows(user: str, request: Any) -> bool:
        return user in KEY_USERS.get(request.headers.get("authorization", ""), ())

    app = streamable_http_app(memory, allowed_users=key_allows)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)  # TCP_NODELAY
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.02)
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
        memory.close()


def test_streamable_http_round_trip_and_user_check(http_url: str) -> None:
    async def main() -> None:
        headers = {"Authorization": "Bearer key-ana"}
        with anyio.fail_after(20):
            async with (
                httpx2.AsyncClient(headers=headers) as http,
                streamable_http_client(http_url, http_client=http) as (read, write),
                ClientSession(read, write) as session,
            ):
                await session.initialize()
                assert {t.name for t in (await session.list_tools()).tools} == TOOLS
                await _remember_all(session)
                found = await session.call_tool(
                    "recall", {"query": "where does my sister live?", "user_id": "ana"}
                )
                assert "Lisbon" in _text(found)
                refused = await session.call_tool("recall", {"query": "sister", "user_id": "bob"})
                assert refused.is_error and "outside this session's scope" in _text(refused)

    anyio.run(main)


def test_building_the_server_leaves_the_host_logging_alone(tmp_path: Path) -> None:
    """The SDK's server calls ``logging.basicConfig`` (INFO, rich); Kenning undoes it."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    root.handlers[:] = []  # as in a host that has not configured logging yet
    root.setLevel(logging.WARNING)
    try:
        with Memory(tmp_path / "m.db", embedder=HashEmbedder()) as memory:
            create_mcp_server(memory, default_user="ana")
        assert root.handlers == []
        assert root.level == logging.WARNING
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
