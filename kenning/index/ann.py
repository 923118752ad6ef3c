"""Approximate nearest neighbours over a scope's key vectors: an HNSW graph (usearch).

The graph stores each vector quantized to int8 (384 bytes for MiniLM's 384 dimensions
instead of 1,536), which is all a candidate list needs; :class:`kenning.index.dense.DenseIndex`
re-scores the candidates against the full-precision rows, so the quantization never
reaches a hit's score. Keys are dense row numbers.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from usearch.index import Index

IntArray = npt.NDArray[np.int64]

# HNSW's "M" and search depths. Templated chat text (many near-duplicate vectors) is hard
# for a graph search: on the bench corpus recall@10 against the exact scan was 0.966 with a
# search depth of 128, 0.988 with 384 and 1.0 with 512 (about 0.5 ms a query at 6,000
# vectors); tests/index/test_index_ann.py holds it at 0.99 or more.
_CONNECTIVITY = 16
_EXPANSION_ADD = 128
_EXPANSION_SEARCH = 512


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

    def __len__(self) -> int:
        return len(self._index)

    def add(self, rows: IntArray, vectors: npt.NDArray[np.float32]) -> None:
        """Insert vectors under their row numbers (all-zero rows are skipped: they never match)."""
        keep = np.abs(vectors).sum(axis=1) > 0
        if keep.any():
            self._index.add(
                np.asarray(rows, dtype=np.uint64)[keep],
                np.ascontiguousarray(vectors[keep], dtype=np.float32),
            )

    def remove(self, row: int) -> None:
        """Stop returning a row (a removed row's number is never reused)."""
        if self._index.contains(row):
            self._index.remove(row)

    def nearest(self, vector: npt.NDArray[np.float32], k: int) -> IntArray:
        """Up to ``k`` row numbers, approximately the closest to ``vector`` first."""
        if k <= 0 or len(self._index) == 0:
            return np.zeros(0, dtype=np.int64)
        found = self._index.search(np.asarray(vector, dtype=np.float32), min(k, len(self._index)))
        return np.asarray(found.keys, dtype=np.int64)

    def memory_bytes(self) -> int:
        """What the graph and its quantized vectors occupy in memory."""
        return int(self._index.memory_usage)
