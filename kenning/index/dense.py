"""Dense search: a growable float32 matrix of unit vectors, scored by one mat-vec (exact), or
through an HNSW graph of its rows (:meth:`DenseIndex.nearest`) re-scored at full precision."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from kenning.index.ann import VectorIndex

Scores = npt.NDArray[np.float32]


class DenseIndex:
    """Rows are unit vectors appended in order; cosine similarity is the dot product."""

    def __init__(self, dim: int, *, capacity: int = 1024) -> None:
        self.dim = dim
        self._matrix = np.zeros((capacity, dim), dtype=np.float32)
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
            # at most a fifth of the matrix (1.5 KB a row for MiniLM) is ever unused.
            grown = np.zeros((max(needed, len(self._matrix) * 5 // 4 + 1024), self.dim), np.float32)
            grown[: self._size] = self._matrix[: self._size]
            self._matrix = grown
        self._matrix[self._size : needed] = vectors
        rows = range(self._size, needed)
        self._size = needed
        if self._ann is not None:
            self._ann.add(np.arange(rows.start, rows.stop, dtype=np.int64), vectors)
        return rows

    def clear(self, row: int) -> None:
        """Zero a row so it never matches (its number is not reused)."""
        if self._ann is not None:
            self._ann.remove(row, self._matrix[row].copy())
        self._matrix[row] = 0.0

    def row(self, row: int) -> npt.NDArray[np.float32]:
        """One stored vector."""
        out: npt.NDArray[np.float32] = self._matrix[row]
        return out

    def scores(self, query: npt.NDArray[np.float32]) -> Scores:
        """Cosine similarity of the (unit) query with every row."""
        out: Scores = self._matrix[: self._size] @ np.asarray(query, dtype=np.float32)
        return out

    def rescore(self, query: npt.NDArray[np.float32], rows: npt.NDArray[np.int64]) -> Scores:
        """Exact cosine similarity of the (unit) query with some rows."""
        out: Scores = self._matrix[rows] @ np.asarray(query, dtype=np.float32)
        return out

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
            self._ann.add(np.arange(self._size, dtype=np.int64), self._matrix[: self._size])
        return self._ann

    def has_graph(self) -> bool:
        """Whether the HNSW graph is built."""
        return self._ann is not None
