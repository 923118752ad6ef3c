"""Helpers shared by the dataset runners: result stamping, timing, hit-to-id mapping, JSON files."""

from __future__ import annotations

import gzip
import importlib.metadata
import json
import math
import os
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from kenning.errors import ValidationError
from kenning.models import Hit, MemoryKind

from ._protocol import SupportsAdd, SupportsMemory

Progress = Callable[[int, int], None]
"""Called as ``progress(done, total)`` after each unit of work (conversation, question, ...)."""

UNMAPPED_PREFIX = "\x00unmapped:"
"""Prefix of the placeholder id given to a hit whose memory carries no dataset id."""


def kenning_version() -> str:
    """Installed version of the ``kenning`` distribution, or ``"unknown"``."""
    try:
        return importlib.metadata.version("kenning")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def git_revision() -> str | None:
    """``git rev-parse HEAD`` of the checkout this package lives in; ``None`` on any failure."""
    try:
        completed = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=Path(__file__).resolve().parent,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    revision = completed.stdout.strip()
    return revision or None


def stamp() -> dict[str, str | None]:
    """The version stamp every result's ``config`` carries."""
    return {"kenning_version": kenning_version(), "git_revision": git_revision()}


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile (0-100) with linear interpolation between closest ranks.

    Same as numpy's default (``method="linear"``, Hyndman & Fan 1996 definition 7). ``None``
    for an empty sequence.
    """
    if not 0 <= q <= 100:
        raise ValidationError("q", f"must be within [0, 100], got {q}")
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    lower = math.floor(position)
    upper = math.ceil(position)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


@dataclass(slots=True)
class Timer:
    """Accumulates ingest and query wall-clock time for a run."""

    ingest_seconds: float = 0.0
    ingested: int = 0
    query_durations: list[float] = field(default_factory=list)

    def add(
        self,
        memory: SupportsAdd,
        messages: Sequence[Mapping[str, Any]],
        *,
        user_id: str,
        session_id: str | None = None,
        timestamp: datetime | None = None,
    ) -> None:
        """Call ``memory.add`` and time it."""
        started = time.perf_counter()
        memory.add(messages, user_id=user_id, session_id=session_id, timestamp=timestamp)
        self.ingest_seconds += time.perf_counter() - started
        self.ingested += len(messages)

    def search(
        self,
        memory: SupportsMemory,
        query: str,
        *,
        user_id: str,
        limit: int,
        kind: MemoryKind,
        record: bool = True,
        now: datetime | None = None,
    ) -> list[Hit]:
        """Call ``memory.search`` restricted to one kind and time it (``record=False``: don't).

        ``now`` is when the question is asked, if the dataset says (relative times in the query
        are resolved against it); else the engine's default, the scope's latest event time.
        """
        started = time.perf_counter()
        result = memory.search(query, user_id=user_id, limit=limit, kinds=[kind], now=now)
        if record:
            self.query_durations.append(time.perf_counter() - started)
        return list(result.hits)

    def report(self, *, unit: str) -> dict[str, float | int | None]:
        """Timing block of a result; ``unit`` names what was ingested (turns, passages)."""
        p50 = percentile(self.query_durations, 50)
        p95 = percentile(self.query_durations, 95)
        return {
            "ingest_seconds": self.ingest_seconds,
            unit: self.ingested,
            "query_seconds": sum(self.query_durations),
            "queries": len(self.query_durations),
            "query_ms_p50": None if p50 is None else p50 * 1000,
            "query_ms_p95": None if p95 is None else p95 * 1000,
        }


def ranked_ids(hits: Iterable[Hit], key: Callable[[Hit], object]) -> list[str]:
    """Dataset ids of ``hits`` in rank order, each id once (at its best rank).

    ``key`` reads the id from a hit (from its metadata or session id). A hit without one keeps
    its rank under a placeholder id that matches no gold, so ranks stay honest.
    """
    out: list[str] = []
    seen: set[str] = set()
    for hit in hits:
        value = key(hit)
        item = f"{UNMAPPED_PREFIX}{hit.memory.id}" if value is None else str(value)
        if item not in seen:
            seen.add(item)
            out.append(item)
    return out


def metadata_key(name: str) -> Callable[[Hit], object]:
    """A ``ranked_ids`` key reading ``hit.memory.metadata[name]``."""

    def read(hit: Hit) -> object:
        return hit.memory.metadata.get(name)

    return read


def session_key(hit: Hit) -> object:
    """A ``ranked_ids`` key reading the hit's session id (session-level retrieval)."""
    return hit.memory.session_id


def check_ks(ks: Iterable[int]) -> tuple[int, ...]:
    """Sorted unique cut-offs, each at least 1."""
    values = tuple(sorted(set(ks)))
    if not values or any(k < 1 for k in values):
        raise ValidationError("ks", f"must be a non-empty list of integers >= 1, got {values}")
    return values


def read_json(path: str | Path) -> Any:
    """Parse a JSON file, gzip-compressed when its name ends in ``.gz``; a missing or
    malformed file raises ``ValidationError``."""
    try:
        if str(path).endswith(".gz"):
            with gzip.open(path, "rt", encoding="utf-8") as compressed:
                return json.load(compressed)
        with Path(path).open(encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, EOFError) as exc:
        raise ValidationError("path", f"cannot read {path}: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise ValidationError("path", f"{path} is not valid JSON: {exc}") from exc


def write_json(path: str | Path, data: Any) -> Path:
    """Write ``data`` as JSON (indent 1, UTF-8) to a temporary file beside ``path``, then rename."""
    target = Path(path)
    handle, temporary = tempfile.mkstemp(
        dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"
    )
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(data, out, ensure_ascii=False, indent=1)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target


def expect_list(value: object, where: str) -> list[Any]:
    """``value`` if it is a JSON array, else ``ValidationError`` naming ``where``."""
    if not isinstance(value, list):
        raise ValidationError(where, f"expected a list, got {type(value).__name__}")
    return value


def expect_dict(value: object, where: str) -> dict[str, Any]:
    """``value`` if it is a JSON object, else ``ValidationError`` naming ``where``."""
    if not isinstance(value, dict):
        raise ValidationError(where, f"expected an object, got {type(value).__name__}")
    return value


def expect_str(value: object, where: str) -> str:
    """``value`` if it is a string, else ``ValidationError`` naming ``where``."""
    if not isinstance(value, str):
        raise ValidationError(where, f"expected a string, got {type(value).__name__}")
    return value


def optional_text(value: object) -> str | None:
    """A free-text field that may be absent or hold a number (answers): ``str`` or ``None``."""
    if value is None:
        return None
    return value if isinstance(value, str) else str(value)


def describe(memory: object) -> dict[str, Any]:
    """The engine configuration under test, if the memory can describe itself."""
    describer = getattr(memory, "describe", None)
    return {"engine": describer()} if callable(describer) else {}
