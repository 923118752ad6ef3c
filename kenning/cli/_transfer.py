"""``kenning export FILE`` and ``kenning import FILE``: back up, move and restore a store
(calls ``Memory.export`` / ``Memory.import_``); ``import`` also takes chat files.

What ``import`` does with a file is decided by :func:`detect_import` from its first line.
"""

from __future__ import annotations

import enum
import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from kenning.cli._output import console, print_error, print_json, progress_bar
from kenning.errors import KenningError, ValidationError
from kenning.models import MemoryKind, ModelMismatch

Db = Annotated[
    str | None,
    typer.Option("--db", help="SQLite file or postgresql:// URL (default: the settings')."),
]
Json = Annotated[bool, typer.Option("--json", help="Print the report as JSON.")]


class FileKind(enum.StrEnum):
    """What a file handed to ``kenning import`` holds."""

    EXPORT = "kenning-export"  # a file written by `kenning export` (or Memory.export)
    CHAT = "chat"  # messages: JSON, {"messages": [...]}, {"sessions": [...]} or JSONL
    DOCUMENTS = "documents"  # Markdown or text files, or a folder of them


def detect_import(path: Path) -> FileKind:
    """The kind of a file for ``kenning import``, from its first line (the place to add
    other kinds). A Kenning export starts with its header; a chat file is JSON."""
    from kenning.cli._documents import is_documents
    from kenning.store.export_format import is_export_header

    if is_documents(path):
        return FileKind.DOCUMENTS
    with path.open(encoding="utf-8", errors="replace") as text:
        first = text.readline(1 << 20)
    try:
        head = json.loads(first)
    except json.JSONDecodeError:
        head = None
    if isinstance(head, dict) and is_export_header(head):
        return FileKind.EXPORT
    if path.suffix in (".json", ".jsonl") or first.lstrip()[:1] in ("[", "{"):
        return FileKind.CHAT
    raise ValidationError(
        path.name,
        "not a file kenning import reads: neither a Kenning export (line 1 is its "
        '{"format": "kenning-export", ...} header), a chat file (JSON or JSONL), nor a '
        "document (.md, .markdown, .txt, .text, .rst) or a folder of them",
    )


def export(
    file: Annotated[str, typer.Argument(help="File to write (JSON Lines), or - for stdout.")],
    user: Annotated[
        str | None, typer.Option("--user", "--user-id", "-u", help="Only this user.")
    ] = None,
    db: Db = None,
    as_json: Json = False,
) -> None:
    """Write every episode, memory (keys, vectors, history), entity, mention and link to
    FILE, the whole store or one user's (calls Memory.export; the format: docs/api.md)."""
    from kenning.cli.app import _memory

    with _memory(db) as memory:
        try:
            report = memory.export(sys.stdout if file == "-" else Path(file), user_id=user)
        except (KenningError, OSError) as exc:
            print_error(exc)
            raise typer.Exit(2) from exc
    if file == "-":
        return
    if as_json:
        print_json(report)
        return
    _counts_table(f"exported to {file}", {"records": report.counts})
    console.print(f"{report.records:,} records of {len(report.users)} user(s)")


def import_file(
    path: Annotated[
        Path,
        typer.Argument(
            exists=True,
            help="A Kenning export, a chat file (.json, .jsonl), or documents: a Markdown or "
            "text file (.md, .txt, .rst; PDF text extracted first) or a folder of them.",
        ),
    ],
    user: Annotated[
        str | None,
        typer.Option(
            "--user",
            "--user-id",
            "-u",
            help="Export: only this user's records. Chat file or documents: the user (required).",
        ),
    ] = None,
    session: Annotated[
        str | None, typer.Option(help="Chat file: session id for messages that name none.")
    ] = None,
    model_mismatch: Annotated[
        ModelMismatch,
        typer.Option(help="Export: vectors of another embedding model: embed again, or refuse."),
    ] = ModelMismatch.REEMBED,
    db: Db = None,
    as_json: Json = False,
) -> None:
    """Import a Kenning export (adds what the store lacks: importing it again changes
    nothing; calls Memory.import_), a chat file: a JSON list of messages, {"messages":
    [...]}, {"sessions": [...]}, or JSONL (calls Memory.add per session), or documents:
    Markdown or text files, one or a folder (each one document message, chunked)."""
    try:
        kind = detect_import(path)
    except (KenningError, OSError) as exc:
        print_error(exc)
        raise typer.Exit(2) from exc
    if kind in (FileKind.CHAT, FileKind.DOCUMENTS):
        if user is None:
            print_error(f"importing {kind.value} needs --user (the user they belong to)")
            raise typer.Exit(2)
        if kind is FileKind.CHAT:
            _import_chat(path, user, session, db)
        else:
            _import_documents(path, user, session, db, as_json)
        return
    _import_export(path, user, model_mismatch, db, as_json)


def _import_export(
    path: Path, user: str | None, model_mismatch: ModelMismatch, db: str | None, as_json: bool
) -> None:
    from kenning.cli.app import _memory

    with _memory(db) as memory:
        try:
            report = memory.import_(path, user_id=user, model_mismatch=model_mismatch)
        except (KenningError, OSError) as exc:
            print_error(exc)
            raise typer.Exit(2) from exc
    if as_json:
        print_json(report)
        return
    _counts_table(f"imported {path.name}", {"added": report.added, "skipped": report.skipped})
    again = "" if report.changed else " (nothing new: already imported)"
    reembedded = f", {report.reembedded} memories embedded again" if report.reembedded else ""
    console.print(f"{len(report.users)} user(s){reembedded}{again}")


def _counts_table(title: str, columns: dict[str, dict[str, int]]) -> None:
    table = Table(title=title)
    table.add_column("record")
    for name in columns:
        table.add_column(name, justify="right")
    kinds = sorted({kind for counts in columns.values() for kind in counts})
    for kind in kinds:
        table.add_row(kind, *(f"{counts.get(kind, 0):,}" for counts in columns.values()))
    console.print(table)


def _import_chat(path: Path, user: str, session: str | None, db: str | None) -> None:
    from kenning.cli._importing import read_chat_file
    from kenning.cli.app import _memory

    try:
        batches = read_chat_file(path)
    except (KenningError, OSError) as exc:
        print_error(exc)
        raise typer.Exit(2) from exc
    stored = duplicates = 0
    with _memory(db) as memory, progress_bar(f"importing {path.name}", len(batches)) as advance:
        for done, batch in enumerate(batches, start=1):
            result = memory.add(
                batch.messages,
                user_id=user,
                session_id=batch.session_id or session,
                timestamp=batch.timestamp,
            )
            stored += len(result.episodes)
            duplicates += result.duplicates
            advance(done, len(batches))
    console.print(f"imported {stored} message(s) into user {user!r} ({duplicates} already stored)")


def _import_documents(
    path: Path, user: str, session: str | None, db: str | None, as_json: bool
) -> None:
    from kenning.cli._documents import ImportedDocument, document_files, document_message
    from kenning.cli.app import _memory

    try:
        files = document_files(path)
    except OSError as exc:
        print_error(exc)
        raise typer.Exit(2) from exc
    rows: list[ImportedDocument] = []
    with _memory(db) as memory, progress_bar(f"importing {path.name}", len(files)) as advance:
        for done, document in enumerate(files, start=1):
            try:
                result = memory.add([document_message(document)], user_id=user, session_id=session)
            except KenningError as exc:
                print_error(f"{document.name}: {exc}")
                raise typer.Exit(2) from exc
            chunks = sum(m.kind is MemoryKind.DOCUMENT for m in result.memories)
            rows.append(ImportedDocument(document.name, bool(result.episodes), chunks))
            advance(done, len(files))
    if as_json:
        print_json({"user_id": user, "files": rows})
        return
    stored = [r for r in rows if r.stored]
    console.print(
        f"imported {len(stored)} document(s) into user {user!r} as "
        f"{sum(r.chunks for r in stored)} chunk memories ({len(rows) - len(stored)} already stored)"
    )
