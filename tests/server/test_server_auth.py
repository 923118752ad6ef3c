"""API keys and scope isolation: 401/403, and a probe of every path on another user's data."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from serving import Keys, Server, error_of

from kenning.server import hash_token


def _seed(server: Server, keys: Keys) -> dict[str, Any]:
    """Bob's data, written with bob's key: his memories, an episode and a fact."""
    bob = server.client(keys.bob)
    added = bob.post(
        "/v1/users/bob/messages",
        json={"messages": ["My bank PIN is 4321", "I live at 5 Elm Street"], "session_id": "b1"},
    )
    assert added.status_code == 201, added.text
    fact = bob.post(
        "/v1/users/bob/facts", json={"text": "Bob is allergic to nuts", "key": "bob.allergy"}
    )
    assert fact.status_code == 201
    body = added.json()
    return {
        "memory": body["memories"][0]["id"],
        "episode": body["episodes"][0]["id"],
        "fact": fact.json()["id"],
        "export": bob.get("/v1/users/bob/export").json(),
    }


def test_requests_need_a_valid_key_once_keys_exist(keyed: tuple[Server, Keys]) -> None:
    server, keys = keyed
    anonymous = server.client()
    missing = error_of(anonymous.get("/v1/users/ana/memories"), 401)
    assert missing["type"] == "unauthorized"
    assert anonymous.get("/v1/users/ana/memories").headers["WWW-Authenticate"] == "Bearer"
    assert error_of(server.client("egk_not-a-real-key").get("/v1/users/ana/memories"), 401)
    assert error_of(server.client("garbage").get("/v1/users/ana/memories"), 401)
    revoked = error_of(server.client(keys.revoked).get("/v1/users/ana/memories"), 401)
    assert "revoked" in revoked["message"]
    assert server.client().get("/v1/health").status_code == 200
    assert server.client(keys.ana).get("/v1/users/ana/memories").status_code == 200


def test_a_key_reaches_only_its_users(keyed: tuple[Server, Keys]) -> None:
    server, keys = keyed
    assert server.client(keys.both).get("/v1/users/ana/stats").status_code == 200
    assert server.client(keys.both).get("/v1/users/bob/stats").status_code == 200
    error = error_of(server.client(keys.ana).get("/v1/users/bob/stats"), 403)
    assert error["type"] == "forbidden" and error["field"] == "user_id"
    assert server.client(keys.admin).get("/v1/users/carol/stats").status_code == 200


def test_store_stats_need_an_admin_key(keyed: tuple[Server, Keys]) -> None:
    server, keys = keyed
    assert error_of(server.client(keys.ana).get("/v1/stats"), 403)["type"] == "forbidden"
    assert error_of(server.client(keys.both).get("/v1/stats"), 403)
    assert server.client(keys.admin).get("/v1/stats").status_code == 200


def test_keys_are_stored_as_hashes_and_use_is_recorded(keyed: tuple[Server, Keys]) -> None:
    server, keys = keyed
    server.client(keys.ana).get("/v1/users/ana/stats")
    stored = server.keys.list()
    assert all(k.hash != keys.ana and len(k.hash) == 64 for k in stored)
    ana = next(k for k in stored if k.hash == hash_token(keys.ana))
    assert ana.users == ("ana",) and not ana.admin and ana.last_used_at is not None
    assert keys.ana.startswith("egk_") and len(keys.ana) > 40


def test_a_key_created_while_running_turns_authentication_on(open_server: Server) -> None:
    client = open_server.client()
    assert client.get("/v1/users/ana/stats").status_code == 200
    secret = open_server.keys.create(users=["ana"])
    assert error_of(client.get("/v1/users/ana/stats"), 401)
    assert open_server.client(secret).get("/v1/users/ana/stats").status_code == 200
    # Revoking every key does not open the server again.
    open_server.keys.revoke(open_server.keys.list()[0].id)
    assert error_of(client.get("/v1/users/ana/stats"), 401)


# -- the cross-scope probe: ana's key against bob's data --------------------------------------
def _probes(ids: dict[str, Any]) -> list[tuple[str, str, dict[str, Any] | None]]:
    """Every endpoint, aimed at bob: by bob's path, and by bob's ids under ana's path."""
    memory, episode, fact = ids["memory"], ids["episode"], ids["fact"]
    by_path: list[tuple[str, str, dict[str, Any] | None]] = [
        ("POST", "/v1/users/bob/messages", {"messages": "injected"}),
        ("POST", "/v1/users/bob/search", {"query": "PIN"}),
        ("GET", "/v1/users/bob/memories", None),
        ("GET", f"/v1/users/bob/memories/{memory}", None),
        ("PATCH", f"/v1/users/bob/memories/{memory}", {"text": "overwritten"}),
        ("DELETE", f"/v1/users/bob/memories/{memory}", None),
        ("GET", f"/v1/users/bob/memories/{memory}/history", None),
        ("GET", f"/v1/users/bob/memories/{memory}/graph", None),
        ("GET", f"/v1/users/bob/memories/{fact}/graph?limit=1", None),
        ("POST", f"/v1/users/bob/memories/{memory}/forget", {"hard": True}),
        ("POST", f"/v1/users/bob/memories/{fact}/undo", {}),
        ("POST", f"/v1/users/bob/episodes/{episode}/forget", {"hard": True}),
        ("POST", "/v1/users/bob/facts", {"text": "Bob owes Ana money", "key": "bob.allergy"}),
        ("GET", "/v1/users/bob/episodes", None),
        ("GET", "/v1/users/bob/export", None),
        ("GET", "/v1/users/bob/stats", None),
        ("GET", "/v1/stats", None),
    ]
    by_id: list[tuple[str, str, dict[str, Any] | None]] = [
        ("GET", f"/v1/users/ana/memories/{memory}", None),
        ("GET", f"/v1/users/ana/memories/{fact}", None),
        ("PATCH", f"/v1/users/ana/memories/{memory}", {"text": "overwritten"}),
        ("DELETE", f"/v1/users/ana/memories/{memory}", None),
        ("GET", f"/v1/users/ana/memories/{memory}/history", None),
        ("GET", f"/v1/users/ana/memories/{fact}/history", None),
        ("GET", f"/v1/users/ana/memories/{memory}/graph", None),
        ("GET", f"/v1/users/ana/memories/{fact}/graph?limit=1", None),
        ("POST", f"/v1/users/ana/memories/{memory}/forget", {"hard": True}),
        ("POST", f"/v1/users/ana/memories/{memory}/forget", {}),
        ("POST", f"/v1/users/ana/memories/{fact}/undo", {}),
        ("POST", f"/v1/users/ana/episodes/{episode}/forget", {"hard": True}),
        ("POST", f"/v1/users/ana/episodes/{episode}/forget", {}),
    ]
    return by_path + by_id


def test_ana_key_cannot_read_or_change_bob_data(keyed: tuple[Server, Keys]) -> None:
    server, keys = keyed
    ids = _seed(server, keys)
    ana = server.client(keys.ana)
    ana.post("/v1/users/ana/messages", json={"messages": "I like tea"})
    for method, path, body in _probes(ids):
        response = ana.request(method, path, json=body)
        expected = 404 if path.startswith("/v1/users/ana/") else 403
        error_of(response, expected)
        assert "PIN" not in response.text and "Elm" not in response.text, (method, path)
    # bob's data is exactly as before, and ana's listings never mention it
    assert server.client(keys.bob).get("/v1/users/bob/export").json() == ids["export"]
    mine = ana.get("/v1/users/ana/export").json()
    assert "PIN" not in str(mine) and "nuts" not in str(mine)
    hits = ana.post("/v1/users/ana/search", json={"query": "bank PIN Elm Street nuts"}).json()
    assert all(h["memory"]["user_id"] == "ana" for h in hits["hits"])
    # ana's graph of a memory naming the same street as bob's never reaches bob's memories
    own = ana.post("/v1/users/ana/messages", json={"messages": "Elm Street has a bank"}).json()
    graph = ana.get(f"/v1/users/ana/memories/{own['memories'][0]['id']}/graph")
    assert [e["name"] for e in graph.json()["entities"]] == ["Elm Street"]
    assert not any(m["id"] in graph.text for m in ids["export"]["memories"])


@pytest.mark.parametrize("key", ["revoked", "none", "bogus"])
def test_no_probe_succeeds_without_a_valid_key(keyed: tuple[Server, Keys], key: str) -> None:
    server, keys = keyed
    ids = _seed(server, keys)
    secret = {"revoked": keys.revoked, "none": None, "bogus": "egk_" + "x" * 43}[key]
    client = server.client(secret)
    for method, path, body in _probes(ids):
        error_of(client.request(method, path, json=body), 401)
    assert server.client(keys.bob).get("/v1/users/bob/export").json() == ids["export"]


def test_admin_and_bob_keys_still_reach_bob(keyed: tuple[Server, Keys]) -> None:
    # the control of the probe: the same requests succeed for keys that may touch bob
    server, keys = keyed
    ids = _seed(server, keys)
    for secret in (keys.bob, keys.admin, keys.both):
        client: httpx.Client = server.client(secret)
        got = client.get(f"/v1/users/bob/memories/{ids['memory']}")
        assert got.status_code == 200 and got.json()["user_id"] == "bob"
