"""Every endpoint over real HTTP, against what the Python API returns for the same data."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from serving import Server, ServerFactory, error_of

import kenning
from kenning.codec import to_jsonable

CHAT = [
    {"role": "user", "content": "I adopted a dog named Rex last spring", "name": "Ana"},
    {"role": "assistant", "content": "Rex is a lovely name for a dog!"},
    {"role": "user", "content": "I moved to Berlin in May", "name": "Ana"},
]


def _add(client: httpx.Client, user: str = "ana", **extra: Any) -> dict[str, Any]:
    response = client.post(
        f"/v1/users/{user}/messages",
        json={"messages": CHAT, "session_id": "s1", "timestamp": "2024-05-01", **extra},
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _turn(client: httpx.Client, text: str, user: str = "ana") -> dict[str, Any]:
    items = client.get(f"/v1/users/{user}/memories", params={"kind": "turn"}).json()["items"]
    found: dict[str, Any] = next(m for m in items if text in m["text"])
    return found


def test_health_needs_no_key_and_names_the_version(open_server: Server) -> None:
    response = open_server.client().get("/v1/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "version": kenning.__version__}


def test_add_stores_episodes_and_memories_and_is_idempotent(open_server: Server) -> None:
    client = open_server.client()
    first = _add(client)
    assert len(first["episodes"]) == 3 and first["duplicates"] == 0
    assert {m["kind"] for m in first["memories"]} >= {"turn", "session"}
    assert first["episodes"][0]["content"] == CHAT[0]["content"]
    assert first["episodes"][0]["timestamp"].startswith("2024-05-01")
    again = _add(client)
    assert again["episodes"] == [] and again["duplicates"] == 3
    stored = open_server.memory.episodes(user_id="ana")
    assert [e.id for e in stored] == [e["id"] for e in first["episodes"]]


def test_add_accepts_a_plain_string(open_server: Server) -> None:
    response = open_server.client().post(
        "/v1/users/ana/messages", json={"messages": "I like green tea"}
    )
    assert response.status_code == 201
    assert response.json()["episodes"][0]["role"] == "user"


def test_search_returns_hits_with_signals(open_server: Server) -> None:
    client = open_server.client()
    _add(client)
    response = client.post(
        "/v1/users/ana/search", json={"query": "what is the name of Ana's dog?", "limit": 3}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["query"] == "what is the name of Ana's dog?"
    assert 1 <= len(body["hits"]) <= 3
    assert any("Rex" in h["memory"]["text"] for h in body["hits"])
    top = body["hits"][0]
    assert set(top) == {"memory", "score", "signals"}
    assert 0 < top["score"] <= 1
    assert {"raw", "rank", "contribution"} <= set(top["signals"]["bm25"])
    assert sum(s["contribution"] for s in top["signals"].values()) == pytest.approx(top["score"])


def test_context_block_over_http_is_the_python_apis(open_server: Server) -> None:
    client = open_server.client()
    _add(client)
    body = {"query": "what is the name of Ana's dog?", "budget_tokens": 60}
    response = client.post("/v1/users/ana/context", json=body)
    assert response.status_code == 200, response.text
    block = response.json()
    local = open_server.memory.context(body["query"], user_id="ana", budget_tokens=60)
    assert block["text"] == local.text and "Rex" in block["text"]
    assert block["tokens"] == local.tokens <= 60
    assert [i["memory"]["id"] for i in block["items"]] == [i.memory.id for i in local.items]
    assert {"section", "memory", "text", "tokens", "score", "group"} == set(block["items"][0])
    assert block["tokenizer"] == "estimate" and block["budget_tokens"] == 60
    for budget in ("60", 10, 60.0):
        bad = client.post("/v1/users/ana/context", json={**body, "budget_tokens": budget})
        assert error_of(bad, 422)["field"] == "budget_tokens", budget


def test_content_lists_over_http_report_skipped_parts(open_server: Server) -> None:
    client = open_server.client()
    image = {"type": "image_url", "image_url": {"url": "https://example.org/flat.png"}}
    message = {"role": "user", "content": [{"type": "text", "text": "My new flat"}, image]}
    response = client.post("/v1/users/ana/messages", json={"messages": [message]})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["skipped"] == [{"message": 0, "part": 1, "type": "image_url"}]
    assert body["episodes"][0]["content"] == "My new flat"
    assert body["episodes"][0]["metadata"]["content_parts"] == [{**image, "index": 1}]
    bad = client.post(
        "/v1/users/ana/messages",
        json={"messages": [{"content": [{"type": "text", "text": 5}]}]},
    )
    assert error_of(bad, 422)["field"] == "messages[0].content[0].text"


def test_metadata_filters_over_http(open_server: Server) -> None:
    client = open_server.client()
    messages = [
        {"content": "Book the flight to Lisbon", "metadata": {"topic": "travel", "priority": 3}},
        {"content": "Buy oat milk and bread", "metadata": {"topic": "shopping", "priority": 1}},
    ]
    assert client.post("/v1/users/ana/messages", json={"messages": messages}).status_code == 201
    body = {"query": "flight milk", "filters": {"priority": {"gte": 2}}}
    hits = client.post("/v1/users/ana/search", json=body).json()["hits"]
    assert {h["memory"]["text"] for h in hits} == {"Book the flight to Lisbon"}
    listed = client.get(
        "/v1/users/ana/memories", params={"kind": "turn", "filters": '{"topic": "shopping"}'}
    ).json()["items"]
    assert [m["text"] for m in listed] == ["Buy oat milk and bread"]
    not_json = client.get("/v1/users/ana/memories", params={"filters": "{topic"})
    assert error_of(not_json, 422)["field"] == "filters"
    bad = client.post("/v1/users/ana/search", json={"query": "x", "filters": {"a": {"like": 1}}})
    assert error_of(bad, 422)["field"] == "filters.a.like"


def test_search_filters_by_kind_and_session(open_server: Server) -> None:
    client = open_server.client()
    _add(client)
    body = client.post(
        "/v1/users/ana/search", json={"query": "dog", "kinds": ["session"], "session_id": "s1"}
    ).json()
    assert body["hits"] and {h["memory"]["kind"] for h in body["hits"]} == {"session"}
    none = client.post("/v1/users/ana/search", json={"query": "dog", "session_id": "other"}).json()
    assert none["hits"] == []


def test_list_memories_paginates_with_next_offset(open_server: Server) -> None:
    client = open_server.client()
    _add(client)
    everything = client.get("/v1/users/ana/memories", params={"limit": 500}).json()
    assert everything["next_offset"] is None
    total = len(everything["items"])
    assert total >= 4
    seen: list[str] = []
    offset: int | None = 0
    pages = 0
    while offset is not None:
        page = client.get("/v1/users/ana/memories", params={"limit": 2, "offset": offset}).json()
        assert len(page["items"]) <= 2
        seen += [m["id"] for m in page["items"]]
        offset = page["next_offset"]
        pages += 1
    assert seen == [m["id"] for m in everything["items"]]
    assert pages == (total + 1) // 2
    turns = client.get("/v1/users/ana/memories", params={"kind": "turn"}).json()["items"]
    assert len(turns) == 3 and {m["kind"] for m in turns} == {"turn"}
    other = client.get("/v1/users/ana/memories", params={"session_id": "nope"}).json()
    assert other == {"items": [], "next_offset": None}


def test_get_update_history_and_delete_a_memory(open_server: Server) -> None:
    client = open_server.client()
    _add(client)
    turn = _turn(client, "Berlin")
    path = f"/v1/users/ana/memories/{turn['id']}"
    assert client.get(path).json() == turn
    updated = client.patch(
        path, json={"text": "I moved to Hamburg in May", "metadata": {"by": "t"}}
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["text"] == "I moved to Hamburg in May"
    assert updated.json()["version"] == turn["version"] + 1
    assert updated.json()["metadata"]["by"] == "t"
    history = client.get(f"{path}/history").json()["items"]
    assert [h["action"] for h in history][-1] == "update"
    assert history[-1]["old_text"] == turn["text"]
    deleted = client.delete(path)
    assert deleted.status_code == 200 and deleted.json()["status"] == "deleted"
    assert client.get(path).json()["status"] == "deleted"
    active = client.get("/v1/users/ana/memories").json()["items"]
    assert turn["id"] not in {m["id"] for m in active}
    listed = client.get(
        "/v1/users/ana/memories", params={"status": ["deleted"], "kind": "turn"}
    ).json()["items"]
    assert [m["id"] for m in listed] == [turn["id"]]


def test_graph_of_a_memory_names_its_entities_links_and_neighbours(open_server: Server) -> None:
    client = open_server.client()
    for text, when in (
        ("Ana met Bruno in Lisbon", "2024-03-01"),
        ("Bruno moved to Porto", "2024-04-01"),
        ("Lisbon was sunny", "2024-05-01"),
    ):
        client.post("/v1/users/ana/messages", json={"messages": text, "timestamp": when})
    client.post("/v1/users/bob/messages", json={"messages": "Bruno lives in Lisbon"})
    centre = _turn(client, "Ana met Bruno")
    sunny = _turn(client, "Lisbon was sunny")
    path = f"/v1/users/ana/memories/{centre['id']}/graph"
    response = client.get(path)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"memory", "entities", "links", "neighbours"}
    assert body["memory"] == centre
    entities = {e["name"]: e["memory_ids"] for e in body["entities"]}
    assert list(entities) == ["Ana", "Bruno", "Lisbon"]
    assert entities["Lisbon"] == [sunny["id"]]
    bruno = [m["text"] for m in body["neighbours"] if m["id"] in entities["Bruno"]]
    assert sorted(bruno) == ["Bruno lives in Porto", "Bruno moved to Porto"]
    assert {m["id"] for m in body["neighbours"]} == {i for ids in entities.values() for i in ids}
    assert all(m["user_id"] == "ana" for m in body["neighbours"])
    # the same as the engine says, field for field
    engine = open_server.memory.graph(centre["id"], user_id="ana")
    assert body == to_jsonable(engine)
    fact = next(m for m in body["neighbours"] if m["kind"] == "fact")
    links = client.get(f"/v1/users/ana/memories/{fact['id']}/graph").json()["links"]
    moved = _turn(client, "Bruno moved to Porto")["id"]
    derived = {"source_id": fact["id"], "target_id": moved, "type": "derived_from", "weight": 1.0}
    assert derived in links
    one = client.get(path, params={"limit": 1}).json()
    assert [len(e["memory_ids"]) for e in one["entities"]] == [0, 1, 1]


def test_graph_limit_is_bounded_and_unknown_ids_are_404(make_server: ServerFactory) -> None:
    server = make_server(server_max_page_size=60)
    client = server.client()
    _add(client)
    path = f"/v1/users/ana/memories/{_turn(client, 'Rex')['id']}/graph"
    assert client.get(path, params={"limit": 60}).status_code == 200
    too_many = error_of(client.get(path, params={"limit": 61}), 422)
    assert too_many["field"] == "limit" and "60" in too_many["message"]
    assert error_of(client.get(path, params={"limit": 0}), 422)["field"] == "limit"
    assert error_of(client.get("/v1/users/ana/memories/nope/graph"), 404)["type"] == "not_found"


def test_forget_then_undo_brings_a_memory_back(open_server: Server) -> None:
    client = open_server.client()
    _add(client)
    turn = _turn(client, "Rex")
    path = f"/v1/users/ana/memories/{turn['id']}"
    forgotten = client.post(f"{path}/forget", json={})
    assert forgotten.status_code == 200
    assert turn["id"] in forgotten.json()["archived"]
    assert client.get(path).json()["status"] == "archived"
    undone = client.post(f"{path}/undo", json={})
    assert undone.status_code == 200 and undone.json()["status"] == "active"


def test_forget_without_a_body_archives(open_server: Server) -> None:
    client = open_server.client()
    _add(client)
    turn = _turn(client, "Rex")
    response = client.post(f"/v1/users/ana/memories/{turn['id']}/forget")
    assert response.status_code == 200 and response.json()["archived"]


def test_hard_forget_of_an_episode_erases_it(open_server: Server) -> None:
    client = open_server.client()
    added = _add(client)
    episode = added["episodes"][2]["id"]
    response = client.post(f"/v1/users/ana/episodes/{episode}/forget", json={"hard": True})
    assert response.status_code == 200, response.text
    assert response.json()["erased_episodes"] == 1
    remaining = client.get("/v1/users/ana/episodes").json()["items"]
    assert episode not in {e["id"] for e in remaining} and len(remaining) == 2
    texts = " ".join(m["text"] for m in client.get("/v1/users/ana/export").json()["memories"])
    assert "Berlin" not in texts


def test_undo_with_nothing_to_undo_is_a_conflict(open_server: Server) -> None:
    client = open_server.client()
    _add(client)
    turn = _turn(client, "Rex")
    error = error_of(client.post(f"/v1/users/ana/memories/{turn['id']}/undo", json={}), 409)
    assert error["type"] == "conflict" and "nothing to undo" in error["message"]
    assert error["field"] == "memory_id"


def test_facts_supersede_their_slot(open_server: Server) -> None:
    client = open_server.client()
    first = client.post(
        "/v1/users/ana/facts",
        json={"text": "Ana lives in Berlin", "key": "ana.city", "valid_from": "2023-01-01"},
    )
    assert first.status_code == 201, first.text
    assert first.json()["kind"] == "fact" and first.json()["slot"] == "ana.city"
    second = client.post(
        "/v1/users/ana/facts",
        json={"text": "Ana lives in Hamburg", "key": "ana.city", "valid_from": "2024-01-01"},
    ).json()
    old = client.get(f"/v1/users/ana/memories/{first.json()['id']}").json()
    assert old["valid_to"] is not None and old["valid_to"].startswith("2024-01-01")
    assert second["valid_to"] is None


def test_episodes_paginate(open_server: Server) -> None:
    client = open_server.client()
    added = _add(client)
    first = client.get("/v1/users/ana/episodes", params={"limit": 2}).json()
    assert [e["id"] for e in first["items"]] == [e["id"] for e in added["episodes"][:2]]
    assert first["next_offset"] == 2
    rest = client.get("/v1/users/ana/episodes", params={"limit": 2, "offset": 2}).json()
    assert [e["id"] for e in rest["items"]] == [added["episodes"][2]["id"]]
    assert rest["next_offset"] is None
    assert client.get("/v1/users/ana/episodes", params={"session_id": "x"}).json()["items"] == []


def test_export_has_every_status(open_server: Server) -> None:
    client = open_server.client()
    added = _add(client)
    turn = _turn(client, "Rex")
    client.delete(f"/v1/users/ana/memories/{turn['id']}")
    export = client.get("/v1/users/ana/export").json()
    assert export["user_id"] == "ana"
    assert [e["id"] for e in export["episodes"]] == [e["id"] for e in added["episodes"]]
    statuses = {m["id"]: m["status"] for m in export["memories"]}
    assert statuses[turn["id"]] == "deleted"
    assert len(statuses) == len(
        open_server.memory.get_all(user_id="ana", statuses=None, limit=None)
    )


def test_stats_per_user_and_for_the_store(open_server: Server) -> None:
    client = open_server.client()
    _add(client)
    _add(client, user="bob")
    mine = client.get("/v1/users/ana/stats").json()
    assert mine["episodes"] == 3 and mine["memories"]["turn"] == 3
    everything = client.get("/v1/stats").json()
    assert everything["episodes"] == 6 and everything["users"] == 2


def test_openapi_describes_the_api(open_server: Server) -> None:
    spec = open_server.client().get("/openapi.json").json()
    paths = spec["paths"]
    assert "/v1/users/{user_id}/search" in paths
    assert "/v1/users/{user_id}/memories/{memory_id}/undo" in paths
    graph = paths["/v1/users/{user_id}/memories/{memory_id}/graph"]["get"]
    assert graph["summary"].endswith("(Memory.graph)")
    assert {p["name"] for p in graph["parameters"]} == {"user_id", "memory_id", "limit"}
    search = spec["components"]["schemas"]["SearchRequest"]["properties"]
    assert search["query"]["description"] == "What to look for."
    assert "HTTPBearer" in spec["components"]["securitySchemes"]
