"""``kenning bench``: ingest and search figures for synthetic scopes of growing size."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from kenning.cli._output import console

if TYPE_CHECKING:
    from kenning.bench import BenchFigures


def bench(
    messages: Annotated[
        list[int],
        typer.Option("--messages", "-m", help="Scope size in messages (repeat for several)."),
    ],
    workdir: Annotated[
        Path,
        typer.Option("--workdir", help="Where built stores are kept and reused (keyed by size)."),
    ] = Path("bench-stores"),
    search_path: Annotated[
        list[str] | None,
        typer.Option("--search-path", help="auto, exact or two_stage (repeat to compare)."),
    ] = None,
    queries: Annotated[int, typer.Option(help="Timed searches per store.", min=1)] = 200,
    adds: Annotated[int, typer.Option(help="Searches right after an add.", min=1)] = 20,
    batch: Annotated[int, typer.Option(help="Messages per add while building.", min=1)] = 20,
    seed: Annotated[int, typer.Option(help="Seed of the generated chat.")] = 0,
    json_path: Annotated[
        Path | None, typer.Option("--json", help="Also write every figure to this JSON file.")
    ] = None,
) -> None:
    """Build synthetic chat scopes (hash embedder) and measure ingest, search by stage
    (query embedding excluded), cold open, memory and disk per memory. docs/benchmarks.md."""
    from kenning.bench import run_bench
    from kenning.config import SearchPath

    paths = search_path or [SearchPath.AUTO.value]
    for path in paths:
        try:
            SearchPath(path)
        except ValueError:
            raise typer.BadParameter(
                f"{path!r} is not one of auto, exact, two_stage", param_hint="--search-path"
            ) from None
    figures = run_bench(
        messages, workdir, search_paths=paths, queries=queries, adds=adds, batch=batch, seed=seed
    )
    console.print(_table(figures))
    if json_path is not None:
        json_path.write_text(json.dumps([asdict(f) for f in figures], indent=2))
        console.print(f"figures written to {json_path}")


def _table(figures: list[BenchFigures]) -> Table:
    """One column per store and search path, one row per figure (fits a narrow terminal)."""
    from kenning.read.stages import Stage

    table = Table(title="kenning bench (ms unless named; query embedding excluded)")
    table.add_column("figure")
    for f in figures:
        table.add_column(f"{f.messages:,} msgs\n{f.search_path}", justify="right")
    rows: list[tuple[str, Callable[[BenchFigures], str]]] = [
        ("memories", lambda f: f"{f.probe.memories:,}"),
        ("ingest messages/s", lambda f: f"{f.ingest.messages_per_second:.0f}"),
        ("add, first tenth", lambda f: f"{f.ingest.add_ms_first_tenth:.0f}"),
        ("add, last tenth", lambda f: f"{f.ingest.add_ms_last_tenth:.0f}"),
        ("add p50, interleaved", lambda f: f"{f.add_ms['p50']:.0f}" if f.add_ms else ""),
        *(
            (f"search {q}", lambda f, q=q: f"{f.probe.search_ms['total'][q]:.1f}")
            for q in ("p50", "p95", "p99")
        ),
        *(
            (f"  {stage.value} p50", lambda f, s=stage.value: f"{f.probe.search_ms[s]['p50']:.2f}")
            for stage in Stage
        ),
        ("search after add p50", lambda f: f"{f.probe.search_after_add_ms['p50']:.1f}"),
        ("cold open (s)", lambda f: f"{f.probe.cold_open_s:.2f}"),
        ("cold open, no snapshot (s)", lambda f: f"{f.probe.rebuild_open_s:.2f}"),
        ("close, writing the snapshot (s)", lambda f: f"{f.probe.close_s:.2f}"),
        ("RAM bytes/memory", lambda f: f"{f.probe.resident_bytes_per_memory:,.0f}"),
        ("text bytes/memory", lambda f: f"{f.probe.text_bytes_per_memory:,.0f}"),
        ("disk bytes/memory", lambda f: f"{f.probe.disk_bytes_per_memory:,.0f}"),
        ("snapshot bytes/memory", lambda f: f"{f.probe.snapshot_bytes_per_memory:,.0f}"),
    ]
    for label, cell in rows:
        table.add_row(label, *(cell(f) for f in figures))
    return table
