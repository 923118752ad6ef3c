"""A real, scriptable OpenAI-compatible HTTP server for tests.

``FakeOpenAIServer`` listens on ``127.0.0.1`` on a free port in a background thread and
answers the parts of the OpenAI API that Kenning uses:

* ``POST /v1/embeddings``: deterministic vectors from :class:`~kenning.testing.HashEmbedder`
  in OpenAI's response shape (``dimensions`` in the request is honoured);
* ``POST /v1/chat/completions``: the next scripted reply (see :meth:`queue_chat`), or
  the reply of ``chat_responder`` when the queue is empty;
* ``GET /v1/models``: a static model list, for health checks.

Tests script failures with :meth:`fail_next` and inspect every request in
:attr:`requests` / :attr:`log`. Because it is a real socket server, the client code under
test runs unmodified (real httpx, real retries, real timeouts)::

    with FakeOpenAIServer() as server:
        server.fail_next(2, status=503)
        embedder = OpenAIEmbedder("fake-embed", base_url=server.url, backoff=0.001)
        embedder.embed(["hello"])           # succeeds on the third attempt
        assert len(server.requests) == 3
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self

from kenning.embed.hashing import HashEmbedder

EMBEDDINGS_PATH = "/v1/embeddings"
CHAT_PATH = "/v1/chat/completions"
MODELS_PATH = "/v1/models"

ChatResponder = Callable[[dict[str, Any]], str]


@dataclass(frozen=True)
class ScriptedFailure:
    """An error response to send instead of a normal answer.

    ``retry_after`` (seconds) is sent as a ``Retry-After`` header when given.
    """

    status: int = 500
    message: str = "scripted failure"
    retry_after: float | None = None


@dataclass(frozen=True)
class RecordedRequest:
    """One request the server received, failed or not, in arrival order."""

    method: str
    path: str
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class _Reply:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


class FakeOpenAIServer:
    """An OpenAI-compatible server on ``127.0.0.1``; use as a context manager.

    ``dim`` is the default embedding dimension; ``api_key``, when set, is required as a
    bearer token (401 otherwise); ``reverse_order`` returns embedding rows in reverse
    order (with correct ``index`` values) to check that clients reorder them;
    ``chat_responder`` computes a chat reply from the request body when no scripted reply
    is queued.
    """

    def __init__(
        self,
        *,
        dim: int = 64,
        api_key: str | None = None,
        reverse_order: bool = False,
        chat_responder: ChatResponder | None = None,
    ) -> None:
        self.dim = dim
        self.api_key = api_key
        self.reverse_order = reverse_order
        self.chat_responder = chat_responder
        self._lock = threading.Lock()
        self._failures: deque[tuple[str | None, ScriptedFailure]] = deque()
        self._chat_replies: deque[str | ScriptedFailure] = deque()
        self._log: list[RecordedRequest] = []
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._completions = 0

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> Self:
        """Bind a free port and serve in a daemon thread. Returns ``self``."""
        if self._httpd is not None:
            return self
        httpd = _HTTPServer(("127.0.0.1", 0), _Handler)
        httpd.fake = self
        thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        thread.name = f"FakeOpenAIServer:{httpd.server_address[1]}"
        thread.start()
        self._httpd, self._thread = httpd, thread
        return self

    def stop(self) -> None:
        """Stop serving and release the port. Safe to call twice."""
        httpd, thread = self._httpd, self._thread
        self._httpd = self._thread = None
        if httpd is not None:
            httpd.shutdown()
            httpd.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("FakeOpenAIServer is not running: use `with` or call start()")
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        """The API base URL, ``http://127.0.0.1:PORT/v1``, as clients expect it."""
        return f"http://127.0.0.1:{self.port}/v1"

    # -- scripting ---------------------------------------------------------------------------

    def fail_next(
        self,
        n: int = 1,
        *,
        status: int = 500,
        message: str = "scripted failure",
        path: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        """Make the next ``n`` requests (to ``path``, or to any path) fail with ``status``."""
        failure = ScriptedFailure(status=status, message=message, retry_after=retry_after)
        with self._lock:
            self._failures.extend([(path, failure)] * n)

    def queue_chat(self, *replies: str | ScriptedFailure) -> None:
        """Queue chat completion replies: a string is the assistant message, a
        :class:`ScriptedFailure` an error response. Each request consumes one."""
        with self._lock:
            self._chat_replies.extend(replies)

    def reset(self) -> None:
        """Forget scripted failures, queued replies and the request log."""
        with self._lock:
            self._failures.clear()
            self._chat_replies.clear()
            self._log.clear()

    # -- inspection --------------------------------------------------------------------------

    @property
    def log(self) -> list[RecordedRequest]:
        """Every request received, in order (a copy)."""
        with self._lock:
            return list(self._log)

    @property
    def requests(self) -> list[Any]:
        """The parsed JSON body of every request received, in order (``None`` if no body)."""
        return [r.body for r in self.log]

    def requests_to(self, path: str) -> list[Any]:
        """The parsed JSON bodies of the requests to ``path`` (e.g. ``"/v1/embeddings"``)."""
        return [r.body for r in self.log if r.path == path]

    @property
    def pending_chat_replies(self) -> int:
        """How many queued chat replies have not been consumed yet."""
        with self._lock:
            return len(self._chat_replies)

    # -- request handling (called from server threads) ---------------------------------------

    def _handle(self, method: str, path: str, raw: bytes, headers: dict[str, str]) -> _Reply:
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = None
            invalid_json = True
        else:
            invalid_json = False
        route = path.split("?", 1)[0].rstrip("/")
        with self._lock:
            self._log.append(RecordedRequest(method, route, body, headers))
            failure = self._take_failure(route)
        if failure is not None:
            return _failure_reply(failure)
        if self.api_key is not None and headers.get("authorization") != f"Bearer {self.api_key}":
            return _error(401, "Incorrect API key provided", "invalid_request_error")
        if invalid_json:
            return _error(400, "request body is not valid JSON", "invalid_request_error")
        if method == "GET" and route == MODELS_PATH:
            return self._models()
        if method == "POST" and route == EMBEDDINGS_PATH:
            return self._embeddings(body)
        if method == "POST" and route == CHAT_PATH:
            return self._chat(body)
        return _error(404, f"unknown endpoint {method} {route}", "invalid_request_error")

    def _take_failure(self, route: str) -> ScriptedFailure | None:
        for position, (path, failure) in enumerate(self._failures):
            if path is None or path.rstrip("/") == route:
                del self._failures[position]
                return failure
        return None

    def _models(self) -> _Reply:
        data = [
            {"id": name, "object": "model", "created": 0, "owned_by": "kenning-testing"}
            for name in ("fake-embed", "fake-chat")
        ]
        return _Reply(200, {"object": "list", "data": data})

    def _embeddings(self, body: Any) -> _Reply:
        if not isinstance(body, dict) or not isinstance(body.get("model"), str):
            return _error(400, "'model' is required", "invalid_request_error", param="model")
        raw_input = body.get("input")
        texts = [raw_input] if isinstance(raw_input, str) else raw_input
        if not isinstance(texts, list) or not texts or not all(isinstance(t, str) for t in texts):
            return _error(
                400,
                "'input' must be a string or a non-empty array of strings",
                "invalid_request_error",
                param="input",
            )
        if body.get("encoding_format", "float") != "float":
            return _error(400, "only encoding_format 'float' is supported", "invalid_request_error")
        dim = body.get("dimensions", self.dim)
        if isinstance(dim, bool) or not isinstance(dim, int) or dim < 2:
            return _error(400, "'dimensions' must be an integer >= 2", "invalid_request_error")
        vectors = HashEmbedder(dim).embed(texts)
        data = [
            {"object": "embedding", "index": i, "embedding": [float(x) for x in vectors[i]]}
            for i in range(len(texts))
        ]
        if self.reverse_order:
            data.reverse()
        tokens = sum(len(t.split()) for t in texts)
        return _Reply(
            200,
            {
                "object": "list",
                "data": data,
                "model": body["model"],
                "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
            },
        )

    def _chat(self, body: Any) -> _Reply:
        if not isinstance(body, dict) or not isinstance(body.get("model"), str):
            return _error(400, "'model' is required", "invalid_request_error", param="model")
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            return _error(400, "'messages' must be a non-empty array", "invalid_request_error")
        if body.get("stream"):
            return _error(400, "FakeOpenAIServer does not stream", "invalid_request_error")
        with self._lock:
            reply: str | ScriptedFailure | None = (
                self._chat_replies.popleft() if self._chat_replies else None
            )
            self._completions += 1
            number = self._completions
        if reply is None and self.chat_responder is not None:
            reply = self.chat_responder(body)
        if reply is None:
            return _error(500, "FakeOpenAIServer: no scripted chat reply left", "server_error")
        if isinstance(reply, ScriptedFailure):
            return _failure_reply(reply)
        prompt_tokens = sum(
            len(str(m.get("content", "")).split()) for m in messages if isinstance(m, dict)
        )
        completion_tokens = len(reply.split())
        return _Reply(
            200,
            {
                "id": f"chatcmpl-fake-{number}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body["model"],
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": reply},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {
                    "prompt_tokens": prompt_tokens,
                    "completion_tokens": completion_tokens,
                    "total_tokens": prompt_tokens + completion_tokens,
                },
            },
        )


def _error(status: int, message: str, kind: str, *, param: str | None = None) -> _Reply:
    """An error in OpenAI's shape: ``{"error": {"message", "type", "param", "code"}}``."""
    return _Reply(
        status, {"error": {"message": message, "type": kind, "param": param, "code": None}}
    )


def _failure_reply(failure: ScriptedFailure) -> _Reply:
    kind = (
        "rate_limit_error"
        if failure.status == 429
        else ("server_error" if failure.status >= 500 else "invalid_request_error")
    )
    reply = _error(failure.status, failure.message, kind)
    if failure.retry_after is not None:
        return _Reply(reply.status, reply.body, {"Retry-After": f"{failure.retry_after:g}"})
    return reply


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeOpenAIServer


class _Handler(BaseHTTPRequestHandler):
    server: _HTTPServer
    server_version = "FakeOpenAI/1.0"

    def do_GET(self) -> None:
        self._respond("GET")

    def do_POST(self) -> None:
        self._respond("POST")

    def _respond(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length > 0 else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            reply = self.server.fake._handle(method, self.path, raw, headers)
        except Exception as exc:  # a bug in the fake must show up as a response, not a hang
            reply = _error(500, f"FakeOpenAIServer crashed: {exc!r}", "server_error")
        payload = json.dumps(reply.body).encode("utf-8")
        self.send_response(reply.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: the request log is :attr:`FakeOpenAIServer.log`."""


__all__ = ["FakeOpenAIServer", "RecordedRequest", "ScriptedFailure"]
