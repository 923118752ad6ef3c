"""The graph around one memory: the entities it mentions and the memories they lead to.

Entities come from the scope's in-memory entity graph (the names the memory's ``ENTITY`` key
lists); for each, the other memories of the scope that mention it, active ones first, then
the latest event first. Links are the memory's typed links in the store, kept only when
their other end is a memory of the same user. Nothing here reaches outside the user's scope.
"""

from __future__ import annotations

import heapq

from kenning.index.scope import ScopeIndex
from kenning.models import EntityNode, Link, MemoryGraph, MemoryItem
from kenning.store import Store


def memory_graph(store: Store, index: ScopeIndex, centre: MemoryItem, *, limit: int) -> MemoryGraph:
    """The :class:`MemoryGraph` of ``centre`` (a memory of ``index``'s user, any status).

    Each entity lists at most ``limit`` other memories. A memory that is not indexed (a
    deleted one) mentions no entity but keeps its links.
    """
    named = _entity_memories(index, centre.id, limit)
    links = [link for link in store.links_of(centre.id) if _other(link, centre.id) != centre.id]
    wanted = list(
        dict.fromkeys(
            [i for _, ids in named for i in ids] + [_other(link, centre.id) for link in links]
        )
    )
    found = {item.id: item for item in store.get_memories(wanted) if item.user_id == centre.user_id}
    entities = [EntityNode(name, tuple(i for i in ids if i in found)) for name, ids in named]
    links = [link for link in links if _other(link, centre.id) in found]
    return MemoryGraph(
        memory=centre,
        entities=entities,
        links=links,
        neighbours=[found[i] for i in wanted if i in found],
    )


def _other(link: Link, memory_id: str) -> str:
    return link.target_id if link.source_id == memory_id else link.source_id


def _entity_memories(index: ScopeIndex, memory_id: str, limit: int) -> list[tuple[str, list[str]]]:
    """Each entity the memory mentions, with the ids of at most ``limit`` others mentioning it."""
    position = index.position.get(memory_id)
    if position is None or index.removed(position):
        return []
    graph = index.graph
    out: list[tuple[str, list[str]]] = []
    for name in graph.names_mentioned(position):
        others = (p for p in graph.mentioning(name) if p != position and not index.removed(p))
        first = heapq.nsmallest(limit, others, key=index.recency)
        out.append((name, [index.ids[p] for p in first]))
    return out
