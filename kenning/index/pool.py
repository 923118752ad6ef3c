"""A scope seen through some of its memories: what a two-stage search scores.

:class:`PoolView` is a :class:`~kenning.index.scope.ScopeIndex` whose memories are a
candidate pool of a larger scope, renumbered ``0..len - 1``. Its columns are gathered
from the scope, its episode incidence and entity graph are built over the pool only, and
its dense and BM25 scores are the scope's own (full-precision vectors, whole-scope BM25
statistics), so every signal of :func:`kenning.read.search.search_scope` runs unchanged
over a few thousand memories instead of every memory of the scope.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt

from kenning.index.scope import FloatArray, IntArray, ScopeIndex, _Column


def _gathered(column: _Column, positions: IntArray) -> _Column:
    out = _Column(column.values.dtype.type, column.fill)
    out.values = column.values[positions]
    out.size = len(positions)
    return out


class PoolView(ScopeIndex):
    """The memories of ``parent`` at ``positions`` (ascending, unique), as a scope of their own.

    Read-only: built for one search, under the user's lock, and dropped after it.
    """

    def __init__(self, parent: ScopeIndex, positions: IntArray) -> None:
        # Deliberately no ScopeIndex.__init__: every field is set from the parent below.
        self._parent = parent
        self._positions = positions
        self.key_expansion = parent.key_expansion
        self.items = [parent.items[p] for p in positions.tolist()]
        self.position = {item.id: i for i, item in enumerate(self.items)}
        for name in (
            "_kind",
            "_status",
            "_event",
            "_valid_from",
            "_valid_to",
            "_dated",
            "_touched",
            "_strength",
            "_importance",
            "_pinned",
            "_expires",
            "_subject",
            "_speaker",
            "_session",
            "_agent",
        ):
            setattr(self, name, _gathered(getattr(parent, name), positions))
        for name in (
            "_speaker_code",
            "_speaker_names",
            "_subject_names",
            "_session_codes",
            "_agent_codes",
        ):
            setattr(self, name, getattr(parent, name))  # codes are the parent's
        self._mentioned = [parent._mentioned[p] for p in positions.tolist()]
        self._mention_table = None
        self._ended = {}
        self._replaced = {}
        self._winners = {}
        self._fact_turns = None
        self._incidence = None
        self._slot_members = {}
        self._episode_members = {}
        self._episode_number = {}
        for local, item in enumerate(self.items):
            if item.slot:
                self._slot_members.setdefault(item.slot, set()).add(local)
            for episode_id in item.episode_ids:
                self._episode_number.setdefault(episode_id, len(self._episode_number))
                self._episode_members.setdefault(episode_id, set()).add(local)
        self.graph = parent.graph.subgraph(positions.tolist(), len(parent))

    def dense_scores(self, query_vector: npt.NDArray[np.float32]) -> FloatArray:
        return self._parent.dense_scores_at(query_vector, self._positions)

    def dense_scores_at(
        self, query_vector: npt.NDArray[np.float32], positions: IntArray
    ) -> FloatArray:
        return self._parent.dense_scores_at(query_vector, self._positions[positions])

    def nearest(self, query_vector: npt.NDArray[np.float32], k: int) -> IntArray:
        raise NotImplementedError("a pool view is scored exactly")

    def lexical_scores(self, query: str) -> FloatArray:
        return self._parent.lexical_scores(query)[self._positions]

    def lexical_term_scores(self, terms: Mapping[str, float]) -> FloatArray:
        return self._parent.lexical_term_scores(terms)[self._positions]

    def lexical_terms(self, position: int) -> list[str]:
        return self._parent.lexical_terms(int(self._positions[position]))

    def vectors(self, positions: Sequence[int]) -> npt.NDArray[np.float32]:
        return self._parent.vectors([int(self._positions[p]) for p in positions])

    def relatives(self, positions: IntArray) -> IntArray:
        raise NotImplementedError("relatives are drawn from the whole scope")
