"""What the OpenAI-compatible HTTP clients share (embeddings in ``kenning.embed``, chat in
``kenning.llm``): reading a server's error message and waiting before a retry."""

from __future__ import annotations

import contextlib
import time

import httpx

_MAX_ERROR_TEXT = 500


def error_message(response: httpx.Response) -> str:
    """The server's error message: OpenAI's ``{"error": {"message": ...}}`` or raw text."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:_MAX_ERROR_TEXT] or response.reason_phrase
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            return str(error["message"])
        if isinstance(error, str):
            return error
        for key in ("message", "detail"):
            if isinstance(body.get(key), str):
                return str(body[key])
    return response.text[:_MAX_ERROR_TEXT]


def back_off(retry: int, retry_after: str | None, *, base: float, cap: float) -> None:
    """Sleep before retry number ``retry`` (from 0): exponential from ``base``, at most
    ``cap``; a numeric ``Retry-After`` header replaces it (also capped)."""
    delay = min(base * (2**retry), cap)
    if retry_after is not None:
        # An HTTP date instead of seconds: keep our own back-off.
        with contextlib.suppress(ValueError):
            delay = min(max(float(retry_after), 0.0), cap)
    time.sleep(delay)
