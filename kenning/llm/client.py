"""JSON completions from any OpenAI-compatible ``/v1/chat/completions`` endpoint.

Works with OpenAI itself and with local servers that speak the same API (Ollama, vLLM,
llama.cpp, LM Studio). :meth:`ChatClient.complete_json` asks for a JSON object
(``temperature: 0``, ``response_format: {"type": "json_object"}``), repairs the small
mistakes models make (markdown fences, prose around the object, trailing commas, single
quotes, a missing closing brace) and validates the result against a pydantic model.

Failures are retried with exponential back-off: connection errors, timeouts, HTTP 429 and
5xx (honouring ``Retry-After``), and answers that cannot be parsed or do not fit the
schema (the same request is sent again). Any other 4xx is the caller's mistake and fails
at once. Every logical call, successful or not, yields an
:class:`~kenning.models.LLMCall` record with token usage (summed over attempts), cost (per
1,000 tokens), duration including back-off waits, attempt count and failure reason; a failure raises :class:`LLMCallFailed`, which
carries that record. Conventions (URL check, back-off, error text) mirror
:class:`kenning.embed.openai.OpenAIEmbedder`.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Self, TypeVar

import httpx
import json_repair
import pydantic

from kenning._http import back_off, error_message
from kenning.errors import ConfigError, LLMError, ValidationError
from kenning.models import LLMCall

logger = logging.getLogger(__name__)

T = TypeVar("T", bound=pydantic.BaseModel)

_MAX_CONTENT_IN_LOG = 200
_FENCE = re.compile(r"```[ \t]*[A-Za-z0-9_-]*[ \t]*\r?\n?(.*?)```", re.DOTALL)
_OPEN_FENCE = re.compile(r"^\s*```[ \t]*[A-Za-z0-9_-]*[ \t]*\r?\n?")


class LLMCallFailed(LLMError):
    """A chat call failed for good (after retries, or at once on a client error).

    ``reason`` is the last attempt's reason; ``call`` is the accounting record, with
    ``ok=False`` and the tokens spent on the failed attempts.
    """

    def __init__(self, reason: str, message: str, call: LLMCall) -> None:
        super().__init__(reason, message)
        self.call = call


class _AttemptFailed(Exception):
    """One failed attempt; internal to :class:`ChatClient`."""

    def __init__(
        self,
        reason: str,
        detail: str,
        *,
        retryable: bool = True,
        retry_after: str | None = None,
    ) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail
        self.retryable = retryable
        self.retry_after = retry_after


class ChatClient:
    """Calls ``POST {base_url}/chat/completions`` of an OpenAI-compatible server.

    ``base_url`` includes the API version, e.g. ``"http://localhost:11434/v1"``.
    ``max_retries`` is the number of retries after the first attempt; the n-th retry
    waits ``backoff * 2**(n-1)`` seconds, or the server's ``Retry-After``, capped at
    ``max_backoff``. ``cost_input`` and ``cost_output`` are prices per 1,000 prompt and
    completion tokens. The client is safe to share between threads.
    """

    def __init__(
        self,
        *,
        base_url: str,
        model: str,
        api_key: str | None = None,
        timeout: float = 60.0,
        max_retries: int = 3,
        backoff: float = 0.5,
        max_backoff: float = 30.0,
        cost_input: float = 0.0,
        cost_output: float = 0.0,
    ) -> None:
        if not model:
            raise ValidationError("model", "must name the chat model")
        base = base_url.rstrip("/")
        if not base.startswith(("http://", "https://")):
            raise ConfigError(f"LLM base_url must be an http(s) URL, got {base_url!r}")
        if timeout <= 0:
            raise ValidationError("timeout", f"must be > 0, got {timeout}")
        if max_retries < 0:
            raise ValidationError("max_retries", f"must be >= 0, got {max_retries}")
        if backoff < 0:
            raise ValidationError("backoff", f"must be >= 0, got {backoff}")
        if max_backoff < 0:
            raise ValidationError("max_backoff", f"must be >= 0, got {max_backoff}")
        if cost_input < 0:
            raise ValidationError("cost_input", f"must be >= 0, got {cost_input}")
        if cost_output < 0:
            raise ValidationError("cost_output", f"must be >= 0, got {cost_output}")
        self._model = model
        self._base_url = base
        self._timeout = timeout
        self._max_retries = max_retries
        self._backoff = backoff
        self._max_backoff = max_backoff
        self._cost_input = cost_input
        self._cost_output = cost_output
        self._headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(timeout=timeout)

    @property
    def model(self) -> str:
        return self._model

    @property
    def base_url(self) -> str:
        return self._base_url

    def complete_json(
        self, messages: list[dict[str, str]], schema: type[T], *, purpose: str
    ) -> tuple[T, LLMCall]:
        """Send ``messages`` and return the reply parsed into ``schema``, with its record.

        Raises :class:`LLMCallFailed` when every attempt failed or a client error (4xx
        other than 429) ends the call early.
        """
        if not messages:
            raise ValidationError("messages", "must not be empty")
        body: dict[str, Any] = {
            "model": self._model,
            "messages": messages,
            "temperature": 0,
            "response_format": {"type": "json_object"},
        }
        started_at = datetime.now(UTC)
        clock = time.perf_counter()
        usage = [0, 0]
        attempt = 0
        while True:
            attempt += 1
            try:
                content = self._post(body, usage)
                value = _parse(content, schema)
            except _AttemptFailed as failure:
                last = attempt > self._max_retries or not failure.retryable
                logger.warning(
                    "LLM %s call to %s failed (attempt %d of %d, %s): %s: %s",
                    purpose,
                    self._model,
                    attempt,
                    self._max_retries + 1,
                    "giving up" if last else "retrying",
                    failure.reason,
                    failure.detail,
                )
                if last:
                    call = self._record(
                        purpose, started_at, clock, usage, attempt, error=failure.reason
                    )
                    raise LLMCallFailed(
                        failure.reason,
                        f"{purpose} call to {self._model} at {self._base_url} failed after "
                        f"{attempt} attempt(s): {failure.detail}",
                        call,
                    ) from failure
                self._sleep(attempt - 1, failure.retry_after)
                continue
            return value, self._record(purpose, started_at, clock, usage, attempt, error=None)

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self._client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"ChatClient(model={self._model!r}, base_url={self._base_url!r})"

    # -- one attempt -------------------------------------------------------------------------

    def _post(self, body: dict[str, Any], usage: list[int]) -> str:
        """One HTTP attempt: returns the assistant content, adds the usage to ``usage``."""
        try:
            response = self._client.post(
                f"{self._base_url}/chat/completions",
                json=body,
                headers=self._headers,
                timeout=self._timeout,
            )
        except httpx.TimeoutException as exc:
            raise _AttemptFailed("timeout", f"no answer within {self._timeout:g} s") from exc
        except httpx.TransportError as exc:  # connect, read, protocol errors
            raise _AttemptFailed("connection", repr(exc)) from exc
        status = response.status_code
        if status >= 400:
            transient = status == 429 or status >= 500
            raise _AttemptFailed(
                f"http {status}",
                error_message(response),
                retryable=transient,
                retry_after=response.headers.get("retry-after") if transient else None,
            )
        try:
            payload = response.json()
        except ValueError as exc:
            raise _AttemptFailed("invalid json", "the response body is not JSON") from exc
        prompt, completion = _usage(payload)
        usage[0] += prompt
        usage[1] += completion
        content = _content(payload)
        if content is None:
            raise _AttemptFailed("invalid json", "the response has no assistant message content")
        return content

    def _sleep(self, retry: int, retry_after: str | None) -> None:
        back_off(retry, retry_after, base=self._backoff, cap=self._max_backoff)

    def _record(
        self,
        purpose: str,
        started_at: datetime,
        clock: float,
        usage: Sequence[int],
        attempts: int,
        *,
        error: str | None,
    ) -> LLMCall:
        prompt, completion = usage[0], usage[1]
        return LLMCall(
            purpose=purpose,
            model=self._model,
            started_at=started_at,
            duration_ms=(time.perf_counter() - clock) * 1000.0,
            prompt_tokens=prompt,
            completion_tokens=completion,
            cost=call_cost(
                prompt, completion, cost_input=self._cost_input, cost_output=self._cost_output
            ),
            ok=error is None,
            attempts=attempts,
            error=error,
        )


def call_cost(
    prompt_tokens: int, completion_tokens: int, *, cost_input: float, cost_output: float
) -> float:
    """Price of a call: ``cost_input`` and ``cost_output`` are per 1,000 tokens."""
    return prompt_tokens / 1000.0 * cost_input + completion_tokens / 1000.0 * cost_output


def parse_json_object(content: str) -> dict[str, Any]:
    """The JSON object in a model's reply, repaired if needed.

    Strips markdown code fences, then parses strictly; if that fails, ``json_repair``
    fixes trailing commas, single quotes, missing closing brackets and prose around the
    object. Raises :class:`~kenning.errors.LLMError` (reason ``"invalid json"``) when no
    JSON object can be recovered.
    """
    try:
        return _json_object(content)
    except _AttemptFailed as failure:
        raise LLMError(failure.reason, failure.detail) from None


def _json_object(content: str) -> dict[str, Any]:
    text = _strip_fences(content)
    try:
        value: Any = json.loads(text)
    except ValueError:
        try:
            value = json_repair.loads(text)
        except Exception as exc:  # a third-party parser: any failure means "not JSON"
            raise _AttemptFailed("invalid json", f"cannot repair the reply: {exc!r}") from exc
    if not isinstance(value, dict):
        raise _AttemptFailed(
            "invalid json",
            f"expected a JSON object, got {type(value).__name__}: {_snippet(content)}",
        )
    return value


def _parse(content: str, schema: type[T]) -> T:
    data = _json_object(content)
    try:
        return schema.model_validate(data)
    except pydantic.ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc']) or '<root>'}: {error['msg']}"
            for error in exc.errors()[:3]
        )
        more = f" (+{exc.error_count() - 3} more)" if exc.error_count() > 3 else ""
        raise _AttemptFailed(
            "schema", f"{schema.__name__}: {problems}{more}; reply: {_snippet(content)}"
        ) from exc


def _strip_fences(content: str) -> str:
    match = _FENCE.search(content)
    if match is not None:
        return match.group(1).strip()
    # An opening fence without its closing one: a truncated reply.
    return _OPEN_FENCE.sub("", content, count=1).strip()


def _snippet(content: str) -> str:
    flat = " ".join(content.split())
    if len(flat) <= _MAX_CONTENT_IN_LOG:
        return repr(flat)
    return repr(flat[:_MAX_CONTENT_IN_LOG] + "...")


def _usage(payload: Any) -> tuple[int, int]:
    """``(prompt_tokens, completion_tokens)`` from the response; 0 for what is missing."""
    usage = payload.get("usage") if isinstance(payload, dict) else None
    if not isinstance(usage, dict):
        return 0, 0
    return _count(usage.get("prompt_tokens")), _count(usage.get("completion_tokens"))


def _count(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return 0
    return value


def _content(payload: Any) -> str | None:
    """The first choice's assistant message content, or ``None``."""
    choices = payload.get("choices") if isinstance(payload, dict) else None
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        return None
    message = choices[0].get("message")
    content = message.get("content") if isinstance(message, dict) else None
    return content if isinstance(content, str) else None


# LLMCall lives in kenning.models (the usage records are domain data); re-exported here.
__all__ = [
    "ChatClient",
    "LLMCall",
    "LLMCallFailed",
    "call_cost",
    "parse_json_object",
]
