"""Settling new facts against what is known: reinforcement, supersession, contradictions.

* A fact whose slot already holds the same value at that time reinforces that version
  (strength up, the new message recorded in its history) instead of being stored again.
* Otherwise it is stored, and every slot it touches is re-chained so that each version's
  validity ends where the next one's begins (:func:`kenning.write.versions.close_chain`).
* With an LLM, a fact without a slot is shown the close existing facts about the same
  subject, at most one call per such fact, and closes those the LLM says it contradicts.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime

import numpy as np
import numpy.typing as npt

from kenning.index.scope import Eligibility, ScopeIndex
from kenning.llm import ChatClient, FactOut, LLMCallFailed, judge_contradictions
from kenning.models import (
    HistoryAction,
    Link,
    LinkType,
    MemoryItem,
    MemoryKind,
    MemoryStatus,
)
from kenning.write.changes import Changes
from kenning.write.links import closest
from kenning.write.versions import close_chain, in_effect, same_value, start_of

log = logging.getLogger(__name__)

_CANDIDATES = 5
_CANDIDATE_SIMILARITY = 0.5


def settle_slots(
    changes: Changes,
    facts: Sequence[MemoryItem],
    versions_of: Callable[[str, datetime], list[MemoryItem]],
) -> None:
    """Reinforce restated values and re-chain the validity of every slot the facts touch.

    ``versions_of(slot, since)`` gives the stored versions a fact starting at ``since`` can
    affect (``Store.slot_versions``): the chain before them is already closed, so a slot's
    long history is never read again.
    """
    by_slot: dict[str, list[MemoryItem]] = {}
    for fact in sorted(facts, key=start_of):
        if fact.slot:
            by_slot.setdefault(fact.slot, []).append(fact)
    for slot, arriving in by_slot.items():
        versions = [changes.current(v) for v in versions_of(slot, start_of(arriving[0]))]
        for fact in arriving:
            effective = in_effect(versions, start_of(fact))
            if effective is not None and same_value(effective, fact):
                reinforced = replace(
                    effective, strength=effective.strength + 1.0, updated_at=changes.now
                )
                changes.change(
                    effective,
                    reinforced,
                    HistoryAction.REINFORCE,
                    {"restated_by": list(fact.episode_ids)},
                )
                versions = [reinforced if v.id == effective.id else v for v in versions]
                changes.dropped.add(fact.id)
                continue
            versions.append(fact)
        rechain(changes, slot, versions)


def rechain(changes: Changes, slot: str, versions: Sequence[MemoryItem]) -> None:
    """Close the slot's versions that a later one succeeds, with history and links."""
    for closure in close_chain(versions, changes.now):
        changes.change(
            closure.before,
            closure.after,
            HistoryAction.SUPERSEDE,
            {"by": closure.successor.id, "slot": slot},
        )
        changes.links.append(Link(closure.successor.id, closure.before.id, LinkType.SUPERSEDES))


def near_facts(
    index: ScopeIndex, facts: Sequence[tuple[MemoryItem, npt.NDArray[np.float32]]]
) -> dict[str, list[MemoryItem]]:
    """For each slot-less fact with a subject, the closest stored facts, best first (read
    from the index under the user's lock, before any LLM is asked)."""
    if not len(index):
        return {}
    pool = index.eligible(Eligibility(kinds=(MemoryKind.FACT,)))
    out: dict[str, list[MemoryItem]] = {}
    for fact, vector in facts:
        if fact.slot or not fact.subject:
            continue
        near = closest(index, pool, vector, threshold=_CANDIDATE_SIMILARITY, n=4 * _CANDIDATES)
        out[fact.id] = [found for found, _ in near]
    return out


def settle_contradictions(
    changes: Changes,
    client: ChatClient,
    near: Mapping[str, Sequence[MemoryItem]],
    facts: Sequence[tuple[MemoryItem, npt.NDArray[np.float32]]],
) -> None:
    """Ask the LLM which close facts (``near``, see :func:`near_facts`) about the same
    subject each slot-less fact contradicts."""
    for fact, _ in facts:
        if fact.slot or not fact.subject:
            continue
        subject = fact.subject.casefold()
        candidates: list[MemoryItem] = []
        for found in near.get(fact.id, ()):
            if len(candidates) == _CANDIDATES:
                break
            other = changes.current(found)
            if (other.subject or "").casefold() == subject and start_of(other) <= start_of(fact):
                candidates.append(other)
        if not candidates:
            continue
        claim = FactOut(
            turn=0,
            subject=fact.subject,
            predicate=fact.predicate or "",
            object=fact.object or "",
            text=fact.text,
            attribute=None,
        )
        try:
            contradicted, call = judge_contradictions(
                client, claim, [(c.id, c.text) for c in candidates]
            )
        except LLMCallFailed as exc:
            changes.calls.append(exc.call)
            log.warning("LLM contradiction check failed for fact %s: %s", fact.id, exc.reason)
            continue
        changes.calls.append(call)
        for old in candidates:
            if old.id not in contradicted or old.status is not MemoryStatus.ACTIVE:
                continue
            closed = replace(
                old,
                valid_to=start_of(fact),
                status=MemoryStatus.SUPERSEDED,
                expired_at=changes.now,
                updated_at=changes.now,
            )
            changes.change(old, closed, HistoryAction.SUPERSEDE, {"by": fact.id, "judge": "llm"})
            changes.links.append(Link(fact.id, old.id, LinkType.SUPERSEDES))
