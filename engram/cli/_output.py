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
# soft_wrap: an error stays on one line even when stderr is a pipe.
errors = Console(stderr=True, soft_wrap=True)


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
    return value.strftime("%Y-%m-%d") if value else ""


def _signals(hit: Hit) -> str:
    return "\n".join(
        f"{name} {signal.raw:.2f} #{signal.rank}" if signal.rank else f"{name} -"
        for name, signal in hit.signals.items()
    )


def print_hits(hits: Sequence[Hit]) -> None:
    """A table of hits with their score broken down by signal (raw score and rank)."""
    table = Table(show_lines=True)
    table.add_column("#", justify="right")
    table.add_column("score", justify="right")
    table.add_column("text", ratio=1, overflow="fold")
    table.add_column("when / kind", no_wrap=True)
    table.add_column("signals", no_wrap=True)
    # Ids are printed whole (never folded or cut) so they can be pasted into `engram get`.
    table.add_column("id", no_wrap=True, min_width=32)
    for rank, hit in enumerate(hits, start=1):
        table.add_row(
            str(rank),
            f"{hit.score:.3f}",
            hit.memory.text,
            f"{_date(hit.memory.event_time)}\n{hit.memory.kind.value}",
            _signals(hit),
            hit.memory.id,
        )
    console.print(table)


def print_memories(items: Sequence[MemoryItem]) -> None:
    """A table of memories."""
    table = Table()
    table.add_column("id", no_wrap=True, min_width=32)
    for column in ("kind", "status", "when", "session"):
        table.add_column(column, no_wrap=True)
    table.add_column("text", ratio=1, overflow="fold")
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
