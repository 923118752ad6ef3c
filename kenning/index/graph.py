"""The entity graph of one scope: memories and the entities they mention (HippoRAG 2).

Nodes are memory positions ``0..n-1`` followed by entity numbers ``n..n+e-1``. Edges:
a mention links a memory to an entity (weight 1); a synonym edge links two entities
whose name embeddings are close (cosine at least ``synonym_threshold``, weighted by the
cosine), as HippoRAG 2 links near-identical phrases ("Grand Canyon" / "the Grand Canyon
trip"). The adjacency is rebuilt lazily after a change; entity names are embedded once.
"""

from __future__ import annotations

from bisect import insort
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import ClassVar

import numpy as np
import numpy.typing as npt

from kenning.extract.local import entity_key
from kenning.index.arrays import Column, Growable, Ragged
from kenning.index.sparse import Triplets

Embed = Callable[[Sequence[str]], npt.NDArray[np.float32]]

# Entities mentioned by more than this share of a scope's memories (a chat's two
# speakers, say) connect everything to everything and carry no information.
_MAX_MENTION_SHARE = 0.25
_SYNONYM_BLOCK = 1024


class EntityGraph:
    """Memory-entity incidence plus entity synonym edges, as a sparse adjacency matrix."""

    _TRANSIENT: ClassVar[frozenset[str]] = frozenset({"_adjacency"})  # see index.snapshot

    def __init__(self, *, embed: Embed | None = None, synonym_threshold: float = 0.8) -> None:
        self._embed = embed
        self._threshold = synonym_threshold
        self._number: dict[str, int] = {}  # entity key -> entity number
        self._name_of_key: dict[str, str] = {}  # entity key -> display name
        self.names: list[str] = []  # display name by entity number
        self._keys: list[str] = []  # entity key by entity number
        self._degree = Column(np.int64, 0)  # memories mentioning each entity
        # Synonym edges as (entity, entity, cosine) triples, both directions, found for the
        # first ``_paired`` entities (see find_synonyms).
        self._synonym_a = Growable(np.int64)
        self._synonym_b = Growable(np.int64)
        self._synonym_w = Growable(np.float64)
        self._paired = 0
        self._mentions = Ragged()  # entity numbers by memory position
        self._vectors: npt.NDArray[np.float32] | None = None
        self._adjacency: Triplets | None = None
        self._mentioned_by: list[list[int]] = []  # by entity number, positions ascending

    def __len__(self) -> int:
        """Number of entities."""
        return len(self.names)

    def set_mentions(self, position: int, names: Iterable[str]) -> None:
        """The entities a memory mentions (replacing what it mentioned before)."""
        before = self._mentions.get(position).tolist()
        self._degree.values[before] -= 1
        for old in before:
            self._mentioned_by[old].remove(position)
        numbers: list[int] = []
        for name in names:
            key = entity_key(name)
            if not key:
                continue
            number = self._number.get(key)
            if number is None:
                number = self._number[key] = len(self.names)
                self._name_of_key[key] = name
                self.names.append(name)
                self._keys.append(key)
                self._degree.set(number, 0)
                self._mentioned_by.append([])
            if number not in numbers:
                numbers.append(number)
                self._degree.values[number] += 1
                insort(self._mentioned_by[number], position)
        self._mentions.set(position, numbers)
        self._adjacency = None

    def keys(self) -> Mapping[str, str]:
        """Every entity key with its display name, to recognise entities in a query.

        A live view, not a copy: it is read on every search.
        """
        return self._name_of_key

    def entity_nodes(self, names: Iterable[str], n_memories: int) -> list[int]:
        """Node numbers of the named entities that the graph knows."""
        found = (self._number.get(entity_key(name)) for name in names)
        return sorted({n_memories + number for number in found if number is not None})

    def mentioned_nodes(self, position: int, n_memories: int) -> list[int]:
        """Node numbers of the entities a memory mentions."""
        nodes: list[int] = (self._mentions.get(position) + n_memories).tolist()
        return nodes

    def names_mentioned(self, position: int) -> list[str]:
        """Display names of the entities a memory mentions, in the order it mentions them."""
        return [self.names[number] for number in self._mentions.get(position).tolist()]

    def mentioning(self, entity: str | int, *, latest: int | None = None) -> list[int]:
        """Positions of the memories that mention an entity (by name or number), ascending
        (kept as mentions are set: an entity's postings); with ``latest``, only that many of
        the last."""
        number = self._number.get(entity_key(entity)) if isinstance(entity, str) else entity
        if number is None or not 0 <= number < len(self.names):
            return []
        if len(self._mentioned_by) != len(self.names):
            raise RuntimeError("a subgraph keeps no entity postings: ask the scope's graph")
        found = self._mentioned_by[number]
        return found[-latest:] if latest is not None else list(found)

    def is_hub(self, entity: str, n_memories: int) -> bool:
        """Whether an entity is mentioned too widely to say anything (see :meth:`adjacency`)."""
        number = self._number.get(entity_key(entity))
        return number is not None and bool(self._degree.values[number] > _hub_degree(n_memories))

    def adjacency(self, n_memories: int) -> Triplets:
        """Symmetric weighted adjacency over memory and entity nodes."""
        if self._adjacency is not None and self._adjacency.shape[0] == n_memories + len(self.names):
            return self._adjacency
        n_entities = len(self.names)
        rows, entities = self._mentions.gather(np.arange(n_memories, dtype=np.int64))
        size = n_memories + n_entities
        hub = self._degree.values[:n_entities] > _hub_degree(n_memories)
        mention = Triplets.ones((size, size), rows, n_memories + entities).keep(~hub[entities])
        self._adjacency = mention.symmetric().plus(self._synonyms(n_memories))
        return self._adjacency

    def _synonyms(self, n_memories: int) -> Triplets:
        size = n_memories + len(self.names)
        self.find_synonyms()
        return Triplets(
            (size, size),
            self._synonym_a.view() + n_memories,
            self._synonym_b.view() + n_memories,
            self._synonym_w.view(),
        )

    def find_synonyms(self) -> None:
        """Extend the synonym pairs to every entity named so far (each new name is compared
        with every name once, so a search never compares all names with all names)."""
        known = self._paired
        if known >= len(self.names) or self._embed is None:
            return
        have = 0 if self._vectors is None else len(self._vectors)
        if have < len(self.names):
            fresh = np.asarray(self._embed(self.names[have:]), dtype=np.float32)
            self._vectors = fresh if self._vectors is None else np.vstack([self._vectors, fresh])
        vectors = self._vectors
        assert vectors is not None  # set just above
        # Blocks keep the similarity matrix small for scopes with many entities.
        for start in range(known, len(vectors), _SYNONYM_BLOCK):
            block = vectors[start : start + _SYNONYM_BLOCK] @ vectors.T
            r, c = np.nonzero(block >= self._threshold)
            weights = block[r, c].astype(np.float64)
            r = r + start
            # New-with-new pairs come out in both orders; new-with-old ones once: mirror them.
            off_diagonal = r != c
            old = c < known
            for first, second, w in (
                (r[off_diagonal], c[off_diagonal], weights[off_diagonal]),
                (c[old], r[old], weights[old]),
            ):
                self._synonym_a.extend(first)
                self._synonym_b.extend(second)
                self._synonym_w.extend(w)
        self._paired = len(self.names)

    def subgraph(self, positions: npt.NDArray[np.int64], n_memories: int) -> EntityGraph:
        """The graph among some of ``n_memories`` memories (renumbered ``0..len - 1`` in the
        order given) and the entities they mention, for a search over candidates.

        Entities that are hubs of the whole scope stay out, as in :meth:`adjacency`; entity
        keys stay the whole scope's, since a query may name any entity. Names are embedded
        (for synonym edges) once, when a subgraph first needs them.
        """
        owners, numbers = self._mentions.gather(positions)
        keep = self._degree.values[numbers] <= _hub_degree(n_memories)
        owners, numbers = owners[keep], numbers[keep]
        entities, local = np.unique(numbers, return_inverse=True)
        sub = EntityGraph(synonym_threshold=self._threshold)
        sub._name_of_key = self._name_of_key
        chosen = entities.tolist()
        sub.names = [self.names[n] for n in chosen]
        sub._keys = [self._keys[n] for n in chosen]
        sub._number = {key: i for i, key in enumerate(sub._keys)}
        sub._mentions = Ragged.grouped(owners, local.astype(np.int64), len(positions))
        sub._degree = Column.of(np.bincount(local, minlength=len(chosen)).astype(np.int64), 0)
        self.find_synonyms()
        renumber = np.full(len(self.names), -1, dtype=np.int64)
        renumber[entities] = np.arange(len(entities))
        a = renumber[self._synonym_a.view()]
        b = renumber[self._synonym_b.view()]
        both = (a >= 0) & (b >= 0)
        sub._synonym_a.extend(a[both])
        sub._synonym_b.extend(b[both])
        sub._synonym_w.extend(self._synonym_w.view()[both])
        sub._paired = len(sub.names)
        return sub


def _hub_degree(n_memories: int) -> float:
    """Mentions beyond which an entity is a hub (see ``_MAX_MENTION_SHARE``)."""
    return max(2.0, _MAX_MENTION_SHARE * n_memories)
