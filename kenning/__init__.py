"""Kenning: long-term memory for LLM agents, embedded, offline and measured.

>>> from kenning import Memory                                            # doctest: +SKIP
>>> with Memory("memories.db") as m:
...     m.add([{"role": "user", "content": "I moved to Berlin"}], user_id="ana")
...     hits = m.search("where does Ana live?", user_id="ana")
"""

from kenning.client import RemoteMemory
from kenning.config import EmbedderKind, FactExtraction, Settings
from kenning.errors import (
    ConfigError,
    Conflict,
    EmbeddingError,
    KenningError,
    LLMError,
    NotFound,
    StoreError,
    ValidationError,
)
from kenning.memory import Memory
from kenning.models import (
    AddResult,
    ConsolidationReport,
    EntityNode,
    Episode,
    ForgetResult,
    HistoryAction,
    HistoryEntry,
    Hit,
    Link,
    LinkType,
    LLMUsage,
    MemoryGraph,
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
    "KenningError",
    "EntityNode",
    "Episode",
    "FactExtraction",
    "ForgetResult",
    "HistoryAction",
    "HistoryEntry",
    "Hit",
    "LLMError",
    "LLMUsage",
    "Link",
    "LinkType",
    "Memory",
    "MemoryGraph",
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
