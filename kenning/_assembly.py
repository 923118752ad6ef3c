"""How a ``Memory`` is put together from its ``Settings``: which settings are fixed for its
life, its LLM client, index snapshots and ingest options, and how it describes itself."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kenning.config import FactExtraction, Settings
from kenning.errors import ConfigError
from kenning.index.registry import Snapshots
from kenning.llm import ChatClient
from kenning.read.search import SearchSettings
from kenning.store import SQLiteStore, Store
from kenning.write.chunks import Chunking
from kenning.write.ingest import IngestOptions

# Settings fixed for the life of a Memory (its store and embedder are built from them).
FIXED_SETTINGS = frozenset(
    {
        "db_path",
        "database_url",
        "database_read_url",
        "db_pool_size",
        "embedder",
        "embedding_model",
        "embedding_url",
        "embedding_api_key",
        "embedding_batch_size",
        "embedding_cache_path",
        "bm25_k1",
        "bm25_b",
        "synonym_threshold",
        "fact_extraction",
        "links",
        "link_threshold",
        "link_neighbours",
        "passage_words",
        "document_chunk_chars",
        "document_chunk_overlap",
        "llm_url",
        "llm_model",
        "llm_api_key",
        "llm_timeout",
        "llm_max_retries",
        "llm_batch_turns",
        "llm_cost_input",
        "llm_cost_output",
    }
)


def chat_client(settings: Settings) -> ChatClient | None:
    """The LLM client fact_extraction=llm needs (None otherwise)."""
    if settings.fact_extraction is not FactExtraction.LLM:
        return None
    if not settings.llm_url or not settings.llm_model:
        raise ConfigError(
            "fact_extraction=llm needs llm_url and llm_model (KENNING_LLM_URL, KENNING_LLM_MODEL)"
        )
    return ChatClient(
        base_url=settings.llm_url,
        model=settings.llm_model,
        api_key=settings.llm_api_key,
        timeout=settings.llm_timeout,
        max_retries=settings.llm_max_retries,
        cost_input=settings.llm_cost_input,
        cost_output=settings.llm_cost_output,
    )


def snapshots(settings: Settings, opened: Store | None) -> Snapshots | None:
    """Where index snapshots go: ``index_dir``, else beside the SQLite file this ``Memory``
    opened (none for an in-memory store, or a store the caller passed in)."""
    if not settings.index_snapshots:
        return None
    directory = settings.index_dir
    if directory is None:
        if not isinstance(opened, SQLiteStore) or opened.path == ":memory:":
            return None
        directory = Path(f"{opened.path}.index")
    return Snapshots(directory, min_memories=settings.index_snapshot_min)


def ingest_options(settings: Settings) -> IngestOptions:
    """How ``add`` derives memories, from the settings."""
    return IngestOptions(
        links=settings.links,
        link_threshold=settings.link_threshold,
        link_neighbours=settings.link_neighbours,
        passage_words=settings.passage_words,
        chunking=Chunking(settings.document_chunk_chars, settings.document_chunk_overlap),
    )


def describe(settings: Settings, search: SearchSettings, model_id: str) -> dict[str, Any]:
    """The retrieval configuration in effect (stamped into evaluation results)."""
    return {
        "embedder": model_id,
        "fusion": search.method.value,
        "search_path": {
            "path": search.search_path.value,
            "exact_search_max": search.exact_search_max,
            "candidates": search.search_candidates,
        },
        "key_expansion": settings.key_expansion,
        "components": {
            name: getattr(search, name)
            for name in (
                "granularity",
                "adaptive_granularity",
                "speaker",
                "time",
                "graph",
                "prf",
                "diversity",
            )
        },
        "weights": search.weights,
        "bm25": {"k1": settings.bm25_k1, "b": settings.bm25_b},
    }
