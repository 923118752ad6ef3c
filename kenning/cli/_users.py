"""``kenning users``, ``kenning sessions USER``, ``kenning delete-user USER``: the store's
users and sessions, and erasing a user (each calls one ``Memory`` method)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from kenning.cli._output import console, print_json

Db = Annotated[
    str | None,
    typer.Option("--db", help="SQLite file or postgresql:// URL (default: the settings')."),
]
Json = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
User = Annotated[str, typer.Argument(help="User id.")]


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "-"


def users(db: Db = None, as_json: Json = False) -> None:
    """Every user of the store: messages, memories, first and last activity (calls
    Memory.users)."""
    from kenning.cli.app import _memory

    with _memory(db) as memory:
        found = memory.users()
    if as_json:
        print_json(found)
        return
    if not found:
        console.print("[dim]no users[/dim]")
        return
    table = Table()
    for column in ("user", "messages", "memories", "first", "last"):
        table.add_column(column, justify="right" if column in ("messages", "memories") else "left")
    for user in found:
        table.add_row(
            escape(user.user_id),
            f"{user.episodes:,}",
            f"{user.memories:,}",
            _when(user.first_at),
            _when(user.last_at),
        )
    console.print(table)


def sessions(user: User, db: Db = None, as_json: Json = False) -> None:
    """A user's sessions, latest first: messages, memories, first and last event (calls
    Memory.sessions)."""
    from kenning.cli.app import _memory

    with _memory(db) as memory:
        found = memory.sessions(user_id=user)
    if as_json:
        print_json(found)
        return
    if not found:
        console.print(f"[dim]no sessions for user {escape(user)}[/dim]")
        return
    table = Table()
    for column in ("session", "messages", "memories", "first", "last"):
        table.add_column(column, justify="right" if column in ("messages", "memories") else "left")
    for session in found:
        table.add_row(
            escape(session.session_id) if session.session_id is not None else "[dim](none)[/dim]",
            f"{session.episodes:,}",
            f"{session.memories:,}",
            _when(session.first_at),
            _when(session.last_at),
        )
    console.print(table)


def delete_user(
    user: User,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    db: Db = None,
    as_json: Json = False,
) -> None:
    """Erase a user and everything of it, as a hard forget does; no undo (calls
    Memory.delete_user)."""
    from kenning.cli.app import _memory

    if not yes:
        typer.confirm(f"Erase user {user!r} with every message and memory, for good?", abort=True)
    with _memory(db) as memory:
        result = memory.delete_user(user)
    if as_json:
        print_json(result)
        return
    console.print(
        f"erased user {escape(user)}: {result.erased_episodes} message(s) and "
        f"{result.erased_memories} memories"
    )
