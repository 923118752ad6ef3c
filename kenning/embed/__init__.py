"""Embedders: texts in, unit-length float32 vectors out.

``build_embedder(settings)`` builds the configured implementation
(:class:`~kenning.config.EmbedderKind`), wrapped in a persistent :class:`CachedEmbedder`
when ``settings.embedding_cache_path`` is set. Importing this package is cheap: torch and
sentence-transformers are imported only when a sentence-transformers model is first used, and
onnxruntime only when the default ONNX model first runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import assert_never

from kenning.config import EmbedderKind, Settings
from kenning.embed.base import Embedder, EmbedderWrapper, Vectors, normalize_rows
from kenning.embed.cache import CachedEmbedder, EmbeddingCache
from kenning.embed.hashing import HashEmbedder
from kenning.embed.onnx import OnnxEmbedder
from kenning.embed.openai import OpenAIEmbedder
from kenning.embed.sentence import SentenceTransformerEmbedder


def build_embedder(settings: Settings) -> Embedder:
    """The embedder ``settings`` ask for, behind the persistent cache when one is configured.

    The hash embedder is never cached: computing its vectors is cheaper than looking
    them up, and tests that use it should not write files.
    """
    inner: Embedder
    kind = settings.embedder
    if kind is EmbedderKind.HASH:
        return HashEmbedder()
    if kind is EmbedderKind.ONNX:
        # embedding_batch_size is for remote and torch models; batches of 4 texts of similar
        # length are fastest for onnxruntime on a CPU (see kenning.embed.onnx).
        inner = OnnxEmbedder(threads=settings.embedding_threads)
    elif kind is EmbedderKind.SENTENCE_TRANSFORMERS:
        inner = SentenceTransformerEmbedder(
            settings.embedding_model,
            batch_size=settings.embedding_batch_size,
            threads=settings.embedding_threads,
        )
    elif kind is EmbedderKind.OPENAI:
        inner = OpenAIEmbedder(
            settings.embedding_model,
            base_url=settings.embedding_url,
            api_key=settings.embedding_api_key,
            batch_size=settings.embedding_batch_size,
        )
    else:  # pragma: no cover - mypy proves every EmbedderKind is handled above
        assert_never(kind)
    path = settings.embedding_cache_path
    # An empty KENNING_EMBEDDING_CACHE_PATH arrives as Path(""), i.e. Path("."): disabled.
    if path is None or path == Path():
        return inner
    return CachedEmbedder(inner, EmbeddingCache(path))


__all__ = [
    "CachedEmbedder",
    "Embedder",
    "EmbedderWrapper",
    "EmbeddingCache",
    "HashEmbedder",
    "OnnxEmbedder",
    "OpenAIEmbedder",
    "SentenceTransformerEmbedder",
    "Vectors",
    "build_embedder",
    "normalize_rows",
]
