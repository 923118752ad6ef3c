"""Dense search: a growable float16 matrix of unit vectors, scored by one mat-vec (exact), or
through an HNSW graph of its rows (:meth:`DenseIndex.nearest`) re-scored against the matrix.

The rows are kept as float16 (768 bytes for MiniLM's 384 dimensions instead of 1,536): a
unit vector's components lose nothing that changes a ranking (a cosine moves by about 1e-4;
the retrieval figures in docs/retrieval.md were measured with it), and the scope's largest
structure halves."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import numpy.typing as npt
from usearch.compiled import MetricKind
from usearch.index import search as exact_search

from kenning.index.ann import VectorIndex

Scores = npt.NDArray[np.float32]
_STORED = np.float16
_CHUNK = 65_536  # rows converted to float32 at a time (for a graph insert)
_NUMPY_BELOW = 64  # fewer rows than this are scored by numpy (no call overhead)


def _dot(rows: npt.NDArray[np.float16], query: npt.NDArray[np.float32]) -> Scores:
    """``rows @ query`` as float32 scores.

    numpy's float16 to float32 conversion costs more than the product itself; usearch's
    exact search reads float16 with SIMD kernels, so many rows go through it (a one-off
    measurement on a pool of 2,000 rows, not a kept benchmark).
    """
    vector = np.asarray(query, dtype=np.float32)
    if len(rows) < _NUMPY_BELOW:
        out: Scores = rows.astype(np.float32) @ vector
        return out
    found = exact_search(
        np.ascontiguousarray(rows), vector, len(rows), MetricKind.IP, exact=True, threads=1
    )
    scores = np.zeros(len(rows), dtype=np.float32)
    scores[np.asarray(found.keys, dtype=np.int64)] = 1.0 - np.asarray(found.distances)
    return scores


class DenseIndex:
    """Rows are unit vectors appended in order; cosine similarity is the dot product."""

    # A snapshot writes the matrix up to its filled size (kenning.index.snapshot).
    _SIZED: ClassVar[dict[str, str]] = {"_matrix": "_size"}

    def __init__(self, dim: int, *, capacity: int = 1024) -> None:
        self.dim = dim
        self._matrix = np.zeros((capacity, dim), dtype=_STORED)
        self._size = 0
        self._ann: VectorIndex | None = None  # built on the first nearest(), then kept current

    def __len__(self) -> int:
        return self._size

    def add(self, vectors: npt.NDArray[np.float32]) -> range:
        """Append rows; returns their row numbers."""
        vectors = np.asarray(vectors, dtype=np.float32).reshape(-1, self.dim)
        needed = self._size + len(vectors)
        if needed > len(self._matrix):
            # Grow by a quarter: each row is copied about four times over the index's life, and
            # at most a fifth of the matrix is ever unused.
            grown = np.zeros((max(needed, len(self._matrix) * 5 // 4 + 1024), self.dim), _STORED)
            grown[: self._size] = self._matrix[: self._size]
            self._matrix = grown
        self._matrix[self._size : needed] = vectors
        rows = range(self._size, needed)
        self._size = needed
        if self._ann is not None:  # the stored values, so that equal rows stay equal
            stored = np.arange(rows.start, rows.stop, dtype=np.int64)
            self._ann.add(stored, self._matrix[stored].astype(np.float32))
        return rows

    def clear(self, row: int) -> None:
        """Zero a row so it never matches (its number is not reused)."""
        if self._ann is not None:
            self._ann.remove(row, self.row(row))
        self._matrix[row] = 0.0

    def row(self, row: int) -> npt.NDArray[np.float32]:
        """One stored vector."""
        out: npt.NDArray[np.float32] = self._matrix[row].astype(np.float32)
        return out

    def scores(self, query: npt.NDArray[np.float32]) -> Scores:
        """Cosine similarity of the (unit) query with every row."""
        return _dot(self._matrix[: self._size], query)

    def rescore(self, query: npt.NDArray[np.float32], rows: npt.NDArray[np.int64]) -> Scores:
        """Cosine similarity of the (unit) query with some rows (the stored precision)."""
        return _dot(self._matrix[rows], query)

    def nearest(
        self, query: npt.NDArray[np.float32], k: int, *, depth: int | None = None
    ) -> npt.NDArray[np.int64]:
        """About the ``k`` rows closest to the query, from the HNSW graph (built on first use).

        Approximate: the graph holds int8 copies; callers re-score with :meth:`rescore`.
        """
        return self.graph().nearest(query, k, depth=depth)

    def graph(self) -> VectorIndex:
        """The HNSW graph of the rows (built now if it was not yet)."""
        if self._ann is None:
            self._ann = VectorIndex(self.dim)
            for start in range(0, self._size, _CHUNK):  # float32 copies, a chunk at a time
                rows = np.arange(start, min(start + _CHUNK, self._size), dtype=np.int64)
                self._ann.add(rows, self._matrix[rows].astype(np.float32))
        return self._ann

    def has_graph(self) -> bool:
        """Whether the HNSW graph is built."""
        return self._ann is not None
