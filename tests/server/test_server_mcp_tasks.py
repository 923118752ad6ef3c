"""The MCP task tools (issue 17) on the mounted endpoint, through the real MCP client and
the same API keys: a task driven by an agent, scoped to the key's users."""

from __future__ import annotations

from typing import Any

import anyio
import httpx2
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from serving import Keys, Server

TOOLS = {
    "task_start",
    "task_open_subgoal",
    "task_record",
    "task_close_subgoal",
    "task_revise",
    "task_context",
    "task_expand",
    "task_finish",
}


def _text(result: Any) -> str:
    return " ".join(getattr(part, "text", "") for part in result.content)


class Calls:
    """Tool calls of one session: ``ok`` returns the structured result of a call that must
    succeed, ``refused`` the text of one that must be a tool error."""

    def __init__(self, session: ClientSession) -> None:
        self.session = session

    async def ok(self, tool: str, **arguments: Any) -> dict[str, Any]:
        result = await self.session.call_tool(tool, {"user_id": "ana", **arguments})
        assert not result.is_error, (tool, _text(result))
        assert result.structured_content is not None, tool
        return dict(result.structured_content)

    async def refused(self, tool: str, **arguments: Any) -> str:
        result = await self.session.call_tool(tool, {"user_id": "ana", **arguments})
        assert result.is_error, (tool, result.structured_content)
        return _text(result)

    async def raw(self, tool: str, **arguments: Any) -> Any:
        return await self.session.call_tool(tool, arguments)


async def _drive(url: str, key: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    async with (
        httpx2.AsyncClient(headers={"Authorization": f"Bearer {key}"}) as http,
        streamable_http_client(url, http_client=http) as (read, write),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        out["tools"] = {t.name: t for t in (await session.list_tools()).tools}
        call = Calls(session)
        task = await call.ok("task_start", goal="Deploy the app", agent_id="ops")
        t = task["id"]
        build = await call.ok("task_open_subgoal", task_id=t, text="Build the image")
        apt = await call.ok(
            "task_record",
            task_id=t,
            text="apt-get install libpq",
            kind="tool_call",
            data={"tool": "shell", "result": "E: Unable to locate package libpq"},
        )
        fix = await call.ok(
            "task_record", task_id=t, text="pin psycopg to 3.2", depends_on=[apt["id"]]
        )
        out["nested"] = await call.ok("task_open_subgoal", task_id=t, text="Run the tests")
        out["build"], out["apt"], out["fix"] = build, apt, fix
        out["revision"] = await call.ok(
            "task_revise",
            task_id=t,
            step_id=apt["id"],
            text="apt-get install libpq-dev",
            reason="the package is libpq-dev",
        )
        out["closed"] = await call.ok(
            "task_close_subgoal", task_id=t, step_id=build["id"], outcome="image built"
        )
        context = await session.call_tool(
            "task_context", {"task_id": t, "user_id": "ana", "budget_tokens": 300}
        )
        out["context_text"] = _text(context)
        out["context"] = context.structured_content
        out["expanded"] = await call.ok("task_expand", task_id=t, step_id=build["id"])
        # Strict booleans, the key's scope, and steps named under their own task.
        out["failed_yes"] = await call.refused(
            "task_close_subgoal", task_id=t, step_id=build["id"], failed="yes"
        )
        out["bob"] = _text(await call.raw("task_start", goal="Bob's task", user_id="bob"))
        other = await call.ok("task_start", goal="Another task")
        out["other_task"] = await call.refused(
            "task_expand", task_id=other["id"], step_id=build["id"]
        )
        out["finished"] = await call.ok(
            "task_finish", task_id=t, outcome="deployed with libpq-dev", failed=False
        )
        out["again"] = await call.refused("task_record", task_id=t, text="one more")
        recall = await call.ok("recall", query="deploy libpq-dev deployed")
        out["recalled"] = [m["text"] for m in recall["memories"]]
    return out


def test_task_tools_over_mcp(keyed: tuple[Server, Keys]) -> None:
    server, keys = keyed

    async def main() -> dict[str, Any]:
        with anyio.fail_after(60):
            return await _drive(server.url + "/mcp/", keys.ana)

    out = anyio.run(main)
    tools = out["tools"]
    assert set(tools) >= TOOLS
    assert tools["task_close_subgoal"].input_schema["properties"]["failed"]["type"] == "boolean"
    assert tools["task_context"].output_schema is not None
    # Steps nest under the open subgoal; a revision flags the dependent stale.
    assert out["apt"]["parent_id"] == out["build"]["id"]
    assert out["nested"]["parent_id"] == out["build"]["id"]
    revision = out["revision"]
    assert revision["revised"]["status"] == "revised"
    assert [s["id"] for s in revision["stale"]] == [out["fix"]["id"]]
    assert "the package is libpq-dev" in revision["stale"][0]["stale_reason"]
    # Closing the outer subgoal closes the nested one too, collapsed to the outcome.
    assert out["closed"]["status"] == "done" and out["closed"]["summary"] == "image built"
    # The context: text as content, the TaskContext fields as structured content.
    text, context = out["context_text"], out["context"]
    assert context["text"] == text and context["tokens"] <= 300
    assert "# Task: Deploy the app" in text
    assert "[done] #1 Build the image — image built" in text
    assert "#3 STALE: #2 was revised by #5: the package is libpq-dev" in text
    assert [s["id"] for s in context["collapsed"]] == [out["build"]["id"]]
    assert [s["id"] for s in context["stale"]] == [out["fix"]["id"]]
    assert context["task"]["goal"] == "Deploy the app"
    numbers = [s["number"] for s in out["expanded"]["steps"]]
    assert numbers == [2, 3, 4, 5], numbers
    # Refusals are tool errors; nothing leaked across users or tasks.
    assert "failed" in out["failed_yes"]
    assert "scope" in out["bob"]
    assert "not found" in out["other_task"]
    assert "done" in out["again"]
    assert out["finished"]["status"] == "done"
    assert any("deployed with libpq-dev" in text for text in out["recalled"]), out["recalled"]
    # What the agent did over MCP is the same task the REST API serves.
    rest = server.client(keys.ana).get(f"/v1/users/ana/tasks/{context['task']['id']}").json()
    assert rest["task"]["status"] == "done" and len(rest["steps"]) == 5
    assert server.client(keys.bob).get("/v1/users/bob/tasks").json()["items"] == []
