"""``GET /v1/export`` and ``POST /v1/import`` on a real server (see conftest.py)."""

from __future__ import annotations

import json

from serving import Keys, Server, ServerFactory


def _fill(server: Server, key: str | None = None) -> None:
    client = server.client(key)
    for user in ("ana", "bob"):
        body = {"messages": [{"role": "user", "content": f"{user} adopted a dog named Rex"}]}
        assert client.post(f"/v1/users/{user}/messages", json=body).status_code == 201
    fact = {"text": "ana lives in Lisbon", "key": "user.city"}
    assert client.post("/v1/users/ana/facts", json=fact).status_code == 201


def test_export_streams_jsonl_and_import_restores_it(make_server: ServerFactory) -> None:
    source, target = make_server(), make_server()
    _fill(source)
    exported = source.client().get("/v1/export")
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("application/x-ndjson")
    lines = exported.text.splitlines()
    assert json.loads(lines[0])["users"] == ["ana", "bob"]
    assert json.loads(lines[-1])["type"] == "end"

    client = target.client()
    first = client.post("/v1/import", content=exported.content)
    assert first.status_code == 200, first.text
    assert first.json()["added"] == json.loads(lines[-1])["counts"]
    second = client.post("/v1/import", content=exported.content).json()
    assert not any(second["added"].values())
    for user in ("ana", "bob"):
        path = f"/v1/users/{user}/export"
        assert client.get(path).json() == source.client().get(path).json()
    hits = client.post("/v1/users/ana/search", json={"query": "dog"}).json()["hits"]
    assert hits and "dog" in hits[0]["memory"]["text"]


def test_a_bad_file_is_refused_naming_line_and_field(open_server: Server) -> None:
    _fill(open_server)
    client = open_server.client()
    lines = client.get("/v1/export").text.splitlines()
    header = json.loads(lines[0])
    body = "\n".join([json.dumps({**header, "version": 7}), *lines[1:]])
    answer = client.post("/v1/import", content=body.encode())
    assert answer.status_code in (400, 422)  # the status of every refused value
    error = answer.json()["error"]
    assert error["field"] == "version" and error["message"].startswith("line 1, field 'version'")
    broken = "\n".join([lines[0], lines[1][:-3], *lines[2:]])
    error = client.post("/v1/import", content=broken.encode()).json()["error"]
    assert error["message"].startswith("line 2, field 'line': not valid JSON")


def test_keys_export_and_import_only_their_users(keyed: tuple[Server, Keys]) -> None:
    server, keys = keyed
    _fill(server, keys.admin)
    ana = server.client(keys.ana)
    assert ana.get("/v1/export").status_code == 403  # the whole store needs admin
    assert ana.get("/v1/export", params={"user_id": "bob"}).status_code == 403
    mine = ana.get("/v1/export", params={"user_id": "ana"})
    assert mine.status_code == 200
    assert {json.loads(line)["user_id"] for line in mine.text.splitlines()[1:-1]} == {"ana"}
    everything = server.client(keys.admin).get("/v1/export")
    assert everything.status_code == 200
    assert ana.post("/v1/import", content=everything.content).status_code == 403
    assert ana.post("/v1/import", content=mine.content).status_code == 200
    only_ana = ana.post("/v1/import", content=everything.content, params={"user_id": "ana"})
    assert only_ana.status_code == 200 and only_ana.json()["users"] == ["ana"]
    assert server.client(keys.admin).get("/v1/export", params={"user_id": "zed"}).status_code == 404
