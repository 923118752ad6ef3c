"""An embedder wrapper that counts and times the calls it passes on."""

from __future__ import annotations

import time
from collections.abc import Sequence

from kenning.embed.base import Embedder, EmbedderWrapper, Vectors


class CountingEmbedder(EmbedderWrapper):
    """Counts calls and texts and adds up the seconds spent in the wrapped embedder."""

    def __init__(self, inner: Embedder) -> None:
        super().__init__(inner)
        self.calls = 0
        self.texts = 0
        self.seconds = 0.0

    def embed(self, texts: Sequence[str]) -> Vectors:
        started = time.perf_counter()
        try:
            return self.inner.embed(texts)
        finally:
            self.seconds += time.perf_counter() - started
            self.texts += len(texts)
            self.calls += 1
