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
    from kenning.async_memory import AsyncMemory
    from kenning.client import AsyncRemoteMemory, RemoteMemory
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
        ContextBlock,
        ContextItem,
        ContextSection,
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
        ModelMismatch,
        Revision,
        SearchResult,
        SessionSummary,
        SignalScore,
        Stats,
        Step,
        StepKind,
        StepStatus,
        Task,
        TaskContext,
        TaskStatus,
        UserSummary,
    )
    from kenning.store.export import ExportReport, ImportReport
    from kenning.tasks import TaskMemory

__version__ = "0.1.0"

_LAZY: dict[str, str] = {
    "AddResult": "kenning.models",
    "Revision": "kenning.models",
    "Step": "kenning.models",
    "StepKind": "kenning.models",
    "StepStatus": "kenning.models",
    "Task": "kenning.models",
    "TaskContext": "kenning.models",
    "TaskMemory": "kenning.tasks",
    "TaskStatus": "kenning.models",
    "ContextBlock": "kenning.models",
    "ContextItem": "kenning.models",
    "ContextSection": "kenning.models",
    "AsyncMemory": "kenning.async_memory",
    "AsyncRemoteMemory": "kenning.client",
    "ConfigError": "kenning.errors",
    "Conflict": "kenning.errors",
    "ConsolidationReport": "kenning.models",
    "EmbedderKind": "kenning.config",
    "EmbeddingError": "kenning.errors",
    "EntityNode": "kenning.models",
    "ExportReport": "kenning.store.export",
    "Episode": "kenning.models",
    "FactExtraction": "kenning.config",
    "ForgetResult": "kenning.models",
    "HistoryAction": "kenning.models",
    "HistoryEntry": "kenning.models",
    "Hit": "kenning.models",
    "ImportReport": "kenning.store.export",
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
    "ModelMismatch": "kenning.models",
    "NotFound": "kenning.errors",
    "RemoteMemory": "kenning.client",
    "SearchResult": "kenning.models",
    "SearchPath": "kenning.config",
    "SessionSummary": "kenning.models",
    "Settings": "kenning.config",
    "SignalScore": "kenning.models",
    "Stats": "kenning.models",
    "StoreError": "kenning.errors",
    "UserSummary": "kenning.models",
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
    "AsyncMemory",
    "AsyncRemoteMemory",
    "ConfigError",
    "Conflict",
    "ConsolidationReport",
    "ContextBlock",
    "ContextItem",
    "ContextSection",
    "EmbedderKind",
    "EmbeddingError",
    "EntityNode",
    "Episode",
    "ExportReport",
    "FactExtraction",
    "ForgetResult",
    "HistoryAction",
    "HistoryEntry",
    "Hit",
    "ImportReport",
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
    "ModelMismatch",
    "NotFound",
    "RemoteMemory",
    "Revision",
    "SearchPath",
    "SearchResult",
    "SessionSummary",
    "Settings",
    "SignalScore",
    "Stats",
    "Step",
    "StepKind",
    "StepStatus",
    "StoreError",
    "Task",
    "TaskContext",
    "TaskMemory",
    "TaskStatus",
    "UserSummary",
    "ValidationError",
    "__version__",
]
