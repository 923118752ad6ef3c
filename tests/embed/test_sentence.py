"""The real bundled MiniLM model, loaded offline. Slow: run with ``-m slow``."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import numpy as np
import pytest

from kenning.embed import Embedder, SentenceTransformerEmbedder
from kenning.errors import ConfigError

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def minilm() -> Iterator[SentenceTransformerEmbedder]:
    yield SentenceTransformerEmbedder()


def test_dim_norms_and_semantics(minilm: SentenceTransformerEmbedder) -> None:
    assert isinstance(minilm, Embedder)
    assert minilm.model_id == "st:all-MiniLM-L6-v2"
    assert minilm.dim == 384
    puppy, dog, market = minilm.embed(
        ["I adopted a puppy", "I got a new dog", "The stock market fell"]
    )
    for row in (puppy, dog, market):
        assert row.dtype == np.float32
        assert float(np.linalg.norm(row)) == pytest.approx(1.0, abs=1e-5)
    assert float(puppy @ dog) > float(puppy @ market) + 0.2


def test_empty_input_and_batching(minilm: SentenceTransformerEmbedder) -> None:
    assert minilm.embed([]).shape == (0, 384)
    texts = [f"sentence number {i}" for i in range(5)]
    small_batches = SentenceTransformerEmbedder(batch_size=2)
    np.testing.assert_allclose(small_batches.embed(texts), minilm.embed(texts), atol=1e-5)


def test_alias_has_the_same_model_id() -> None:
    alias = SentenceTransformerEmbedder("sentence-transformers/all-MiniLM-L6-v2")
    assert alias.model_id == "st:all-MiniLM-L6-v2"


def test_loads_and_embeds_with_the_network_blocked(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self: socket.socket, *args: object) -> None:
        raise OSError("network access attempted during an offline test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    embedder = SentenceTransformerEmbedder()  # a fresh instance: the model loads here
    out = embedder.embed(["offline embedding works"])
    assert out.shape == (1, 384)


def test_unknown_model_is_a_config_error(tmp_path: object) -> None:
    with pytest.raises(ConfigError, match="not a local model directory"):
        SentenceTransformerEmbedder("no/such-model-anywhere").embed(["x"])
