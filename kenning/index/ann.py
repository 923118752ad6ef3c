"""Approximate nearest neighbours over a scope's key vectors: an HNSW graph (usearch).

The graph stores each vector quantized to int8 (384 bytes for MiniLM's 384 dimensions
instead of 1,536), which is all a candidate list needs; :class:`kenning.index.dense.DenseIndex`
re-scores the candidates against its float16 rows, so the int8 quantization never
reaches a hit's score. Keys are dense row numbers.

Identical vectors (the same text said again: "ok", "thanks", a repeated template) enter the
graph once; the others ride along with that one. Many copies of one point make an HNSW graph
hard to navigate: on the bench corpus (38 % of 20,000 texts are repeats) recall@10 of distinct
vectors at search depth 512 is 0.925 with every copy in the graph and 1.000 with one of each
(``benchmarks/ann_recall.py``).
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np
import numpy.typing as npt
from usearch.index import Index

from kenning.index.arrays import Column

IntArray = npt.NDArray[np.int64]

# HNSW's "M" and search depths. Templated chat text is hard for a graph search: on 20,000
# bench-corpus vectors recall@10 of distinct vectors is 0.937 at search depth 128, 0.951 at
# 256, 0.996 at 384 and 1.000 at 512, about 0.2 ms a query (``benchmarks/ann_recall.py``).
_CONNECTIVITY = 16
_EXPANSION_ADD = 128
_EXPANSION_SEARCH = 512
# Threads of a bulk insert (0: every core). Single-threaded inserts build the same graph on
# every run; the tests use that to hold the recall figure without chance in it.
_ADD_THREADS = 0


def _digest_of(vector: npt.NDArray[np.float32]) -> int:
    """64 bits of a vector's hash, never 0 (identical vectors enter the graph once)."""
    digest = hashlib.blake2b(vector.tobytes(), digest_size=8).digest()
    return int.from_bytes(digest, "little", signed=True) or 1


class VectorIndex:
    """An HNSW index of unit vectors keyed by row number, cosine similarity, int8 storage."""

    def __init__(self, dim: int) -> None:
        self._index = Index(
            ndim=dim,
            metric="cos",
            dtype="i8",
            connectivity=_CONNECTIVITY,
            expansion_add=_EXPANSION_ADD,
            expansion_search=_EXPANSION_SEARCH,
        )
        self._digest = Column(np.int64, 0)  # by row: its vector's digest (0: not indexed)
        self._holder: dict[int, int] = {}  # digest -> the row that is in the graph
        self._copies: dict[int, list[int]] = {}  # row in the graph -> rows with its vector
        self._size = 0  # rows indexed

    def __len__(self) -> int:
        return self._size

    def state(self) -> dict[str, npt.NDArray[Any]]:
        """Everything :meth:`restored` needs, as arrays (the graph in usearch's format)."""
        return {
            "graph": np.frombuffer(bytes(self._index.save() or b""), dtype=np.uint8),
            "dim": np.asarray(self._index.ndim, dtype=np.int64),
            "digest": self._digest.view(),
            "holders": np.fromiter(self._holder.values(), dtype=np.int64, count=len(self._holder)),
        }

    @classmethod
    def restored(cls, state: dict[str, npt.NDArray[Any]]) -> VectorIndex:
        """The index :meth:`state` described."""
        out = cls(int(state["dim"]))
        out._index.load(state["graph"].tobytes())
        digest = state["digest"]
        out._digest = Column.of(digest.copy(), 0)
        holders = state["holders"]
        out._holder = dict(zip(digest[holders].tolist(), holders.tolist(), strict=True))
        indexed = np.flatnonzero(digest)
        out._size = len(indexed)
        copies = indexed[~np.isin(indexed, holders)]  # rows whose vector another row holds
        for row, key in zip(copies.tolist(), digest[copies].tolist(), strict=True):
            out._copies.setdefault(out._holder[key], []).append(row)
        return out

    def add(self, rows: IntArray, vectors: npt.NDArray[np.float32]) -> None:
        """Insert vectors under their row numbers (all-zero rows are skipped: they never match)."""
        fresh: list[int] = []
        for i, row in enumerate(np.asarray(rows, dtype=np.int64).tolist()):
            vector = np.ascontiguousarray(vectors[i], dtype=np.float32)
            if not vector.any():
                continue
            digest = _digest_of(vector)
            self._digest.set(row, digest)
            self._size += 1
            holder = self._holder.get(digest)
            if holder is None:
                self._holder[digest] = row
                fresh.append(i)
            else:
                self._copies.setdefault(holder, []).append(row)
        if fresh:
            self._index.add(
                np.asarray(rows, dtype=np.uint64)[fresh],
                np.ascontiguousarray(vectors[fresh], dtype=np.float32),
                threads=_ADD_THREADS,
            )

    def remove(self, row: int, vector: npt.NDArray[np.float32]) -> None:
        """Stop returning a row (a removed row's number is never reused); ``vector`` is the
        row's, for a copy that takes its place in the graph."""
        digest = int(self._digest.values[row]) if row < self._digest.size else 0
        if not digest:
            return
        self._digest.set(row, 0)
        self._size -= 1
        holder = self._holder[digest]
        if holder != row:
            self._copies[holder].remove(row)
            return
        self._index.remove(row)
        copies = self._copies.pop(row, [])
        if not copies:
            del self._holder[digest]
            return
        self._holder[digest] = copies[0]
        if copies[1:]:
            self._copies[copies[0]] = copies[1:]
        self._index.add(np.asarray([copies[0]], dtype=np.uint64), vector.reshape(1, -1))

    def nearest(
        self, vector: npt.NDArray[np.float32], k: int, *, depth: int | None = None
    ) -> IntArray:
        """About ``k`` row numbers (more when some share a vector), approximately the closest
        to ``vector`` first. ``depth`` overrides the search depth (lower: faster, less exact)."""
        if k <= 0 or len(self._index) == 0:
            return np.zeros(0, dtype=np.int64)
        # usearch has a setter; its stubs declare the property read-only.
        self._index.expansion_search = depth or _EXPANSION_SEARCH  # type: ignore[misc]
        found = self._index.search(np.asarray(vector, dtype=np.float32), min(k, len(self._index)))
        keys = np.asarray(found.keys, dtype=np.int64).tolist()
        if self._copies:
            keys = [r for key in keys for r in (key, *self._copies.get(key, ()))]
        return np.asarray(keys, dtype=np.int64)
