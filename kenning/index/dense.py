"""Exact dense search: a growable float32 matrix of unit vectors, scored by one mat-vec."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Scores = npt.NDArray[np.float32]


class DenseIndex:
    """Rows are unit vectors appended in order; cosine similarity is the dot product."""

    def __init__(self, dim: int, *, capacity: int = 1024) -> None:
        self.dim = dim
        self._matrix = np.zeros((capacity, dim), dtype=np.float32)
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def add(self, vectors: npt.NDArray[np.float32]) -> range:
        """Append rows; returns their row numbers."""
        vectors = np.asarray(vectors, dtype=np.float32).reshape(-1, self.dim)
        needed = self._size + len(vectors)
        if needed > len(self._matrix):
            grown = np.zeros((max(needed, 2 * len(self._matrix)), self.dim), dtype=np.float32)
            grown[: self._size] = self._matrix[: self._size]
            self._matrix = grown
        self._matrix[self._size : needed] = vectors
        rows = range(self._size, needed)
        self._size = needed
        return rows

    def clear(self, row: int) -> None:
        """Zero a row so it never matches (its number is not reused)."""
        self._matrix[row] = 0.0

    def row(self, row: int) -> npt.NDArray[np.float32]:
        """One stored vector."""
        out: npt.NDArray[np.float32] = self._matrix[row]
        return out

    def scores(self, query: npt.NDArray[np.float32]) -> Scores:
        """Cosine similarity of the (unit) query with every row."""
        out: Scores = self._matrix[: self._size] @ np.asarray(query, dtype=np.float32)
        return out
