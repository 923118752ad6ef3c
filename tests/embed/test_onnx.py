"""The default embedder: MiniLM as int8 ONNX, with the real packaged model and tokenizer."""

from __future__ import annotations

import socket

import numpy as np
import pytest

from kenning.config import EmbedderKind, Settings
from kenning.embed import Embedder, OnnxEmbedder, SentenceTransformerEmbedder, build_embedder
from kenning.embed.base import default_threads
from kenning.embed.onnx import MAX_TOKENS
from kenning.errors import ValidationError

SENTENCES = [
    "I adopted a puppy named Rex last spring.",
    "Where does Ana live now?",
    "Caroline went to the LGBTQ support group on 7 May 2023 and felt accepted.",
    "The stock market fell sharply on Tuesday.",
    "Melanie painted a sunset with her kids at the lake — it's her favourite thing to do!",
    "OK",
    "naïve café résumé: Zürich's Straße",  # accents are stripped as BERT's uncased tokenizer does
    "我喜欢学习钢琴",  # Chinese characters are split as BERT's tokenizer does
]


@pytest.fixture(scope="module")
def onnx() -> OnnxEmbedder:
    return OnnxEmbedder()


def test_dim_norms_and_semantics(onnx: OnnxEmbedder) -> None:
    assert isinstance(onnx, Embedder)
    assert onnx.model_id == "onnx:all-MiniLM-L6-v2-int8"
    assert onnx.dim == 384
    puppy, dog, market = onnx.embed(
        ["I adopted a puppy", "I got a new dog", "The stock market fell"]
    )
    for row in (puppy, dog, market):
        assert row.dtype == np.float32
        assert float(np.linalg.norm(row)) == pytest.approx(1.0, abs=1e-5)
    assert float(puppy @ dog) > float(puppy @ market) + 0.2


def test_a_text_gets_the_same_vector_alone_or_padded_in_a_batch(onnx: OnnxEmbedder) -> None:
    together = onnx.embed(SENTENCES)
    alone = np.vstack([onnx.embed([text]) for text in SENTENCES])
    # Padding is masked out of the pooling; int8 kernels may differ in the last bits.
    assert np.min(np.sum(together * alone, axis=1)) > 0.9999
    small = OnnxEmbedder(batch_size=3).embed(SENTENCES)
    assert np.min(np.sum(small * together, axis=1)) > 0.9999


def test_empty_input_long_text_and_bad_arguments(onnx: OnnxEmbedder) -> None:
    assert onnx.embed([]).shape == (0, 384)
    long = " ".join(["memory"] * (4 * MAX_TOKENS))  # truncated at 256 word pieces
    vector = onnx.embed([long])
    assert vector.shape == (1, 384) and np.isfinite(vector).all()
    with pytest.raises(ValidationError, match="texts"):
        onnx.embed("a single string")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="batch_size"):
        OnnxEmbedder(batch_size=0)
    with pytest.raises(ValidationError, match="threads"):
        OnnxEmbedder(threads=-1)
    assert default_threads() >= 1


@pytest.mark.slow
def test_vectors_agree_with_sentence_transformers(onnx: OnnxEmbedder) -> None:
    """The int8 network and our pooling reproduce sentence-transformers' float32 MiniLM."""
    reference = SentenceTransformerEmbedder().embed(SENTENCES)
    ours = onnx.embed(SENTENCES)
    cosines = np.sum(reference * ours, axis=1)
    assert float(cosines.mean()) >= 0.99, cosines
    assert float(cosines.min()) >= 0.98, cosines
    # Nearest neighbours agree: every sentence's closest other sentence is the same.
    np.fill_diagonal(sim_ref := reference @ reference.T, -1)
    np.fill_diagonal(sim_ours := ours @ ours.T, -1)
    assert sim_ref.argmax(axis=1).tolist() == sim_ours.argmax(axis=1).tolist()


def test_is_the_default_and_works_with_the_network_blocked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refuse(self: socket.socket, *args: object) -> None:
        raise OSError("network access attempted during an offline test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    settings = Settings(embedding_cache_path="", embedding_threads=1)
    assert settings.embedder is EmbedderKind.ONNX
    embedder = build_embedder(settings)
    assert isinstance(embedder, OnnxEmbedder)
    assert repr(embedder) == "OnnxEmbedder(batch_size=4, threads=1)"
    embedder.load()  # a fresh instance: the model loads here, offline
    assert embedder.embed(["offline embedding works"]).shape == (1, 384)
