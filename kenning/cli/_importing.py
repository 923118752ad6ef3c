"""Reading chat files for ``kenning import``: JSON or JSONL, grouped into sessions."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kenning.errors import ValidationError


@dataclass(frozen=True, slots=True)
class Batch:
    """Messages of one session, added in one call."""

    session_id: str | None
    timestamp: str | None
    messages: list[dict[str, Any]]


def _with_import_id(message: dict[str, Any], where: str, index: int) -> dict[str, Any]:
    """Give a message without ``id`` a stable one, so importing a file twice stores it once.

    The id covers the file name, the message's place in the file and its content: the same
    file imported again is recognised, while equal messages elsewhere stay distinct.
    """
    if "id" in message:
        return message
    basis = json.dumps(
        [where, index, message.get("role"), message.get("name"), message.get("content")]
    )
    return {**message, "id": "import:" + hashlib.sha256(basis.encode()).hexdigest()[:32]}


def _split_sessions(messages: list[Any], where: str) -> Iterator[Batch]:
    current: list[dict[str, Any]] = []
    current_session: str | None = None
    for index, raw in enumerate(messages):
        if isinstance(raw, str):
            raw = {"role": "user", "content": raw}
        if not isinstance(raw, dict):
            raise ValidationError(f"{where}[{index}]", "must be a message object or a string")
        message = dict(raw)
        session = message.pop("session_id", None)
        if current and session != current_session:
            yield Batch(current_session, None, current)
            current = []
        current_session = session
        current.append(_with_import_id(message, where, index))
    if current:
        yield Batch(current_session, None, current)


def read_chat_file(path: Path) -> list[Batch]:
    """Batches from a chat file.

    Accepted shapes: JSONL (one message object per line); a JSON list of messages;
    ``{"messages": [...]}``; or ``{"sessions": [{"session_id", "timestamp", "messages"}]}``.
    A message may carry ``session_id``; consecutive messages of one session form a batch.
    """
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".jsonl":
        messages = []
        for number, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                try:
                    messages.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise ValidationError(
                        f"{path.name}:{number}", f"invalid JSON: {exc.msg}"
                    ) from exc
        return list(_split_sessions(messages, path.name))
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationError(path.name, f"invalid JSON at line {exc.lineno}: {exc.msg}") from exc
    if isinstance(data, list):
        return list(_split_sessions(data, path.name))
    if isinstance(data, dict) and isinstance(data.get("messages"), list):
        return list(_split_sessions(data["messages"], f"{path.name}.messages"))
    if isinstance(data, dict) and isinstance(data.get("sessions"), list):
        batches = []
        for index, session in enumerate(data["sessions"]):
            where = f"{path.name}.sessions[{index}]"
            if not isinstance(session, dict) or not isinstance(session.get("messages"), list):
                raise ValidationError(where, "must be an object with a 'messages' list")
            for batch in _split_sessions(session["messages"], f"{where}.messages"):
                batches.append(
                    Batch(
                        session.get("session_id", batch.session_id),
                        session.get("timestamp"),
                        batch.messages,
                    )
                )
        return batches
    raise ValidationError(
        path.name, "expected a list of messages, {'messages': [...]} or {'sessions': [...]}"
    )
