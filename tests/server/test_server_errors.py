"""Every error status over real HTTP, always as JSON ``{"error": {type, message, field}}``."""

from __future__ import annotations

import logging
import time

import pytest
from serving import Server, ServerFactory, error_of

from kenning.errors import StoreError
from kenning.server import ApiKeys


def test_bad_json_is_400(open_server: Server) -> None:
    response = open_server.client().post(
        "/v1/users/ana/messages",
        content=b'{"messages": [',
        headers={"Content-Type": "application/json"},
    )
    assert error_of(response, 400)["type"] == "invalid_json"


def test_kenning_validation_is_422_and_names_the_field(open_server: Server) -> None:
    client = open_server.client()
    bad_role = client.post(
        "/v1/users/ana/messages", json={"messages": [{"content": "hi", "role": "robot"}]}
    )
    error = error_of(bad_role, 422)
    assert error["type"] == "validation_error" and error["field"] == "messages[0].role"
    empty = error_of(client.post("/v1/users/ana/search", json={"query": "  "}), 422)
    assert empty["field"] == "query"
    when = error_of(
        client.post("/v1/users/ana/messages", json={"messages": "x", "timestamp": "not a date"}),
        422,
    )
    assert when["field"] == "timestamp"
    both = error_of(client.post("/v1/users/ana/facts", json={"text": "x", "importance": 3}), 422)
    assert both["field"] == "importance"


def test_schema_violations_are_422(open_server: Server) -> None:
    client = open_server.client()
    missing = error_of(client.post("/v1/users/ana/search", json={"limit": 3}), 422)
    assert missing["type"] == "invalid_request" and missing["field"] == "query"
    unknown = error_of(client.post("/v1/users/ana/search", json={"query": "x", "colour": 1}), 422)
    assert unknown["field"] == "colour"
    kind = error_of(client.get("/v1/users/ana/memories", params={"kind": "poem"}), 422)
    assert kind["field"] == "kind[0]"
    negative = error_of(client.get("/v1/users/ana/memories", params={"offset": -1}), 422)
    assert negative["field"] == "offset"
    for listing in ("memories", "episodes"):  # a huge offset is refused by Memory, not a 500
        huge = client.get(f"/v1/users/ana/{listing}", params={"offset": 2**70})
        assert error_of(huge, 422)["field"] == "offset"


def test_unknown_memory_route_and_method(open_server: Server) -> None:
    client = open_server.client()
    missing = error_of(client.get("/v1/users/ana/memories/nope"), 404)
    assert missing["type"] == "not_found" and "nope" in missing["message"]
    assert error_of(client.post("/v1/users/ana/memories/nope/undo", json={}), 404)
    assert error_of(client.post("/v1/users/ana/episodes/nope/forget", json={}), 404)
    route = error_of(client.get("/v2/anything"), 404)
    assert "no such endpoint" in route["message"]
    assert error_of(client.put("/v1/health"), 405)["type"] == "method_not_allowed"


def test_internal_errors_are_a_generic_500_and_logged(
    open_server: Server, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise StoreError("disk on fire at /secret/path")

    def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError("unexpected bug")

    client = open_server.client()
    monkeypatch.setattr(open_server.memory, "stats", broken)
    with caplog.at_level(logging.ERROR, logger="kenning.server"):
        error = error_of(client.get("/v1/users/ana/stats"), 500)
    assert error == {"type": "internal_error", "message": "internal error", "field": None}
    assert "disk on fire" in caplog.text and "/v1/users/ana/stats" in caplog.text
    monkeypatch.setattr(open_server.memory, "episodes", crash)
    caplog.clear()
    with caplog.at_level(logging.ERROR, logger="kenning.server"):
        error = error_of(client.get("/v1/users/ana/episodes"), 500)
    assert error["message"] == "internal error"
    assert "unexpected bug" in caplog.text


def test_body_larger_than_the_limit_is_413(make_server: ServerFactory) -> None:
    server = make_server(server_max_body_bytes=300)
    client = server.client()
    big = error_of(client.post("/v1/users/ana/messages", json={"messages": "x" * 400}), 413)
    assert big["type"] == "too_large"
    small = client.post("/v1/users/ana/messages", json={"messages": "x" * 100})
    assert small.status_code == 201
    assert server.memory.stats(user_id="ana").episodes == 1


def test_a_chunked_body_over_the_limit_is_413(make_server: ServerFactory) -> None:
    server = make_server(server_max_body_bytes=300)

    def chunks() -> object:
        yield b'{"messages": "'
        for _ in range(10):
            yield b"y" * 50
        yield b'"}'

    response = server.client().post(
        "/v1/users/ana/messages", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert error_of(response, 413)["type"] == "too_large"

    def small() -> object:
        yield b'{"messages": '
        yield b'"chunked but small"}'

    ok = server.client().post(
        "/v1/users/ana/messages", content=small(), headers={"Content-Type": "application/json"}
    )
    assert ok.status_code == 201, ok.text


def test_batch_and_text_limits_are_413(make_server: ServerFactory) -> None:
    server = make_server(server_max_batch=2, server_max_text_chars=50)
    client = server.client()
    batch = error_of(client.post("/v1/users/ana/messages", json={"messages": ["a", "b", "c"]}), 413)
    assert batch["type"] == "limit_exceeded" and batch["field"] == "messages"
    text = error_of(
        client.post("/v1/users/ana/messages", json={"messages": ["ok", {"content": "z" * 51}]}),
        413,
    )
    assert text["field"] == "messages[1].content"
    assert error_of(client.post("/v1/users/ana/facts", json={"text": "f" * 51}), 413)
    assert error_of(client.post("/v1/users/ana/search", json={"query": "q" * 51}), 413)
    assert server.memory.stats(user_id="ana").episodes == 0
    assert client.post("/v1/users/ana/messages", json={"messages": ["a", "b"]}).status_code == 201
    # A document over the text limit is not refused: it is chunked.
    long = " ".join(f"Sentence {i} of the manual." for i in range(200))
    document = {"role": "document", "content": long}
    stored = client.post("/v1/users/ana/messages", json={"messages": [document]})
    assert stored.status_code == 201, stored.text
    assert sum(m["kind"] == "document" for m in stored.json()["memories"]) > 2


def test_search_and_page_limits(make_server: ServerFactory) -> None:
    server = make_server(server_max_search_limit=5, server_max_page_size=3)
    client = server.client()
    client.post("/v1/users/ana/messages", json={"messages": ["one", "two"]})
    error = error_of(client.post("/v1/users/ana/search", json={"query": "one", "limit": 6}), 422)
    assert error["field"] == "limit" and "5" in error["message"]
    assert client.post("/v1/users/ana/search", json={"query": "one", "limit": 5}).status_code == 200
    assert error_of(client.get("/v1/users/ana/memories", params={"limit": 4}), 422)
    assert error_of(client.get("/v1/users/ana/episodes", params={"limit": 4}), 422)
    assert client.get("/v1/users/ana/memories", params={"limit": 3}).status_code == 200


def test_rate_limit_is_429_with_retry_after(make_server: ServerFactory) -> None:
    server = make_server(server_rate_limit=30)  # a burst of 30, then one every 2 s
    client = server.client()
    statuses = [client.get("/v1/users/ana/stats").status_code for _ in range(32)]
    assert statuses[:30] == [200] * 30
    assert statuses[30:] == [429, 429]
    limited = client.get("/v1/users/ana/stats")
    assert error_of(limited, 429)["type"] == "rate_limited"
    assert 1 <= int(limited.headers["Retry-After"]) <= 2
    assert client.get("/v1/health").status_code == 200  # health is never limited
    time.sleep(2.1)
    assert client.get("/v1/users/ana/stats").status_code == 200


def test_rate_limits_are_per_key(make_server: ServerFactory) -> None:
    secrets: dict[str, str] = {}

    def setup(keys: ApiKeys) -> None:
        secrets["a"] = keys.create(users=["ana"])
        secrets["b"] = keys.create(users=["ana"])

    server = make_server(setup, server_rate_limit=3)
    first, second = server.client(secrets["a"]), server.client(secrets["b"])
    assert [first.get("/v1/users/ana/stats").status_code for _ in range(4)][-1] == 429
    assert second.get("/v1/users/ana/stats").status_code == 200


def test_guessing_keys_is_rate_limited(make_server: ServerFactory) -> None:
    secrets: dict[str, str] = {}

    def setup(keys: ApiKeys) -> None:
        secrets["a"] = keys.create(users=["ana"])

    server = make_server(setup, server_rate_limit=3)
    guesser = server.client("egk_guess")
    statuses = [guesser.get("/v1/users/ana/stats").status_code for _ in range(5)]
    assert statuses == [401, 401, 401, 429, 429]
    assert server.client(secrets["a"]).get("/v1/users/ana/stats").status_code == 200


def test_requests_without_a_key_are_rate_limited(make_server: ServerFactory) -> None:
    server = make_server(lambda keys: keys.create(users=["ana"]), server_rate_limit=3)
    anonymous = server.client()
    statuses = [anonymous.get("/v1/users/ana/stats").status_code for _ in range(5)]
    assert statuses == [401, 401, 401, 429, 429]
    assert anonymous.get("/v1/health").status_code == 200  # never limited


def test_a_string_is_not_a_boolean_and_hard_yes_erases_nothing(open_server: Server) -> None:
    client = open_server.client()
    client.post("/v1/users/ana/messages", json={"messages": ["I live in Berlin"]})
    memory = open_server.memory
    turn = memory.get_all(user_id="ana", kinds="turn")[0]
    for hard in ("yes", "true", 1, 0, None):
        answer = client.post(f"/v1/users/ana/memories/{turn.id}/forget", json={"hard": hard})
        assert error_of(answer, 422)["field"] == "hard", hard
    # Nothing was erased, nor even archived.
    assert len(memory.episodes(user_id="ana")) == 1
    assert memory.get(turn.id).status.value == "active"


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("search", {"query": "x", "limit": "3"}, "limit"),
        ("search", {"query": "x", "limit": 3.0}, "limit"),
        ("search", {"query": "x", "limit": True}, "limit"),
        ("search", {"query": "x", "kinds": ["poem"]}, "kinds[0]"),
        ("search", {"query": "x", "kinds": [1]}, "kinds[0]"),
        ("facts", {"text": "x", "importance": "0.5"}, "importance"),
        ("facts", {"text": "x", "pinned": "false"}, "pinned"),
        ("facts", {"text": "x", "ttl": "60"}, "ttl"),
        ("facts", {"text": "x", "valid_from": True}, "valid_from"),
        ("messages", {"messages": [{"role": "user"}]}, "messages[0].content"),
        ("messages", {"messages": ["ok", {"content": 3}]}, "messages[1].content"),
        ("messages", {"messages": ["ok", 3]}, "messages[1]"),
        ("messages", {"messages": 3}, "messages"),
        ("messages", {"messages": "x", "timestamp": False}, "timestamp"),
        ("consolidate", {"archive_below": "0.2"}, "archive_below"),
    ],
)
def test_scalars_are_strict_and_errors_name_the_field(
    open_server: Server, path: str, body: dict[str, object], field: str
) -> None:
    answer = open_server.client().post(f"/v1/users/ana/{path}", json=body)
    error = error_of(answer, 422)
    assert error["field"] == field, error
    assert open_server.memory.stats(user_id="ana").episodes == 0


def test_limits_out_of_range_are_422_on_both_sides(make_server: ServerFactory) -> None:
    client = make_server(server_max_search_limit=5, server_max_page_size=3).client()
    for limit in (0, 6):
        answer = client.post("/v1/users/ana/search", json={"query": "x", "limit": limit})
        assert error_of(answer, 422)["field"] == "limit", limit
    for limit in (0, 4):
        answer = client.get("/v1/users/ana/memories", params={"limit": limit})
        assert error_of(answer, 422)["field"] == "limit", limit
    answer = client.get("/v1/users/ana/memories", params={"limit": "3.5"})
    assert error_of(answer, 422)["field"] == "limit"


def test_start_after_end_is_refused_not_an_empty_answer(open_server: Server) -> None:
    client = open_server.client()
    client.post("/v1/users/ana/messages", json={"messages": ["I live in Berlin"]})
    body = {"query": "Berlin", "start": "2024-05-01", "end": "2024-04-01"}
    error = error_of(client.post("/v1/users/ana/search", json=body), 422)
    assert error["field"] == "start" and "end" in error["message"]
    body["end"] = "2024-05-01"  # an empty range [start, end) is allowed, and answers nothing
    assert client.post("/v1/users/ana/search", json=body).json()["hits"] == []
