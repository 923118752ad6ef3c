"""Fact, entity and note extraction, and contradiction judgments, through a chat model.

Wire format (fake servers in tests script against it, so keep it stable). Every call sends
``[system prompt, user message]``; the user message content is a JSON object.

Extraction (``purpose="extract"``), request::

    {"turns": [{"turn": 0, "speaker": "Ana", "time": "2024-05-01T10:00:00+00:00", "text": "..."}],
     "neighbours": [{"id": "m1", "text": "...", "tags": ["..."], "context": "..."}]}

reply (missing lists default to ``[]``)::

    {"facts": [{"turn": 0, "subject": "Ana", "predicate": "lives in", "object": "Berlin",
                "text": "Ana lives in Berlin", "attribute": "city"}],
     "entities": [{"name": "Berlin", "kind": "place"}],
     "notes": [{"turn": 0, "keywords": ["move", "Berlin"], "tags": ["relocation"],
                "context": "Ana moved to Berlin"}],
     "neighbour_updates": [{"id": "m1", "tags": ["..."], "context": "..."}]}

Contradiction (``purpose="contradiction"``), request::

    {"fact": {"text": "...", "subject": "...", "predicate": "...", "object": "..."},
     "candidates": [{"id": "m1", "text": "Ana lives in Paris"}]}

reply: ``{"contradicted": ["m1"]}``.

Items that point at a turn or neighbour id that was not sent are dropped (logged at DEBUG),
not treated as failures; so are unknown contradiction ids.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from kenning.errors import ValidationError
from kenning.llm.client import ChatClient
from kenning.llm.prompts import CONTRADICTION_SYSTEM_PROMPT, EXTRACTION_SYSTEM_PROMPT
from kenning.models import LLMCall

logger = logging.getLogger(__name__)

EXTRACT_PURPOSE = "extract"
CONTRADICTION_PURPOSE = "contradiction"

#: Single-valued attributes: a new value replaces the old one. ``favorite:<thing>`` also counts.
ATTRIBUTES = frozenset(
    {"city", "employer", "occupation", "school", "name", "partner", "pet", "age"}
)
#: Entity kinds the prompt asks for; anything else becomes ``"other"``.
ENTITY_KINDS = frozenset({"person", "place", "organization", "thing", "event", "other"})

_FAVORITE = re.compile(r"^favou?rite\s*[:_\- ]\s*(?P<thing>.+)$")
_SPACES = re.compile(r"\s+")


def normalize_attribute(value: object) -> str | None:
    """Canonical attribute name, or ``None`` when ``value`` is not a known attribute.

    Lowercases and strips; ``"Favourite Color"``, ``"favorite_color"`` and
    ``"favorite: color"`` all become ``"favorite:color"``.
    """
    if not isinstance(value, str):
        return None
    text = _SPACES.sub(" ", value.strip().lower())
    if not text or text in {"null", "none"}:
        return None
    if text in ATTRIBUTES:
        return text
    match = _FAVORITE.match(text)
    if match is not None:
        thing = match.group("thing").strip(" :_-")
        if thing:
            return f"favorite:{thing}"
    logger.debug("unknown fact attribute %r: treated as null", value)
    return None


def _scalar_to_str(value: object) -> object:
    """Numbers become strings (``"age": 31``); everything else is left to pydantic."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value


def _strings(value: object) -> object:
    """A list of non-empty, stripped, de-duplicated strings (``null`` -> ``[]``)."""
    if value is None:
        return []
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list | tuple):
        return value  # pydantic reports the type error
    out: list[str] = []
    for item in value:
        item = _scalar_to_str(item)
        if not isinstance(item, str):
            return value
        text = item.strip()
        if text and text not in out:
            out.append(text)
    return out


def _none_to_list(value: object) -> object:
    return [] if value is None else value


def _text_or_empty(value: object) -> object:
    return "" if value is None else _scalar_to_str(value)


def _entity_kind(value: object) -> str:
    if not isinstance(value, str):
        return "other"
    kind = value.strip().lower()
    kind = {"organisation": "organization", "org": "organization", "location": "place"}.get(
        kind, kind
    )
    return kind if kind in ENTITY_KINDS else "other"


_Text = Annotated[str, BeforeValidator(_text_or_empty), StringConstraints(strip_whitespace=True)]
_Required = Annotated[
    str, BeforeValidator(_scalar_to_str), StringConstraints(strip_whitespace=True, min_length=1)
]
_Strings = Annotated[list[str], BeforeValidator(_strings)]


class _Out(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class FactOut(_Out):
    """One atomic fact; ``attribute`` is a single-valued attribute name or ``None``."""

    turn: int
    subject: _Required
    predicate: _Text = ""
    object: _Text = ""
    text: _Required
    attribute: Annotated[str | None, BeforeValidator(normalize_attribute)] = None


class EntityOut(_Out):
    name: _Required
    kind: Annotated[str, BeforeValidator(_entity_kind)] = "other"


class NoteOut(_Out):
    """A-MEM style note for one turn."""

    turn: int
    keywords: _Strings = Field(default_factory=list)
    tags: _Strings = Field(default_factory=list)
    context: _Text = ""


class NeighbourUpdate(_Out):
    """New tags and context for an existing memory.

    A field the model leaves out (or sets to ``null``) keeps the neighbour's current value:
    :func:`extract_batch` fills it in from the :class:`NeighbourInput`.
    """

    id: _Required
    tags: _Strings = Field(default_factory=list)
    context: _Text = ""

    @model_validator(mode="before")
    @classmethod
    def _drop_nulls(cls, data: object) -> object:
        # So that ``model_fields_set`` tells "left out" from "set to empty".
        if isinstance(data, dict):
            return {key: value for key, value in data.items() if value is not None}
        return data


class ExtractionOut(_Out):
    facts: Annotated[list[FactOut], BeforeValidator(_none_to_list)] = Field(default_factory=list)
    entities: Annotated[list[EntityOut], BeforeValidator(_none_to_list)] = Field(
        default_factory=list
    )
    notes: Annotated[list[NoteOut], BeforeValidator(_none_to_list)] = Field(default_factory=list)
    neighbour_updates: Annotated[list[NeighbourUpdate], BeforeValidator(_none_to_list)] = Field(
        default_factory=list
    )


class ContradictionOut(_Out):
    contradicted: _Strings = Field(default_factory=list)


@dataclass(frozen=True, slots=True)
class TurnInput:
    """One message to extract from; ``turn`` is the index the reply refers back to."""

    turn: int
    speaker: str | None
    time: datetime | None
    text: str


@dataclass(frozen=True, slots=True)
class NeighbourInput:
    """An existing memory related to the turns, which the model may re-tag."""

    id: str
    text: str
    tags: tuple[str, ...] = ()
    context: str = ""


def extraction_messages(
    turns: Sequence[TurnInput], neighbours: Sequence[NeighbourInput] = ()
) -> list[dict[str, str]]:
    """The chat messages of an extraction call: system prompt, then the JSON user message."""
    payload = {
        "turns": [
            {
                "turn": t.turn,
                "speaker": t.speaker,
                "time": t.time.isoformat() if t.time is not None else None,
                "text": t.text,
            }
            for t in turns
        ],
        "neighbours": [
            {"id": n.id, "text": n.text, "tags": list(n.tags), "context": n.context}
            for n in neighbours
        ],
    }
    return [
        {"role": "system", "content": EXTRACTION_SYSTEM_PROMPT},
        {"role": "user", "content": json.dumps(payload, ensure_ascii=False)},
    ]


def contradiction_messages(
    fact: FactOut, candidates: Sequence[tuple[str, str]]
) -> list[dict[str, str]]:
    """The chat messages of a contradiction call: system prompt, then the JSON user message."""
    payload = {
        "fact": {
            "text": fact.text,
            "subject": fact.subject,
            "predicate": fact.predicate,
            "object": fact.object,
        },
        "candidates": [{"id": cid, "text": text} for cid, text in candidates],
    }
    return [
        {"role": "system", "content": CONTRADICTION_SYSTEM_PROMPT},
        {"role": "user", "content": json.dumps(payload, ensure_ascii=False)},
    ]


def extract_batch(
    client: ChatClient,
    turns: Sequence[TurnInput],
    neighbours: Sequence[NeighbourInput] = (),
) -> tuple[ExtractionOut, LLMCall]:
    """Extract facts, entities, notes and neighbour updates from ``turns`` in one call.

    Items that refer to a turn or neighbour id not in the input are dropped. Raises
    :class:`~kenning.llm.client.LLMCallFailed` when the call fails after retries.
    """
    if not turns:
        raise ValidationError("turns", "must not be empty")
    turn_ids = [t.turn for t in turns]
    if len(set(turn_ids)) != len(turn_ids):
        raise ValidationError("turns", f"turn numbers must be unique, got {turn_ids}")
    neighbour_ids = [n.id for n in neighbours]
    if len(set(neighbour_ids)) != len(neighbour_ids):
        raise ValidationError("neighbours", f"ids must be unique, got {neighbour_ids}")
    out, call = client.complete_json(
        extraction_messages(turns, neighbours), ExtractionOut, purpose=EXTRACT_PURPOSE
    )
    return _keep_known(out, set(turn_ids), neighbours), call


def judge_contradictions(
    client: ChatClient, fact: FactOut, candidates: Sequence[tuple[str, str]]
) -> tuple[list[str], LLMCall]:
    """Ids of the ``(id, text)`` candidates that ``fact`` makes no longer true.

    Ids come back in candidate order; ids not among the candidates are dropped. With no
    candidates no request is sent (the record then has ``attempts == 0``). Raises
    :class:`~kenning.llm.client.LLMCallFailed` when the call fails after retries.
    """
    if not candidates:
        call = LLMCall(
            purpose=CONTRADICTION_PURPOSE,
            model=client.model,
            started_at=datetime.now(UTC),
            duration_ms=0.0,
            prompt_tokens=0,
            completion_tokens=0,
            cost=0.0,
            ok=True,
            attempts=0,
        )
        return [], call
    out, call = client.complete_json(
        contradiction_messages(fact, candidates), ContradictionOut, purpose=CONTRADICTION_PURPOSE
    )
    named = set(out.contradicted)
    known = {cid for cid, _ in candidates}
    for unknown in sorted(named - known):
        logger.debug("contradiction reply names unknown candidate %r: dropped", unknown)
    ordered: list[str] = []
    for cid, _ in candidates:
        if cid in named and cid not in ordered:
            ordered.append(cid)
    return ordered, call


def _keep_known(
    out: ExtractionOut, turns: set[int], neighbours: Sequence[NeighbourInput]
) -> ExtractionOut:
    """Drop items about unknown turns or neighbours; complete and de-duplicate the rest."""
    facts = [f for f in out.facts if f.turn in turns]
    for fact in out.facts:
        if fact.turn not in turns:
            logger.debug("fact %r names unknown turn %d: dropped", fact.text, fact.turn)
    notes = [n for n in out.notes if n.turn in turns]
    for note in out.notes:
        if note.turn not in turns:
            logger.debug("note names unknown turn %d: dropped", note.turn)
    by_id = {n.id: n for n in neighbours}
    updates: dict[str, NeighbourUpdate] = {}
    for update in out.neighbour_updates:
        current = by_id.get(update.id)
        if current is None:
            logger.debug("update for unknown neighbour %r: dropped", update.id)
            continue
        given = update.model_fields_set
        tags = update.tags if "tags" in given else list(current.tags)
        context = update.context if "context" in given else current.context
        if tags == list(current.tags) and context == current.context:
            logger.debug("update for neighbour %r changes nothing: dropped", update.id)
            continue
        updates[update.id] = NeighbourUpdate(id=update.id, tags=tags, context=context)
    entities: dict[str, EntityOut] = {}
    for entity in out.entities:
        entities.setdefault(entity.name.casefold(), entity)
    return ExtractionOut(
        facts=facts,
        entities=list(entities.values()),
        notes=notes,
        neighbour_updates=list(updates.values()),
    )


__all__ = [
    "ATTRIBUTES",
    "CONTRADICTION_PURPOSE",
    "ENTITY_KINDS",
    "EXTRACT_PURPOSE",
    "ContradictionOut",
    "EntityOut",
    "ExtractionOut",
    "FactOut",
    "NeighbourInput",
    "NeighbourUpdate",
    "NoteOut",
    "TurnInput",
    "contradiction_messages",
    "extract_batch",
    "extraction_messages",
    "judge_contradictions",
    "normalize_attribute",
]
