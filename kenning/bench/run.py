"""Build bench stores of growing size and measure them (``kenning bench``).

For each size, one user's scope receives that many generated chat messages
(:func:`kenning.bench.corpus.chat_messages`), ``batch`` messages per ``add`` (a session of
twenty by default), with the hash embedder so that the model's time does not hide the
engine's. Ingest is timed here; everything else in a fresh process
(:mod:`kenning.bench.probe`): the first search (cold open, from the index snapshot and
without one), search latency by stage without the query embedding, a search right after an
``add``, resident memory and disk per memory.
A built store is kept in ``workdir`` and reused by the next run with the same size and seed.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, replace
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np

from kenning.bench.corpus import BenchMessage, chat_messages
from kenning.config import SearchPath, Settings
from kenning.memory import Memory
from kenning.testing import HashEmbedder

BENCH_USER = "bench-user"
_DIM = 384  # MiniLM's dimension, so that vectors weigh what they weigh in production


def bench_memory(
    db: Path, search_path: str = SearchPath.AUTO.value, *, snapshots: bool = True
) -> Memory:
    """A ``Memory`` on a bench store: hash embedder, no embedding cache, default retrieval
    (``snapshots``: whether index snapshots are read and written)."""
    settings = Settings(
        db_path=db,
        embedding_cache_path=None,
        search_path=SearchPath(search_path),
        index_snapshots=snapshots,
    )
    return Memory(db, settings=settings, embedder=HashEmbedder(_DIM))


def percentiles(values: list[float]) -> dict[str, float]:
    """p50, p95 and p99 of some figures (NaN when there are none)."""
    if not values:
        return {"p50": float("nan"), "p95": float("nan"), "p99": float("nan")}
    p50, p95, p99 = np.percentile(np.asarray(values), [50, 95, 99])
    return {"p50": float(p50), "p95": float(p95), "p99": float(p99)}


@dataclass(frozen=True, slots=True)
class IngestFigures:
    """How building the store went."""

    seconds: float
    messages_per_second: float
    add_ms_first_tenth: float  # mean time of one add over the first tenth of the adds
    add_ms_last_tenth: float  # ... and over the last tenth: flat when ingest scales


@dataclass(frozen=True, slots=True)
class ProbeFigures:
    """What a fresh process measures on a built store (milliseconds unless named)."""

    memories: int
    cold_open_s: float  # the first search after opening: loads the scope from its snapshot
    rebuild_open_s: float  # ... with no snapshot: derives the scope from the store
    close_s: float  # closing after the adds, which rewrites the snapshot
    search_ms: dict[str, dict[str, float]]  # "total" and each stage -> p50/p95/p99
    search_after_add_ms: dict[str, float]
    resident_bytes_per_memory: float  # growth of the process by loading the scope
    text_bytes_per_memory: float
    disk_bytes_per_memory: float  # the SQLite file and its WAL
    snapshot_bytes_per_memory: float  # the index snapshot beside it


@dataclass(frozen=True, slots=True)
class BenchFigures:
    """One size's figures (the ingest ones from when the kept store was built)."""

    messages: int
    search_path: str
    ingest: IngestFigures
    probe: ProbeFigures
    # One add of ``batch`` messages, timed interleaved with the other sizes (p50/p95/p99 ms).
    add_ms: dict[str, float] | None = None


def as_dicts(batch: list[BenchMessage]) -> list[dict[str, str]]:
    """Generated messages as ``Memory.add`` takes them."""
    return [
        {
            "role": "user",
            "name": m.speaker,
            "content": m.text,
            "timestamp": m.timestamp.isoformat(),
        }
        for m in batch
    ]


def build(db: Path, messages: int, *, batch: int, seed: int) -> IngestFigures:
    """Ingest ``messages`` generated messages into a new store at ``db``."""
    memory = bench_memory(db)
    times: list[float] = []
    stream = chat_messages(messages, seed=seed)
    start = time.perf_counter()
    while chunk := list(islice(stream, batch)):
        began = time.perf_counter()
        memory.add(as_dicts(chunk), user_id=BENCH_USER, session_id=chunk[0].session_id)
        times.append(time.perf_counter() - began)
    seconds = time.perf_counter() - start
    memory.close()
    tenth = max(1, len(times) // 10)
    return IngestFigures(
        seconds=seconds,
        messages_per_second=messages / seconds,
        add_ms_first_tenth=1000 * float(np.mean(times[:tenth])),
        add_ms_last_tenth=1000 * float(np.mean(times[-tenth:])),
    )


def _probe(
    db: Path, search_path: str, queries: int, warmup: int, adds: int, seed: int
) -> ProbeFigures:
    spec = {
        "db": str(db),
        "search_path": search_path,
        "queries": queries,
        "warmup": warmup,
        "adds": adds,
        "seed": seed,
    }
    return ProbeFigures(**_run_probe("probe", spec))


def _run_probe(mode: str, spec: dict[str, Any]) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "kenning.bench.probe", mode, json.dumps(spec)],
        check=True,
        capture_output=True,
        text=True,
    )
    found: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


def run_bench(
    sizes: list[int],
    workdir: Path,
    *,
    search_paths: list[str],
    queries: int = 200,
    warmup: int = 20,
    adds: int = 20,
    batch: int = 20,
    seed: int = 0,
) -> list[BenchFigures]:
    """Build (or reuse) a store per size in ``workdir`` and probe it once per search path.

    The probe's adds go to a copy of the store, so the kept store stays as built.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    out = []
    for size in sizes:
        db = workdir / f"bench-{size}-seed{seed}-batch{batch}.db"
        done = db.with_suffix(".built")  # holds the build's ingest figures
        if done.exists():
            ingest = IngestFigures(**json.loads(done.read_text()))
        else:
            _remove_store(db)
            ingest = build(db, size, batch=batch, seed=seed)
            done.write_text(json.dumps(asdict(ingest)))
        _write_snapshot(db)
        for path in search_paths:
            copy = workdir / f"probe-{size}.db"
            _remove_store(copy)
            _copy_store(db, copy)
            figures = _probe(copy, path, queries, warmup, adds, seed + 1)
            out.append(BenchFigures(size, path, ingest, figures))
    add_ms = _interleaved_adds(workdir, sizes, adds=adds, batch=batch, seed=seed)
    return [replace(f, add_ms=add_ms[str(f.messages)]) for f in out]


def _interleaved_adds(
    workdir: Path, sizes: list[int], *, adds: int, batch: int, seed: int
) -> dict[str, dict[str, float]]:
    """Per size, the time of one add, all sizes taking turns in one fresh process (on copies)."""
    dbs = {}
    for size in sizes:
        copy = workdir / f"adds-{size}.db"
        _remove_store(copy)
        _copy_store(workdir / f"bench-{size}-seed{seed}-batch{batch}.db", copy)
        dbs[str(size)] = str(copy)
    spec = {"dbs": dbs, "rounds": adds, "batch": batch, "seed": seed}
    return _run_probe("adds", spec)


def _copy_store(source: Path, target: Path) -> None:
    """A consistent copy of a SQLite store (the backup API, WAL included) and its index
    snapshots."""
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    snapshots = Path(f"{source}.index")
    if snapshots.is_dir():
        shutil.copytree(snapshots, Path(f"{target}.index"))


def _remove_store(db: Path) -> None:
    """Delete a store, its WAL and lock files and its index snapshots."""
    for stale in db.parent.glob(db.name + "*"):
        if stale.is_dir():
            shutil.rmtree(stale)
        else:
            stale.unlink()


def _write_snapshot(db: Path) -> None:
    """Give a kept store a current index snapshot: opening the scope reads it, or writes it
    when there is none or it was made by another version."""
    memory = bench_memory(db)
    memory.search("open the scope", user_id=BENCH_USER, limit=1)
    memory.close()
