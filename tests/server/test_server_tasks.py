"""Task memory over REST (issue 17), on the real server: a whole task through
``/v1/users/{user_id}/tasks``, isolation between users and tasks, strict input."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from serving import Keys, Server, error_of

TASKS = "/v1/users/ana/tasks"


def _post(client: httpx.Client, path: str, body: dict[str, Any], status: int = 201) -> Any:
    response = client.post(path, json=body)
    assert response.status_code == status, (path, response.status_code, response.text)
    return response.json()


def build_trip(client: httpx.Client, user: str = "ana") -> dict[str, Any]:
    """A task with nested subgoals, a dependency chain and a closed subgoal; the ids."""
    base = f"/v1/users/{user}/tasks"
    task = _post(client, base, {"goal": "Plan a trip to Lisbon", "agent_id": "planner"})
    t = f"{base}/{task['id']}"
    ids: dict[str, Any] = {"task": task["id"], "base": t}
    ids["ferries"] = _post(client, f"{t}/subgoals", {"text": "Find ferries"})["id"]
    ids["search"] = _post(
        client,
        f"{t}/steps",
        {
            "text": "search 'ferry timetables'",
            "kind": "tool_call",
            "data": {"tool": "search", "result": "14 results, first Porto-Lisbon 08:15"},
        },
    )["id"]
    _post(client, f"{t}/steps", {"text": "the 08:15 ferry is cheapest", "kind": "observation"})
    ids["closed"] = _post(
        client, f"{t}/steps/{ids['ferries']}/close", {"outcome": "take the 08:15 ferry"}, 200
    )
    ids["hotel"] = _post(client, f"{t}/subgoals", {"text": "Book a hotel"})["id"]
    ids["budget"] = _post(client, f"{t}/steps", {"text": "set budget=120"})["id"]
    ids["filter"] = _post(
        client, f"{t}/steps", {"text": "filter hotels under 120", "depends_on": [ids["budget"]]}
    )["id"]
    ids["reviews"] = _post(client, f"{t}/subgoals", {"text": "Check reviews"})["id"]
    ids["read"] = _post(
        client,
        f"{t}/steps",
        {"text": "read reviews of Hotel Sol", "kind": "note", "depends_on": [ids["filter"]]},
    )["id"]
    return ids


def test_a_whole_task_over_rest(open_server: Server) -> None:
    http = open_server.client()
    ids = build_trip(http)
    t = ids["base"]
    # The closed subgoal collapsed to its outcome; the tree nests under the open subgoals.
    assert ids["closed"]["status"] == "done"
    assert ids["closed"]["summary"] == "take the 08:15 ferry"
    tree = http.get(t).json()
    assert tree["task"]["goal"] == "Plan a trip to Lisbon" and tree["task"]["steps"] == 8
    steps = {s["id"]: s for s in tree["steps"]}
    assert [s["number"] for s in tree["steps"]] == list(range(1, 9))
    assert steps[ids["search"]]["parent_id"] == ids["ferries"]
    assert steps[ids["reviews"]]["parent_id"] == ids["hotel"]
    assert steps[ids["read"]]["parent_id"] == ids["reviews"]
    assert steps[ids["filter"]]["depends_on"] == [ids["budget"]]
    assert steps[ids["hotel"]]["status"] == "open"

    # A revision keeps the old step and flags every dependent, transitively, stale.
    revision = _post(
        http,
        f"{t}/steps/{ids['budget']}/revise",
        {"text": "set budget=150", "reason": "the budget went up"},
        200,
    )
    assert revision["revised"]["id"] == ids["budget"]
    assert revision["revised"]["status"] == "revised"
    assert revision["step"]["text"] == "set budget=150" and revision["step"]["number"] == 9
    assert [s["id"] for s in revision["stale"]] == [ids["filter"], ids["read"]]
    assert all("the budget went up" in s["stale_reason"] for s in revision["stale"])

    # The working context: the plan, the active path, the stale flags, within its budget.
    context = _post(http, f"{t}/context", {"budget_tokens": 400}, 200)
    text = context["text"]
    assert context["tokens"] <= context["budget_tokens"] == 400
    assert "# Task: Plan a trip to Lisbon" in text
    assert "[done] #1 Find ferries — take the 08:15 ferry (steps #2-#3)" in text
    assert "[open] #4 Book a hotel" in text and "[open] #7 Check reviews" in text
    assert "#6, #8 STALE: #5 was revised by #9: the budget went up" in text
    assert "search 'ferry timetables'" not in text  # collapsed into its summary
    assert [s["id"] for s in context["collapsed"]] == [ids["ferries"]]
    assert {s["id"] for s in context["stale"]} == {ids["filter"], ids["read"]}
    # A small budget keeps the goal and the plan and leaves steps out.
    small = _post(http, f"{t}/context", {"budget_tokens": 40}, 200)
    assert small["tokens"] <= 40 and small["omitted"] > 0
    assert small["text"].startswith("# Task: Plan a trip to Lisbon")

    # Resolving clears a stale flag; expand and search bring collapsed steps back.
    resolved = _post(http, f"{t}/steps/{ids['read']}/resolve", {}, 200)
    assert resolved["stale_reason"] is None
    expanded = http.get(f"{t}/steps/{ids['ferries']}/expand").json()["items"]
    assert [s["number"] for s in expanded] == [2, 3]
    assert expanded[0]["data"]["result"] == "14 results, first Porto-Lisbon 08:15"
    found = _post(http, f"{t}/search", {"query": "ferry timetables", "limit": 3}, 200)["items"]
    assert found[0]["id"] == ids["search"]
    depended = _post(http, f"{t}/steps/{ids['read']}/depend", {"on": [ids["search"]]}, 200)
    assert ids["search"] in depended["depends_on"]

    # Closing a subgoal as failed, then finishing: lessons reach long-term memory.
    failed = _post(
        http,
        f"{t}/steps/{ids['reviews']}/close",
        {"outcome": "every review site was down", "failed": True},
        200,
    )
    assert failed["status"] == "failed"
    done = _post(http, f"{t}/finish", {"outcome": "booked Hotel Sol for 140"}, 200)
    assert done["status"] == "done" and done["outcome"] == "booked Hotel Sol for 140"
    assert http.get(t).json()["task"]["status"] == "done"
    steps = {s["id"]: s for s in http.get(t).json()["steps"]}
    assert steps[ids["hotel"]]["status"] == "done"  # open subgoals closed by finish
    hits = _post(http, "/v1/users/ana/search", {"query": "Hotel Sol booked review sites"}, 200)
    texts = [h["memory"]["text"] for h in hits["hits"]]
    assert any("booked Hotel Sol for 140" in x for x in texts), texts
    assert any("'Check reviews' failed: every review site was down" in x for x in texts), texts
    # A finished task takes no more steps, nor a second finish.
    error = error_of(http.post(f"{t}/steps", json={"text": "one more"}), 422)
    assert error["field"] == "task_id"
    error = error_of(http.post(f"{t}/finish", json={"outcome": "again", "failed": True}), 422)
    assert error["field"] == "task_id" and "done" in error["message"]
    assert http.get(t).json()["task"]["status"] == "done"

    listed = http.get(TASKS).json()["items"]
    assert [x["id"] for x in listed] == [ids["task"]]
    assert http.get(TASKS, params={"agent_id": "planner"}).json()["items"] == listed
    assert http.get(TASKS, params={"agent_id": "other"}).json()["items"] == []


def test_tasks_are_isolated_by_key_user_and_task(keyed: tuple[Server, Keys]) -> None:
    server, keys = keyed
    ana, bob = server.client(keys.ana), server.client(keys.bob)
    ids = build_trip(ana)
    other = _post(ana, TASKS, {"goal": "Another task"})
    bobs = _post(bob, "/v1/users/bob/tasks", {"goal": "Bob's task"})
    bob_step = _post(bob, f"/v1/users/bob/tasks/{bobs['id']}/subgoals", {"text": "Bob's subgoal"})
    t = ids["base"]

    # Another user's key: 403 on every route under ana.
    error = error_of(bob.get(t), 403)
    assert error["field"] == "user_id"
    error_of(bob.get(TASKS), 403)
    error_of(bob.post(f"{t}/steps/{ids['budget']}/revise", json={"text": "x", "reason": "y"}), 403)
    error_of(server.client().get(TASKS), 401)
    # Bob's task and step ids under ana's own path: not found, like missing ones.
    error_of(ana.get(f"{TASKS}/{bobs['id']}"), 404)
    error_of(ana.post(f"{TASKS}/{bobs['id']}/steps", json={"text": "sneak"}), 404)
    error_of(ana.get(f"{t}/steps/{bob_step['id']}/expand"), 404)
    error_of(ana.post(f"{t}/steps/{bob_step['id']}/close", json={}), 404)
    # Under bob's path with bob's key, ana's ids are not found either.
    error_of(bob.get(f"/v1/users/bob/tasks/{ids['task']}"), 404)
    bob_t = f"/v1/users/bob/tasks/{bobs['id']}"
    error_of(bob.post(f"{bob_t}/steps/{ids['budget']}/resolve", json={}), 404)
    # A step of another task of the same user is not found under this one.
    o = f"{TASKS}/{other['id']}"
    error_of(ana.post(f"{o}/steps/{ids['hotel']}/close", json={}), 404)
    error_of(ana.post(f"{o}/steps/{ids['budget']}/revise", json={"text": "x", "reason": "y"}), 404)
    error_of(ana.get(f"{o}/steps/{ids['ferries']}/expand"), 404)
    error_of(ana.post(f"{o}/steps/{ids['read']}/depend", json={"on": [ids["filter"]]}), 404)
    # Dependencies and parents must be steps of the same task.
    error = error_of(ana.post(f"{o}/steps", json={"text": "x", "depends_on": [ids["budget"]]}), 422)
    assert error["field"] == "depends_on"
    error = error_of(ana.post(f"{o}/subgoals", json={"text": "x", "parent_id": ids["hotel"]}), 422)
    assert error["field"] == "parent_id"
    # Nothing of ana's task changed; bob sees only his own task.
    steps = {s["id"]: s for s in ana.get(t).json()["steps"]}
    assert steps[ids["budget"]]["status"] == "recorded"
    assert steps[ids["hotel"]]["status"] == "open"
    assert [x["id"] for x in bob.get("/v1/users/bob/tasks").json()["items"]] == [bobs["id"]]
    assert bob.get(bob_t).json()["steps"][0]["status"] == "open"


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/finish", {"outcome": "done", "failed": "yes"}, "failed"),
        ("/finish", {"outcome": "done", "failed": 1}, "failed"),
        ("/finish", {"failed": False}, "outcome"),
        ("/steps", {"text": "x", "kind": "subgoal"}, "kind"),
        ("/steps", {"text": "x", "kind": "thought"}, "kind"),
        ("/steps", {"text": "x", "colour": "red"}, "colour"),
        ("/steps", {"text": "x", "data": [1, 2]}, "data"),
        ("/steps", {"text": "   "}, "text"),
        ("/subgoals", {"text": "x", "depends_on": "abc"}, "depends_on"),
        ("/context", {"budget_tokens": "500"}, "budget_tokens"),
        ("/context", {"budget_tokens": 5}, "budget_tokens"),
        ("/search", {"query": "x", "limit": 0}, "limit"),
        ("/search", {"query": "x", "limit": 500}, "limit"),
        ("/steps/STEP/close", {"failed": "true"}, "failed"),
        ("/steps/STEP/revise", {"text": "x"}, "reason"),
        ("/steps/STEP/depend", {"on": []}, "on"),
    ],
)
def test_task_input_is_strict(open_server: Server, path: str, body: Any, field: str) -> None:
    http = open_server.client()
    task = _post(http, TASKS, {"goal": "Strict"})
    step = _post(http, f"{TASKS}/{task['id']}/subgoals", {"text": "a subgoal"})
    url = f"{TASKS}/{task['id']}{path.replace('STEP', step['id'])}"
    error = error_of(http.post(url, json=body), 422)
    assert error["field"] == field, error
    # Nothing was changed by the refused request.
    after = http.get(f"{TASKS}/{task['id']}").json()
    assert after["task"]["status"] == "active"
    assert [(s["id"], s["status"]) for s in after["steps"]] == [(step["id"], "open")]


def test_unknown_ids_and_bad_starts_are_refused(open_server: Server) -> None:
    http = open_server.client()
    error_of(http.get(f"{TASKS}/nope"), 404)
    error_of(http.post(f"{TASKS}/nope/context", json={}), 404)
    error_of(http.post(f"{TASKS}/nope/finish", json={"outcome": "x"}), 404)
    error = error_of(http.post(TASKS, json={"goal": ""}), 422)
    assert error["field"] == "goal"
    error = error_of(http.post(TASKS, json={"goal": "x", "metadata": "not an object"}), 422)
    assert error["field"] == "metadata"
    error_of(http.post(TASKS, json={"goal": "x" * 200_000}), 413)
    task = _post(http, TASKS, {"goal": "Real"})
    error_of(http.post(f"{TASKS}/{task['id']}/steps/nope/resolve", json={}), 404)
    assert http.get(TASKS).json()["items"][0]["id"] == task["id"]
    assert len(http.get(TASKS).json()["items"]) == 1
