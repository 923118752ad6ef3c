"""Rendering of results for the terminal (rich) or as JSON (``--json``)."""

from __future__ import annotations

import dataclasses
import enum
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from engram.models import HistoryEntry, Hit, MemoryItem

console = Console()
errors = Console(stderr=True)


def to_jsonable(value: Any) -> Any:
    """Dataclasses, enums and datetimes as plain JSON values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    return value


def print_json(value: Any) -> None:
    """Print a value as indented JSON on stdout (no colour, for pipes)."""
    print(json.dumps(to_jsonable(value), indent=2, ensure_ascii=False))


def _date(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else ""


def print_hits(hits: Sequence[Hit]) -> None:
    """A table of hits with their score broken down by signal."""
    table = Table(show_lines=False)
    for column in ("#", "score", "dense", "bm25", "kind", "when", "text", "id"):
        table.add_column(column, overflow="fold" if column == "text" else "ellipsis")
    for rank, hit in enumerate(hits, start=1):
        dense = hit.signals.get("dense")
        bm25 = hit.signals.get("bm25")
        table.add_row(
            str(rank),
            f"{hit.score:.3f}",
            f"{dense.raw:.2f} (#{dense.rank})" if dense and dense.rank else "-",
            f"{bm25.raw:.2f} (#{bm25.rank})" if bm25 and bm25.rank else "-",
            hit.memory.kind.value,
            _date(hit.memory.event_time),
            hit.memory.text,
            hit.memory.id[:12],
        )
    console.print(table)


def print_memories(items: Sequence[MemoryItem]) -> None:
    """A table of memories."""
    table = Table()
    for column in ("id", "kind", "status", "when", "session", "text"):
        table.add_column(column, overflow="fold" if column == "text" else "ellipsis")
    for item in items:
        table.add_row(
            item.id,
            item.kind.value,
            item.status.value,
            _date(item.event_time),
            item.session_id or "",
            item.text,
        )
    console.print(table)


def print_history(entries: Sequence[HistoryEntry]) -> None:
    """A table of history entries, oldest first."""
    table = Table()
    for column in ("at", "action", "old", "new"):
        table.add_column(column, overflow="fold")
    for entry in entries:
        table.add_row(
            entry.at.isoformat(), entry.action.value, entry.old_text or "", entry.new_text or ""
        )
    console.print(table)


@contextmanager
def progress_bar(description: str, total: int | None) -> Iterator[Any]:
    """A progress bar on stderr; yields a ``callback(done, total)``."""
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=errors,
        transient=False,
    ) as bar:
        task = bar.add_task(description, total=total)

        def update(done: int, total_now: int) -> None:
            bar.update(task, completed=done, total=total_now)

        yield update
