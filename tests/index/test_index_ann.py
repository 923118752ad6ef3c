"""The HNSW candidate index: recall against the exact scan, removals, incremental adds."""

from __future__ import annotations

import subprocess
import sys

import numpy as np

from kenning.bench.corpus import chat_messages, queries
from kenning.index.dense import DenseIndex
from kenning.testing import HashEmbedder


def _corpus(n: int) -> tuple[np.ndarray, np.ndarray]:
    embed = HashEmbedder(384).embed
    texts = [m.text for m in chat_messages(n, seed=3)]
    return np.asarray(embed(texts), dtype=np.float32), np.asarray(
        embed(queries(100, seed=4)), dtype=np.float32
    )


def test_nearest_recalls_the_exact_top_ten() -> None:
    vectors, asked = _corpus(6000)
    dense = DenseIndex(384)
    dense.add(vectors[:5000])
    dense.nearest(asked[0], 10)  # builds the graph over the first 5000 rows
    dense.add(vectors[5000:])  # ... and these join it incrementally
    recalled = []
    for query in asked:
        # Templated texts tie often: a row counts as recalled when it scores at least the
        # exact tenth best (any of the tied rows is as good as another).
        tenth = np.sort(dense.scores(query))[-10]
        found = dense.nearest(query, 50)
        best = np.sort(dense.rescore(query, found))[-10:]
        recalled.append(float((best >= tenth - 1e-6).mean()))
    assert float(np.mean(recalled)) >= 0.99


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
