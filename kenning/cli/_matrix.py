"""``kenning eval matrix``: the tables of a development matrix, for the terminal and markdown."""

from __future__ import annotations

import shlex
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from kenning.cli._output import console
from kenning.codec import to_jsonable
from kenning.eval.ablation import DEFAULT
from kenning.eval.matrix import LeftOut, MatrixLimits, MatrixOutcome, MatrixReport

_FIGURES = ("figure", "default", "plain")


@dataclass(frozen=True, slots=True)
class TextTable:
    """A table of formatted cells, for a terminal or for markdown."""

    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


def _signed(value: float) -> str:
    return f"{value:+.3f}"


def matrix_tables(report: MatrixReport) -> tuple[TextTable, TextTable]:
    """The left-out table (a row per dataset, then their unweighted mean) and the table of each
    variant's difference from the default (a row per variant, a column per dataset)."""
    summary = report.summary
    by_name = {o.dataset.name: o for o in report.outcomes}

    def row(name: str, label: str, r: LeftOut, each: str) -> tuple[str, ...]:
        figures = (f"{r.default:.3f}", f"{r.plain:.3f}", _signed(r.default - r.plain))
        return (name, label, *figures, r.choice, f"{r.figure:.3f}", each)

    rows = []
    for r in summary.left_out:
        dataset = by_name[r.dataset].dataset
        default = by_name[r.dataset].result["ablation"][DEFAULT]["overall"]
        each = ", ".join(f"{m} {float(default[m]):.3f}" for m in dataset.reported)
        rows.append(row(r.dataset, dataset.headline_label, r, each))
    if len(summary.left_out) > 1:
        mean = {k: statistics.fmean(getattr(r, k) for r in summary.left_out) for k in _FIGURES}
        rows.append(row("mean", "", LeftOut("mean", "", None, **mean), ""))
    left_out = TextTable(
        "development matrix: headline figures and the left-out choice",
        (
            "dataset",
            "headline",
            "default",
            "dense + BM25",
            "Δ vs plain",
            "left-out choice",
            "left-out figure",
            "default, each metric",
        ),
        tuple(rows),
    )
    names = tuple(by_name)
    deltas = TextTable(
        "each variant minus the default; better or worse on: where its 95% paired bootstrap "
        f"interval excludes 0 (a fixed margin of {summary.noise:g} without per-question figures)",
        ("variant", *names, "better than default on", "worse than default on"),
        tuple(
            (
                v.variant,
                *(_signed(v.deltas[n]) for n in names),
                ", ".join(v.better_on) or "-",
                ", ".join(v.worse_on) or "-",
            )
            for v in summary.variants
        ),
    )
    return left_out, deltas


def _is_figure(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return not cell
    return True


def _is_figure_column(cells: Sequence[str]) -> bool:
    return all(_is_figure(c) for c in cells)


def to_markdown(table: TextTable) -> str:
    """A GitHub-flavoured markdown table: columns of figures right-aligned, pipes escaped."""

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"

    columns = [[r[i] for r in table.rows] for i in range(len(table.headers))]
    aligns = ["---:" if c and _is_figure_column(c) else "---" for c in columns]
    return "\n".join([line(table.headers), line(aligns), *(line(r) for r in table.rows)])


def markdown(tables: Sequence[TextTable], command: str) -> str:
    """The tables under their titles, after the command that measured them."""
    parts = [f"Command: `{command}`"]
    parts += [f"**{t.title}**\n\n{to_markdown(t)}" for t in tables]
    return "\n\n".join(parts) + "\n"


def print_tables(tables: Sequence[TextTable]) -> None:
    """The tables with rich, wide enough to read the same in a log file."""
    wide = Console(width=max(console.width, 160))
    for text in tables:
        table = Table(title=text.title)
        for i, header in enumerate(text.headers):
            figures = _is_figure_column([r[i] for r in text.rows])
            table.add_column(header, justify="right" if figures else "left", overflow="fold")
        for row in text.rows:
            table.add_row(*row)
        wide.print(table)


def command_line(
    data_dir: Path,
    *,
    out: Path,
    only: str | None,
    resume: bool,
    limits: MatrixLimits,
    markdown: Path | None,
    as_json: bool,
) -> str:
    """The command as a shell line, every option that differs from its default spelled out."""
    args = ["kenning", "eval", "matrix", str(data_dir), "--out", str(out)]
    args += ["--only", only] if only else []
    args += [] if resume else ["--no-resume"]
    options = {
        "--limit-locomo": limits.locomo_conversations,
        "--limit-longmemeval": limits.longmemeval_questions,
        "--limit-realmem-persons": limits.realmem_persons,
        "--limit-realmem-queries": limits.realmem_queries,
        "--limit-hipporag": limits.hipporag_questions,
    }
    args += [a for option, v in options.items() if v is not None for a in (option, str(v))]
    args += ["--markdown", str(markdown)] if markdown else []
    args += ["--json"] if as_json else []
    return shlex.join(args)


def describe_outcome(outcome: MatrixOutcome) -> str:
    """One line on a finished dataset: run or loaded, where its result is."""
    how = "loaded (resume)" if outcome.resumed else "ran"
    return f"{outcome.dataset.name}: {how}, {outcome.path}"


def report_json(report: MatrixReport, command: str) -> dict[str, Any]:
    """What ``--json`` prints: the command, each dataset's headline per variant and file, and
    the leave-one-out summary."""
    return {
        "command": command,
        "datasets": {
            o.dataset.name: {
                "file": str(o.path),
                "resumed": o.resumed,
                "headline": list(o.dataset.headline),
                "variants": report.table[o.dataset.name],
            }
            for o in report.outcomes
        },
        "leave_one_out": to_jsonable(report.summary),
        "harmful_components": [v.variant for v in report.summary.harmful_components],
    }
