"""Growable numpy arrays the in-memory indexes are made of.

An index grows one memory at a time and is read in vectorised passes; these keep both
cheap: amortised doubling on write, a view of the filled part on read, no Python object
per element.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]


class Growable:
    """An append-only numpy array."""

    def __init__(self, dtype: type) -> None:
        self.values: npt.NDArray[Any] = np.zeros(256, dtype=dtype)
        self.size = 0

    @classmethod
    def of(cls, values: npt.NDArray[Any]) -> Growable:
        """An array holding these values (no room for growth until the next append)."""
        out = cls(values.dtype.type)
        out.values, out.size = values, len(values)
        return out

    def extend(self, values: npt.ArrayLike) -> None:
        """Append values."""
        values = np.asarray(values, dtype=self.values.dtype)
        needed = self.size + len(values)
        if needed > len(self.values):
            grown = np.zeros(max(needed, 2 * len(self.values)), dtype=self.values.dtype)
            grown[: self.size] = self.values[: self.size]
            self.values = grown
        self.values[self.size : needed] = values
        self.size = needed

    def view(self) -> npt.NDArray[Any]:
        """The filled part (a view: valid until the next append)."""
        return self.values[: self.size]

    def clear(self) -> None:
        """Forget every value (the memory is kept for the next ones)."""
        self.size = 0


class Column:
    """A numpy column indexed by position, growing as positions are set."""

    def __init__(self, dtype: type, fill: object) -> None:
        self.values: npt.NDArray[Any] = np.full(64, fill, dtype=dtype)
        self.fill = fill
        self.size = 0

    @classmethod
    def of(cls, values: npt.NDArray[Any], fill: object) -> Column:
        """A column holding these values."""
        out = cls(values.dtype.type, fill)
        out.values = values
        out.size = len(values)
        return out

    def set(self, position: int, value: object) -> None:
        """Set one position (positions past the end grow the column with ``fill``)."""
        if position >= len(self.values):
            grown = np.full(
                max(position + 1, 2 * len(self.values)), self.fill, dtype=self.values.dtype
            )
            grown[: len(self.values)] = self.values
            self.values = grown
        self.values[position] = value
        self.size = max(self.size, position + 1)

    def view(self) -> npt.NDArray[Any]:
        """Every set position's value."""
        return self.values[: self.size]


class Ragged:
    """A short list of numbers per position (entities mentioned, messages made of, a
    document's terms); integers unless another ``dtype`` is given.

    Lists live back to back in one array; replacing a list appends the new one (the old
    stays as garbage until :meth:`compact`), so reads of many positions are one gather.
    """

    def __init__(self, dtype: type = np.int64) -> None:
        self._start = Column(np.int64, 0)
        self._count = Column(np.int64, 0)
        self._flat = Growable(dtype)
        self._live = 0  # values in current lists (the rest of _flat is garbage)

    def __len__(self) -> int:
        return self._start.size

    @classmethod
    def grouped(cls, owners: IntArray, values: IntArray, size: int) -> Ragged:
        """The lists of ``size`` positions from aligned (position, value) pairs, positions
        ascending."""
        out = cls(values.dtype.type)
        counts = np.bincount(owners, minlength=size).astype(np.int64)
        out._start = Column.of(np.cumsum(counts) - counts, 0)
        out._count = Column.of(counts, 0)
        out._flat.extend(values)
        out._live = len(values)
        return out

    def set(self, position: int, values: npt.ArrayLike) -> None:
        """Set (or replace) one position's list."""
        if self._flat.size > 1024 and self._flat.size > 4 * self._live:
            self.compact()
        if position < self._count.size:
            self._live -= int(self._count.values[position])
        values = np.asarray(values, dtype=self._flat.values.dtype)
        self._start.set(position, self._flat.size)
        self._count.set(position, len(values))
        self._flat.extend(values)
        self._live += int(self._count.values[position])

    def get(self, position: int) -> npt.NDArray[Any]:
        """One position's list (empty for a position never set)."""
        if position >= self._start.size:
            return np.zeros(0, dtype=self._flat.values.dtype)
        start = int(self._start.values[position])
        out: npt.NDArray[Any] = self._flat.values[start : start + int(self._count.values[position])]
        return out

    def gather(self, positions: IntArray) -> tuple[IntArray, npt.NDArray[Any]]:
        """Every value of the lists at ``positions``, with the place in ``positions`` each
        came from: two aligned arrays."""
        known = positions < self._start.size
        counts = np.where(known, self._count.values[np.where(known, positions, 0)], 0)
        starts = self._start.values[np.where(known, positions, 0)]
        owners = np.repeat(np.arange(len(positions), dtype=np.int64), counts)
        ends = np.cumsum(counts)
        offsets = np.arange(int(ends[-1]) if len(ends) else 0) - np.repeat(ends - counts, counts)
        return owners, self._flat.values[np.repeat(starts, counts) + offsets]

    def compact(self) -> None:
        """Drop replaced lists' garbage."""
        owners, values = self.gather(np.arange(self._start.size, dtype=np.int64))
        packed = Ragged.grouped(owners, values, self._start.size)
        self._start, self._count, self._flat = packed._start, packed._count, packed._flat
