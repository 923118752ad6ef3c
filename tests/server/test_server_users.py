"""``/v1/users``: listing users (admin), a user's sessions, erasing a user (confirmed), over
HTTP against the real server, and through ``RemoteMemory``."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from serving import Keys, Server

from kenning import ForgetResult, NotFound, SessionSummary, UserSummary
from kenning.client import AccessDenied, RemoteMemory

T0 = datetime(2024, 1, 10, 9, 0, tzinfo=UTC)
SECRET = "Zyxwvut-7731"


def _fill(http: httpx.Client) -> None:
    for user, session, texts in (
        ("ana", "s1", ["Hello there", f"I live in {SECRET} now"]),
        ("ana", "s2", ["We fly to Lisbon on Friday"]),
        ("bob", None, ["Bob keeps bees on the roof"]),
    ):
        response = http.post(
            f"/v1/users/{user}/messages",
            json={"messages": texts, "session_id": session, "timestamp": T0.isoformat()},
        )
        assert response.status_code == 201, response.text


def test_users_and_sessions_are_listed(open_server: Server) -> None:
    http = open_server.client()
    _fill(http)
    page = http.get("/v1/users").json()
    assert [u["user_id"] for u in page["items"]] == ["ana", "bob"]
    assert page["next_offset"] is None
    ana = page["items"][0]
    assert ana["episodes"] == 3 and ana["memories"] > 3
    assert ana["first_at"].startswith("2024-01-10T09:00:00")
    first = http.get("/v1/users", params={"limit": 1}).json()
    assert [u["user_id"] for u in first["items"]] == ["ana"] and first["next_offset"] == 1
    second = http.get("/v1/users", params={"limit": 1, "offset": 1}).json()
    assert [u["user_id"] for u in second["items"]] == ["bob"] and second["next_offset"] is None

    sessions = http.get("/v1/users/ana/sessions").json()["items"]
    assert {s["session_id"]: s["episodes"] for s in sessions} == {"s1": 2, "s2": 1}
    assert all(s["memories"] >= s["episodes"] for s in sessions)
    assert http.get("/v1/users/nobody/sessions").json() == {"items": []}
    assert http.get("/v1/users", params={"limit": 0}).status_code == 422


def test_deleting_a_user_needs_confirmation_and_erases_it(open_server: Server) -> None:
    http = open_server.client()
    _fill(http)
    for params in ({}, {"confirm": "yes"}, {"confirm": "1"}, {"confirm": "false"}):
        refused = http.delete("/v1/users/ana", params=params)
        assert refused.status_code == 422, (params, refused.text)
        assert refused.json()["error"]["type"] == "invalid_request"
    assert http.get("/v1/users/ana/sessions").json()["items"]  # nothing was erased

    done = http.delete("/v1/users/ana", params={"confirm": "true"})
    assert done.status_code == 200, done.text
    assert done.json()["erased_episodes"] == 3 and done.json()["erased_memories"] > 3
    assert [u["user_id"] for u in http.get("/v1/users").json()["items"]] == ["bob"]
    found = http.post("/v1/users/ana/search", json={"query": f"live {SECRET}"}).json()
    assert found["hits"] == []
    assert http.get("/v1/users/ana/memories").json()["items"] == []
    again = http.delete("/v1/users/ana", params={"confirm": "true"})
    assert again.status_code == 404 and again.json()["error"]["type"] == "not_found"
    assert http.post("/v1/users/bob/search", json={"query": "bees"}).json()["hits"]


def test_listing_users_needs_admin_and_deleting_needs_the_users_key(
    keyed: tuple[Server, Keys],
) -> None:
    server, keys = keyed
    _fill(server.client(keys.admin))
    assert server.client().get("/v1/users").status_code == 401
    for key in (keys.ana, keys.both):
        response = server.client(key).get("/v1/users")
        assert response.status_code == 403, response.text
        assert response.json()["error"]["type"] == "forbidden"
    assert server.client(keys.admin).get("/v1/users").status_code == 200
    assert server.client(keys.bob).get("/v1/users/ana/sessions").status_code == 403
    assert server.client(keys.ana).get("/v1/users/ana/sessions").status_code == 200
    refused = server.client(keys.bob).delete("/v1/users/ana", params={"confirm": "true"})
    assert refused.status_code == 403
    assert server.client(keys.admin).get("/v1/users/ana/sessions").json()["items"]
    done = server.client(keys.ana).delete("/v1/users/ana", params={"confirm": "true"})
    assert done.status_code == 200, done.text
    assert server.client(keys.admin).get("/v1/users/ana/sessions").json()["items"] == []


def test_remote_memory_lists_and_deletes_users(keyed: tuple[Server, Keys]) -> None:
    server, keys = keyed
    with RemoteMemory(server.url, api_key=keys.admin) as admin:
        for n in range(3):
            admin.add(f"message {n}", user_id=f"user{n}", session_id="s", timestamp=T0)
        users = admin.users()
        assert all(isinstance(u, UserSummary) for u in users)
        assert [u.user_id for u in users] == ["user0", "user1", "user2"]
        assert [u.user_id for u in admin.users(limit=2, offset=1)] == ["user1", "user2"]
        sessions = admin.sessions(user_id="user1")
        assert sessions == [
            SessionSummary(session_id="s", episodes=1, memories=2, first_at=T0, last_at=T0)
        ]
        erased = admin.delete_user("user1")
        assert isinstance(erased, ForgetResult) and erased.erased_episodes == 1
        assert [u.user_id for u in admin.users()] == ["user0", "user2"]
        with pytest.raises(NotFound):
            admin.delete_user("user1")
    with RemoteMemory(server.url, api_key=keys.ana) as ana, pytest.raises(AccessDenied):
        ana.users()


def test_the_users_routes_are_documented(open_server: Server) -> None:
    paths = open_server.client().get("/openapi.json").json()["paths"]
    assert set(paths["/v1/users"]) == {"get"}
    assert set(paths["/v1/users/{user_id}/sessions"]) == {"get"}
    assert "delete" in paths["/v1/users/{user_id}"]
    confirm = next(
        p for p in paths["/v1/users/{user_id}"]["delete"]["parameters"] if p["name"] == "confirm"
    )
    assert confirm["required"] is True
