"""Kenning: long-term memory for LLM agents, embedded, offline and measured.

>>> from kenning import Memory                                            # doctest: +SKIP
>>> with Memory("memories.db") as m:
...     m.add([{"role": "user", "content": "I moved to Berlin"}], user_id="ana")
...     hits = m.search("where does Ana live?", user_id="ana")
"""

# Names are imported on first use (PEP 562), so that `import kenning` and `kenning --help` stay
# fast: the facade pulls in numpy, pydantic and the indexes, which a CLI's help never needs.
from __future__ import annotations

import importlib
import typing

if typing.TYPE_CHECKING:
    from kenning.client import RemoteMemory
    from kenning.config import EmbedderKind, FactExtraction, SearchPath, Settings
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

_LAZY: dict[str, str] = {
    "AddResult": "kenning.models",
    "ConfigError": "kenning.errors",
    "Conflict": "kenning.errors",
    "ConsolidationReport": "kenning.models",
    "EmbedderKind": "kenning.config",
    "EmbeddingError": "kenning.errors",
    "EntityNode": "kenning.models",
    "Episode": "kenning.models",
    "FactExtraction": "kenning.config",
    "ForgetResult": "kenning.models",
    "HistoryAction": "kenning.models",
    "HistoryEntry": "kenning.models",
    "Hit": "kenning.models",
    "KenningError": "kenning.errors",
    "LLMError": "kenning.errors",
    "LLMUsage": "kenning.models",
    "Link": "kenning.models",
    "LinkType": "kenning.models",
    "Memory": "kenning.memory",
    "MemoryGraph": "kenning.models",
    "MemoryItem": "kenning.models",
    "MemoryKind": "kenning.models",
    "MemoryStatus": "kenning.models",
    "NotFound": "kenning.errors",
    "RemoteMemory": "kenning.client",
    "SearchResult": "kenning.models",
    "SearchPath": "kenning.config",
    "Settings": "kenning.config",
    "SignalScore": "kenning.models",
    "Stats": "kenning.models",
    "StoreError": "kenning.errors",
    "ValidationError": "kenning.errors",
}


def __getattr__(name: str) -> typing.Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'kenning' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "AddResult",
    "ConfigError",
    "Conflict",
    "ConsolidationReport",
    "EmbedderKind",
    "EmbeddingError",
    "EntityNode",
    "Episode",
    "FactExtraction",
    "ForgetResult",
    "HistoryAction",
    "HistoryEntry",
    "Hit",
    "KenningError",
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
    "SearchPath",
    "SearchResult",
    "Settings",
    "SignalScore",
    "Stats",
    "StoreError",
    "ValidationError",
    "__version__",
]
