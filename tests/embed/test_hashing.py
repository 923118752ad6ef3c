"""HashEmbedder: deterministic, normalised, and similar texts land close together."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from kenning.embed import Embedder, HashEmbedder
from kenning.errors import ValidationError


def test_satisfies_the_embedder_protocol() -> None:
    embedder = HashEmbedder(32)
    assert isinstance(embedder, Embedder)
    assert embedder.model_id == "hash:32"
    assert embedder.dim == 32


def test_same_text_same_vector_within_and_across_processes() -> None:
    texts = ["Alice moved to Berlin in 2021", "she likes green tea"]
    first = HashEmbedder(64).embed(texts)
    second = HashEmbedder(64).embed(texts)
    np.testing.assert_array_equal(first, second)
    # Python's hash() is salted per process; BLAKE2b is not: a new process agrees.
    code = (
        "from kenning.embed.hashing import HashEmbedder;"
        f"print(HashEmbedder(64).embed({texts!r}).tobytes().hex())"
    )
    other = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert other == first.tobytes().hex()


def test_rows_are_unit_length_float32_even_for_empty_text() -> None:
    vectors = HashEmbedder().embed(["hello world", "", "!!!", "a much longer sentence " * 20])
    assert vectors.shape == (4, 256)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-6)


def test_empty_input_gives_zero_rows() -> None:
    assert HashEmbedder(16).embed([]).shape == (0, 16)


def test_texts_sharing_words_are_closer_than_unrelated_texts() -> None:
    query, related, unrelated = HashEmbedder().embed(
        [
            "Alice adopted a puppy named Rex",
            "Rex is the puppy Alice adopted last year",
            "quarterly revenue grew in the semiconductor market",
        ]
    )
    assert float(query @ related) > 0.5
    assert float(query @ related) > float(query @ unrelated) + 0.3


def test_case_and_punctuation_do_not_matter() -> None:
    a, b = HashEmbedder().embed(["Hello, World!", "hello world"])
    assert float(a @ b) == pytest.approx(1.0, abs=1e-6)


@pytest.mark.parametrize("dim", [0, 1, -5])
def test_rejects_tiny_dimensions(dim: int) -> None:
    with pytest.raises(ValidationError):
        HashEmbedder(dim)


def test_rejects_a_bare_string() -> None:
    with pytest.raises(ValidationError):
        HashEmbedder().embed("not a list")
