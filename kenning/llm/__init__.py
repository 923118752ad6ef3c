"""The optional LLM layer: any OpenAI-compatible chat endpoint (OpenAI, Ollama, vLLM, ...).

* :class:`ChatClient`: JSON completions with repair, schema validation, retries and
  per-call usage records (:class:`LLMCall`, defined in :mod:`kenning.models`);
* :func:`extract_batch`: facts, entities, A-MEM notes and neighbour updates from turns;
* :func:`judge_contradictions`: which stored facts a new fact makes no longer true.
"""

from __future__ import annotations

from kenning.llm.client import ChatClient, LLMCall, LLMCallFailed, call_cost, parse_json_object
from kenning.llm.extraction import (
    ATTRIBUTES,
    ENTITY_KINDS,
    ContradictionOut,
    EntityOut,
    ExtractionOut,
    FactOut,
    NeighbourInput,
    NeighbourUpdate,
    NoteOut,
    TurnInput,
    contradiction_messages,
    extract_batch,
    extraction_messages,
    judge_contradictions,
    normalize_attribute,
)
from kenning.llm.prompts import PROMPT_VERSION

__all__ = [
    "ATTRIBUTES",
    "ENTITY_KINDS",
    "PROMPT_VERSION",
    "ChatClient",
    "ContradictionOut",
    "EntityOut",
    "ExtractionOut",
    "FactOut",
    "LLMCall",
    "LLMCallFailed",
    "NeighbourInput",
    "NeighbourUpdate",
    "NoteOut",
    "TurnInput",
    "call_cost",
    "contradiction_messages",
    "extract_batch",
    "extraction_messages",
    "judge_contradictions",
    "normalize_attribute",
    "parse_json_object",
]
