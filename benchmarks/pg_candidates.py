"""First-stage search candidates in PostgreSQL or in the process, measured on the same data.

PostgreSQL (through psycopg 3 on the Unix socket, binary parameters, jit off): pgvector HNSW
over ``halfvec`` (cosine, m=16, ef_construction=128), ``ORDER BY v <=> q LIMIT 200`` at each
``--depth`` as ``hnsw.ef_search``; full text as ``to_tsvector('english', text)`` in a GIN index,
top 200 by ``ts_rank_cd`` (``plainto_tsquery`` with its AND made OR). In process, as the engine
does it: ``DenseIndex.nearest`` (usearch HNSW over int8, each distinct vector once, m=16,
expansion_add=128) at each ``--depth``, re-scored against the float16 rows, top 200; and
``BM25Index.matches``, top 200. Builds use both cores (usearch threads=0; pgvector one parallel
maintenance worker, maintenance_work_mem 2GB). A local server gets shared_buffers=1GB.

Data: every LoCoMo-10 turn (``"Speaker: content"``), then ``kenning bench`` synthetic chat up to
each ``--size``, embedded with the default ONNX MiniLM through the embedding cache; queries are
``--queries`` LoCoMo questions, evenly spaced. Per query every search runs, in an order rotated
per query. Dense recall@200: share of the exact (numpy) cosine top 200 returned, ties counted.
Lexical overlap: ``|pg ∩ BM25| / max(|pg|, |BM25|)``. Evidence recall@10: each LoCoMo
conversation its own corpus, every question with evidence, BM25 against PostgreSQL rankings.

Run (about 2 minutes on 2 shared cores, plus about 2.5 minutes the first time to embed
the synthetic texts into the cache)::

    .venv/bin/python benchmarks/pg_candidates.py --size 10000 --size 100000
    .venv/bin/python benchmarks/pg_candidates.py --size 20000 --url postgresql://... --json o.json
"""

from __future__ import annotations

import argparse
import struct
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import _bench
import numpy as np
import numpy.typing as npt
import psycopg
from psycopg.adapt import Dumper
from psycopg.types import TypeInfo

from kenning.bench.corpus import chat_messages
from kenning.config import Settings
from kenning.embed import Embedder, build_embedder
from kenning.eval.locomo import load_locomo
from kenning.eval.metrics import recall_at_k
from kenning.index.dense import DenseIndex
from kenning.index.lexical import BM25Index, tokenize

K = 200  # kenning.config.Settings.search_candidates
Vectors = npt.NDArray[np.float32]
Ids = npt.NDArray[np.int64]
Search = Callable[[int], Ids]
ROUND_TRIP = "psycopg round trip (SELECT 1)"
BUILD = {"pgvector": "dense", "usearch": "local dense", "pg": "lexical", "BM25Index": "local lexical"}  # fmt: skip
OR_QUERY = "replace(plainto_tsquery('english', %s)::text, '&', '|')::tsquery"
PG_RANKINGS = {  # name -> (tsquery, rank expression); the first is the one timed per size
    "pg ts_rank_cd, OR query": (OR_QUERY, "ts_rank_cd(tsv, q)"),
    "pg ts_rank_cd(…, 1), OR query": (OR_QUERY, "ts_rank_cd(tsv, q, 1)"),
    "pg ts_rank, OR query": (OR_QUERY, "ts_rank(tsv, q)"),
    "pg ts_rank_cd, AND query": ("plainto_tsquery('english', %s)", "ts_rank_cd(tsv, q)"),
}


def lexical_sql(table: str, ranking: str, limit: int, where: str = "") -> str:
    tsquery, rank = PG_RANKINGS[ranking]
    return (
        f"SELECT id FROM {table} CROSS JOIN (SELECT {tsquery} AS q) AS x "
        f"WHERE {where}tsv @@ q ORDER BY {rank} DESC, id LIMIT {limit}"
    )


@contextmanager
def postgres(url: str | None) -> Iterator[str]:
    """``url``, or a fresh local server's database (shared_buffers=1GB), stopped afterwards."""
    if url:
        yield url
        return
    from kenning.testing.postgres import LocalPostgres

    with tempfile.TemporaryDirectory(prefix="pgc-") as directory:
        first = LocalPostgres(Path(directory))
        try:
            with psycopg.connect(first.url(), autocommit=True) as conn:
                conn.execute("ALTER SYSTEM SET shared_buffers = '1GB'")
        finally:
            first.close()
        server = LocalPostgres(Path(directory))  # started again: the setting applies
        try:
            yield server.create_database("pgc")
        finally:
            server.close()


def connect(url: str) -> psycopg.Connection[Any]:
    """A connection that sends numpy rows as binary ``halfvec``."""
    conn = psycopg.connect(url, autocommit=True)
    conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
    conn.execute("SET jit = off")
    info = TypeInfo.fetch(conn, "halfvec")
    if info is None:
        raise RuntimeError("pgvector's halfvec type is missing")
    info.register(conn)
    halfvec_oid = info.oid

    class HalfvecDumper(Dumper):
        format = psycopg.pq.Format.BINARY
        oid = halfvec_oid

        def dump(self, obj: Any) -> bytes:  # pgvector's halfvec_recv: dim, unused, halfs
            return struct.pack(">HH", len(obj), 0) + np.asarray(obj, dtype=">f2").tobytes()

    conn.adapters.register_dumper(np.ndarray, HalfvecDumper)
    return conn


def embed(embedder: Embedder, texts: Sequence[str]) -> Vectors:
    """Unit rows for ``texts`` (each distinct text embedded once, in chunks, with progress)."""
    unique = list(dict.fromkeys(texts))
    parts = []
    for start in range(0, len(unique), 10_000):
        parts.append(np.asarray(embedder.embed(unique[start : start + 10_000]), np.float32))
        print(f"  embedded {start + len(parts[-1]):,}/{len(unique):,} distinct texts", flush=True)
    place = {t: i for i, t in enumerate(unique)}
    out: Vectors = np.concatenate(parts)[[place[t] for t in texts]]
    return out


def build_pg(
    conn: psycopg.Connection[Any], texts: Sequence[str], vectors: Vectors
) -> dict[str, float]:
    conn.execute("DROP TABLE IF EXISTS pgc_docs, pgc_lex")
    conn.execute(f"CREATE TABLE pgc_docs (id int4, text text, v halfvec({vectors.shape[1]}))")
    conn.execute("SET maintenance_work_mem = '2GB'")
    conn.execute("SET max_parallel_maintenance_workers = 1")
    marks = [time.perf_counter()]
    with conn.cursor().copy("COPY pgc_docs (id, text, v) FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types(["int4", "text", "halfvec"])
        for row, (text, vector) in enumerate(zip(texts, vectors, strict=True)):
            copy.write_row((row, text, vector))
    marks.append(time.perf_counter())
    conn.execute("CREATE INDEX ON pgc_docs USING hnsw (v halfvec_cosine_ops) WITH (m = 16, ef_construction = 128)")  # fmt: skip
    marks.append(time.perf_counter())
    conn.execute("CREATE TABLE pgc_lex AS SELECT id, to_tsvector('english', text) AS tsv FROM pgc_docs")  # fmt: skip
    conn.execute("CREATE INDEX ON pgc_lex USING gin (tsv)")
    marks.append(time.perf_counter())
    conn.execute("VACUUM ANALYZE pgc_docs")
    conn.execute("VACUUM ANALYZE pgc_lex")
    return dict(zip(("load", "dense", "lexical"), np.diff(marks).tolist(), strict=True))


def searches(url: str, depths: Sequence[int], dense: DenseIndex, bm25: BM25Index, vectors: Vectors,
             questions: Sequence[str]) -> tuple[dict[str, Search], list[psycopg.Connection[Any]]]:  # fmt: skip
    """The searches of one query (by number), and the connections they use."""
    conns = [connect(url) for _ in depths]
    out: dict[str, Search] = {ROUND_TRIP: lambda j: np.asarray(conns[0].execute("SELECT 1").fetchall())}  # fmt: skip
    dense_sql = f"SELECT id FROM pgc_docs ORDER BY v <=> %b LIMIT {K}"
    for depth, conn in zip(depths, conns, strict=True):
        conn.execute(f"SET hnsw.ef_search = {depth}")

        def pg_dense(j: int, conn: psycopg.Connection[Any] = conn) -> Ids:
            return np.asarray([r[0] for r in conn.execute(dense_sql, (vectors[j],))], np.int64)

        def local_dense(j: int, depth: int = depth) -> Ids:
            rows = dense.nearest(vectors[j], K, depth=depth)
            if len(rows) <= K:
                return rows
            return rows[np.argpartition(-dense.rescore(vectors[j], rows), K - 1)[:K]]

        out[f"pgvector halfvec, ef_search {depth}"] = pg_dense
        out[f"usearch i8 (DenseIndex), depth {depth}"] = local_dense
    lex_sql = lexical_sql("pgc_lex", next(iter(PG_RANKINGS)), K)

    def pg_lexical(j: int) -> Ids:
        return np.asarray([r[0] for r in conns[0].execute(lex_sql, (questions[j],))], np.int64)

    def local_lexical(j: int) -> Ids:  # the positive scores' top K, as the engine picks them
        rows, scores = bm25.matches(Counter(tokenize(questions[j])))
        rows, scores = rows[scores > 0], scores[scores > 0]
        return rows if len(rows) <= K else rows[np.argpartition(-scores, K - 1)[:K]]

    out["pg ts_rank_cd, OR query"] = pg_lexical
    out["BM25Index"] = local_lexical
    return out, conns


def interleaved(
    systems: dict[str, Search], n: int, warmup: int
) -> tuple[dict[str, list[Ids]], dict[str, list[float]]]:
    """Each system's results and durations per query; per query all systems run, in an order
    rotated by one each query (after ``warmup`` untimed queries)."""
    names = list(systems)
    for j in range(min(warmup, n)):
        for name in names:
            systems[name](j)
    found: dict[str, list[Ids]] = {name: [] for name in names}
    seconds: dict[str, list[float]] = {name: [] for name in names}
    for j in range(n):
        shift = j % len(names)
        for name in names[shift:] + names[:shift]:
            started = time.perf_counter()
            ids = systems[name](j)
            seconds[name].append(time.perf_counter() - started)
            found[name].append(ids)
    return found, seconds


def dense_recall(found: list[Ids], exact: Vectors) -> float:
    """Mean share of the exact top K found (a row tied with the K-th counts as found)."""
    shares = []
    for j, ids in enumerate(found):
        kth = np.partition(exact[:, j], -K)[-K]
        shares.append(min(int((exact[ids[:K], j] >= kth - 1e-6).sum()), K) / K)
    return float(np.mean(shares))


def overlap(a: list[Ids], b: list[Ids]) -> float:
    pairs = [(set(x.tolist()), set(y.tolist())) for x, y in zip(a, b, strict=True)]
    return float(np.mean([len(x & y) / max(len(x), len(y)) for x, y in pairs if x or y]))


def evidence_recall(
    url: str, turns: list[tuple[int, str, str]], asked: list[tuple[int, str, tuple[str, ...]]]
) -> dict[str, float]:
    """Recall@10 of the evidence turns per ranking, each conversation its own corpus."""
    conn = connect(url)
    conn.execute("DROP TABLE IF EXISTS pgc_turns")
    conn.execute(
        "CREATE TABLE pgc_turns (id int4, conv int4, text text, "
        "tsv tsvector GENERATED ALWAYS AS (to_tsvector('english', text)) STORED)"
    )
    with conn.cursor().copy("COPY pgc_turns (id, conv, text) FROM STDIN") as copy:
        for row, (conv, _, text) in enumerate(turns):
            copy.write_row((row, conv, text))
    conn.execute("ANALYZE pgc_turns")
    dia = [d for _, d, _ in turns]
    rows_of = {c: [r for r, t in enumerate(turns) if t[0] == c] for c in {t[0] for t in turns}}
    bm25 = {c: BM25Index() for c in rows_of}
    for conv, _, text in turns:  # a conversation's turns are its index's rows 0, 1, ...
        bm25[conv].add(text)
    recall: dict[str, list[float]] = {name: [] for name in ["BM25Index", *PG_RANKINGS]}
    for conv, question, gold in asked:
        scores = bm25[conv].scores(question)
        hit = np.flatnonzero(scores > 0)
        best = hit[np.lexsort((hit, -scores[hit]))][:10]
        ranked = [dia[rows_of[conv][i]] for i in best.tolist()]
        recall["BM25Index"].append(recall_at_k(ranked, gold, 10))
        for name in PG_RANKINGS:
            sql = lexical_sql("pgc_turns", name, 10, where="conv = %s AND ")
            found = conn.execute(sql, (question, conv)).fetchall()
            recall[name].append(recall_at_k([dia[r[0]] for r in found], gold, 10))
    conn.execute("DROP TABLE pgc_turns")
    conn.close()
    return {name: float(np.mean(v)) for name, v in recall.items()}


def build_local(
    texts: Sequence[str], vectors: Vectors
) -> tuple[DenseIndex, BM25Index, dict[str, float]]:
    started = time.perf_counter()
    dense = DenseIndex(vectors.shape[1], capacity=len(vectors))
    dense.add(vectors)
    dense.graph()
    middle = time.perf_counter()
    bm25 = BM25Index()
    with bm25.deferred_merges():
        for text in texts:
            bm25.add(text)
    built = {"local dense": middle - started, "local lexical": time.perf_counter() - middle}
    return dense, bm25, built


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, action="append", help="rows (repeatable)")
    parser.add_argument("--depth", type=int, action="append", help="ef_search / search depth")
    parser.add_argument("--queries", type=int, default=500, help="LoCoMo questions timed")
    parser.add_argument("--warmup", type=int, default=30, help="untimed queries first")
    parser.add_argument("--url", help="an existing PostgreSQL with pgvector (default: local)")
    parser.add_argument("--data", type=Path, default=_bench.DEFAULT_LOCOMO, help="locomo10.json")
    parser.add_argument("--embedding-cache", type=Path, help="default: Kenning's")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    sizes = sorted(set(args.size or [10_000, 100_000]))
    depths = sorted(set(args.depth or [200, 512, 1000]))  # 512: the engine's; 1000: pgvector's max
    env = _bench.environment()
    print(f"command: {env['command']}\n{env['date']}, {env['cpu_count']} cores, load "
          f"{env['load_average_at_start']}, git {env['git_revision']}")  # fmt: skip
    turns: list[tuple[int, str, str]] = []  # (conversation, dia_id, "Speaker: content")
    asked: list[tuple[int, str, tuple[str, ...]]] = []  # (conversation, question, evidence)
    for conv, conversation in enumerate(load_locomo(args.data)):
        turns += [(conv, d, text) for s in conversation.sessions for d, _, text in _bench.turn_lines(s)]  # fmt: skip
        asked += [(conv, q.question, q.evidence) for q in conversation.questions if q.evidence]
    extra = max(0, max(sizes) - len(turns))
    texts = [t for _, _, t in turns] + [f"{m.speaker}: {m.text}" for m in chat_messages(extra)]
    questions = [asked[i][1] for i in np.linspace(0, len(asked) - 1, args.queries).astype(int)]
    cache = {} if args.embedding_cache is None else {"embedding_cache_path": args.embedding_cache}
    embedder = build_embedder(Settings(**cache))
    vectors, asked_vectors = embed(embedder, texts), embed(embedder, questions)
    results: dict[str, Any] = {"environment": env, "embedder": embedder.model_id, "sizes": []}
    tables: dict[bool, list[tuple[object, ...]]] = {False: [], True: []}  # lexical? -> rows
    with postgres(args.url) as url:
        with connect(url) as conn:
            server = conn.execute(
                "SELECT current_setting('server_version'), current_setting('shared_buffers'), "
                "(SELECT extversion FROM pg_extension WHERE extname = 'vector')"
            ).fetchone()
        print(f"PostgreSQL {server}: version, shared_buffers, pgvector; embedder "
              f"{embedder.model_id}; {len(questions)} queries, top {K}\n")  # fmt: skip
        for size in sizes:
            rows, matrix = texts[:size], vectors[:size]
            with connect(url) as conn:
                built = build_pg(conn, rows, matrix)
            dense, bm25, local = build_local(rows, matrix)
            built.update(local)
            systems, conns = searches(url, depths, dense, bm25, asked_vectors, questions)
            found, seconds = interleaved(systems, len(questions), args.warmup)
            for conn in conns:
                conn.close()
            exact = matrix @ asked_vectors.T
            locomo, distinct = min(size, len(turns)), len(np.unique(matrix, axis=0))
            trip = _bench.quantiles_ms(seconds.pop(ROUND_TRIP), (50, 95))
            print(f"size {size:,}: {locomo:,} LoCoMo turns + {size - locomo:,} synthetic, "
                  f"{distinct:,} distinct vectors; PostgreSQL COPY {built['load']:.2f} s; "
                  f"{ROUND_TRIP} p50 {trip['p50']:.3f} ms, p95 {trip['p95']:.3f} ms")  # fmt: skip
            figures: dict[str, Any] = {"size": size, "distinct": distinct, "build_s": built}
            found.pop(ROUND_TRIP)
            for name, ids in found.items():
                q = _bench.quantiles_ms(seconds[name], (50, 95))
                side = BUILD[name.split(",")[0].split(" ")[0]]
                lexical = side.endswith("lexical")
                quality = overlap(ids, found["BM25Index"]) if lexical else dense_recall(ids, exact)
                returned = float(np.mean([len(i) for i in ids]))
                row = (f"{size:,}", name, built[side], q["p50"], q["p95"], quality, returned)
                tables[lexical].append(row)
                figures[name] = dict(zip(["build_s", "p50_ms", "p95_ms", "quality", "rows"], row[2:], strict=True))  # fmt: skip
            results["sizes"].append(figures)
        columns = ["size", "system", "build s", "p50 ms", "p95 ms"]
        print(f"\ndense top {K} (recall@{K}: share of the exact cosine top {K} returned)")
        _bench.print_table([*columns, f"recall@{K}", "rows"], tables[False])
        print(f"\nlexical top {K} (overlap: |pg ∩ BM25| / max of the two list sizes)")
        _bench.print_table([*columns, "overlap w/ BM25", "rows"], tables[True])
        with connect(url) as conn:
            conn.execute("DROP TABLE IF EXISTS pgc_docs, pgc_lex")
        evidence = evidence_recall(url, turns, asked)
    print(f"\nLoCoMo evidence recall@10, {len(asked)} questions, each conversation alone")
    _bench.print_table(["ranking", "recall@10"], list(evidence.items()))
    results["evidence_recall_at_10"] = evidence
    if args.json:
        _bench.write_json(args.json, results)


if __name__ == "__main__":
    main()
