"""Rendering of results for the terminal (rich) or as JSON (``--json``)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from kenning.codec import to_jsonable
from kenning.models import HistoryEntry, Hit, MemoryItem

console = Console()
# soft_wrap: an error stays on one line even when stderr is a pipe.
errors = Console(stderr=True, soft_wrap=True)


def print_error(message: object) -> None:
    """``error: <message>`` on stderr, the message printed as text (never as rich markup:
    ``pip install 'kenning[server]'`` keeps its brackets)."""
    errors.print(f"[red]error:[/red] {escape(str(message))}")


def print_json(value: Any) -> None:
    """Print a value as indented JSON on stdout (no colour, for pipes)."""
    print(json.dumps(to_jsonable(value), indent=2, ensure_ascii=False))


def _date(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d") if value else ""


def _signals(hit: Hit) -> str:
    """The signals that added to the score, largest share first: ``bm25 +0.31 (#1)``."""
    shares = sorted(
        ((name, s) for name, s in hit.signals.items() if s.contribution > 0),
        key=lambda item: -item[1].contribution,
    )
    return (
        " · ".join(
            f"{name} +{signal.contribution:.2f}" + (f" (#{signal.rank})" if signal.rank else "")
            for name, signal in shares
        )
        or "no signal"
    )


def print_hits(hits: Sequence[Hit]) -> None:
    """Hits, best first: the text, then when/kind, each signal's raw score and rank, and the id.

    A list rather than a table so texts stay readable at any terminal width; ids are
    printed whole so they can be pasted into ``kenning get``.
    """
    if not hits:
        console.print("[dim]no matching memories[/dim]")
    for rank, hit in enumerate(hits, start=1):
        console.print(
            f"[bold]{rank:>2}.[/bold] [cyan]{hit.score:.3f}[/cyan]  {escape(hit.memory.text)}"
        )
        console.print(
            f"    [dim]{hit.memory.kind.value} · {_date(hit.memory.event_time) or 'no date'} · "
            f"{_signals(hit)} · id {hit.memory.id}[/dim]",
            soft_wrap=True,
        )


def print_memories(items: Sequence[MemoryItem]) -> None:
    """Memories in the order given: text, then kind, status, date, session and id."""
    if not items:
        console.print("[dim]no memories[/dim]")
    for item in items:
        console.print(escape(item.text))
        console.print(
            f"    [dim]{item.kind.value} · {item.status.value} · "
            f"{_date(item.event_time) or 'no date'} · session {item.session_id or '-'} · "
            f"id {item.id}[/dim]",
            soft_wrap=True,
        )


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
