"""Helpers shared by the benchmark scripts (not a benchmark itself).

The scripts are run as ``python benchmarks/<name>.py``, which puts this directory on
``sys.path``, so they import this module as ``_bench``.
"""

from __future__ import annotations

import json
import os
import platform
import shlex
import sqlite3
import sys
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from kenning import Memory, MemoryKind, Settings
from kenning.eval import git_revision
from kenning.eval.locomo import (
    LocomoConversation,
    LocomoSession,
    load_locomo,
    session_messages,
)

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_LOCOMO = REPO_ROOT.parent / "shared" / "data" / "locomo" / "locomo10.json"
"""``../shared/data/locomo/locomo10.json`` relative to the repository root."""


def quantiles_ms(seconds: Sequence[float], qs: Sequence[int] = (50, 95, 99)) -> dict[str, float]:
    """``{"p50": ms, ...}`` of durations given in seconds (numpy's linear interpolation)."""
    if not seconds:
        return {f"p{q}": float("nan") for q in qs}
    values = np.asarray(seconds, dtype=np.float64) * 1000.0
    return {f"p{q}": float(np.percentile(values, q)) for q in qs}


def median(values: Sequence[float]) -> float:
    """The median (NaN for an empty sequence)."""
    return float(np.median(values)) if len(values) else float("nan")


def environment() -> dict[str, Any]:
    """Where and when a figure was measured: date, command, machine, versions."""
    load: list[float] | None
    try:
        load = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        load = None
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join(shlex.quote(a) for a in [Path(sys.executable).name, *sys.argv]),
        "cpu_count": os.cpu_count(),
        "load_average_at_start": load,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "numpy": np.__version__,
        "git_revision": git_revision(),
    }


def print_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """A plain-text table, columns right-aligned except the first."""

    def cell(value: object) -> str:
        if isinstance(value, float):
            if value != value:  # NaN
                return "-"
            return f"{value:.3f}" if abs(value) < 10 else f"{value:.1f}"
        return str(value)

    text = [[cell(v) for v in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in text)) for i, h in enumerate(headers)]

    def line(values: Sequence[str]) -> str:
        parts = [values[0].ljust(widths[0])]
        parts += [v.rjust(w) for v, w in zip(values[1:], widths[1:], strict=True)]
        return "  ".join(parts).rstrip()

    print(line(list(headers)))
    print("  ".join("-" * w for w in widths))
    for row in text:
        print(line(row))


def write_json(path: str | Path, payload: dict[str, Any]) -> None:
    """Write ``payload`` as indented JSON, creating parent directories."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(payload, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    print(f"\nwrote {out}")


def turn_lines(session: LocomoSession) -> Iterator[tuple[str, str, str]]:
    """``(dia_id, speaker, "Speaker: content")`` for each turn Kenning would store.

    The content is what :func:`kenning.eval.locomo.session_messages` hands to ``add`` (text plus
    the photo caption rendering of ``render_turn``); turns that render empty are skipped, as
    there. ``"Speaker: content"`` is how Kenning's index keys read (``speaker_line``).
    """
    for message in session_messages(session):
        name = str(message["name"])
        yield str(message["metadata"]["dia_id"]), name, f"{name}: {message['content']}"


def count_turns(conversation: LocomoConversation) -> int:
    """Turns of a conversation that render non-empty."""
    return sum(1 for s in conversation.sessions for _ in turn_lines(s))


def compare_searches(locomo: Path, stores: list[str], settings: Settings) -> dict[str, Any]:
    """Search every LoCoMo question on every store (one copy of the others); count the
    rankings that differ from the first store's and the largest score gap."""
    engines = [Memory(location, settings=settings) for location in stores]
    questions = differing = 0
    largest_gap = 0.0
    try:
        for conversation in load_locomo(locomo):
            for question in conversation.questions:
                results = [
                    m.search(
                        question.question,
                        user_id=conversation.sample_id,
                        kinds=MemoryKind.TURN,
                        limit=50,
                    )
                    for m in engines
                ]
                ranked = [[h.memory.id for h in r] for r in results]
                questions += 1
                differing += any(r != ranked[0] for r in ranked[1:])
                for r in results[1:]:
                    for a, b in zip(results[0], r, strict=False):
                        largest_gap = max(largest_gap, abs(a.score - b.score))
    finally:
        for m in engines:
            m.close()
    return {"questions": questions, "differing": differing, "largest_score_gap": largest_gap}
