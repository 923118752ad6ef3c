"""Measure one built bench store in a fresh process: cold open, searches, memory, disk.

Run by :func:`kenning.bench.run.run_bench` as ``python -m kenning.bench.probe probe SPEC``
(a JSON object) so that the cold open and resident memory are those of a process that has
just opened the store; prints one JSON object of :class:`~kenning.bench.run.ProbeFigures`.
``... adds SPEC`` times adds on several stores interleaved (:func:`probe_adds`).
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import json
import os
import sqlite3
import sys
import time
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from itertools import islice
from pathlib import Path
from typing import Any

from kenning.bench.corpus import chat_messages, queries
from kenning.bench.run import BENCH_USER, ProbeFigures, as_dicts, bench_memory, percentiles
from kenning.read.stages import Stage, recording


def _rss_bytes() -> int:
    """Resident set size of this process (Linux /proc), after garbage collection and after
    glibc has handed back freed memory, so that what a load freed again does not count."""
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _scope_size(db: Path) -> tuple[int, int]:
    """Live memories of the bench user and the bytes of their texts."""
    with sqlite3.connect(db) as conn:
        count, text = conn.execute(
            "SELECT count(*), coalesce(sum(length(text)), 0) FROM memories "
            "WHERE user_id = ? AND status != 'deleted'",
            (BENCH_USER,),
        ).fetchone()
    return int(count), int(text)


def _timed_search(memory: Any, query: str) -> dict[str, float]:
    """One search's stage times (seconds) and its total without the query embedding."""
    with recording() as stages:
        start = time.perf_counter()
        memory.search(query, user_id=BENCH_USER, limit=10)
        wall = time.perf_counter() - start
    out = {stage.value: stages.get(stage, 0.0) for stage in Stage}
    out["total"] = wall - stages.get(Stage.EMBED, 0.0)
    return out


def probe(spec: dict[str, Any]) -> ProbeFigures:
    """Open the store, time the first search (cold), then the timed searches and adds."""
    db = Path(spec["db"])
    disk = sum(p.stat().st_size for p in db.parent.glob(db.name + "*") if p.is_file())
    snapshot = sum(p.stat().st_size for p in Path(f"{db}.index").glob("*.snapshot"))
    memory = bench_memory(db, spec["search_path"])
    asked = queries(spec["queries"] + spec["warmup"], seed=spec["seed"])
    memory.search("warm up the query analysis", user_id="bench-empty-user", limit=1)
    before = _rss_bytes()
    cold = _timed_search(memory, asked[0])
    resident = _rss_bytes() - before
    # Counted after the cold open: the count reads the whole table, which a process opening
    # a scope does not do first.
    memories, text_bytes = _scope_size(db)
    for query in asked[1 : spec["warmup"]]:
        _timed_search(memory, query)
    plain = [_timed_search(memory, q) for q in asked[spec["warmup"] :]]
    after_add = []
    moment = datetime(2100, 1, 1, tzinfo=UTC)
    for i, query in enumerate(asked[: spec["adds"]]):
        memory.add(
            [{"role": "user", "name": "Ana", "content": f"Note {i}: {query} I wonder."}],
            user_id=BENCH_USER,
            session_id=f"probe{i}",
            timestamp=moment + timedelta(minutes=i),
        )
        after_add.append(_timed_search(memory, query))
    started = time.perf_counter()
    memory.close()  # memories changed: this writes the scope's snapshot
    close_s = time.perf_counter() - started
    # The same first search with no snapshot to read: the scope is derived from the store.
    rebuilt = bench_memory(db, spec["search_path"], snapshots=False)
    rebuild = _timed_search(rebuilt, asked[0])
    rebuilt.close()
    return ProbeFigures(
        memories=memories,
        cold_open_s=cold["total"],
        rebuild_open_s=rebuild["total"],
        close_s=close_s,
        search_ms={
            key: percentiles([1000 * t[key] for t in plain])
            for key in ["total", *(s.value for s in Stage)]
        },
        search_after_add_ms=percentiles([1000 * t["total"] for t in after_add]),
        resident_bytes_per_memory=resident / max(memories, 1),
        text_bytes_per_memory=text_bytes / max(memories, 1),
        disk_bytes_per_memory=disk / max(memories, 1),
        snapshot_bytes_per_memory=snapshot / max(memories, 1),
    )


def probe_adds(spec: dict[str, Any]) -> dict[str, dict[str, float]]:
    """Time ``add`` on every store in turn, round after round, so that the machine's load
    falls alike on each size: per size (messages), p50/p95/p99 ms of one add of ``batch``
    messages continuing the generated chat."""
    stores = {int(size): bench_memory(Path(db)) for size, db in spec["dbs"].items()}
    batch, rounds = spec["batch"], spec["rounds"]
    times: dict[int, list[float]] = {size: [] for size in stores}
    # Each store continues its own chat where its build stopped.
    streams = {
        size: islice(chat_messages(size + (rounds + 1) * batch, seed=spec["seed"]), size, None)
        for size in stores
    }
    for round_ in range(rounds + 1):  # the first round warms up (loads each scope)
        for size, memory in stores.items():
            chunk = list(islice(streams[size], batch))
            began = time.perf_counter()
            memory.add(as_dicts(chunk), user_id=BENCH_USER, session_id=f"adds{round_}")
            if round_:
                times[size].append(1000 * (time.perf_counter() - began))
    for memory in stores.values():
        memory.close()
    return {str(size): percentiles(found) for size, found in times.items()}


def main() -> None:
    """Entry point: ``probe SPEC`` or ``adds SPEC`` (one JSON argument); prints one JSON object."""
    mode, spec = sys.argv[1], json.loads(sys.argv[2])
    if mode == "adds":
        print(json.dumps(probe_adds(spec)))
    else:
        print(json.dumps(asdict(probe(spec))))


if __name__ == "__main__":
    main()
