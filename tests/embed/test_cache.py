"""EmbeddingCache and CachedEmbedder against a real SQLite file."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest

from kenning.config import EmbedderKind, Settings
from kenning.embed import (
    CachedEmbedder,
    Embedder,
    EmbeddingCache,
    HashEmbedder,
    OpenAIEmbedder,
    SentenceTransformerEmbedder,
    Vectors,
    build_embedder,
)
from kenning.errors import EmbeddingError


class CountingEmbedder:
    """Wraps an embedder and records every batch it is asked to embed."""

    def __init__(self, inner: Embedder, model_id: str | None = None) -> None:
        self.inner = inner
        self._model_id = model_id or inner.model_id
        self.calls: list[list[str]] = []

    @property
    def model_id(self) -> str:
        return self._model_id

    @property
    def dim(self) -> int:
        return self.inner.dim

    def embed(self, texts: Sequence[str]) -> Vectors:
        self.calls.append(list(texts))
        return self.inner.embed(texts)


TEXTS = ["the cat sat on the mat", "Alice lives in Paris", "tea, not coffee"]


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[EmbeddingCache]:
    c = EmbeddingCache(tmp_path / "nested" / "dir" / "cache.db")
    yield c
    c.close()


def test_creates_parent_directories_and_uses_wal(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "cache.db"
    with EmbeddingCache(path) as c:
        assert path.exists()
        assert c.count() == 0
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        conn.close()


def test_second_embed_of_same_texts_does_not_call_inner(cache: EmbeddingCache) -> None:
    counting = CountingEmbedder(HashEmbedder(32))
    embedder = CachedEmbedder(counting, cache)
    first = embedder.embed(TEXTS)
    assert len(counting.calls) == 1
    second = embedder.embed(TEXTS)
    assert len(counting.calls) == 1  # zero further calls
    np.testing.assert_array_equal(first, second)
    np.testing.assert_allclose(first, HashEmbedder(32).embed(TEXTS), rtol=1e-6)


def test_only_misses_are_embedded_and_order_is_kept(cache: EmbeddingCache) -> None:
    counting = CountingEmbedder(HashEmbedder(32))
    embedder = CachedEmbedder(counting, cache)
    embedder.embed(TEXTS[:2])
    mixed = ["new text", TEXTS[1], TEXTS[0], "another new one"]
    out = embedder.embed(mixed)
    assert counting.calls[-1] == ["new text", "another new one"]
    np.testing.assert_allclose(out, HashEmbedder(32).embed(mixed), rtol=1e-6)


def test_duplicates_in_one_call_are_embedded_once(cache: EmbeddingCache) -> None:
    counting = CountingEmbedder(HashEmbedder(32))
    embedder = CachedEmbedder(counting, cache)
    out = embedder.embed(["x", "y", "x", "x", "y"])
    assert counting.calls == [["x", "y"]]
    np.testing.assert_array_equal(out[0], out[2])
    np.testing.assert_array_equal(out[1], out[4])
    assert out.shape == (5, 32)


def test_without_a_cache_still_deduplicates() -> None:
    counting = CountingEmbedder(HashEmbedder(16))
    out = CachedEmbedder(counting, None).embed(["a", "a", "b"])
    assert counting.calls == [["a", "b"]]
    assert out.shape == (3, 16)


def test_cache_survives_reopen(tmp_path: Path) -> None:
    path = tmp_path / "cache.db"
    with EmbeddingCache(path) as c:
        first = CachedEmbedder(CountingEmbedder(HashEmbedder(32)), c).embed(TEXTS)
    counting = CountingEmbedder(HashEmbedder(32))
    with EmbeddingCache(path) as reopened:
        again = CachedEmbedder(counting, reopened).embed(TEXTS)
        assert reopened.count("hash:32") == len(TEXTS)
    assert counting.calls == []
    np.testing.assert_array_equal(first, again)


def test_different_model_ids_do_not_collide(cache: EmbeddingCache) -> None:
    model_a = CountingEmbedder(HashEmbedder(32), model_id="model-a")
    model_b = CountingEmbedder(HashEmbedder(32), model_id="model-b")
    CachedEmbedder(model_a, cache).embed(TEXTS)
    CachedEmbedder(model_b, cache).embed(TEXTS)
    assert len(model_b.calls) == 1  # model-a's vectors were not reused
    assert cache.count("model-a") == cache.count("model-b") == len(TEXTS)
    assert cache.get_many("model-c", TEXTS) == {}


def test_get_many_returns_hits_by_position(cache: EmbeddingCache) -> None:
    vectors = HashEmbedder(8).embed(["a", "b"])
    cache.put_many("m", ["a", "b"], vectors)
    hits = cache.get_many("m", ["b", "zzz", "a", "b"])
    assert sorted(hits) == [0, 2, 3]
    np.testing.assert_array_equal(hits[0], vectors[1])
    np.testing.assert_array_equal(hits[2], vectors[0])
    assert hits[0].dtype == np.float32


def test_mixed_dimensions_under_one_model_id_are_reported(cache: EmbeddingCache) -> None:
    cache.put_many("same-id", ["a"], HashEmbedder(8).embed(["a"]))
    embedder = CachedEmbedder(CountingEmbedder(HashEmbedder(16), model_id="same-id"), cache)
    with pytest.raises(EmbeddingError, match="differ in dimension"):
        embedder.embed(["a", "b"])


def test_closed_cache_raises_embedding_error(tmp_path: Path) -> None:
    c = EmbeddingCache(tmp_path / "c.db")
    c.close()
    c.close()  # idempotent
    with pytest.raises(EmbeddingError, match="closed"):
        c.get_many("m", ["a"])


def test_concurrent_use_from_threads(cache: EmbeddingCache) -> None:
    embedder = CachedEmbedder(HashEmbedder(32), cache)
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(20):
                embedder.embed([f"text {n} {i}", "shared text"])
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert cache.count("hash:32") == 8 * 20 + 1


def test_build_embedder_kinds(tmp_path: Path) -> None:
    cache_path = tmp_path / "emb.db"
    hashed = build_embedder(Settings(embedder=EmbedderKind.HASH, embedding_cache_path=cache_path))
    assert isinstance(hashed, HashEmbedder)

    st = build_embedder(
        Settings(embedder=EmbedderKind.SENTENCE_TRANSFORMERS, embedding_cache_path=cache_path)
    )
    assert isinstance(st, CachedEmbedder)
    assert isinstance(st.inner, SentenceTransformerEmbedder)
    assert st.model_id == "st:all-MiniLM-L6-v2"
    st.close()  # no model was loaded: construction is cheap

    oa = build_embedder(
        Settings(
            embedder=EmbedderKind.OPENAI,
            embedding_model="nomic-embed-text",
            embedding_url="http://127.0.0.1:9/v1/",
            embedding_cache_path=None,
        )
    )
    assert isinstance(oa, OpenAIEmbedder)
    assert oa.model_id == "openai:nomic-embed-text@http://127.0.0.1:9/v1"
    oa.close()


def test_importing_kenning_embed_does_not_import_torch() -> None:
    code = (
        "import sys, kenning.embed, kenning.testing;"
        "names = ('torch', 'sentence_transformers', 'transformers');"
        "heavy = [m for m in names if m in sys.modules];"
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
