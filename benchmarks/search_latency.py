"""``Memory.search`` latency on one scope of a few hundred turns, without the query embedding.

What it does:

1. Builds a ``Memory`` on a fresh SQLite file in a temporary directory and ingests one
   conversation into one user scope, one ``add`` per session (as ``kenning eval locomo`` does):
   the first ``--turns`` turns of the first LoCoMo conversation that has that many (or the
   longest one), or, when the LoCoMo file is absent (or with ``--synthetic``), a synthetic
   conversation of ``--turns`` turns generated from templates with ``--seed``.
2. Closes it and opens a new ``Memory`` on the same file, so that the first search loads the
   scope from SQLite (reported as the cold first search).
3. Times ``--queries`` calls of ``Memory.search(question, user_id=..., limit=10)`` with the
   default kinds and fusion: the conversation's LoCoMo questions (categories 1-4), cycled if
   there are fewer; synthetic questions otherwise. ``--warmup`` searches run first, untimed.

Excluding the query embedding: the embedder handed to ``Memory`` is wrapped in
``PreEmbedded``, which embeds every query text once before the timed loop (with the real
embedder) and then answers ``embed([query])`` with a dict lookup. The timed figure is
therefore everything ``Memory.search`` does except running the model: validation, the
eligibility mask, the dense mat-vec, BM25, fusion, building hits and the SQLite write that
records the access (``Store.record_access``, one transaction per search). That write is
also timed alone on the same hits, and the searches are timed once more on a ``Memory`` whose
store (a ``SQLiteStore`` subclass passed as ``store=``) skips it: ranking alone. With ``--embedder minilm`` (and also for ``hash``) a
second pass disables the lookup, so each search embeds its query with the real model:
that is the latency an application sees.

It also reports the first search after an ``add`` (the index catches up from the change feed;
new BM25 documents go to an appended part, so nothing is rebuilt) and the scope's size
(memories by kind, index keys).

Run::

    .venv/bin/python benchmarks/search_latency.py                      # hash embedder, LoCoMo
    .venv/bin/python benchmarks/search_latency.py --embedder minilm --json out.json
    .venv/bin/python benchmarks/search_latency.py --synthetic --turns 600 --queries 200

Wall-clock ``time.perf_counter``; percentiles over the timed queries. The machine's other load
shows in p95/p99 far more than in p50.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import random
import sqlite3
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from _bench import DEFAULT_LOCOMO, environment, print_table, quantiles_ms, write_json

from kenning import Memory
from kenning.embed import (
    Embedder,
    EmbedderWrapper,
    HashEmbedder,
    OnnxEmbedder,
    Vectors,
)
from kenning.eval.locomo import LocomoConversation, load_locomo, session_messages
from kenning.store import SQLiteStore

USER = "bench"


class PreEmbedded(EmbedderWrapper):
    """An embedder whose answers for preloaded texts are dict lookups.

    ``preload(texts)`` embeds the texts with the wrapped embedder and keeps the vectors; a
    later ``embed`` call whose texts are all preloaded returns them without calling the model
    (while ``enabled``). Anything else goes to the wrapped embedder.
    """

    def __init__(self, inner: Embedder) -> None:
        super().__init__(inner)
        self._table: dict[str, np.ndarray[Any, np.dtype[np.float32]]] = {}
        self.enabled = True
        self.lookups = 0

    def preload(self, texts: Sequence[str]) -> None:
        missing = [t for t in dict.fromkeys(texts) if t not in self._table]
        if missing:
            self._table.update(zip(missing, self._inner.embed(missing), strict=True))

    def embed(self, texts: Sequence[str]) -> Vectors:
        if self.enabled and texts and all(t in self._table for t in texts):
            self.lookups += 1
            return np.vstack([self._table[t] for t in texts])
        return self._inner.embed(texts)


class NoAccessStore(SQLiteStore):
    """The SQLite store with ``record_access`` doing nothing (to time ranking alone)."""

    def record_access(
        self, counts: Mapping[str, int], at: datetime, *, strength_gain: float = 0.0
    ) -> None:
        return None


@dataclass
class Session:
    session_id: str
    timestamp: datetime | None
    messages: list[dict[str, Any]]


def locomo_workload(path: Path, turns: int) -> tuple[str, list[Session], list[str]]:
    """The first ``turns`` turns (whole sessions, the last one cut) and the questions."""
    conversations = list(load_locomo(path))

    def size(c: LocomoConversation) -> int:
        return sum(len(session_messages(s)) for s in c.sessions)

    chosen = next((c for c in conversations if size(c) >= turns), None)
    if chosen is None:
        chosen = max(conversations, key=size)
    sessions: list[Session] = []
    left = turns
    for session in chosen.sessions:
        messages = session_messages(session)[:left]
        if messages:
            sessions.append(Session(session.session_id, session.date, messages))
            left -= len(messages)
        if left <= 0:
            break
    questions = [q.question for q in chosen.questions]
    return f"LoCoMo {chosen.sample_id}", sessions, questions


_NAMES = ("Alex", "Sam")
_PLACES = ["Lisbon", "the lake", "Kyoto", "the museum", "grandma's farm", "Berlin", "the gym"]
_HOBBIES = ["pottery", "climbing", "chess", "baking sourdough", "painting", "running", "guitar"]
_PEOPLE = ["my sister", "my boss", "an old friend", "my neighbour", "my cousin", "our coach"]
_THINGS = ["a bike", "a puppy", "a camera", "new boots", "a book on birds", "a tent"]
_TEMPLATES = [
    "I went to {place} with {person} last weekend.",
    "I started {hobby} a few weeks ago and I love it.",
    "{person} gave me {thing} for my birthday!",
    "Honestly {hobby} has been hard lately, I might take a break.",
    "We are planning a trip to {place} next month.",
    "I bought {thing} yesterday, it was on sale.",
    "Did I tell you {person} moved to {place}?",
    "That sounds great! How was {place}?",
    "I keep thinking about {hobby}; maybe {person} would join me.",
    "Thanks! I'll send you a photo of {thing}.",
]
_QUESTIONS = [
    "When did {name} go to {place}?",
    "What hobby did {name} start?",
    "Who gave {name} {thing}?",
    "Where is {name} planning a trip?",
    "What did {name} buy?",
    "Who moved to {place}?",
]


def synthetic_workload(turns: int, seed: int) -> tuple[str, list[Session], list[str]]:
    """A two-speaker conversation of ``turns`` template turns in sessions of 20, and questions."""
    rng = random.Random(seed)

    def fill(template: str) -> str:
        return template.format(
            place=rng.choice(_PLACES),
            hobby=rng.choice(_HOBBIES),
            person=rng.choice(_PEOPLE),
            thing=rng.choice(_THINGS),
            name=rng.choice(_NAMES),
        )

    sessions: list[Session] = []
    start = datetime(2024, 1, 1, 9, 0, tzinfo=UTC)
    for number, first in enumerate(range(0, turns, 20), start=1):
        messages = [
            {
                "role": "user",
                "name": _NAMES[i % 2],
                "content": fill(rng.choice(_TEMPLATES)),
                "metadata": {"turn": i},
            }
            for i in range(first, min(first + 20, turns))
        ]
        sessions.append(Session(f"session_{number}", start + timedelta(days=7 * number), messages))
    questions = [fill(rng.choice(_QUESTIONS)) for _ in range(200)]
    return f"synthetic (seed {seed})", sessions, questions


def scope_keys(db_path: Path) -> int | None:
    """Index keys of the user's live memories, read straight from the SQLite file."""
    try:
        with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as conn:
            row = conn.execute(
                "SELECT COUNT(*) FROM memory_keys k JOIN memories m ON m.id = k.memory_id "
                "WHERE m.user_id = ? AND m.status != 'deleted'",
                (USER,),
            ).fetchone()
    except sqlite3.Error:
        return None
    return int(row[0])


def time_searches(memory: Memory, queries: Sequence[str], limit: int) -> list[float]:
    durations = []
    for query in queries:
        started = time.perf_counter()
        memory.search(query, user_id=USER, limit=limit)
        durations.append(time.perf_counter() - started)
    return durations


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--embedder", choices=("hash", "minilm"), default="hash")
    parser.add_argument("--turns", type=int, default=600)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--limit", type=int, default=10, help="hits per search")
    parser.add_argument("--warmup", type=int, default=10, help="untimed searches first")
    parser.add_argument("--data", type=Path, default=DEFAULT_LOCOMO, help="locomo10.json")
    parser.add_argument("--synthetic", action="store_true", help="ignore --data")
    parser.add_argument("--seed", type=int, default=0, help="synthetic conversation seed")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args(argv)
    env = environment()

    if not args.synthetic and args.data.is_file():
        source, sessions, questions = locomo_workload(args.data, args.turns)
    else:
        source, sessions, questions = synthetic_workload(args.turns, args.seed)
    queries = list(itertools.islice(itertools.cycle(questions), args.queries))
    turns = sum(len(s.messages) for s in sessions)

    inner: Embedder = HashEmbedder() if args.embedder == "hash" else OnnxEmbedder()
    embedder = PreEmbedded(inner)
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="kenning-bench-") as tmp:
        db = Path(tmp) / "bench.db"
        started = time.perf_counter()
        with Memory(db, embedder=embedder) as memory:
            for s in sessions:
                memory.add(s.messages, user_id=USER, session_id=s.session_id, timestamp=s.timestamp)
        ingest_seconds = time.perf_counter() - started

        embedder.preload(queries)
        memory = Memory(db, embedder=embedder)
        # A second Memory on the same file whose store skips record_access: ranking alone.
        quiet = Memory(store=NoAccessStore(db), embedder=embedder)
        try:
            stats = memory.stats(user_id=USER)
            keys = scope_keys(db)
            gc.collect()
            started = time.perf_counter()
            memory.search(queries[0], user_id=USER, limit=args.limit)
            cold_ms = (time.perf_counter() - started) * 1000
            time_searches(memory, queries[: args.warmup], args.limit)
            time_searches(quiet, queries[: args.warmup], args.limit)

            # Interleaved per query, so that load from other processes hits all three alike.
            excluded: list[float] = []
            ranking_only: list[float] = []
            access: list[float] = []
            lookups_before = embedder.lookups
            gc.collect()
            for query in queries:
                excluded += time_searches(memory, [query], args.limit)
                ranking_only += time_searches(quiet, [query], args.limit)
                hits = quiet.search(query, user_id=USER, limit=args.limit).hits
                ids, at = [h.memory.id for h in hits], datetime.now(UTC)
                started = time.perf_counter()
                memory.store.record_access(dict.fromkeys(ids, 1), at)
                access.append(time.perf_counter() - started)
            assert embedder.lookups - lookups_before == 3 * len(queries), "a query was embedded"

            embedder.enabled = False
            time_searches(memory, queries[: args.warmup], args.limit)
            gc.collect()
            included = time_searches(memory, queries, args.limit)
            embedder.enabled = True

            after_add = []
            for i, query in enumerate(queries[:50]):
                memory.add(
                    f"Bench note {i}: I moved the {query.split()[-1]} meeting to Friday.",
                    user_id=USER,
                    session_id="bench-after-add",
                )
                embedder.preload([query])
                started = time.perf_counter()
                memory.search(query, user_id=USER, limit=args.limit)
                after_add.append(time.perf_counter() - started)
        finally:
            quiet.close()
            memory.close()

    memories = sum(stats.memories.values())
    print(
        f"scope: {source}, {turns} turns in {len(sessions)} sessions -> {memories} memories "
        f"({', '.join(f'{k} {v}' for k, v in sorted(stats.memories.items()))}), "
        f"{keys if keys is not None else '?'} index keys; embedder {inner.model_id}"
    )
    print(
        f"ingest {ingest_seconds:.1f} s; {len(queries)} queries ({len(set(queries))} distinct), "
        f"limit {args.limit}; cold first search (loads the scope) {cold_ms:.1f} ms\n"
    )
    rows = [
        ("search, query embedding excluded", excluded),
        ("  record_access alone (SQLite write txn)", access),
        ("  search with record_access stubbed out", ranking_only),
        (f"search, query embedded by {inner.model_id}", included),
        ("search right after an add (BM25 rebuild), excl. embedding", after_add),
    ]
    table = []
    for name, values in rows:
        q = quantiles_ms(values)
        table.append([name, len(values), q["p50"], q["p95"], q["p99"]])
        results[name.strip()] = {"n": len(values), **q}
    print_table(["measure", "n", "p50 ms", "p95 ms", "p99 ms"], table)

    if args.json is not None:
        write_json(
            args.json,
            {
                "benchmark": "search_latency",
                "environment": env,
                "config": {
                    "embedder": inner.model_id,
                    "turns": turns,
                    "sessions": len(sessions),
                    "queries": len(queries),
                    "distinct_queries": len(set(queries)),
                    "limit": args.limit,
                    "warmup": args.warmup,
                    "source": source,
                },
                "scope": {"memories": stats.memories, "memories_total": memories, "keys": keys},
                "ingest_seconds": ingest_seconds,
                "cold_first_search_ms": cold_ms,
                "ms": results,
            },
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
