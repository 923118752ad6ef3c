"""What passages cost: ingest and search with ``passage_words`` 0 (none) and 24 (the default).

Passages (docs/retrieval.md) embed every message longer than 36 words again as overlapping
24-word windows. This measures what that costs on long assistant turns, the worst case:
the first ``--turns`` turns of one RealMem history (``../shared/data/realmem``), one ``add``
per session as ``kenning eval realmem`` does, into a fresh SQLite file, with the default
MiniLM and **no embedding cache** (every text is embedded), then ``--queries`` of that
history's questions searched (query embedding included, limit 10).

The two settings alternate (0, 24, 0, 24 by default, ``--rounds``) in one process, with the
model loaded and warmed up once, so that both see the same machine. Reported per run: ingest
seconds, dense keys (text keys plus passages), search p50/p95.

Run::

    .venv/bin/python benchmarks/passages_cost.py
    .venv/bin/python benchmarks/passages_cost.py --turns 300 --rounds 1 --json out.json
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
import time
from pathlib import Path
from typing import Any

from _bench import REPO_ROOT, environment, print_table, quantiles_ms, write_json

from kenning import Memory, Settings
from kenning.embed import OnnxEmbedder
from kenning.eval.realmem import RealMemHistory, load_realmem

DEFAULT_REALMEM = REPO_ROOT.parent / "shared" / "data" / "realmem"


def _sessions(history: RealMemHistory, turns: int) -> list[tuple[Any, list[dict[str, str]]]]:
    """The history's sessions cut after ``turns`` turns in all, as ``add`` messages."""
    out, left = [], turns
    for session in history.sessions:
        if left <= 0:
            break
        kept = [t for t in session.turns if t[1].strip()][:left]
        left -= len(kept)
        out.append((session, [{"role": role, "content": text} for role, text in kept]))
    return out


def _run(
    folder: Path, embedder: OnnxEmbedder, history: RealMemHistory, turns: int, words: int
) -> dict[str, Any]:
    settings = Settings(
        db_path=folder / f"p{words}.db", embedding_cache_path="", passage_words=words
    )
    with Memory(settings=settings, embedder=embedder) as memory:
        started = time.perf_counter()
        for session, messages in _sessions(history, turns):
            memory.add(messages, user_id="u", session_id=session.uuid, timestamp=session.date)
        ingest = time.perf_counter() - started
        durations = []
        for query in history.queries:
            begun = time.perf_counter()
            memory.search(query.question, user_id="u", limit=10)
            durations.append(time.perf_counter() - begun)
    with sqlite3.connect(settings.db_path) as conn:
        (keys,) = conn.execute(
            "SELECT COUNT(*) FROM memory_keys WHERE kind = 'text' AND vector IS NOT NULL"
        ).fetchone()
    return {"passage_words": words, "ingest_s": ingest, "keys": keys, **quantiles_ms(durations)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_REALMEM)
    parser.add_argument("--turns", type=int, default=600)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    history = load_realmem(args.data)[0]
    embedder = OnnxEmbedder()
    embedder.embed(["warm up the model"] * 8)
    runs = []
    with tempfile.TemporaryDirectory(prefix="kenning-passages-") as tmp:
        for round_ in range(args.rounds):
            for words in (0, 24):
                folder = Path(tmp) / f"r{round_}"
                folder.mkdir(exist_ok=True)
                runs.append(_run(folder, embedder, history, args.turns, words))
    print(f"{history.person}: first {args.turns} turns, {len(history.queries)} queries, no cache")
    print_table(
        ("passage_words", "ingest s", "dense keys", "search p50 ms", "p95 ms"),
        [
            (
                r["passage_words"],
                f"{r['ingest_s']:.1f}",
                r["keys"],
                f"{r['p50']:.1f}",
                f"{r['p95']:.1f}",
            )
            for r in runs
        ],
    )
    if args.json:
        write_json(args.json, {"environment": environment(), "runs": runs})


if __name__ == "__main__":
    main()
