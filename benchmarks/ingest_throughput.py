"""``Memory.add`` throughput: LoCoMo conversations ingested into a fresh SQLite file.

Each of the first ``--conversations`` LoCoMo conversations (default: all 10) goes into its own
user scope of one ``Memory`` on a new SQLite file in a temporary directory, one ``add`` per
session (its turns as ``session_messages`` renders them, ``session_id`` and the session date),
as ``kenning eval locomo`` does. Reported: turns per second over the whole ingest, the time spent
inside the embedder (the embedder is wrapped in a timer) and the rest, which is the engine's own
work: validation, idempotency keys, SQLite writes (two transactions per ``add``,
``synchronous=FULL``), deriving turn/round/session memories, centroid vectors and history.

Runs:

* ``hash``: ``HashEmbedder`` (no model): the engine's own overhead, plus a pure-Python
  feature-hashing embedder whose share is shown separately.
* ``hash, scopes loaded``: the same, but each scope is loaded (one search) before its first
  ``add``, so every ``add`` also updates the in-memory dense and BM25 indexes, as in an
  application that searches and adds. (In the first run no scope is loaded during ingest, so
  the index work is deferred to the first search; its cost is reported as "first search".)
* ``one add per message``: the first ``--per-message-turns`` turns of the longest conversation,
  each in its own ``add`` (keeping its session), as a chat application adding messages as they
  arrive would; reports the mean ``add`` time at the start and at the end, and the file size.
* with ``--embedder minilm``: the default MiniLM (``OnnxEmbedder``) behind a
  ``CachedEmbedder`` with a fresh temporary ``EmbeddingCache`` (cold: every turn is embedded),
  then again into another fresh database with the same, now warm, cache (every vector is a
  cache hit). The model is loaded and warmed up before timing.

Run::

    .venv/bin/python benchmarks/ingest_throughput.py
    .venv/bin/python benchmarks/ingest_throughput.py --embedder minilm --json out.json
    .venv/bin/python benchmarks/ingest_throughput.py --conversations 2 --data path/to/locomo10.json

Wall clock (``time.perf_counter``), one run each; on a shared machine expect a few percent of
noise between runs.
"""

from __future__ import annotations

import argparse
import gc
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from _bench import DEFAULT_LOCOMO, environment, median, print_table, quantiles_ms, write_json

from kenning import Memory
from kenning.embed import (
    CachedEmbedder,
    Embedder,
    EmbeddingCache,
    HashEmbedder,
    OnnxEmbedder,
)
from kenning.eval.locomo import LocomoConversation, load_locomo, session_messages
from kenning.testing import CountingEmbedder

TimedEmbedder = CountingEmbedder  # counts calls and texts, adds up the seconds


@dataclass
class Run:
    name: str
    turns: int = 0
    adds: int = 0
    seconds: float = 0.0
    embed_seconds: float = 0.0
    embedded_texts: int = 0
    add_seconds: list[float] = field(default_factory=list)
    first_search_seconds: list[float] = field(default_factory=list)
    memories: int = 0
    db_bytes: int = 0

    def row(self) -> list[object]:
        engine = self.seconds - self.embed_seconds
        return [
            self.name,
            self.turns,
            self.seconds,
            self.turns / self.seconds,
            self.embed_seconds,
            engine,
            self.turns / engine,
            quantiles_ms(self.add_seconds)["p50"],
            median(self.first_search_seconds) * 1000,
        ]

    def as_dict(self) -> dict[str, Any]:
        engine = self.seconds - self.embed_seconds
        return {
            "turns": self.turns,
            "adds": self.adds,
            "seconds": self.seconds,
            "turns_per_second": self.turns / self.seconds,
            "embedder_seconds": self.embed_seconds,
            "embedded_texts": self.embedded_texts,
            "engine_seconds": engine,
            "engine_turns_per_second": self.turns / engine,
            "add_ms": quantiles_ms(self.add_seconds),
            "first_search_ms_median": median(self.first_search_seconds) * 1000,
            "memories": self.memories,
            "db_bytes": self.db_bytes,
        }


def ingest(
    name: str,
    conversations: Sequence[LocomoConversation],
    embedder: Embedder,
    directory: Path,
    *,
    load_scopes: bool,
) -> Run:
    """Ingest every conversation into a new database; time the adds, then one search each."""
    timed = TimedEmbedder(embedder)
    run = Run(name)
    db = directory / f"{name.replace(' ', '-').replace(',', '')}.db"
    memory = Memory(db, embedder=timed)
    try:
        gc.collect()
        for conversation in conversations:
            user = conversation.sample_id
            if load_scopes:
                memory.search("load this scope", user_id=user)  # empty scope: nothing embedded
            for session in conversation.sessions:
                messages = session_messages(session)
                if not messages:
                    continue
                started = time.perf_counter()
                memory.add(
                    messages, user_id=user, session_id=session.session_id, timestamp=session.date
                )
                elapsed = time.perf_counter() - started
                run.add_seconds.append(elapsed)
                run.seconds += elapsed
                run.turns += len(messages)
                run.adds += 1
        run.embed_seconds = timed.seconds
        run.embedded_texts = timed.texts
        # First search per scope: loads it from SQLite (unless loaded) and builds BM25.
        for conversation in conversations:
            question = next((q.question for q in conversation.questions), "what happened?")
            started = time.perf_counter()
            memory.search(question, user_id=conversation.sample_id)
            run.first_search_seconds.append(time.perf_counter() - started)
        run.memories = sum(memory.stats().memories.values())
    finally:
        memory.close()
    run.db_bytes = sum(p.stat().st_size for p in directory.glob(db.name + "*"))
    return run


def per_message(
    conversation: LocomoConversation, turns: int, directory: Path, *, sessions: bool
) -> dict[str, Any]:
    """Add the first ``turns`` turns one message per ``add``, as a chat application would.

    With ``sessions`` every turn keeps its LoCoMo ``session_id`` (about 20 turns each);
    without, no ``session_id`` is given, so all turns share one session. Either way each
    session memory is rewritten by every add of its session.
    """
    db = directory / f"per-message-{sessions}.db"
    durations: list[float] = []
    with Memory(db, embedder=HashEmbedder()) as memory:
        user = conversation.sample_id
        memory.search("load this scope", user_id=user)
        for session in conversation.sessions:
            for message in session_messages(session):
                if len(durations) >= turns:
                    break
                started = time.perf_counter()
                memory.add(
                    message,
                    user_id=user,
                    session_id=session.session_id if sessions else None,
                    timestamp=session.date,
                )
                durations.append(time.perf_counter() - started)
        stats = memory.stats(user_id=user)
    window = min(50, len(durations))
    return {
        "sample_id": conversation.sample_id,
        "session_ids": "LoCoMo sessions" if sessions else "none (one session)",
        "turns": len(durations),
        "seconds": sum(durations),
        "turns_per_second": len(durations) / sum(durations),
        "first_adds_ms_mean": 1000 * sum(durations[:window]) / window,
        "last_adds_ms_mean": 1000 * sum(durations[-window:]) / window,
        "window": window,
        "db_bytes": sum(p.stat().st_size for p in directory.glob(db.name + "*")),
        "history_rows": stats.history,
        "memories": stats.memories,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--data", type=Path, default=DEFAULT_LOCOMO, help="locomo10.json")
    parser.add_argument("--conversations", type=int, default=10)
    parser.add_argument(
        "--embedder",
        choices=("hash", "minilm"),
        default="hash",
        help="minilm: also run MiniLM with a cold, then a warm embedding cache",
    )
    parser.add_argument(
        "--per-message-turns",
        type=int,
        default=600,
        help="also add this many turns of the longest conversation one message per add (0: skip)",
    )
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args(argv)
    env = environment()
    conversations = list(load_locomo(args.data))[: args.conversations]
    turns = sum(len(session_messages(s)) for c in conversations for s in c.sessions)
    print(
        f"ingest {len(conversations)} LoCoMo conversations, {turns} turns, "
        f"one add per session ({sum(len(c.sessions) for c in conversations)} adds)\n"
    )

    runs: list[Run] = []
    with tempfile.TemporaryDirectory(prefix="kenning-bench-") as tmp:
        directory = Path(tmp)
        runs.append(ingest("hash", conversations, HashEmbedder(), directory, load_scopes=False))
        runs.append(
            ingest(
                "hash, scopes loaded", conversations, HashEmbedder(), directory, load_scopes=True
            )
        )
        if args.embedder == "minilm":
            model = OnnxEmbedder()
            model.embed(["warm up the model"] * 8)  # load weights, first-call overheads
            cache_path = directory / "embedding-cache.db"
            for name in ("minilm, cold cache", "minilm, warm cache"):
                with EmbeddingCache(cache_path) as cache:
                    embedder = CachedEmbedder(model, cache)
                    runs.append(ingest(name, conversations, embedder, directory, load_scopes=False))
                    cached = cache.count(model.model_id)
                print(f"{name}: cache holds {cached} vectors afterwards")
        singles = []
        if args.per_message_turns > 0:
            longest = max(
                conversations,
                key=lambda c: sum(len(session_messages(s)) for s in c.sessions),
            )
            singles = [
                per_message(longest, args.per_message_turns, directory, sessions=with_sessions)
                for with_sessions in (True, False)
            ]

    print_table(
        [
            "run",
            "turns",
            "total s",
            "turns/s",
            "embedder s",
            "engine s",
            "engine turns/s",
            "add p50 ms",
            "1st search ms",
        ],
        [r.row() for r in runs],
    )
    print(
        "\nadd p50: per add (one session, ~20 turns). 1st search: median over scopes of the first "
        "search after ingest (loads the scope from SQLite unless loaded, builds BM25, embeds the "
        "query)."
    )
    if singles:
        print(
            f"\none add per message: first {singles[0]['turns']} turns of "
            f"{singles[0]['sample_id']}, hash embedder, scope loaded"
        )
        w = singles[0]["window"]
        print_table(
            [
                "session_id",
                "total s",
                "turns/s",
                f"add ms, first {w}",
                f"add ms, last {w}",
                "db MB",
                "history rows",
            ],
            [
                [
                    r["session_ids"],
                    r["seconds"],
                    r["turns_per_second"],
                    r["first_adds_ms_mean"],
                    r["last_adds_ms_mean"],
                    r["db_bytes"] / 1e6,
                    r["history_rows"],
                ]
                for r in singles
            ],
        )
    if args.json is not None:
        write_json(
            args.json,
            {
                "benchmark": "ingest_throughput",
                "environment": env,
                "config": {
                    "conversations": len(conversations),
                    "turns": turns,
                    "data": str(args.data),
                },
                "runs": {r.name: r.as_dict() for r in runs},
                "one_add_per_message": singles,
                "turns_per_add_median": float(
                    np.median([len(session_messages(s)) for c in conversations for s in c.sessions])
                ),
            },
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
