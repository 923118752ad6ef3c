"""Request limits: body size, batch size, text length, page and search sizes, request rate.

Each limit comes from :class:`~kenning.config.Settings` (``server_*`` fields) and fails with
its own status: a body too large, too many messages or a text too long is 413; a search or
page ``limit`` above the maximum is 422 (like one below the minimum); too many requests is 429 with ``Retry-After``.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kenning.config import Settings
from kenning.errors import ValidationError
from kenning.server._errors import ApiError, error_response


@dataclass(frozen=True, slots=True)
class Limits:
    """The limits a server enforces (see the ``server_*`` settings)."""

    max_body_bytes: int = 1_048_576
    max_batch: int = 100
    max_text_chars: int = 20_000
    max_search_limit: int = 100
    max_page_size: int = 500
    rate_limit: int = 600  # requests per minute per key

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        return cls(
            max_body_bytes=settings.server_max_body_bytes,
            max_batch=settings.server_max_batch,
            max_text_chars=settings.server_max_text_chars,
            max_search_limit=settings.server_max_search_limit,
            max_page_size=settings.server_max_page_size,
            rate_limit=settings.server_rate_limit,
        )

    def check_text(self, text: object, field: str) -> None:
        if isinstance(text, str) and len(text) > self.max_text_chars:
            raise ApiError(
                413,
                f"text of {len(text)} characters; at most {self.max_text_chars} are accepted",
                type="limit_exceeded",
                field=field,
            )

    def check_messages(self, messages: Any) -> None:
        """At most ``max_batch`` messages, each at most ``max_text_chars`` long (except
        documents, which are chunked)."""
        batch: Sequence[Any] = [messages] if isinstance(messages, str | Mapping) else messages
        if len(batch) > self.max_batch:
            raise ApiError(
                413,
                f"{len(batch)} messages; at most {self.max_batch} per request",
                type="limit_exceeded",
                field="messages",
            )
        for index, message in enumerate(batch):
            if isinstance(message, str):
                self.check_text(message, f"messages[{index}]")
            elif isinstance(message, Mapping):
                if message.get("role") == "document":
                    continue  # split into chunks, not refused; the body limit still holds
                content = message.get("content")
                where = f"messages[{index}].content"
                self.check_text(content, where)
                for place, part in enumerate(content if isinstance(content, list) else ()):
                    if isinstance(part, Mapping):
                        self.check_text(part.get("text"), f"{where}[{place}].text")

    def check_page(self, limit: int, maximum: int | None = None) -> None:
        """A ``limit`` at most ``maximum`` (default: ``max_page_size``), else 422 naming it."""
        top = self.max_page_size if maximum is None else maximum
        if limit > top:
            raise ValidationError("limit", f"must be at most {top}")


class BodyLimitMiddleware:
    """Answers 413 to a body larger than ``max_bytes``, declared or streamed (chunked)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None:
            if not declared.isdigit() or int(declared) > self.max_bytes:
                await self._refuse(scope, receive, send)
                return
            await self.app(scope, receive, send)
            return
        # No length given: read (at most max_bytes of) the body first, then replay it.
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break
            body = message.get("body", b"")
            size += len(body)
            if size > self.max_bytes:
                await self._refuse(scope, receive, send)
                return
            chunks.append(body)
            more = message.get("more_body", False)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = error_response(
            413,
            f"request body larger than {self.max_bytes} bytes",
            type="too_large",
            headers={"Connection": "close"},
        )
        await response(scope, receive, send)


class RateLimiter:
    """A token bucket per caller: ``per_minute`` tokens, refilled continuously."""

    def __init__(self, per_minute: int) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self._buckets: dict[str, tuple[float, float]] = {}  # caller -> (tokens, at)
        self._lock = threading.Lock()

    def take(self, caller: str) -> float:
        """Spend one token; returns 0 when allowed, else the seconds until one is available."""
        now = time.monotonic()
        with self._lock:
            tokens, at = self._buckets.get(caller, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - at) * self.rate)
            if tokens >= 1.0:
                self._buckets[caller] = (tokens - 1.0, now)
                return 0.0
            self._buckets[caller] = (tokens, now)
            return (1.0 - tokens) / self.rate

    def check(self, caller: str) -> None:
        wait = self.take(caller)
        if wait > 0:
            raise ApiError(
                429,
                f"rate limit of {int(self.capacity)} requests per minute exceeded",
                headers={"Retry-After": str(max(1, math.ceil(wait)))},
            )
