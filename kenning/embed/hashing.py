"""A deterministic embedder built from hashed features: no model, no network.

``HashEmbedder`` is the feature-hashing trick (Weinberger et al., 2009, "Feature Hashing for
Large Scale Multitask Learning", eq. 2 with a signed hash): every lowercase word and every
character trigram of a word is hashed with BLAKE2b into one of ``dim`` buckets with a sign
of +1 or -1, the signed counts are summed and the row is L2-normalised. Texts that share
words share buckets, so their cosine similarity is high; texts with nothing in common land
near zero. It is selected with ``embedder=hash`` and is meant for tests, demos and
offline smoke runs, where a real model would be slow or unavailable.

BLAKE2b (not Python's ``hash()``, which is salted per process) keeps vectors identical
across processes and machines, so they can be stored and compared later.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

import numpy as np

from kenning.embed.base import Vectors, normalize_rows
from kenning.errors import ValidationError

_WORD = re.compile(r"\w+", re.UNICODE)
# Whole words carry most of the signal; trigrams add robustness to inflection and typos.
_WORD_WEIGHT = 1.0
_TRIGRAM_WEIGHT = 0.5
# Every text has at least this feature, so even an empty text maps to a unit vector.
_EMPTY_FEATURE = "\x00empty"


class HashEmbedder:
    """Deterministic embedder: signed feature hashing of words and character trigrams."""

    def __init__(self, dim: int = 256) -> None:
        if isinstance(dim, bool) or not isinstance(dim, int) or dim < 2:
            raise ValidationError("dim", f"must be an integer >= 2, got {dim!r}")
        self._dim = dim

    @property
    def model_id(self) -> str:
        """``hash:<dim>``: the dimension is the only option that changes the output."""
        return f"hash:{self._dim}"

    @property
    def dim(self) -> int:
        return self._dim

    def embed(self, texts: Sequence[str]) -> Vectors:
        """Return one unit-length row per text; identical texts give identical rows."""
        if isinstance(texts, str):
            raise ValidationError("texts", "expected a sequence of strings, got a single string")
        out = np.zeros((len(texts), self._dim), dtype=np.float64)
        for row, text in enumerate(texts):
            for feature, weight in _features(text):
                bucket, sign = self._bucket(feature)
                out[row, bucket] += sign * weight
        return normalize_rows(out)

    def _bucket(self, feature: str) -> tuple[int, float]:
        """Map a feature to ``(bucket, sign)`` with a stable 64-bit BLAKE2b digest."""
        digest = hashlib.blake2b(feature.encode("utf-8"), digest_size=8).digest()
        value = int.from_bytes(digest, "little")
        bucket = (value >> 1) % self._dim
        sign = 1.0 if value & 1 else -1.0
        return bucket, sign

    def __repr__(self) -> str:
        return f"HashEmbedder(dim={self._dim})"


def _features(text: str) -> list[tuple[str, float]]:
    """The weighted features of a text: lowercase words and their padded trigrams."""
    words = _WORD.findall(text.lower())
    if not words:
        return [(_EMPTY_FEATURE, 1.0)]
    features: list[tuple[str, float]] = []
    for word in words:
        features.append(("w:" + word, _WORD_WEIGHT))
        padded = f" {word} "
        features.extend(("c:" + padded[i : i + 3], _TRIGRAM_WEIGHT) for i in range(len(padded) - 2))
    return features


__all__ = ["HashEmbedder"]
