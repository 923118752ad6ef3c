"""SQLite FTS5 vs Kenning's in-memory BM25 (inverted index) on LoCoMo turn retrieval.

The lexical index docstring (``kenning/index/lexical.py``) says the in-memory BM25 was chosen
over SQLite FTS5 after measuring both. This script is that measurement.

Data and protocol: LoCoMo-10 (``locomo10.json``), questions of categories 1-4 with evidence,
turn level. Each conversation is its own corpus; every turn is indexed as
``"Speaker: content"`` where the content is what ``kenning.eval.locomo.session_messages`` hands
to ``Memory.add`` (the text plus ``[shares a photo: <caption>]``). Each question ranks its
conversation's turns; the gold is its cleaned ``evidence`` (``parse_evidence``). Metrics are
LoCoMo's: recall@k = fraction of evidence turns in the top k, ndcg@k with binary relevance
(``kenning.eval.metrics``). Only turns that match at least one query term are ranked by either
backend (BM25 0 = no match), so a question with fewer than k matches gets a shorter list.

Backends:

* ``fts5``: an FTS5 table (``tokenize='porter unicode61'``) in an in-memory SQLite database,
  ranked by FTS5's built-in ``bm25()`` (k1=1.2, b=0.75); the query is every word token of the
  question, each double-quoted (so nothing is read as FTS syntax), joined with ``OR``; all
  matches are fetched (``ORDER BY bm25(turns), rowid``, no LIMIT).
* ``fts5-stop``: the same, with Kenning's stop list removed from the query (tokenisation closer
  to Kenning's; FTS5 still uses the Porter 1 stemmer and counts stop words in document length).
* ``bm25index``: ``kenning.index.lexical.BM25Index`` over the conversation's turns (Snowball
  stemmer, stop words removed, Lucene idf, k1=1.2, b=0.75); one pass over the query terms' postings.
* ``bm25index-scope``: the same index holding what a Kenning scope holds for the conversation:
  a key per turn, per round (a turn with the previous turn of the other speaker) and per
  session (all its turns), as ``kenning/write/derive.py`` derives them; only turn rows are
  ranked. Shows the effect of the round and session keys on the turn ranking's BM25 statistics
  (document frequencies and average length).

Timings (wall clock, ``time.perf_counter``): index build per conversation (FTS5: create table,
insert, commit; BM25Index: add every turn and build the matrix); query latency per question
(FTS5: run and fetch all matches; BM25Index: tokenise, score every row, rank the matches),
each query repeated ``--repeat`` times, the median of the repeats kept, backends interleaved
per question so that noise from other processes hits them alike. Then one 600-turn scope
(the first 600 turns of the first conversation that has them): per-query scoring time of all
600 turns in each backend, the engine-scope index, and the cost of the first query after
adding one document (FTS5: insert + query; BM25Index: matrix rebuild + query). Last, all
conversations' turns pooled in one index (about 5,900 turns), timed on 300 questions.

Run (about 25 s on 2 shared cores)::

    .venv/bin/python benchmarks/bm25_backends.py ../shared/data/locomo/locomo10.json
    .venv/bin/python benchmarks/bm25_backends.py LOCOMO_PATH --repeat 3 --json out.json
"""

from __future__ import annotations

import argparse
import gc
import re
import sqlite3
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from _bench import environment, median, print_table, quantiles_ms, turn_lines, write_json

from kenning.eval.locomo import CATEGORY_NAMES, LocomoConversation, load_locomo
from kenning.eval.metrics import ndcg_at_k, recall_at_k
from kenning.index.lexical import STOPWORDS, BM25Index

WORD = re.compile(r"[^\W_]+", re.UNICODE)
"""Word tokens of a query for FTS5 (letters and digits, as unicode61 splits them)."""

K = 10
SCOPE_TURNS = 600

Ranker = Callable[[str], list[int]]


@dataclass
class Corpus:
    """One conversation as the backends see it."""

    sample_id: str
    dia_ids: list[str]  # per turn row
    texts: list[str]  # "Speaker: content" per turn row
    scope_texts: list[str]  # turn, round and session keys, turn rows first (same order)
    questions: list[tuple[str, int, tuple[str, ...]]]  # (question, category, evidence)


def build_corpus(conversation: LocomoConversation, max_turns: int | None = None) -> Corpus:
    """Turn texts plus the round and session keys Kenning's write path derives from them."""
    dia_ids: list[str] = []
    texts: list[str] = []
    extra: list[str] = []
    for session in conversation.sessions:
        lines: list[str] = []
        previous: tuple[str, str] | None = None
        for dia_id, speaker, line in turn_lines(session):
            if max_turns is not None and len(texts) >= max_turns:
                break
            dia_ids.append(dia_id)
            texts.append(line)
            lines.append(line)
            if previous is not None and previous[0] != speaker:
                extra.append(f"{previous[1]}\n{line}")
            previous = (speaker, line)
        if lines:
            extra.append("\n".join(lines))
    return Corpus(
        sample_id=conversation.sample_id,
        dia_ids=dia_ids,
        texts=texts,
        scope_texts=texts + extra,
        questions=[(q.question, q.category, q.evidence) for q in conversation.questions],
    )


def fts5_query(question: str, *, drop_stopwords: bool) -> str:
    """``"tok1" OR "tok2" ...``: each word quoted, so FTS5 reads none of it as syntax."""
    tokens = WORD.findall(question.lower())
    if drop_stopwords:
        tokens = [t for t in tokens if t not in STOPWORDS]
    unique = list(dict.fromkeys(tokens))
    return " OR ".join('"' + t.replace('"', '""') + '"' for t in unique)


class Fts5:
    """An FTS5 table of one corpus in a private in-memory database."""

    def __init__(self, texts: Sequence[str]) -> None:
        self.conn = sqlite3.connect(":memory:", isolation_level=None)
        self.conn.execute("BEGIN")
        self.conn.execute(
            "CREATE VIRTUAL TABLE turns USING fts5(text, tokenize='porter unicode61')"
        )
        self.conn.executemany(
            "INSERT INTO turns (rowid, text) VALUES (?, ?)", list(enumerate(texts))
        )
        self.conn.execute("COMMIT")

    def rank(self, match: str) -> list[int]:
        """Rows of every match, best first (FTS5's bm25() is lower-is-better)."""
        if not match:
            return []
        rows = self.conn.execute(
            "SELECT rowid FROM turns WHERE turns MATCH ? ORDER BY bm25(turns), rowid", (match,)
        ).fetchall()
        return [int(r[0]) for r in rows]

    def insert(self, text: str) -> None:
        self.conn.execute("INSERT INTO turns (text) VALUES (?)", (text,))

    def close(self) -> None:
        self.conn.close()


def build_bm25(texts: Sequence[str]) -> BM25Index:
    """A BM25Index of ``texts`` with its matrix built (it is built lazily on first score)."""
    index = BM25Index()
    for text in texts:
        index.add(text)
    index.scores("warm")  # builds the postings
    return index


def bm25_rank(index: BM25Index, question: str, n_rows: int) -> list[int]:
    """Rows ``< n_rows`` with a positive score, best first (ties by row)."""
    scores = index.scores(question)[:n_rows]
    matched = np.flatnonzero(scores > 0)
    order = np.lexsort((matched, -scores[matched]))
    return [int(r) for r in matched[order]]


def _score_only(index: BM25Index, question: str) -> list[int]:
    """Score every row and discard the result (times the mat-vec alone)."""
    index.scores(question)
    return []


def timed(fn: Callable[[], list[int]], repeat: int) -> tuple[list[int], float]:
    """Result of ``fn`` and the median of ``repeat`` wall-clock durations (seconds)."""
    durations = []
    result: list[int] = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        durations.append(time.perf_counter() - started)
    return result, median(durations)


@dataclass
class BackendStats:
    """Accumulated quality and timing of one backend."""

    recall: list[float] = field(default_factory=list)
    ndcg: list[float] = field(default_factory=list)
    by_category: dict[int, list[float]] = field(default_factory=lambda: defaultdict(list))
    query_seconds: list[float] = field(default_factory=list)
    build_seconds: list[float] = field(default_factory=list)
    matches: list[int] = field(default_factory=list)


BACKENDS = ("fts5", "fts5-stop", "bm25index", "bm25index-scope")


def build_timed(fn: Callable[[], Any], repeat: int) -> tuple[Any, float]:
    """Build ``repeat`` times; keep the last object and the median duration."""
    durations = []
    built: Any = None
    for _ in range(repeat):
        if built is not None and hasattr(built, "close"):
            built.close()
        gc.collect()
        started = time.perf_counter()
        built = fn()
        durations.append(time.perf_counter() - started)
    return built, median(durations)


def quality_and_latency(
    corpora: Sequence[Corpus], repeat: int
) -> tuple[dict[str, BackendStats], int]:
    """Run every question of every corpus through every backend."""
    stats = {name: BackendStats() for name in BACKENDS}
    skipped = 0
    for corpus in corpora:
        n = len(corpus.texts)
        fts, fts_build = build_timed(partial(Fts5, corpus.texts), repeat)
        bm25, bm25_build = build_timed(partial(build_bm25, corpus.texts), repeat)
        scope, scope_build = build_timed(partial(build_bm25, corpus.scope_texts), repeat)
        for name, seconds in zip(
            BACKENDS, (fts_build, fts_build, bm25_build, scope_build), strict=True
        ):
            stats[name].build_seconds.append(seconds)
        gc.collect()
        for question, category, evidence in corpus.questions:
            if not evidence:
                skipped += 1
                continue
            all_terms = fts5_query(question, drop_stopwords=False)
            content_terms = fts5_query(question, drop_stopwords=True)
            rankers: dict[str, Callable[[], list[int]]] = {
                "fts5": partial(fts.rank, all_terms),
                "fts5-stop": partial(fts.rank, content_terms),
                "bm25index": partial(bm25_rank, bm25, question, n),
                "bm25index-scope": partial(bm25_rank, scope, question, n),
            }
            for name, ranker in rankers.items():
                rows, seconds = timed(ranker, repeat)
                ranked = [corpus.dia_ids[r] for r in rows]
                s = stats[name]
                s.recall.append(recall_at_k(ranked, evidence, K))
                s.ndcg.append(ndcg_at_k(ranked, evidence, K))
                s.by_category[category].append(s.recall[-1])
                s.query_seconds.append(seconds)
                s.matches.append(len(rows))
        fts.close()
    return stats, skipped


def time_query(
    series: dict[str, list[float]], fts: Fts5, bm25: BM25Index, question: str, n: int, repeat: int
) -> None:
    """Append one question's latencies: FTS5 query, BM25Index scoring, and scoring + ranking."""
    match = fts5_query(question, drop_stopwords=False)
    series["fts5: query, fetch all matches"].append(timed(partial(fts.rank, match), repeat)[1])
    series["bm25index: scores() of every row"].append(
        timed(partial(_score_only, bm25, question), repeat)[1]
    )
    series["bm25index: scores() + rank matches"].append(
        timed(partial(bm25_rank, bm25, question, n), repeat)[1]
    )


def scope_timings(corpus: Corpus, repeat: int) -> dict[str, dict[str, float]]:
    """Per-query latency of scoring one ~600-turn scope, and of the first query after an add."""
    questions = [q for q, _, _ in corpus.questions]
    fts = Fts5(corpus.texts)
    bm25 = build_bm25(corpus.texts)
    scope = build_bm25(corpus.scope_texts)
    n = len(corpus.texts)
    series: dict[str, list[float]] = defaultdict(list)
    gc.collect()
    for question in questions:
        time_query(series, fts, bm25, question, n, repeat)
        series[f"bm25index-scope ({len(corpus.scope_texts)} keys): scores()"].append(
            timed(partial(_score_only, scope, question), repeat)[1]
        )
    # The first query after an add: FTS5 inserts into its index; BM25Index rebuilds its matrix.
    extra = corpus.texts[: len(questions)]
    for question, text in zip(questions, extra, strict=False):
        match = fts5_query(question, drop_stopwords=False)

        def fts_add(t: str = text, m: str = match) -> list[int]:
            fts.insert(t)
            return fts.rank(m)

        def bm25_add(t: str = text, q: str = question) -> list[int]:
            bm25.add(t)
            return bm25_rank(bm25, q, n)

        def scope_add(t: str = text, q: str = question) -> list[int]:
            scope.add(t)
            return bm25_rank(scope, q, n)

        series["fts5: insert 1 turn + query"].append(timed(fts_add, 1)[1])
        series["bm25index: add 1 turn + rebuild + query"].append(timed(bm25_add, 1)[1])
        series["bm25index-scope: add 1 key + rebuild + query"].append(timed(scope_add, 1)[1])
    fts.close()
    return {name: quantiles_ms(values) for name, values in series.items()}


def pooled_timings(corpora: Sequence[Corpus], repeat: int) -> dict[str, Any]:
    """Scoring cost when every conversation's turns share one index (thousands of turns)."""
    texts = [t for c in corpora for t in c.texts]
    questions = [q for c in corpora for q, _, _ in c.questions][:300]
    fts = Fts5(texts)
    bm25 = build_bm25(texts)
    series: dict[str, list[float]] = defaultdict(list)
    gc.collect()
    for question in questions:
        time_query(series, fts, bm25, question, len(texts), repeat)
    fts.close()
    return {
        "turns": len(texts),
        "queries": len(questions),
        "ms": {name: quantiles_ms(values) for name, values in series.items()},
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("locomo", type=Path, help="path to locomo10.json")
    parser.add_argument("--repeat", type=int, default=3, help="timings per query (median kept)")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args(argv)
    env = environment()
    started = time.perf_counter()

    conversations = list(load_locomo(args.locomo))
    corpora = [build_corpus(c) for c in conversations]
    stats, skipped = quality_and_latency(corpora, args.repeat)
    questions = len(stats["fts5"].recall)

    print(
        f"LoCoMo turn retrieval, categories 1-4: {questions} questions with evidence "
        f"({skipped} without), {len(corpora)} conversations, "
        f"{sum(len(c.texts) for c in corpora)} turns"
    )
    print(f"latency: median of {args.repeat} runs per query, then percentiles over queries\n")
    rows = []
    results: dict[str, Any] = {}
    for name in BACKENDS:
        s = stats[name]
        q = quantiles_ms(s.query_seconds)
        build_ms = [b * 1000 for b in s.build_seconds]
        results[name] = {
            f"recall@{K}": float(np.mean(s.recall)),
            f"ndcg@{K}": float(np.mean(s.ndcg)),
            f"recall@{K}_by_category": {
                CATEGORY_NAMES[c]: float(np.mean(v)) for c, v in sorted(s.by_category.items())
            },
            "query_ms": q,
            "build_ms_per_conversation": {
                "median": median(build_ms),
                "min": min(build_ms),
                "max": max(build_ms),
                "all": build_ms,
            },
            "matches_per_query_median": median([float(m) for m in s.matches]),
        }
        rows.append(
            [
                name,
                float(np.mean(s.recall)),
                float(np.mean(s.ndcg)),
                median(build_ms),
                q["p50"],
                q["p95"],
                int(median([float(m) for m in s.matches])),
            ]
        )
    print_table(
        [
            "backend",
            f"recall@{K}",
            f"ndcg@{K}",
            "build ms/conv",
            "query p50 ms",
            "query p95 ms",
            "matches p50",
        ],
        rows,
    )

    print(f"\nrecall@{K} by category")
    categories = sorted({c for s in stats.values() for c in s.by_category})
    print_table(
        [
            "backend",
            *(f"{CATEGORY_NAMES[c]} ({len(stats['fts5'].by_category[c])})" for c in categories),
        ],
        [
            [name, *(float(np.mean(stats[name].by_category[c])) for c in categories)]
            for name in BACKENDS
        ],
    )

    big = next((c for c in conversations if sum(1 for _ in _turns(c)) >= SCOPE_TURNS), None)
    scope_result: dict[str, Any] | None = None
    if big is not None:
        corpus = build_corpus(big, max_turns=SCOPE_TURNS)
        timings = scope_timings(corpus, args.repeat)
        print(
            f"\none {len(corpus.texts)}-turn scope ({corpus.sample_id}, first {SCOPE_TURNS} turns; "
            f"engine scope: {len(corpus.scope_texts)} keys), {len(corpus.questions)} queries"
        )
        print_table(
            ["operation", "p50 ms", "p95 ms", "p99 ms"],
            [[name, t["p50"], t["p95"], t["p99"]] for name, t in timings.items()],
        )
        scope_result = {
            "sample_id": corpus.sample_id,
            "turns": len(corpus.texts),
            "scope_keys": len(corpus.scope_texts),
            "queries": len(corpus.questions),
            "ms": timings,
        }
    pooled = pooled_timings(corpora, args.repeat)
    print(
        f"\nall {pooled['turns']} turns of the 10 conversations in one index, "
        f"{pooled['queries']} queries"
    )
    print_table(
        ["operation", "p50 ms", "p95 ms", "p99 ms"],
        [[name, t["p50"], t["p95"], t["p99"]] for name, t in pooled["ms"].items()],
    )
    elapsed = time.perf_counter() - started
    print(f"\ntotal {elapsed:.1f} s")
    if args.json is not None:
        write_json(
            args.json,
            {
                "benchmark": "bm25_backends",
                "environment": env,
                "config": {"k": K, "repeat": args.repeat, "data": str(args.locomo)},
                "questions": questions,
                "questions_skipped_no_evidence": skipped,
                "results": results,
                "scope_600": scope_result,
                "pooled": pooled,
                "elapsed_seconds": elapsed,
            },
        )
    return 0


def _turns(conversation: LocomoConversation) -> list[str]:
    return [t for s in conversation.sessions for _, _, t in turn_lines(s)]


if __name__ == "__main__":
    raise SystemExit(main())
