"""OpenAIEmbedder against a real HTTP server (FakeOpenAIServer)."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import httpx
import numpy as np
import pytest

from kenning.embed import Embedder, HashEmbedder, OpenAIEmbedder
from kenning.errors import ConfigError, EmbeddingError
from kenning.testing import FakeOpenAIServer

FAST_BACKOFF = 0.001  # seconds: retries are exercised for real, just quickly


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer(dim=48) as s:
        yield s


def make(
    server: FakeOpenAIServer,
    *,
    batch_size: int = 64,
    max_retries: int = 3,
    backoff: float = FAST_BACKOFF,
    api_key: str | None = None,
) -> OpenAIEmbedder:
    return OpenAIEmbedder(
        "fake-embed",
        base_url=server.url,
        api_key=api_key,
        batch_size=batch_size,
        timeout=5.0,
        max_retries=max_retries,
        backoff=backoff,
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_shapes_values_and_model_id(server: FakeOpenAIServer) -> None:
    texts = ["Alice moved to Berlin", "Bob likes tea", "Carol plays chess"]
    with make(server) as embedder:
        assert embedder.model_id == f"openai:fake-embed@{server.url}"
        out = embedder.embed(texts)
        assert out.shape == (3, 48)
        assert out.dtype == np.float32
        assert embedder.dim == 48
        np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, rtol=1e-5)
        np.testing.assert_allclose(out, HashEmbedder(48).embed(texts), atol=1e-6)
    assert server.requests == [{"model": "fake-embed", "input": texts}]
    # After the first call: on Python 3.11 isinstance() reads `dim`, which would probe.
    assert isinstance(embedder, Embedder)


def test_rows_are_reordered_by_index() -> None:
    texts = [f"text number {i}" for i in range(7)]
    with FakeOpenAIServer(dim=32, reverse_order=True) as server, make(server) as embedder:
        out = embedder.embed(texts)
    np.testing.assert_allclose(out, HashEmbedder(32).embed(texts), atol=1e-6)


def test_batches_by_batch_size(server: FakeOpenAIServer) -> None:
    texts = [f"memory {i}" for i in range(10)]
    with make(server, batch_size=4) as embedder:
        out = embedder.embed(texts)
    assert out.shape == (10, 48)
    assert [len(body["input"]) for body in server.requests] == [4, 4, 2]
    np.testing.assert_allclose(out, HashEmbedder(48).embed(texts), atol=1e-6)


def test_dim_probes_once_when_asked_first(server: FakeOpenAIServer) -> None:
    with make(server) as embedder:
        assert embedder.dim == 48
        assert embedder.dim == 48
        assert len(server.requests) == 1
        assert embedder.embed([]).shape == (0, 48)
        assert len(server.requests) == 1


def test_retries_after_scripted_500s(server: FakeOpenAIServer) -> None:
    server.fail_next(2, status=500)
    with make(server, max_retries=3) as embedder:
        out = embedder.embed(["hello"])
    assert out.shape == (1, 48)
    assert len(server.requests) == 3


def test_retries_on_429_honouring_retry_after(server: FakeOpenAIServer) -> None:
    server.fail_next(1, status=429, message="slow down", retry_after=0)
    with make(server, backoff=10.0) as embedder:  # Retry-After: 0 overrides the long back-off
        started = time.monotonic()
        embedder.embed(["hello"])
        assert time.monotonic() - started < 5
    assert len(server.requests) == 2


def test_gives_up_after_max_retries(server: FakeOpenAIServer) -> None:
    server.fail_next(5, status=503, message="overloaded")
    with make(server, max_retries=2) as embedder, pytest.raises(EmbeddingError, match="overloaded"):
        embedder.embed(["hello"])
    assert len(server.requests) == 3


def test_400_raises_at_once_with_the_server_message(server: FakeOpenAIServer) -> None:
    server.fail_next(1, status=400, message="input is too long for this model")
    with make(server) as embedder, pytest.raises(EmbeddingError, match="too long for this model"):
        embedder.embed(["hello"])
    assert len(server.requests) == 1


def test_401_with_wrong_key_is_not_retried() -> None:
    with FakeOpenAIServer(api_key="sk-right") as server:
        with make(server, api_key="sk-wrong") as bad, pytest.raises(EmbeddingError, match="401"):
            bad.embed(["x"])
        assert len(server.requests) == 1
        with make(server, api_key="sk-right") as good:
            assert good.embed(["x"]).shape == (1, 64)


def test_server_down_raises_after_retries() -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"
    with (
        OpenAIEmbedder("m", base_url=url, max_retries=2, backoff=FAST_BACKOFF) as embedder,
        pytest.raises(EmbeddingError, match="after 3 attempt"),
    ):
        embedder.embed(["hello"])


def test_dimension_change_between_calls_is_an_error(server: FakeOpenAIServer) -> None:
    with make(server) as embedder:
        embedder.embed(["a"])
        server.dim = 24
        with pytest.raises(EmbeddingError, match="dimension changed"):
            embedder.embed(["b"])


def _bad_server(body: dict[str, object]) -> httpx.Client:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=body)

    return httpx.Client(transport=httpx.MockTransport(handler))


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"nope": []}, "no 'data' list"),
        ({"data": []}, "received 0 embedding"),
        ({"data": [{"index": 0, "embedding": [1.0]}, {"index": 0, "embedding": [1.0]}]}, "twice"),
        ({"data": [{"index": 5, "embedding": [1.0]}, {"index": 1, "embedding": [1.0]}]}, "index"),
        (
            {"data": [{"index": 0, "embedding": [1.0, 0.0]}, {"index": 1, "embedding": [1.0]}]},
            "length",
        ),
        ({"data": [{"index": 0, "embedding": "AAAA"}, {"index": 1, "embedding": "AAAA"}]}, "list"),
        (
            {"data": [{"index": 0, "embedding": [1.0, "x"]}, {"index": 1, "embedding": [1, 2]}]},
            "numeric",
        ),
        (
            {"data": [{"index": 0, "embedding": [1e39]}, {"index": 1, "embedding": [1.0]}]},
            "infinity",
        ),
    ],
)
def test_malformed_responses_are_rejected(body: dict[str, object], message: str) -> None:
    with (
        _bad_server(body) as client,
        OpenAIEmbedder("m", base_url="http://x/v1", client=client) as embedder,
        pytest.raises(EmbeddingError, match=message),
    ):
        embedder.embed(["a", "b"])


def test_rejects_a_non_http_base_url() -> None:
    with pytest.raises(ConfigError):
        OpenAIEmbedder("m", base_url="localhost:11434/v1")


def test_fake_server_chat_completions_script() -> None:
    from kenning.testing.openai_server import ScriptedFailure

    with FakeOpenAIServer() as server, httpx.Client(base_url=server.url) as client:
        server.queue_chat("first answer", ScriptedFailure(status=500, message="boom"))
        request = {"model": "fake-chat", "messages": [{"role": "user", "content": "hi"}]}
        ok = client.post("/chat/completions", json=request)
        assert ok.status_code == 200
        assert ok.json()["choices"][0]["message"] == {
            "role": "assistant",
            "content": "first answer",
        }
        failed = client.post("/chat/completions", json=request)
        assert failed.status_code == 500
        assert failed.json()["error"]["message"] == "boom"
        empty = client.post("/chat/completions", json=request)
        assert empty.status_code == 500
        server.chat_responder = lambda body: "computed: " + body["messages"][-1]["content"]
        computed = client.post("/chat/completions", json=request)
        assert computed.json()["choices"][0]["message"]["content"] == "computed: hi"
        assert len(server.requests_to("/v1/chat/completions")) == 4
        assert client.get("/models").status_code == 200
        assert client.post("/nowhere", json={}).status_code == 404
