"""``kenning migrate SRC DST``: copy a whole store to another backend (or file) and verify."""

from __future__ import annotations

import time
from dataclasses import asdict
from typing import Annotated

import typer
from rich.table import Table

from kenning.cli._output import console, print_error, print_json
from kenning.errors import KenningError


def migrate(
    source: Annotated[
        str, typer.Argument(help="Store to copy: a SQLite file or postgresql:// URL.")
    ],
    destination: Annotated[
        str, typer.Argument(help="Store to fill: a SQLite file or postgresql:// URL.")
    ],
    replace: Annotated[
        bool,
        typer.Option(
            "--replace", help="Erase a destination that holds other data first (irreversible)."
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Copy every episode, memory (keys and vectors), entity, link, history entry and API key
    from SOURCE to DESTINATION, then verify row counts and checksums of every table.

    An interrupted copy resumes when run again; a destination with other data is refused
    unless --replace. Stop the servers writing to SOURCE first: rows written during the copy
    may be missed, and verification then fails.
    """
    from kenning.store import open_store
    from kenning.store.transfer import transfer

    started = time.perf_counter()
    try:
        src = open_store(source)
        try:
            dest = open_store(destination)
            try:
                report = transfer(src, dest, replace=replace)
            finally:
                dest.close()
        finally:
            src.close()
    except KenningError as exc:
        print_error(exc)
        raise typer.Exit(2) from exc
    seconds = time.perf_counter() - started
    if as_json:
        print_json({**asdict(report), "seconds": round(seconds, 3)})
        return
    table = Table(title=f"{report.source} → {report.destination}")
    for column in ("table", "rows", "copied now", "checksum"):
        table.add_column(column, justify="right" if column != "table" else "left")
    for t in report.tables:
        table.add_row(t.name, f"{t.rows:,}", f"{t.copied:,}", t.checksum[:16])
    console.print(table)
    resumed = " (resumed an interrupted copy)" if report.resumed else ""
    console.print(f"verified {report.rows:,} rows in {seconds:.1f} s{resumed}")
