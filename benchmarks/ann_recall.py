"""Recall of the HNSW candidate index against the exact scan, on generated chat.

What it does: embeds ``--vectors`` generated chat messages (``kenning.bench.corpus``, the
``kenning bench`` corpus, where many texts repeat) and 100 generated questions with the hash
embedder at 384 dimensions, then for each search depth measures recall@10 of *distinct*
vectors (a repeated text counts once: any of its copies is as good as another) among the
``--k`` rows the index returns, and the time per query. Two indexes are compared in the same
run: usearch with every row inserted (``every copy``) and ``kenning.index.ann.VectorIndex``
(each distinct vector inserted once, copies returned with it). Both are built on one thread,
so the figures repeat from run to run. A second table compares the graph's scalar type
(int8, kept, against float16) on the distinct vectors.

Run::

    .venv/bin/python benchmarks/ann_recall.py                 # 20,000 vectors
    .venv/bin/python benchmarks/ann_recall.py --vectors 6000 --json out.json
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import _bench
import numpy as np
import numpy.typing as npt
from usearch.index import Index

from kenning.bench.corpus import chat_messages, queries
from kenning.index import ann
from kenning.index.ann import VectorIndex
from kenning.testing import HashEmbedder

DEPTHS = (128, 256, 384, 512)


def _recall(
    found_rows: list[npt.NDArray[np.int64]],
    place: npt.NDArray[np.int64],
    exact: npt.NDArray[np.float32],
) -> float:
    """Mean share of the exact ten best distinct vectors among the rows found per query."""
    shares = []
    for j, rows in enumerate(found_rows):
        tenth = np.sort(exact[:, j])[-10]
        distinct = {int(place[r]) for r in rows.tolist()}
        shares.append(min(sum(exact[v, j] >= tenth - 1e-6 for v in distinct), 10) / 10)
    return float(np.mean(shares))


def _scalar_kinds(
    distinct: npt.NDArray[np.float32],
    asked: npt.NDArray[np.float32],
    exact: npt.NDArray[Any],
    k: int,
) -> list[tuple[str, float, float, float]]:
    """int8 (the graph kept) against float16 (a graph that could also serve re-scoring, in
    place of the float16 matrix): recall, search time and the time to read vectors back."""
    out = []
    identity = np.arange(len(distinct), dtype=np.int64)
    sample = (np.arange(2000, dtype=np.uint64) * 7) % len(distinct)
    for scalar in ("i8", "f16"):
        graph = Index(ndim=384, metric="cos", dtype=scalar, connectivity=16, expansion_add=128)
        graph.add(identity.astype(np.uint64), distinct, threads=1)
        graph.expansion_search = 512
        start = time.perf_counter()
        found = [np.asarray(graph.search(q, k).keys, dtype=np.int64) for q in asked]
        ms = 1000 * (time.perf_counter() - start) / len(asked)
        start = time.perf_counter()
        for _ in range(20):
            graph.get(sample)
        read_ms = 1000 * (time.perf_counter() - start) / 20
        out.append((scalar, _recall(found, identity, exact), ms, read_ms))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--vectors", type=int, default=20_000)
    parser.add_argument("--k", type=int, default=50, help="rows asked per query")
    parser.add_argument("--json", help="also write the figures here")
    args = parser.parse_args()
    embed = HashEmbedder(384).embed
    vectors = np.asarray(embed([m.text for m in chat_messages(args.vectors, seed=3)]), np.float32)
    asked = np.asarray(embed(queries(100, seed=4)), np.float32)
    distinct, place = np.unique(vectors, axis=0, return_inverse=True)
    place = place.ravel()
    exact = distinct @ asked.T
    every = Index(ndim=384, metric="cos", dtype="i8", connectivity=16, expansion_add=128)
    every.add(np.arange(len(vectors), dtype=np.uint64), vectors, threads=1)
    ann._ADD_THREADS = 1  # the same graph on every run
    once = VectorIndex(384)
    once.add(np.arange(len(vectors), dtype=np.int64), vectors)
    rows = []
    for depth in DEPTHS:
        every.expansion_search = depth
        for name, search in (
            ("every copy", lambda q: np.asarray(every.search(q, args.k).keys, dtype=np.int64)),
            ("each vector once", lambda q, d=depth: once.nearest(q, args.k, depth=d)),
        ):
            start = time.perf_counter()
            found = [search(q) for q in asked]
            ms = 1000 * (time.perf_counter() - start) / len(asked)
            rows.append((name, depth, _recall(found, place, exact), ms))
    print(f"{len(vectors):,} vectors, {len(distinct):,} distinct; recall@10 of distinct vectors")
    _bench.print_table(["index", "search depth", "recall@10", "ms/query"], rows)
    kinds = _scalar_kinds(distinct, asked, exact, args.k)
    print("the graph's scalar type (distinct vectors, depth 512); reading back 2,000 vectors")
    _bench.print_table(["scalar", "recall@10", "ms/query", "ms to read 2,000 vectors"], kinds)
    if args.json:
        _bench.write_json(
            args.json,
            {
                "environment": _bench.environment(),
                "vectors": len(vectors),
                "distinct": len(distinct),
                "rows": [
                    {"index": r[0], "depth": r[1], "recall_at_10": r[2], "ms_per_query": r[3]}
                    for r in rows
                ],
                "scalar_kinds": [
                    {"scalar": r[0], "recall_at_10": r[1], "ms_per_query": r[2], "read_ms": r[3]}
                    for r in kinds
                ],
            },
        )


if __name__ == "__main__":
    main()
