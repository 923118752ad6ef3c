"""Sparse matrices as coordinate triplets, with the few products retrieval needs.

Retrieval needs matrix-vector products over a scope's incidence (memories x messages) and
graph adjacency, and per-row or per-column maxima. ``numpy.bincount`` computes each in one
vectorised pass, so the core install does without scipy (about 140 MB installed).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


def _no_int() -> IntArray:
    return np.zeros(0, dtype=np.int64)


def _no_float() -> FloatArray:
    return np.zeros(0, dtype=np.float64)


def _sum_by(groups: IntArray, weights: FloatArray, size: int) -> FloatArray:
    """``out[g]`` = the sum of ``weights`` whose group is ``g``."""
    return np.asarray(np.bincount(groups, weights=weights, minlength=size), dtype=np.float64)


@dataclass(frozen=True)
class Triplets:
    """A ``shape[0] x shape[1]`` matrix whose entry ``(rows[k], cols[k])`` is ``values[k]``.

    Repeated coordinates add up, as in every product below.
    """

    shape: tuple[int, int]
    rows: IntArray = field(default_factory=_no_int)
    cols: IntArray = field(default_factory=_no_int)
    values: FloatArray = field(default_factory=_no_float)

    @classmethod
    def ones(cls, shape: tuple[int, int], rows: IntArray, cols: IntArray) -> Triplets:
        """A 0/1 matrix with ones at the given coordinates."""
        return cls(shape, rows, cols, np.ones(len(rows), dtype=np.float64))

    @classmethod
    def from_dense(cls, matrix: npt.ArrayLike) -> Triplets:
        """The non-zero entries of a dense 2-d array (for tests and small cases)."""
        dense = np.asarray(matrix, dtype=np.float64)
        rows, cols = np.nonzero(dense)
        return cls(
            (dense.shape[0], dense.shape[1]),
            rows.astype(np.int64),
            cols.astype(np.int64),
            dense[rows, cols],
        )

    def to_dense(self) -> FloatArray:
        """The matrix as a dense array, repeated coordinates added up."""
        dense = np.zeros(self.shape, dtype=np.float64)
        np.add.at(dense, (self.rows, self.cols), self.values)
        return dense

    @property
    def nnz(self) -> int:
        """Number of stored entries."""
        return len(self.values)

    def matvec(self, x: npt.ArrayLike) -> FloatArray:
        """``M @ x``."""
        x = np.asarray(x, dtype=np.float64)
        return _sum_by(self.rows, self.values * x[self.cols], self.shape[0])

    def rmatvec(self, x: npt.ArrayLike) -> FloatArray:
        """``M.T @ x``."""
        x = np.asarray(x, dtype=np.float64)
        return _sum_by(self.cols, self.values * x[self.rows], self.shape[1])

    def row_sums(self) -> FloatArray:
        """``M.sum(axis=1)``."""
        return _sum_by(self.rows, self.values, self.shape[0])

    def col_sums(self) -> FloatArray:
        """``M.sum(axis=0)``."""
        return _sum_by(self.cols, self.values, self.shape[1])

    def symmetric(self) -> Triplets:
        """``M + M.T`` (square matrices)."""
        return Triplets(
            self.shape,
            np.concatenate([self.rows, self.cols]),
            np.concatenate([self.cols, self.rows]),
            np.concatenate([self.values, self.values]),
        )

    def plus(self, other: Triplets) -> Triplets:
        """``M + other`` (same shape)."""
        if other.shape != self.shape:
            raise ValueError(f"shapes differ: {self.shape} and {other.shape}")
        return Triplets(
            self.shape,
            np.concatenate([self.rows, other.rows]),
            np.concatenate([self.cols, other.cols]),
            np.concatenate([self.values, other.values]),
        )

    def keep(self, mask: npt.NDArray[np.bool_]) -> Triplets:
        """Only the entries where ``mask`` (one flag per entry) is true."""
        return Triplets(self.shape, self.rows[mask], self.cols[mask], self.values[mask])


def group_max(groups: IntArray, values: FloatArray, size: int, *, empty: float = 0.0) -> FloatArray:
    """``out[g]`` = the largest of ``values`` whose group is ``g`` (``empty`` for none).

    Written in ascending order, the last write to each group is its maximum: one stable
    sort, much faster than ``np.maximum.at``.
    """
    out = np.full(size, empty, dtype=np.float64)
    order = np.argsort(values, kind="stable")
    out[groups[order]] = values[order]
    return out


__all__ = ["FloatArray", "IntArray", "Triplets", "group_max"]
