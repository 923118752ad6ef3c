"""A-MEM links and evolution: each new memory is linked to the closest existing ones.

A new message (or document, or explicitly added fact) gets ``related`` links to at most
``link_neighbours`` memories whose text-key cosine is at least ``link_threshold``;
memories that share its message (its own round, facts) are not candidates. The linked
neighbours then *evolve*: without an LLM they record the new memory's keyphrases, each
with the time it was said (``metadata["evolved"]``); with one, the extraction call may rewrite their tags and context. Evolution
changes are recorded in history with before/after values, so they can be undone.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt

from kenning.index.scope import Eligibility, ScopeIndex
from kenning.models import EVOLVED, KeyKind, MemoryItem, MemoryKind

LINKABLE = (MemoryKind.TURN, MemoryKind.DOCUMENT, MemoryKind.FACT, MemoryKind.NOTE)
# Search depth of the HNSW graph for link candidates in large scopes: a link needs a close
# neighbour, not the exact top of a ranking, and every added message asks (search uses 512;
# recall@10 0.937 here against 1.000 there, benchmarks/ann_recall.py).
_LINK_DEPTH = 128
_MAX_KEYWORDS = 24

Vector = npt.NDArray[np.float32]


def related(
    index: ScopeIndex,
    new: Sequence[tuple[MemoryItem, Vector]],
    *,
    threshold: float,
    k: int,
) -> dict[str, list[tuple[MemoryItem, float]]]:
    """For each new memory, its closest memories (existing, or earlier in ``new``), best first."""
    if k <= 0 or not new:
        return {}
    eligible = index.eligible(Eligibility(kinds=LINKABLE)) if len(index) else np.zeros(0, bool)
    batch = np.vstack([v for _, v in new]).astype(np.float32)
    # Each new memory's nearest existing ones first, then their records in one read.
    near = {
        item.id: _nearest(index, eligible, vector, threshold=threshold, n=4 * k)
        for item, vector in new
        if item.kind in LINKABLE and len(index)
    }
    wanted = sorted({p for found in near.values() for p, _ in found})
    records = {index.position[m.id]: m for m in index.items_at(wanted)}
    out: dict[str, list[tuple[MemoryItem, float]]] = {}
    for i, (item, vector) in enumerate(new):
        if item.kind not in LINKABLE:
            continue
        own = set(item.episode_ids)
        found: list[tuple[MemoryItem, float]] = []
        for position, score in near.get(item.id, []):
            other = records.get(position)
            if other and own.isdisjoint(other.episode_ids) and not _same_slot(item, other):
                found.append((other, score))
        if i:
            earlier = batch[:i] @ np.asarray(vector, dtype=np.float32)
            for j in np.flatnonzero(earlier >= threshold):
                other = new[int(j)][0]
                if (
                    other.kind in LINKABLE
                    and own.isdisjoint(other.episode_ids)
                    and not _same_slot(item, other)
                ):
                    found.append((other, float(earlier[j])))
        found.sort(key=lambda pair: -pair[1])
        if found:
            out[item.id] = found[:k]
    return out


def _nearest(
    index: ScopeIndex, eligible: npt.NDArray[np.bool_], vector: Vector, *, threshold: float, n: int
) -> list[tuple[int, float]]:
    """Of the ``n`` eligible memories closest to ``vector``, those scoring at least
    ``threshold`` (positions), best first, with their cosine."""
    positions, scores = index.nearest_eligible(vector, eligible, n, depth=_LINK_DEPTH)
    order = np.argsort(-scores, kind="stable")
    return [(int(positions[i]), float(scores[i])) for i in order if scores[i] >= threshold]


def closest(
    index: ScopeIndex, eligible: npt.NDArray[np.bool_], vector: Vector, *, threshold: float, n: int
) -> Iterator[tuple[MemoryItem, float]]:
    """Of the ``n`` eligible memories closest to ``vector``, those scoring at least
    ``threshold``, best first, with their cosine (records read from the store)."""
    found = _nearest(index, eligible, vector, threshold=threshold, n=n)
    records = {index.position[m.id]: m for m in index.items_at([p for p, _ in found])}
    for position, score in found:
        if position in records:
            yield records[position], score


def _same_slot(a: MemoryItem, b: MemoryItem) -> bool:
    """Versions of one slot are linked by supersession, not as related notes."""
    return a.slot is not None and a.slot == b.slot


def keyphrases_of(expansions: dict[KeyKind, str] | None) -> list[str]:
    """The keyphrases a memory was indexed under (one per line of its keyphrase key)."""
    text = (expansions or {}).get(KeyKind.KEYPHRASE, "")
    return [line for line in text.split("\n") if line.strip()]


def evolved_keywords(
    neighbour: MemoryItem, keywords: Sequence[str], *, by: str, at: datetime
) -> dict[str, Any] | None:
    """The neighbour's metadata with these keywords added to its ``evolved`` list, or None if
    nothing is new.

    Each entry records the keyword, the memory that brought it (``by``) and when that memory
    was said (``at``): a view of the neighbour as of an earlier time leaves it out
    (:meth:`kenning.models.MemoryItem.as_seen_at`), and an erase takes back what the erased
    memory brought. Evolved keywords describe the note; they are not index keys, so words said
    later never make an old statement match them.
    """
    entries = [dict(e) for e in neighbour.metadata.get(EVOLVED, ())]
    own = [str(k) for k in neighbour.metadata.get("keywords", ())]
    known = {k.casefold() for k in own} | {str(e.get("keyword", "")).casefold() for e in entries}
    stamp = at.isoformat()
    added = [{"keyword": k, "by": by, "at": stamp} for k in keywords if k.casefold() not in known]
    if not added:
        return None
    return {**neighbour.metadata, EVOLVED: (entries + added)[-_MAX_KEYWORDS:]}


def evolve(neighbour: MemoryItem, metadata: dict[str, Any], now: datetime) -> MemoryItem:
    """A neighbour with evolved note attributes."""
    return replace(neighbour, metadata=metadata, updated_at=now)
