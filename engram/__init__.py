"""Engram: long-term memory for LLM agents, embedded, offline and measured.

>>> from engram import Memory                                            # doctest: +SKIP
>>> with Memory("memories.db") as m:
...     m.add([{"role": "user", "content": "I moved to Berlin"}], user_id="ana")
...     hits = m.search("where does Ana live?", user_id="ana")
"""

from engram.config import EmbedderKind, Settings
from engram.errors import (
    ConfigError,
    EmbeddingError,
    EngramError,
    NotFound,
    StoreError,
    ValidationError,
)
from engram.memory import Memory
from engram.models import (
    AddResult,
    Episode,
    HistoryAction,
    HistoryEntry,
    Hit,
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
    "EmbedderKind",
    "EmbeddingError",
    "EngramError",
    "Episode",
    "HistoryAction",
    "HistoryEntry",
    "Hit",
    "Memory",
    "MemoryItem",
    "MemoryKind",
    "MemoryStatus",
    "NotFound",
    "SearchResult",
    "Settings",
    "SignalScore",
    "Stats",
    "StoreError",
    "ValidationError",
    "__version__",
]
