"""The embedder contract: texts in, L2-normalised float32 vectors out."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

Vectors = npt.NDArray[np.float32]


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into unit-length vectors.

    ``model_id`` identifies the model and any option that changes its output; it is
    part of every cache key and is stored beside the vectors it produced, so vectors
    from different models are never mixed.
    """

    @property
    def model_id(self) -> str: ...

    @property
    def dim(self) -> int: ...

    def embed(self, texts: Sequence[str]) -> Vectors:
        """Return an array of shape ``(len(texts), dim)``, rows L2-normalised."""
        ...


def load_model(embedder: Embedder) -> None:
    """Load ``embedder``'s model now if it loads lazily (its optional ``load()`` method).

    Servers call this before they say they are ready, so no request waits for the model.
    """
    load = getattr(embedder, "load", None)
    if callable(load):
        load()


def default_threads() -> int:
    """Threads for a local model: one per two cores, at least one, so a query stays fast
    while another process or request uses the other cores (``KENNING_EMBEDDING_THREADS=0``)."""
    return max(1, (os.cpu_count() or 1) // 2)


def normalize_rows(matrix: npt.NDArray[np.floating]) -> Vectors:
    """Scale each row to unit length (zero rows stay zero) and cast to float32."""
    out = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    norms[norms == 0.0] = 1.0
    return np.asarray(out / norms, dtype=np.float32)


class EmbedderWrapper:
    """Base for embedders that wrap another: identity (``model_id``, ``dim``) passes through.

    Subclasses override :meth:`embed` to add behaviour (caching, counting, timing) around
    ``self.inner.embed``.
    """

    def __init__(self, inner: Embedder) -> None:
        self._inner = inner

    @property
    def inner(self) -> Embedder:
        """The wrapped embedder."""
        return self._inner

    @property
    def model_id(self) -> str:
        return self._inner.model_id

    @property
    def dim(self) -> int:
        return self._inner.dim

    def load(self) -> None:
        """Load the wrapped embedder's model now (see :func:`load_model`)."""
        load_model(self._inner)

    def embed(self, texts: Sequence[str]) -> Vectors:
        return self._inner.embed(texts)
