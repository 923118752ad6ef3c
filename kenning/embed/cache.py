"""A persistent embedding cache and the embedder wrapper that uses it.

Embedding the same text twice with the same model is wasted work (and, with a hosted
model, wasted money), so vectors are kept in a small SQLite file keyed by
``(model_id, sha256(text))``. The model id is part of the key, so vectors of different
models are never mixed. Vectors are stored as little-endian float32 blobs with their
dimension; no pickle. The file records its format in ``PRAGMA user_version``.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import numpy as np
import numpy.typing as npt

from kenning.embed.base import Embedder, EmbedderWrapper, Vectors, normalize_rows
from kenning.errors import ConfigError, EmbeddingError, ValidationError

FORMAT_VERSION = 1
_CHUNK = 500  # keeps "IN (?, ?, ...)" under SQLite's variable limit on old builds
_SCHEMA = """
CREATE TABLE IF NOT EXISTS embedding_cache (
    model_id  TEXT    NOT NULL,
    text_hash TEXT    NOT NULL,
    dim       INTEGER NOT NULL,
    vector    BLOB    NOT NULL,
    PRIMARY KEY (model_id, text_hash)
) WITHOUT ROWID
"""

Vector = npt.NDArray[np.float32]


def text_hash(text: str) -> str:
    """The cache key of a text: SHA-256 of its UTF-8 bytes, as hex."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class EmbeddingCache:
    """Vectors keyed by model id and text hash, in a SQLite file (WAL mode).

    One connection is shared by all threads behind a lock. Parent directories of
    ``path`` are created as needed.
    """

    def __init__(self, path: Path) -> None:
        self._path = Path(path)
        self._lock = threading.Lock()
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(
                str(self._path), check_same_thread=False, isolation_level=None, timeout=30.0
            )
        except (OSError, sqlite3.Error) as exc:
            raise ConfigError(f"cannot open embedding cache {self._path}: {exc}") from exc
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            if version > FORMAT_VERSION:
                raise ConfigError(
                    f"embedding cache {self._path} has format {version}, newer than this "
                    f"version of Kenning understands ({FORMAT_VERSION}); use another path"
                )
            conn.execute(_SCHEMA)
            conn.execute(f"PRAGMA user_version={FORMAT_VERSION}")
        except sqlite3.Error as exc:
            conn.close()
            raise ConfigError(f"cannot open embedding cache {self._path}: {exc}") from exc
        except ConfigError:
            conn.close()
            raise
        self._conn: sqlite3.Connection | None = conn

    @property
    def path(self) -> Path:
        return self._path

    def get_many(self, model_id: str, texts: Sequence[str]) -> dict[int, Vector]:
        """Cached vectors for ``texts`` as ``{position in texts: vector}``; misses are absent."""
        hashes = [text_hash(t) for t in texts]
        unique = list(dict.fromkeys(hashes))
        found: dict[str, Vector] = {}
        with self._connection() as conn:
            for start in range(0, len(unique), _CHUNK):
                chunk = unique[start : start + _CHUNK]
                marks = ",".join("?" * len(chunk))
                rows = conn.execute(
                    "SELECT text_hash, dim, vector FROM embedding_cache "
                    f"WHERE model_id = ? AND text_hash IN ({marks})",
                    [model_id, *chunk],
                ).fetchall()
                for key, dim, blob in rows:
                    if len(blob) != int(dim) * 4:
                        continue  # a damaged row is a miss; put_many will overwrite it
                    found[key] = np.frombuffer(blob, dtype="<f4").astype(np.float32)
        return {i: found[h] for i, h in enumerate(hashes) if h in found}

    def put_many(
        self, model_id: str, texts: Sequence[str], vectors: npt.NDArray[np.floating[Any]]
    ) -> None:
        """Store one vector per text (replacing any previous vector for the same key)."""
        matrix = np.asarray(vectors)
        if matrix.ndim != 2 or matrix.shape[0] != len(texts):
            raise ValidationError(
                "vectors", f"expected shape ({len(texts)}, dim), got {matrix.shape}"
            )
        dim = int(matrix.shape[1])
        encoded = matrix.astype("<f4", copy=False)
        rows = [
            (model_id, text_hash(text), dim, encoded[i].tobytes()) for i, text in enumerate(texts)
        ]
        with self._connection() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.executemany(
                    "INSERT OR REPLACE INTO embedding_cache (model_id, text_hash, dim, vector) "
                    "VALUES (?, ?, ?, ?)",
                    rows,
                )
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def count(self, model_id: str | None = None) -> int:
        """Number of cached vectors, for one model or in total."""
        with self._connection() as conn:
            if model_id is None:
                row = conn.execute("SELECT COUNT(*) FROM embedding_cache").fetchone()
            else:
                row = conn.execute(
                    "SELECT COUNT(*) FROM embedding_cache WHERE model_id = ?", (model_id,)
                ).fetchone()
        return int(row[0])

    def close(self) -> None:
        """Close the database connection; further use raises. Safe to call twice."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        """The connection under the lock, with driver errors wrapped in EmbeddingError."""
        with self._lock:
            if self._conn is None:
                raise EmbeddingError(f"embedding cache {self._path} is closed")
            try:
                yield self._conn
            except sqlite3.Error as exc:
                raise EmbeddingError(f"embedding cache {self._path} failed: {exc}") from exc

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
        return f"EmbeddingCache({str(self._path)!r})"


class CachedEmbedder(EmbedderWrapper):
    """Wraps an embedder so each distinct text is embedded once per model.

    Looks every text up in ``cache``, embeds only the misses (each distinct text once) in
    one call to ``inner``, stores them and returns rows in input order. With
    ``cache=None`` it still de-duplicates within a call.
    """

    def __init__(self, inner: Embedder, cache: EmbeddingCache | None) -> None:
        super().__init__(inner)
        self._cache = cache

    @property
    def cache(self) -> EmbeddingCache | None:
        return self._cache

    def embed(self, texts: Sequence[str]) -> Vectors:
        """Rows for ``texts`` in input order, from the cache where possible."""
        if isinstance(texts, str):
            raise ValidationError("texts", "expected a sequence of strings, got a single string")
        if len(texts) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        model_id = self._inner.model_id
        hits = self._cache.get_many(model_id, texts) if self._cache is not None else {}
        misses = list(dict.fromkeys(t for i, t in enumerate(texts) if i not in hits))
        fresh: dict[str, Vector] = {}
        if misses:
            computed = np.asarray(self._inner.embed(misses), dtype=np.float32)
            if computed.ndim != 2 or computed.shape[0] != len(misses):
                raise EmbeddingError(
                    f"{model_id}: expected {len(misses)} row(s), got shape {computed.shape}"
                )
            computed = normalize_rows(computed)
            if self._cache is not None:
                self._cache.put_many(model_id, misses, computed)
            fresh = dict(zip(misses, computed, strict=True))
        rows = [hits[i] if i in hits else fresh[t] for i, t in enumerate(texts)]
        widths = {row.shape[0] for row in rows}
        if len(widths) != 1:
            raise EmbeddingError(
                f"{model_id}: cached and fresh vectors differ in dimension {sorted(widths)}; "
                "the model changed without changing its id: clear the embedding cache"
            )
        return np.vstack(rows).astype(np.float32, copy=False)

    def close(self) -> None:
        """Close the cache and, if it has a ``close`` method, the inner embedder."""
        if self._cache is not None:
            self._cache.close()
        closer = getattr(self._inner, "close", None)
        if callable(closer):
            closer()

    def __repr__(self) -> str:
        return f"CachedEmbedder({self._inner!r}, {self._cache!r})"


__all__ = ["CachedEmbedder", "EmbeddingCache", "text_hash"]
