"""A scope seen through some of its memories: what a two-stage search scores.

:class:`PoolView` is a :class:`~kenning.index.scope.ScopeIndex` whose memories are a
candidate pool of a larger scope, renumbered ``0..len - 1``. Its columns are gathered
from the scope, its episode incidence and entity graph are built over the pool only, and
its dense and BM25 scores are the scope's own (its float16 rows, whole-scope BM25
statistics), so every signal of :func:`kenning.read.search.search_scope` runs unchanged
over a few thousand memories instead of every memory of the scope.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt

from kenning.index.arrays import Column, Ragged
from kenning.index.scope import FloatArray, IntArray, ScopeIndex
from kenning.index.sparse import Triplets

# The per-memory columns a view gathers from its scope.
_COLUMNS = (
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
    "_slot",
    "_created",
)
# Name codes stay the scope's, so the gathered code columns mean what they meant.
_SHARED = (
    "_speaker_code",
    "_speaker_names",
    "_subject_names",
    "_session_codes",
    "_agent_codes",
    "_slot_codes",
)


class PoolView(ScopeIndex):
    """The memories of ``parent`` at ``positions`` (ascending, unique), as a scope of their own.

    ``lexical``: a query and its BM25 scores at ``positions``, already computed by the caller.

    Read-only: built for one search, under the user's lock, and dropped after it.
    """

    def __init__(
        self,
        parent: ScopeIndex,
        positions: IntArray,
        *,
        lexical: tuple[str, FloatArray] | None = None,
    ) -> None:
        # Deliberately no ScopeIndex.__init__: every field a search reads is set from the
        # parent here, and nothing writes to a view.
        self._parent = parent
        self._positions = positions
        self.key_expansion = parent.key_expansion
        self._held = None
        self._fetch = parent.items_of_ids
        self.position = {}  # by id: a search never looks a memory up by id in a view
        for name in _COLUMNS:
            column: Column = getattr(parent, name)
            setattr(self, name, Column.of(column.values[positions], column.fill))
        for name in _SHARED:
            setattr(self, name, getattr(parent, name))
        for name in ("_mention_starts", "_mention_ends"):
            owners, values = getattr(parent, name).gather(positions)
            setattr(self, name, Ragged.grouped(owners, values, len(positions)))
        self._mention_table = None
        self._ended = {}
        self._winners = {}
        self._eligible_masks = {}
        self._expiring = set(np.flatnonzero(np.isfinite(self._expires.values)).tolist())
        self._fact_turns = None
        self._slot_members = {}
        for local in np.flatnonzero(self._slot.values >= 0).tolist():
            self._slot_members.setdefault(int(self._slot.values[local]), set()).add(local)
        owners, episodes = parent._episodes.gather(positions)
        distinct, local_episodes = np.unique(episodes, return_inverse=True)
        local_episodes = local_episodes.astype(np.int64)
        self._episodes = Ragged.grouped(owners, local_episodes, len(positions))
        live = self._status.values[owners] >= 0
        owners, local_episodes = owners[live], local_episodes[live]
        self._incidence = Triplets.ones((len(positions), len(distinct)), owners, local_episodes)
        # Episodes are numbered 0..len(distinct) - 1 here, the scope's numbers in ``distinct``.
        order = np.argsort(local_episodes, kind="stable")
        self._members = Ragged.grouped(local_episodes[order], owners[order], len(distinct))
        self._episode_number = parent._episode_number
        self._distinct_episodes = distinct
        self.graph = parent.graph.subgraph(positions, len(parent))
        self._rows = parent.lexical_rows(positions)
        self._known_lexical = lexical

    def __len__(self) -> int:
        return len(self._positions)

    def id_of(self, position: int) -> str:
        return self._parent.ids[int(self._positions[position])]

    def members_of(self, episode_id: str) -> list[int]:
        number = self._episode_number.get(episode_id)
        if number is None:
            return []
        at = int(np.searchsorted(self._distinct_episodes, number))
        if at >= len(self._distinct_episodes) or self._distinct_episodes[at] != number:
            return []
        found: list[int] = self._members.get(at).tolist()
        return found

    def dense_scores(
        self, query_vector: npt.NDArray[np.float32], *, passages: bool = True
    ) -> FloatArray:
        return self._parent.dense_scores_at(query_vector, self._positions, passages=passages)

    def dense_scores_at(
        self, query_vector: npt.NDArray[np.float32], positions: IntArray, *, passages: bool = True
    ) -> FloatArray:
        return self._parent.dense_scores_at(
            query_vector, self._positions[positions], passages=passages
        )

    def nearest(
        self, query_vector: npt.NDArray[np.float32], k: int, *, depth: int | None = None
    ) -> IntArray:
        raise NotImplementedError("a pool view is scored exactly")

    def lexical_scores(self, query: str) -> FloatArray:
        if self._known_lexical is not None and self._known_lexical[0] == query:
            return self._known_lexical[1]
        return self._parent.lexical_scores_at(query, self._rows)

    def lexical_term_scores(self, terms: Mapping[str, float]) -> FloatArray:
        return self._parent.lexical_scores_at(terms, self._rows)

    def lexical_terms(self, position: int) -> list[str]:
        return self._parent.lexical_terms(int(self._positions[position]))

    def vectors(self, positions: Sequence[int]) -> npt.NDArray[np.float32]:
        return self._parent.vectors([int(self._positions[p]) for p in positions])

    def relatives(self, positions: IntArray, at: float) -> IntArray:
        raise NotImplementedError("relatives are drawn from the whole scope")
