"""ChatClient against a real HTTP server (FakeOpenAIServer): parsing, repair, retries, usage."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from datetime import UTC
from typing import Any

import pytest
from pydantic import BaseModel

from kenning.errors import ConfigError, LLMError, ValidationError
from kenning.llm import ChatClient, LLMCallFailed, call_cost, parse_json_object
from kenning.llm.client import _usage
from kenning.testing import FakeOpenAIServer, ScriptedFailure
from kenning.testing.openai_server import CHAT_PATH

FAST_BACKOFF = 0.001  # seconds: retries are exercised for real, just quickly
MESSAGES = [
    {"role": "system", "content": "Answer with a JSON object."},
    {"role": "user", "content": "What is six times seven?"},
]


class Answer(BaseModel):
    answer: int
    unit: str = ""


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer() as s:
        yield s


def make(server_url: str, **options: Any) -> ChatClient:
    settings: dict[str, Any] = {"timeout": 5.0, "max_retries": 3, "backoff": FAST_BACKOFF}
    settings.update(options)
    return ChatClient(base_url=server_url, model="fake-chat", **settings)


def chat_requests(server: FakeOpenAIServer) -> list[Any]:
    return server.requests_to(CHAT_PATH)


def test_well_formed_reply_and_request_body(server: FakeOpenAIServer) -> None:
    server.queue_chat('{"answer": 42, "unit": "none"}')
    with make(server.url) as client:
        value, call = client.complete_json(MESSAGES, Answer, purpose="extract")
    assert value == Answer(answer=42, unit="none")
    assert call.ok and call.error is None
    assert call.attempts == 1
    assert call.purpose == "extract" and call.model == "fake-chat"
    assert call.started_at.tzinfo is UTC
    assert call.duration_ms > 0
    assert chat_requests(server) == [
        {
            "model": "fake-chat",
            "messages": MESSAGES,
            "temperature": 0,
            "response_format": {"type": "json_object"},
        }
    ]


@pytest.mark.parametrize(
    "reply",
    [
        '```json\n{"answer": 42}\n```',
        '```\n{"answer": 42}\n```',
        'Here you go:\n```json\n{"answer": 42}\n```\nAnything else?',
        '```json\n{"answer": 42}',  # truncated: the closing fence never came
        '{"answer": 42,}',  # trailing comma
        "{'answer': 42}",  # single quotes
        '{"answer": 42',  # missing closing brace
        'Sure! The result is {"answer": 42} as requested.',  # prose around the object
    ],
)
def test_malformed_replies_are_repaired(server: FakeOpenAIServer, reply: str) -> None:
    server.queue_chat(reply)
    with make(server.url) as client:
        value, call = client.complete_json(MESSAGES, Answer, purpose="extract")
    assert value.answer == 42
    assert call.attempts == 1  # repaired locally, not retried
    assert len(chat_requests(server)) == 1


def test_parse_json_object_rejects_non_objects() -> None:
    assert parse_json_object('{"a": [1, 2,],}') == {"a": [1, 2]}
    for content in ["I cannot help with that.", "[1, 2]", "42", ""]:
        with pytest.raises(LLMError) as info:
            parse_json_object(content)
        assert info.value.reason == "invalid json"


def test_schema_invalid_reply_is_retried_with_the_same_request(
    server: FakeOpenAIServer, caplog: pytest.LogCaptureFixture
) -> None:
    server.queue_chat('{"answer": "many"}', '{"answer": 7}')
    with caplog.at_level(logging.WARNING, logger="kenning.llm"), make(server.url) as client:
        value, call = client.complete_json(MESSAGES, Answer, purpose="extract")
    assert value.answer == 7
    assert call.ok and call.attempts == 2
    first, second = chat_requests(server)
    assert first == second
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    text = warnings[0].getMessage()
    assert "extract" in text and "fake-chat" in text and "attempt 1 of 4" in text
    assert "schema" in text and "answer" in text


@pytest.mark.parametrize(
    ("reply", "reason"),
    [("no JSON here, sorry", "invalid json"), ('{"answer": "lots"}', "schema")],
)
def test_always_invalid_reply_fails_after_all_retries(
    reply: str, reason: str, caplog: pytest.LogCaptureFixture
) -> None:
    with FakeOpenAIServer(chat_responder=lambda body: reply) as server:
        with (
            caplog.at_level(logging.WARNING, logger="kenning.llm"),
            make(server.url, max_retries=2) as client,
            pytest.raises(LLMCallFailed) as info,
        ):
            client.complete_json(MESSAGES, Answer, purpose="contradiction")
        requests = chat_requests(server)
    failure = info.value
    assert isinstance(failure, LLMError)
    assert failure.reason == reason
    assert failure.call.ok is False
    assert failure.call.error == reason
    assert failure.call.attempts == 3
    assert failure.call.purpose == "contradiction"
    assert len(requests) == 3
    # Tokens were spent on every attempt, and they are accounted for.
    assert failure.call.completion_tokens == 3 * len(reply.split())
    assert sum("giving up" in r.getMessage() for r in caplog.records) == 1
    assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == 3


def test_server_errors_are_retried_and_usage_summed(server: FakeOpenAIServer) -> None:
    server.queue_chat(
        ScriptedFailure(503, "overloaded"),
        ScriptedFailure(503, "overloaded"),
        '{"answer": "x"}',  # schema-invalid, but it has usage
        '{"answer": 1}',
    )
    with make(server.url, max_retries=3, cost_input=2.0, cost_output=4.0) as client:
        value, call = client.complete_json(MESSAGES, Answer, purpose="extract")
    assert value.answer == 1
    assert call.ok and call.attempts == 4
    prompt_words = sum(len(m["content"].split()) for m in MESSAGES)
    assert call.prompt_tokens == 2 * prompt_words  # only the two answered attempts count
    assert call.completion_tokens == 2 + 2
    assert call.cost == pytest.approx(call.prompt_tokens / 1000 * 2.0 + 4 / 1000 * 4.0)
    assert len(chat_requests(server)) == 4


def test_503_twice_then_success(server: FakeOpenAIServer) -> None:
    server.queue_chat(ScriptedFailure(503), ScriptedFailure(502), '{"answer": 3}')
    with make(server.url) as client:
        value, call = client.complete_json(MESSAGES, Answer, purpose="extract")
    assert value.answer == 3
    assert call.attempts == 3 and call.ok
    assert call.completion_tokens == 2


def test_server_errors_exhaust_retries(server: FakeOpenAIServer) -> None:
    server.queue_chat(*[ScriptedFailure(500, "boom")] * 3)
    with make(server.url, max_retries=2) as client, pytest.raises(LLMCallFailed) as info:
        client.complete_json(MESSAGES, Answer, purpose="extract")
    assert info.value.reason == "http 500"
    assert "boom" in str(info.value)
    assert info.value.call.attempts == 3
    assert info.value.call.prompt_tokens == 0  # error responses carry no usage


def test_retry_after_is_honoured(server: FakeOpenAIServer) -> None:
    server.queue_chat(ScriptedFailure(429, "slow down", retry_after=0.3), '{"answer": 5}')
    with make(server.url) as client:
        start = time.perf_counter()
        value, call = client.complete_json(MESSAGES, Answer, purpose="extract")
        elapsed = time.perf_counter() - start
    assert value.answer == 5 and call.attempts == 2
    assert elapsed >= 0.3  # our own back-off would have waited 0.001 s
    assert call.duration_ms >= 300


def test_retry_after_is_capped(server: FakeOpenAIServer) -> None:
    server.queue_chat(ScriptedFailure(429, retry_after=120), '{"answer": 5}')
    with make(server.url, max_backoff=0.05) as client:
        start = time.perf_counter()
        value, call = client.complete_json(MESSAGES, Answer, purpose="extract")
        elapsed = time.perf_counter() - start
    assert value.answer == 5 and call.attempts == 2
    assert elapsed < 2.0


def test_client_error_fails_at_once(server: FakeOpenAIServer) -> None:
    server.queue_chat(ScriptedFailure(400, "context length exceeded"), '{"answer": 1}')
    with make(server.url) as client, pytest.raises(LLMCallFailed) as info:
        client.complete_json(MESSAGES, Answer, purpose="extract")
    assert info.value.reason == "http 400"
    assert "context length exceeded" in str(info.value)
    assert info.value.call.attempts == 1
    assert len(chat_requests(server)) == 1
    assert server.pending_chat_replies == 1


def test_api_key_is_sent_and_a_wrong_one_is_not_retried() -> None:
    with FakeOpenAIServer(api_key="sk-right") as server:
        server.queue_chat('{"answer": 1}')
        with make(server.url, api_key="sk-right") as client:
            assert client.complete_json(MESSAGES, Answer, purpose="extract")[0].answer == 1
        with make(server.url, api_key="sk-wrong") as client, pytest.raises(LLMCallFailed) as info:
            client.complete_json(MESSAGES, Answer, purpose="extract")
        assert server.log[0].headers["authorization"] == "Bearer sk-right"
        assert len(server.log) == 2
    assert info.value.reason == "http 401"
    assert info.value.call.attempts == 1


class SlowResponder:
    """Answers after ``delay`` seconds for the first ``slow_calls`` requests, then at once.

    :meth:`settle` waits until the slow handlers have written their (abandoned) answers,
    so the server's broken-pipe report lands inside the test's captured output.
    """

    def __init__(self, delay: float, slow_calls: int) -> None:
        self.delay = delay
        self.slow_calls = slow_calls
        self.calls = 0
        self._lock = threading.Lock()
        self._finished = threading.Semaphore(0)

    def __call__(self, body: dict[str, Any]) -> str:
        with self._lock:
            self.calls += 1
            slow = self.calls <= self.slow_calls
        if slow:
            time.sleep(self.delay)
            self._finished.release()
        return '{"answer": 9}'

    def settle(self) -> None:
        for _ in range(min(self.calls, self.slow_calls)):
            self._finished.acquire(timeout=5)
        time.sleep(0.05)


def test_timeout() -> None:
    responder = SlowResponder(delay=0.4, slow_calls=2)
    with FakeOpenAIServer(chat_responder=responder) as server:
        with make(server.url, timeout=0.1, max_retries=1) as client:
            start = time.perf_counter()
            with pytest.raises(LLMCallFailed) as info:
                client.complete_json(MESSAGES, Answer, purpose="extract")
            elapsed = time.perf_counter() - start
        responder.settle()
        assert len(chat_requests(server)) == 2
    assert info.value.reason == "timeout"
    assert info.value.call.attempts == 2
    assert info.value.call.error == "timeout"
    assert elapsed < 0.6  # two 0.1 s timeouts, not two 0.4 s answers


def test_timeout_then_success() -> None:
    responder = SlowResponder(delay=0.4, slow_calls=1)
    with FakeOpenAIServer(chat_responder=responder) as server:
        with make(server.url, timeout=0.1) as client:
            value, call = client.complete_json(MESSAGES, Answer, purpose="extract")
        responder.settle()
    assert value.answer == 9
    assert call.attempts == 2 and call.ok


def test_connection_refused() -> None:
    server = FakeOpenAIServer().start()
    url = server.url
    server.stop()
    with make(url, max_retries=1) as client, pytest.raises(LLMCallFailed) as info:
        client.complete_json(MESSAGES, Answer, purpose="extract")
    assert info.value.reason == "connection"
    assert info.value.call.attempts == 2
    assert info.value.call.ok is False
    assert info.value.call.prompt_tokens == 0 and info.value.call.cost == 0.0


def test_usage_and_cost_arithmetic(server: FakeOpenAIServer) -> None:
    reply = '{"answer": 42, "unit": "apples and pears"}'
    server.queue_chat(reply)
    with make(server.url, cost_input=0.5, cost_output=1.5) as client:
        _, call = client.complete_json(MESSAGES, Answer, purpose="extract")
    prompt = sum(len(m["content"].split()) for m in MESSAGES)  # the fake counts words
    completion = len(reply.split())
    assert (call.prompt_tokens, call.completion_tokens) == (prompt, completion)
    assert call.cost == pytest.approx(prompt / 1000 * 0.5 + completion / 1000 * 1.5)
    assert call_cost(1000, 2000, cost_input=0.5, cost_output=1.5) == pytest.approx(3.5)


def test_missing_or_bad_usage_counts_as_zero() -> None:
    # The fake always reports usage, so the envelope reader is checked directly.
    assert _usage({"choices": []}) == (0, 0)
    assert _usage({"usage": {"prompt_tokens": 3}}) == (3, 0)
    assert _usage({"usage": {"prompt_tokens": True, "completion_tokens": -1}}) == (0, 0)
    assert _usage([]) == (0, 0)


def test_bad_settings_are_rejected() -> None:
    with pytest.raises(ConfigError):
        ChatClient(base_url="localhost:11434/v1", model="m")
    with pytest.raises(ValidationError):
        ChatClient(base_url="http://x/v1", model="")
    with pytest.raises(ValidationError):
        ChatClient(base_url="http://x/v1", model="m", max_retries=-1)
    with pytest.raises(ValidationError):
        ChatClient(base_url="http://x/v1", model="m", timeout=0)
    with pytest.raises(ValidationError), make("http://x/v1") as client:
        client.complete_json([], Answer, purpose="extract")


def test_request_body_is_json_serialisable_unicode(server: FakeOpenAIServer) -> None:
    messages = [{"role": "user", "content": "Ça va? 東京 🙂"}]
    server.queue_chat('{"answer": 0}')
    with make(server.url) as client:
        client.complete_json(messages, Answer, purpose="extract")
    assert chat_requests(server)[0]["messages"] == messages
