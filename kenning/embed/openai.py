"""Embeddings from any OpenAI-compatible ``/v1/embeddings`` endpoint.

Works with OpenAI itself and with local servers that speak the same API (Ollama, vLLM,
llama.cpp, LM Studio, text-embeddings-inference). Texts are sent in batches of
``batch_size``; the response rows are put back in input order by their ``index`` and
checked for shape and a consistent dimension before they are normalised.

Transient failures (connection errors, timeouts, HTTP 429 and 5xx) are retried with
exponential back-off; any other 4xx is the caller's mistake and raises
:class:`~kenning.errors.EmbeddingError` at once with the server's message.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from types import TracebackType
from typing import Any, Self

import httpx
import numpy as np

from kenning._http import back_off, error_message
from kenning.embed.base import Vectors, normalize_rows
from kenning.errors import ConfigError, EmbeddingError, ValidationError

_MAX_BACKOFF = 30.0
_FLOAT32_MAX = float(np.finfo(np.float32).max)


class OpenAIEmbedder:
    """Embeds texts through ``POST {base_url}/embeddings`` of an OpenAI-compatible server.

    ``base_url`` includes the API version, e.g. ``"http://localhost:11434/v1"``.
    ``max_retries`` is the number of retries after the first attempt; the n-th retry
    waits ``backoff * 2**(n-1)`` seconds (capped at 30 s, or the server's
    ``Retry-After`` when it sends one). Pass ``client`` to reuse or mock an
    ``httpx.Client``; it is then not closed by :meth:`close`.
    """

    def __init__(
        self,
        model: str,
        *,
        base_url: str,
        api_key: str | None = None,
        batch_size: int = 64,
        timeout: float = 30.0,
        max_retries: int = 3,
        backoff: float = 0.5,
        client: httpx.Client | None = None,
    ) -> None:
        if not model:
            raise ValidationError("model", "must name the embedding model")
        base = base_url.rstrip("/")
        if not base.startswith(("http://", "https://")):
            raise ConfigError(f"embedding base_url must be an http(s) URL, got {base_url!r}")
        if batch_size < 1:
            raise ValidationError("batch_size", f"must be >= 1, got {batch_size}")
        if max_retries < 0:
            raise ValidationError("max_retries", f"must be >= 0, got {max_retries}")
        if backoff < 0:
            raise ValidationError("backoff", f"must be >= 0, got {backoff}")
        if timeout <= 0:
            raise ValidationError("timeout", f"must be > 0, got {timeout}")
        self._model = model
        self._base_url = base
        self._batch_size = batch_size
        self._max_retries = max_retries
        self._backoff = backoff
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._headers = headers
        self._owns_client = client is None
        self._client = client if client is not None else httpx.Client(timeout=timeout)
        self._timeout = timeout
        self._dim: int | None = None
        self._dim_lock = threading.Lock()

    @property
    def model_id(self) -> str:
        """``openai:<model>@<base_url>``: the same model name on another server may differ."""
        return f"openai:{self._model}@{self._base_url}"

    @property
    def dim(self) -> int:
        """Output dimension, learnt from the first response (probes with one text if needed)."""
        if self._dim is None:
            self.embed(["dimension probe"])
        if self._dim is None:  # embed() sets it or raises; this keeps the type honest
            raise EmbeddingError(f"{self.model_id}: could not determine the dimension")
        return self._dim

    def embed(self, texts: Sequence[str]) -> Vectors:
        """Embed ``texts`` in batches; returns unit-length float32 rows in input order."""
        if isinstance(texts, str):
            raise ValidationError("texts", "expected a sequence of strings, got a single string")
        if len(texts) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        items = list(texts)
        parts = [
            self._embed_batch(items[start : start + self._batch_size])
            for start in range(0, len(items), self._batch_size)
        ]
        return normalize_rows(np.vstack(parts))

    def close(self) -> None:
        """Close the HTTP client if this embedder created it."""
        if self._owns_client:
            self._client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"OpenAIEmbedder({self._model!r}, base_url={self._base_url!r})"

    # -- one batch -------------------------------------------------------------------------

    def _embed_batch(self, batch: list[str]) -> np.ndarray[Any, np.dtype[np.float32]]:
        payload = self._post({"model": self._model, "input": batch})
        matrix = self._parse(payload, len(batch))
        with self._dim_lock:
            if self._dim is None:
                self._dim = matrix.shape[1]
            elif matrix.shape[1] != self._dim:
                raise EmbeddingError(
                    f"{self.model_id}: dimension changed from {self._dim} to {matrix.shape[1]}"
                )
        return matrix

    def _post(self, body: dict[str, Any]) -> Any:
        """POST with retries on transient failures; returns the decoded JSON body."""
        url = f"{self._base_url}/embeddings"
        attempt = 0
        while True:
            try:
                response = self._client.post(
                    url, json=body, headers=self._headers, timeout=self._timeout
                )
            except httpx.TransportError as exc:  # connect, read, timeout, protocol errors
                if attempt >= self._max_retries:
                    raise EmbeddingError(
                        f"{self.model_id}: request failed after {attempt + 1} attempt(s): {exc!r}"
                    ) from exc
                self._sleep(attempt, None)
                attempt += 1
                continue
            status = response.status_code
            if status == 429 or status >= 500:
                if attempt >= self._max_retries:
                    raise EmbeddingError(
                        f"{self.model_id}: HTTP {status} after {attempt + 1} attempt(s): "
                        f"{error_message(response)}"
                    )
                self._sleep(attempt, response.headers.get("retry-after"))
                attempt += 1
                continue
            if status >= 400:
                raise EmbeddingError(f"{self.model_id}: HTTP {status}: {error_message(response)}")
            try:
                return response.json()
            except ValueError as exc:
                raise EmbeddingError(f"{self.model_id}: response is not JSON") from exc

    def _sleep(self, attempt: int, retry_after: str | None) -> None:
        back_off(attempt, retry_after, base=self._backoff, cap=_MAX_BACKOFF)

    def _parse(self, payload: Any, expected: int) -> np.ndarray[Any, np.dtype[np.float32]]:
        """Check the response shape and return the rows ordered by ``index``."""
        data = payload.get("data") if isinstance(payload, dict) else None
        if not isinstance(data, list):
            raise EmbeddingError(f"{self.model_id}: response has no 'data' list")
        if len(data) != expected:
            raise EmbeddingError(
                f"{self.model_id}: sent {expected} text(s), received {len(data)} embedding(s)"
            )
        rows: list[list[float] | None] = [None] * expected
        for position, item in enumerate(data):
            if not isinstance(item, dict):
                raise EmbeddingError(f"{self.model_id}: data[{position}] is not an object")
            index = item.get("index", position)
            vector = item.get("embedding")
            if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < expected:
                raise EmbeddingError(f"{self.model_id}: data[{position}] has bad index {index!r}")
            if rows[index] is not None:
                raise EmbeddingError(f"{self.model_id}: index {index} returned twice")
            if not isinstance(vector, list) or not vector:
                raise EmbeddingError(
                    f"{self.model_id}: data[{position}].embedding is not a non-empty list "
                    "(is encoding_format 'float'?)"
                )
            rows[index] = vector
        width = len(rows[0] or [])
        if any(len(row or []) != width for row in rows):
            raise EmbeddingError(f"{self.model_id}: embeddings in one response differ in length")
        try:
            wide = np.asarray(rows, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise EmbeddingError(f"{self.model_id}: embeddings are not numeric") from exc
        if not np.all(np.isfinite(wide)) or np.abs(wide).max() > _FLOAT32_MAX:
            raise EmbeddingError(
                f"{self.model_id}: embeddings contain NaN or infinity (or overflow float32)"
            )
        return wide.astype(np.float32)


__all__ = ["OpenAIEmbedder"]
