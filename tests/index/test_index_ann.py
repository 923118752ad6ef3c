"""The HNSW candidate index: recall against the exact scan, removals, incremental adds."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from kenning.bench.corpus import chat_messages, queries
from kenning.index import ann
from kenning.index.dense import DenseIndex
from kenning.testing import HashEmbedder


def _corpus(n: int) -> tuple[np.ndarray, np.ndarray]:
    embed = HashEmbedder(384).embed
    texts = [m.text for m in chat_messages(n, seed=3)]
    return np.asarray(embed(texts), dtype=np.float32), np.asarray(
        embed(queries(100, seed=4)), dtype=np.float32
    )


def test_nearest_recalls_the_exact_top_ten(monkeypatch: pytest.MonkeyPatch) -> None:
    """Recall@10 of distinct vectors against the exact scan, on generated chat (38 % of its
    texts repeat), with part of the graph built incrementally after the first search.

    Built on one thread, the graph is the same on every run (with several, insertion order
    varies and so, by a point or so, does recall).
    """
    monkeypatch.setattr(ann, "_ADD_THREADS", 1)
    vectors, asked = _corpus(20000)
    distinct, place = np.unique(vectors, axis=0, return_inverse=True)
    place = place.ravel()
    dense = DenseIndex(384)
    dense.add(vectors[:15000])
    dense.nearest(asked[0], 10)  # builds the graph over the first rows ...
    dense.add(vectors[15000:])  # ... and these join it one by one
    recalled = []
    for query in asked:
        exact = distinct @ query
        tenth = np.sort(exact)[-10]
        found = {int(place[row]) for row in dense.nearest(query, 50).tolist()}
        good = [v for v in found if exact[v] >= tenth - 1e-6]
        recalled.append(min(len(good), 10) / 10)
    assert float(np.mean(recalled)) >= 0.99


def test_copies_of_a_vector_are_returned_and_survive_removals() -> None:
    vectors, _ = _corpus(300)
    dense = DenseIndex(384)
    dense.add(vectors)
    dense.nearest(vectors[0], 1)  # the graph exists from here on
    copies = list(dense.add(np.vstack([vectors[5]] * 3)))
    assert {5, *copies} <= set(dense.nearest(vectors[5], 4).tolist())
    dense.clear(5)  # the row in the graph goes: a copy takes its place
    found = set(dense.nearest(vectors[5], 4).tolist())
    assert 5 not in found and set(copies) <= found
    for row in copies:
        dense.clear(row)
    assert not set(copies) & set(dense.nearest(vectors[5], 10).tolist())


def test_cleared_rows_are_never_returned() -> None:
    vectors, _ = _corpus(500)
    dense = DenseIndex(384)
    dense.add(vectors)
    assert 7 in dense.nearest(vectors[7], 1).tolist()
    dense.clear(7)
    assert 7 not in dense.nearest(vectors[7], 50).tolist()


def test_usearch_then_onnxruntime_imports_cleanly() -> None:
    # usearch 2.26 crashed the process (SIGSEGV) when onnxruntime was imported after it.
    done = subprocess.run(
        [sys.executable, "-c", "import usearch.index, onnxruntime; print('ok')"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_a_restored_graph_answers_as_the_saved_one_and_keeps_its_copies(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(ann, "_ADD_THREADS", 1)  # one graph, not one per thread schedule
    vectors, query_vectors = _corpus(400)
    saved = ann.VectorIndex(384)
    saved.add(np.arange(400, dtype=np.int64), vectors)
    saved.add(np.asarray([400, 401]), np.vstack([vectors[9]] * 2))  # copies of row 9
    restored = ann.VectorIndex.restored(saved.state())
    assert len(restored) == len(saved) == 402
    for query in query_vectors[:20]:
        assert restored.nearest(query, 10).tolist() == saved.nearest(query, 10).tolist()
    assert {9, 400, 401} <= set(restored.nearest(vectors[9], 3).tolist())
    restored.remove(9, vectors[9])  # a copy takes the removed holder's place
    found = set(restored.nearest(vectors[9], 3).tolist())
    assert 9 not in found and {400, 401} <= found


def test_a_row_removed_before_saving_stays_removed() -> None:
    vectors, _ = _corpus(300)
    saved = ann.VectorIndex(384)
    saved.add(np.arange(300, dtype=np.int64), vectors)
    saved.remove(3, vectors[3])
    restored = ann.VectorIndex.restored(saved.state())
    assert len(restored) == 299
    assert 3 not in restored.nearest(vectors[3], 20).tolist()
    assert 4 in restored.nearest(vectors[4], 5).tolist()
