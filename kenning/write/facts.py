"""Fact memories from messages: the local rule-based extractor, or an LLM with it as fallback.

Facts are derived from a message (their provenance is its episode) and stored as
``fact`` memories with subject / predicate / object and, for single-valued attributes,
a slot ("ana.city") through which a newer value supersedes an older one
(:mod:`kenning.write.versions`).

With an LLM, messages go in batches of up to ``llm_batch_turns`` per call; the same call
returns A-MEM note attributes (keywords, tags, one-line context) for each message and
updates for the related memories shown to it. If the call fails (after the client's
retries), the batch falls back to the local extractor and each fact records why.
Text marked as recalled memory (message metadata ``"recalled": true``) is never a source.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from kenning.config import FactExtraction
from kenning.extract.facts import extract_facts, slot_of
from kenning.extract.replacements import find_replacements
from kenning.ids import new_id
from kenning.llm import (
    ChatClient,
    LLMCallFailed,
    NeighbourInput,
    TurnInput,
    extract_batch,
)
from kenning.models import LLMCall, MemoryItem, MemoryKind
from kenning.write.derive import Draft, fact_draft
from kenning.write.identity import SELF, subject_key

log = logging.getLogger(__name__)

RECALLED = "recalled"  # message metadata flag: this text was itself recalled from memory
# Titles that are not part of whom a fact is about: "Grandma Rosa" and "Rosa" share slots.
_TITLE = re.compile(
    r"^(?:grandma|grandpa|granny|grandmother|grandfather|nana|aunt|auntie|uncle|mr|mrs|ms|"
    r"miss|dr|prof|professor|sir|madam)\.?\s+(?=\S)",
    re.IGNORECASE,
)


def canonical_subject(subject: str) -> str:
    """A fact's subject without a leading title ("Grandma Rosa" -> "Rosa")."""
    return _TITLE.sub("", subject.strip()) or subject.strip()


_NOT_SOURCES = frozenset({"assistant", "system", "tool"})  # role-only speakers


def is_source(item: MemoryItem) -> bool:
    """Whether facts may be extracted from this memory."""
    return (
        item.kind is MemoryKind.TURN
        and item.speaker not in _NOT_SOURCES
        and not item.metadata.get(RECALLED)
    )


def fact_item(
    source: MemoryItem,
    *,
    text: str,
    subject: str | None,
    predicate: str | None,
    object_: str | None,
    slot: str | None,
    extractor: str,
    now: datetime,
    extra: Mapping[str, Any] | None = None,
) -> MemoryItem:
    """A fact derived from a message: same provenance, time and speaker."""
    return MemoryItem(
        id=new_id(),
        user_id=source.user_id,
        agent_id=source.agent_id,
        session_id=source.session_id,
        kind=MemoryKind.FACT,
        text=text,
        created_at=now,
        updated_at=now,
        episode_ids=source.episode_ids,
        event_time=source.event_time,
        valid_from=source.event_time,
        speaker=source.speaker,
        subject=subject,
        predicate=predicate,
        object=object_,
        slot=slot,
        metadata={**source.metadata, "extractor": extractor, **(extra or {})},
    )


def local_facts(
    source: MemoryItem, now: datetime, extra: Mapping[str, Any] | None = None
) -> list[Draft]:
    """Facts the rule-based extractor finds in one message."""
    speaker = source.speaker if source.speaker != "user" else None
    drafts = []
    for fact in extract_facts(source.text, speaker=speaker):
        marks = {"attribute": fact.attribute, **({"ended": True} if fact.ended else {})}
        subject = canonical_subject(fact.subject)
        item = fact_item(
            source,
            text=fact.text,
            subject=subject,
            predicate=fact.predicate,
            object_=fact.value or None,
            slot=slot_of(subject, fact.attribute),
            extractor="local",
            now=now,
            extra={**marks, **(extra or {})},
        )
        drafts.append(fact_draft(item))
    return drafts


@dataclass(slots=True)
class Extracted:
    """What extraction found in a batch of messages."""

    facts: list[Draft] = field(default_factory=list)
    notes: dict[str, dict[str, Any]] = field(default_factory=dict)  # memory id -> note attrs
    neighbour_updates: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> attrs
    calls: list[LLMCall] = field(default_factory=list)


class FactExtractor:
    """Turns new message memories into fact drafts, locally or with an LLM."""

    def __init__(
        self, mode: FactExtraction, client: ChatClient | None = None, *, batch_turns: int = 20
    ) -> None:
        if mode is FactExtraction.LLM and client is None:
            raise ValueError("fact_extraction=llm needs a chat client")
        self.mode = mode
        self.client = client
        self.batch_turns = batch_turns

    @property
    def uses_llm(self) -> bool:
        """Whether extraction asks the LLM (it needs each message's related memories)."""
        return self.mode is FactExtraction.LLM and self.client is not None

    def extract(
        self,
        sources: Sequence[MemoryItem],
        neighbours: Mapping[str, Sequence[MemoryItem]],
        now: datetime,
        known: Callable[[], Sequence[MemoryItem]] = lambda: (),
        self_name: str | None = None,
    ) -> Extracted:
        """Facts and notes for these messages; ``neighbours`` are each one's related memories,
        ``known`` gives the current slot facts of the scope (for changes stated against them;
        asked only when the local extractor has messages to read); ``self_name`` is the
        user's name (:mod:`kenning.write.identity`)."""
        out = Extracted()
        sources = [s for s in sources if is_source(s)]
        if self.mode is FactExtraction.OFF or not sources:
            return out
        if not self.uses_llm:
            current = _by_subject(known(), self_name)
            for source in sources:
                drafts = local_facts(source, now) or _replacements(
                    source, current.get(subject_key(source.speaker or SELF, self_name), {}), now
                )
                out.facts.extend(drafts)
                _remember(current, [d.item for d in drafts], self_name)
            return out
        for start in range(0, len(sources), self.batch_turns):
            self._llm_batch(sources[start : start + self.batch_turns], neighbours, now, out)
        return out

    def _llm_batch(
        self,
        batch: Sequence[MemoryItem],
        neighbours: Mapping[str, Sequence[MemoryItem]],
        now: datetime,
        out: Extracted,
    ) -> None:
        assert self.client is not None
        shown: dict[str, MemoryItem] = {}
        for source in batch:
            for neighbour in neighbours.get(source.id, ()):
                shown.setdefault(neighbour.id, neighbour)
        turns = [
            TurnInput(turn=i, speaker=s.speaker, time=s.event_time, text=s.text)
            for i, s in enumerate(batch)
        ]
        neighbour_inputs = [
            NeighbourInput(
                id=n.id,
                text=n.text,
                tags=tuple(str(t) for t in n.metadata.get("tags", ())),
                context=str(n.metadata.get("context", "")),
            )
            for n in shown.values()
        ]
        try:
            result, call = extract_batch(self.client, turns, neighbour_inputs)
        except LLMCallFailed as exc:
            out.calls.append(exc.call)
            log.warning(
                "LLM extraction failed for %d messages (%s); using the local extractor",
                len(batch),
                exc.reason,
            )
            for source in batch:
                out.facts.extend(local_facts(source, now, {"llm_error": exc.reason}))
            return
        out.calls.append(call)
        for fact in result.facts:
            source = batch[fact.turn]
            subject = canonical_subject(fact.subject)
            slot = slot_of(subject, fact.attribute) if fact.attribute else None
            item = fact_item(
                source,
                text=fact.text,
                subject=subject,
                predicate=fact.predicate,
                object_=fact.object,
                slot=slot,
                extractor="llm",
                now=now,
                extra={"attribute": fact.attribute} if fact.attribute else None,
            )
            out.facts.append(fact_draft(item))
        for note in result.notes:
            out.notes[batch[note.turn].id] = {
                "keywords": list(note.keywords),
                "tags": list(note.tags),
                "context": note.context,
            }
        for update in result.neighbour_updates:
            out.neighbour_updates[update.id] = {
                "tags": list(update.tags),
                "context": update.context,
            }


CurrentFacts = dict[str, dict[str, MemoryItem]]  # subject key -> slot -> current fact


def _by_subject(facts: Sequence[MemoryItem], self_name: str | None) -> CurrentFacts:
    current: CurrentFacts = {}
    _remember(current, facts, self_name)
    return current


def _remember(current: CurrentFacts, facts: Sequence[MemoryItem], self_name: str | None) -> None:
    for fact in facts:
        if fact.subject and fact.slot:
            current.setdefault(subject_key(fact.subject, self_name), {})[fact.slot] = fact


def _replacements(source: MemoryItem, mine: Mapping[str, MemoryItem], now: datetime) -> list[Draft]:
    """Facts for a change stated against a known value ("we left Seattle for Lisbon"):
    ``mine`` are the speaker's current facts by slot."""
    values = {
        f.object.casefold(): f for f in mine.values() if f.object and not f.metadata.get("ended")
    }
    drafts = []
    for found in find_replacements(source.text, {k: f.object or k for k, f in values.items()}):
        old = values[found.old.casefold()]
        text = re.sub(re.escape(found.old), found.new, old.text, flags=re.IGNORECASE)
        item = fact_item(
            source,
            text=text,
            subject=old.subject,
            predicate=old.predicate,
            object_=found.new,
            slot=old.slot,
            extractor="local",
            now=now,
            extra={"attribute": old.metadata.get("attribute"), "replaces": old.id},
        )
        drafts.append(fact_draft(item))
    return drafts


def with_note(draft: Draft, note: Mapping[str, Any]) -> Draft:
    """A message draft carrying A-MEM note attributes in its metadata."""
    return replace(draft, item=replace(draft.item, metadata={**draft.item.metadata, **note}))
