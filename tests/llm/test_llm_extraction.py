"""extract_batch and judge_contradictions over a real HTTP server: wire format and clean-up."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from kenning.errors import ValidationError
from kenning.llm import (
    ChatClient,
    ExtractionOut,
    FactOut,
    LLMCallFailed,
    NeighbourInput,
    TurnInput,
    extract_batch,
    judge_contradictions,
    normalize_attribute,
)
from kenning.llm.prompts import CONTRADICTION_SYSTEM_PROMPT, EXTRACTION_SYSTEM_PROMPT
from kenning.testing import FakeOpenAIServer, ScriptedFailure
from kenning.testing.openai_server import CHAT_PATH

T0 = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
TURNS = [
    TurnInput(turn=0, speaker="Ana", time=T0, text="I moved to Berlin last week!"),
    TurnInput(turn=1, speaker="Bo", time=None, text="Nice. Do you like it?"),
]
NEIGHBOURS = [
    NeighbourInput(id="m1", text="Ana lives in Paris", tags=("home",), context="Ana's home"),
    NeighbourInput(id="m2", text="Ana likes jazz"),
]
GOOD_REPLY = {
    "facts": [
        {
            "turn": 0,
            "subject": "Ana",
            "predicate": "lives in",
            "object": "Berlin",
            "text": "Ana lives in Berlin",
            "attribute": "city",
        }
    ],
    "entities": [{"name": "Ana", "kind": "person"}, {"name": "Berlin", "kind": "place"}],
    "notes": [
        {
            "turn": 0,
            "keywords": ["move", "Berlin"],
            "tags": ["relocation"],
            "context": "Ana moved to Berlin",
        }
    ],
    "neighbour_updates": [{"id": "m1", "tags": ["home", "past"], "context": "Ana's old home"}],
}


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as s:
        yield s


@pytest.fixture
def client(server: FakeOpenAIServer) -> Iterator[ChatClient]:
    with ChatClient(
        base_url=server.url, model="fake-chat", timeout=5.0, max_retries=2, backoff=0.001
    ) as c:
        yield c


def user_payloads(server: FakeOpenAIServer) -> list[Any]:
    """The JSON user message of every chat request."""
    return [json.loads(body["messages"][1]["content"]) for body in server.requests_to(CHAT_PATH)]


def test_request_has_the_exact_wire_format(server: FakeOpenAIServer, client: ChatClient) -> None:
    server.queue_chat(json.dumps(GOOD_REPLY))
    extract_batch(client, TURNS, NEIGHBOURS)
    (body,) = server.requests_to(CHAT_PATH)
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    assert body["messages"][0]["content"] == EXTRACTION_SYSTEM_PROMPT
    assert json.loads(body["messages"][1]["content"]) == {
        "turns": [
            {
                "turn": 0,
                "speaker": "Ana",
                "time": "2024-05-01T10:00:00+00:00",
                "text": "I moved to Berlin last week!",
            },
            {"turn": 1, "speaker": "Bo", "time": None, "text": "Nice. Do you like it?"},
        ],
        "neighbours": [
            {"id": "m1", "text": "Ana lives in Paris", "tags": ["home"], "context": "Ana's home"},
            {"id": "m2", "text": "Ana likes jazz", "tags": [], "context": ""},
        ],
    }


def test_without_neighbours_sends_an_empty_list(
    server: FakeOpenAIServer, client: ChatClient
) -> None:
    server.queue_chat("{}")
    extract_batch(client, TURNS[:1])
    assert user_payloads(server)[0]["neighbours"] == []


def test_well_formed_reply_is_parsed(server: FakeOpenAIServer, client: ChatClient) -> None:
    server.queue_chat(json.dumps(GOOD_REPLY))
    out, call = extract_batch(client, TURNS, NEIGHBOURS)
    assert call.ok and call.attempts == 1 and call.purpose == "extract"
    (fact,) = out.facts
    assert (fact.turn, fact.subject, fact.predicate, fact.object) == (
        0,
        "Ana",
        "lives in",
        "Berlin",
    )
    assert fact.text == "Ana lives in Berlin" and fact.attribute == "city"
    assert [(e.name, e.kind) for e in out.entities] == [("Ana", "person"), ("Berlin", "place")]
    (note,) = out.notes
    assert (note.turn, note.keywords, note.tags) == (0, ["move", "Berlin"], ["relocation"])
    assert note.context == "Ana moved to Berlin"
    (update,) = out.neighbour_updates
    assert (update.id, update.tags, update.context) == ("m1", ["home", "past"], "Ana's old home")
    assert len(server.requests_to(CHAT_PATH)) == 1


def test_missing_lists_default_to_empty(server: FakeOpenAIServer, client: ChatClient) -> None:
    server.queue_chat('```json\n{"facts": null, "notes": []}\n```')
    out, call = extract_batch(client, TURNS)
    assert out == ExtractionOut()
    assert (out.facts, out.entities, out.notes, out.neighbour_updates) == ([], [], [], [])
    assert call.attempts == 1


def test_unknown_turns_and_neighbours_are_dropped(
    server: FakeOpenAIServer, client: ChatClient
) -> None:
    reply = {
        "facts": [
            {"turn": 0, "subject": "Ana", "predicate": "lives in", "object": "Berlin",
             "text": "Ana lives in Berlin"},
            {"turn": 7, "subject": "Ana", "predicate": "owns", "object": "a boat",
             "text": "Ana owns a boat"},
        ],
        "notes": [{"turn": 1, "keywords": ["question"]}, {"turn": -1, "keywords": ["x"]}],
        "neighbour_updates": [
            {"id": "m9", "tags": ["ghost"]},  # not sent
            {"id": "m2"},  # nothing to change
            {"id": "m1", "context": "Ana used to live in Paris"},
        ],
        "entities": [{"name": "Ana", "kind": "Person"}, {"name": "ana", "kind": "person"}],
    }  # fmt: skip
    server.queue_chat(json.dumps(reply))
    out, call = extract_batch(client, TURNS, NEIGHBOURS)
    assert call.ok and call.attempts == 1  # dropping is not a failure
    assert [f.text for f in out.facts] == ["Ana lives in Berlin"]
    assert [n.turn for n in out.notes] == [1]
    # "m1" left its tags out: they keep the neighbour's current ones.
    assert [(u.id, u.tags, u.context) for u in out.neighbour_updates] == [
        ("m1", ["home"], "Ana used to live in Paris")
    ]
    assert [(e.name, e.kind) for e in out.entities] == [("Ana", "person")]


def test_neighbour_updates_keep_unset_fields_and_drop_no_ops(
    server: FakeOpenAIServer, client: ChatClient
) -> None:
    updates = [
        {"id": "m1", "tags": ["home"], "context": "Ana's home"},  # same as now: dropped
        {"id": "m2", "tags": [], "context": None},  # clears tags, keeps the empty context
        {"id": "m2", "tags": ["music"]},  # a later update for the same id wins
    ]
    server.queue_chat(json.dumps({"neighbour_updates": updates}))
    out, _ = extract_batch(client, TURNS, NEIGHBOURS)
    assert [(u.id, u.tags, u.context) for u in out.neighbour_updates] == [("m2", ["music"], "")]


def test_turn_numbers_need_not_start_at_zero(server: FakeOpenAIServer) -> None:
    """A responder that answers from the request: one fact per turn, by its number."""

    def responder(body: dict[str, Any]) -> str:
        turns = json.loads(body["messages"][1]["content"])["turns"]
        facts = [
            {"turn": t["turn"], "subject": t["speaker"], "predicate": "said",
             "object": t["text"], "text": f"{t['speaker']} said {t['text']}"}
            for t in turns
        ]  # fmt: skip
        return json.dumps({"facts": facts})

    server.chat_responder = responder
    turns = [TurnInput(turn=20 + i, speaker="Cy", time=None, text=f"hello {i}") for i in range(3)]
    with ChatClient(base_url=server.url, model="fake-chat", backoff=0.001) as client:
        out, _ = extract_batch(client, turns)
    assert [(f.turn, f.text) for f in out.facts] == [
        (20, "Cy said hello 0"),
        (21, "Cy said hello 1"),
        (22, "Cy said hello 2"),
    ]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("city", "city"),
        (" City ", "city"),
        ("EMPLOYER", "employer"),
        ("favourite:color", "favorite:color"),
        ("Favorite Color", "favorite:color"),
        ("favorite_food", "favorite:food"),
        ("favourite: Band ", "favorite:band"),
        ("favorite:", None),
        ("hobby", None),
        ("", None),
        ("null", None),
        (None, None),
        (3, None),
    ],
)
def test_attribute_normalisation(raw: object, expected: str | None) -> None:
    assert normalize_attribute(raw) == expected


def test_attributes_are_normalised_in_replies(server: FakeOpenAIServer, client: ChatClient) -> None:
    facts = [
        {"turn": 0, "subject": "Ana", "predicate": "loves", "object": "green",
         "text": "Ana's favourite colour is green", "attribute": "Favourite: Colour"},
        {"turn": 0, "subject": "Ana", "predicate": "plays", "object": "chess",
         "text": "Ana plays chess", "attribute": "hobby"},
        {"turn": 1, "subject": "Bo", "predicate": "is", "object": 31,
         "text": "Bo is 31", "attribute": " AGE "},
    ]  # fmt: skip
    server.queue_chat(json.dumps({"facts": facts}))
    out, _ = extract_batch(client, TURNS)
    assert [f.attribute for f in out.facts] == ["favorite:colour", None, "age"]
    assert out.facts[2].object == "31"


def test_schema_invalid_reply_is_retried(server: FakeOpenAIServer, client: ChatClient) -> None:
    server.queue_chat(
        '{"facts": [{"turn": 0, "subject": "Ana"}]}',  # no "text"
        json.dumps(GOOD_REPLY),
    )
    out, call = extract_batch(client, TURNS, NEIGHBOURS)
    assert call.attempts == 2 and call.ok
    assert [f.text for f in out.facts] == ["Ana lives in Berlin"]
    first, second = server.requests_to(CHAT_PATH)
    assert first == second


def test_failure_raises_with_the_record(server: FakeOpenAIServer, client: ChatClient) -> None:
    server.queue_chat(*[ScriptedFailure(503, "down")] * 3)
    with pytest.raises(LLMCallFailed) as info:
        extract_batch(client, TURNS)
    assert info.value.reason == "http 503"
    assert info.value.call.purpose == "extract"
    assert info.value.call.attempts == 3 and not info.value.call.ok


def test_bad_inputs_are_rejected(server: FakeOpenAIServer, client: ChatClient) -> None:
    with pytest.raises(ValidationError):
        extract_batch(client, [])
    with pytest.raises(ValidationError):
        extract_batch(client, [TURNS[0], TURNS[0]])
    with pytest.raises(ValidationError):
        extract_batch(client, TURNS, [NEIGHBOURS[0], NEIGHBOURS[0]])
    assert server.requests_to(CHAT_PATH) == []


FACT = FactOut(
    turn=0,
    subject="Ana",
    predicate="lives in",
    object="Berlin",
    text="Ana lives in Berlin",
    attribute="city",
)


def test_judge_contradictions_round_trip(server: FakeOpenAIServer, client: ChatClient) -> None:
    server.queue_chat('{"contradicted": ["m3", "m9", "m1", "m1"]}')
    candidates = [("m1", "Ana lives in Paris"), ("m2", "Ana likes jazz"), ("m3", "Ana is in Rome")]
    ids, call = judge_contradictions(client, FACT, candidates)
    assert ids == ["m1", "m3"]  # candidate order, unknown "m9" dropped, no duplicates
    assert call.ok and call.purpose == "contradiction" and call.attempts == 1
    (body,) = server.requests_to(CHAT_PATH)
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    assert body["messages"][0]["content"] == CONTRADICTION_SYSTEM_PROMPT
    assert user_payloads(server) == [
        {
            "fact": {
                "text": "Ana lives in Berlin",
                "subject": "Ana",
                "predicate": "lives in",
                "object": "Berlin",
            },
            "candidates": [
                {"id": "m1", "text": "Ana lives in Paris"},
                {"id": "m2", "text": "Ana likes jazz"},
                {"id": "m3", "text": "Ana is in Rome"},
            ],
        }
    ]


def test_judge_contradictions_accepts_numeric_ids_and_empty_answers(
    server: FakeOpenAIServer, client: ChatClient
) -> None:
    server.queue_chat('{"contradicted": [12]}', "{}")
    assert judge_contradictions(client, FACT, [("12", "Ana lives in Oslo")])[0] == ["12"]
    assert judge_contradictions(client, FACT, [("12", "Ana lives in Oslo")])[0] == []


def test_judge_contradictions_without_candidates_sends_nothing(
    server: FakeOpenAIServer, client: ChatClient
) -> None:
    ids, call = judge_contradictions(client, FACT, [])
    assert ids == []
    assert call.attempts == 0 and call.ok and call.cost == 0.0
    assert server.requests_to(CHAT_PATH) == []


def test_judge_contradictions_failure(server: FakeOpenAIServer, client: ChatClient) -> None:
    server.queue_chat(ScriptedFailure(404, "model not found"))
    with pytest.raises(LLMCallFailed) as info:
        judge_contradictions(client, FACT, [("m1", "Ana lives in Paris")])
    assert info.value.reason == "http 404"
    assert info.value.call.purpose == "contradiction" and info.value.call.attempts == 1
