"""Engram: long-term memory for LLM agents, embedded, offline and measured.

>>> from engram import Memory                                            # doctest: +SKIP
>>> with Memory("memories.db") as m:
...     m.add([{"role": "user", "content": "I moved to Berlin"}], user_id="ana")
...     hits = m.search("where does Ana live?", user_id="ana")
"""

from engram.client import RemoteMemory
from engram.config import EmbedderKind, FactExtraction, Settings
from engram.errors import (
    ConfigError,
    Conflict,
    EmbeddingError,
    EngramError,
    LLMError,
    NotFound,
    StoreError,
    ValidationError,
)
from engram.memory import Memory
from engram.models import (
    AddResult,
    ConsolidationReport,
    Episode,
    ForgetResult,
    HistoryAction,
    HistoryEntry,
    Hit,
    LLMUsage,
    MemoryItem,
    MemoryKind,
    MemoryStatus,
    SearchResult,
    SignalScore,
    Stats,
)

__version__ = "0.1.0"

__all__ = [
    "AddResult",
    "ConfigError",
    "Conflict",
    "ConsolidationReport",
    "EmbedderKind",
    "EmbeddingError",
    "EngramError",
    "Episode",
    "FactExtraction",
    "ForgetResult",
    "HistoryAction",
    "HistoryEntry",
    "Hit",
    "LLMError",
    "LLMUsage",
    "Memory",
    "MemoryItem",
    "MemoryKind",
    "MemoryStatus",
    "NotFound",
    "RemoteMemory",
    "SearchResult",
    "Settings",
    "SignalScore",
    "Stats",
    "StoreError",
    "ValidationError",
    "__version__",
]
