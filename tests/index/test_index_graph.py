"""``EntityGraph``: mentions, canonical entity names, hub pruning and synonym edges."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from kenning.index.graph import EntityGraph


def test_mentions_link_memories_to_canonical_entities() -> None:
    graph = EntityGraph()
    graph.set_mentions(0, ["Grand Canyon", "Pixel"])
    graph.set_mentions(1, ["the Grand Canyon's"])  # same entity, other surface form
    graph.set_mentions(2, [])
    assert len(graph) == 2
    assert set(graph.keys()) == {"grand canyon", "pixel"}
    a = graph.adjacency(3).to_dense()
    canyon, pixel = 3, 4  # entity nodes follow the 3 memory nodes
    assert a[0, canyon] == a[canyon, 0] == 1 and a[1, canyon] == 1 and a[0, pixel] == 1
    assert a[2].sum() == 0  # a memory with no mention is isolated
    assert (a == a.T).all()
    assert graph.entity_nodes(["grand canyon", "Nowhere"], 3) == [canyon]


def test_replacing_mentions_drops_the_old_edges() -> None:
    graph = EntityGraph()
    graph.set_mentions(0, ["Pixel"])
    graph.set_mentions(1, ["Pixel"])
    graph.set_mentions(0, ["Miso"])
    a = graph.adjacency(2).to_dense()
    pixel, miso = 2, 3
    assert a[0, pixel] == 0 and a[0, miso] == 1 and a[1, pixel] == 1


def test_an_entity_mentioned_almost_everywhere_carries_no_edges() -> None:
    graph = EntityGraph()
    for position in range(10):
        graph.set_mentions(position, ["Caroline", *(["Paris"] if position < 2 else [])])
    a = graph.adjacency(10).to_dense()
    caroline, paris = 10, 11
    assert a[:, caroline].sum() == 0  # in every memory: pruned as a hub
    assert a[0, paris] == 1 and a[1, paris] == 1


def test_names_mentioned_and_the_inverse_mentioning() -> None:
    graph = EntityGraph()
    graph.set_mentions(0, ["Grand Canyon", "Pixel"])
    graph.set_mentions(2, ["the Grand Canyon's", "Grand Canyon"])  # one entity, named twice
    assert graph.names_mentioned(0) == ["Grand Canyon", "Pixel"]
    assert graph.names_mentioned(2) == ["Grand Canyon"]  # the display name first seen
    assert graph.names_mentioned(1) == [] and graph.names_mentioned(99) == []
    assert graph.mentioning("grand canyon") == [0, 2] == graph.mentioning(0)
    assert graph.mentioning("Pixel") == [0] == graph.mentioning(1)
    assert graph.mentioning("Nowhere") == [] and graph.mentioning(7) == []
    # the inverse follows a change of what a memory mentions
    graph.set_mentions(0, ["Pixel"])
    graph.set_mentions(3, ["Pixel", "Miso"])
    assert graph.mentioning("Grand Canyon") == [2]
    assert graph.mentioning("Pixel") == [0, 3] and graph.mentioning("Miso") == [3]
    graph.mentioning("Pixel").append(99)  # a copy: the caller cannot corrupt the graph
    assert graph.mentioning("Pixel") == [0, 3]


def _embed(texts: Sequence[str]) -> np.ndarray:
    table = {
        "Grand Canyon": [1.0, 0.0, 0.0],
        "Grand Canyon trip": [0.95, 0.31, 0.0],
        "Pixel": [0.0, 0.0, 1.0],
    }
    out = np.asarray([table[t] for t in texts], dtype=np.float32)
    return out / np.linalg.norm(out, axis=1, keepdims=True)


def test_close_entity_names_get_a_synonym_edge_weighted_by_similarity() -> None:
    calls: list[list[str]] = []

    def embed(texts: Sequence[str]) -> np.ndarray:
        calls.append(list(texts))
        return _embed(texts)

    graph = EntityGraph(embed=embed, synonym_threshold=0.8)
    graph.set_mentions(0, ["Grand Canyon", "Pixel"])
    graph.set_mentions(1, ["Grand Canyon trip"])
    a = graph.adjacency(2).to_dense()
    canyon, pixel, trip = 2, 3, 4
    assert 0.9 < a[canyon, trip] == a[trip, canyon] < 1.0
    assert a[canyon, pixel] == 0 and a[canyon, canyon] == 0
    graph.adjacency(2)  # unchanged graph: cached, nothing embedded again
    graph.set_mentions(1, ["Grand Canyon trip", "Pixel"])
    graph.adjacency(2)
    assert calls == [["Grand Canyon", "Pixel", "Grand Canyon trip"]]


@given(
    st.lists(
        st.tuples(st.integers(0, 12), st.lists(st.sampled_from("ABCDEFG"), max_size=4)),
        max_size=60,
    )
)
def test_entity_postings_follow_every_change_of_mentions(
    writes: list[tuple[int, list[str]]],
) -> None:
    """``mentioning`` (kept as mentions are set) equals the inverse computed from scratch."""
    graph = EntityGraph()
    model: dict[int, set[str]] = {}
    for position, names in writes:
        graph.set_mentions(position, [f"Entity {n}" for n in names])
        model[position] = {f"Entity {n}" for n in names}
    for letter in "ABCDEFG":
        name = f"Entity {letter}"
        assert graph.mentioning(name) == sorted(p for p, found in model.items() if name in found)
