"""A context block for a prompt: the best memories for a query within a token budget.

Search ranks the memories; this module decides which of them fit and how they read:

* **Profile** on top: who the user is (their profile memory once consolidation wrote one,
  else their current single-valued facts), at most a quarter of the budget.
* **Facts** with their validity ("since 2024-06-01", "2024-01-10 to 2024-06-01, no longer
  true"), so a prompt never mistakes an old value for the current one.
* **Conversations**: messages grouped under a heading per session with its date, in the
  order they were said, so the model reads them as the dialogue they were.
* **Documents** and **notes** (summaries), each passage dated.

Memories are taken in rank order while they fit; one that does not fit is skipped and
smaller ones after it may still fit (``omitted`` counts the hits left out). A memory longer
than a third of the budget is clipped to that, so one long message cannot crowd out the rest.
The rendered text is then counted whole and never exceeds the budget.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from kenning.models import (
    ContextBlock,
    ContextItem,
    ContextSection,
    Hit,
    MemoryItem,
    MemoryKind,
    MemoryStatus,
)
from kenning.read.tokens import TokenCounter

ELLIPSIS = "…"
_PROFILE_SHARE = 4  # the profile takes at most 1/4 of the budget
_ITEM_SHARE = 3  # one memory takes at most 1/3 of the budget
_TITLES = {
    ContextSection.PROFILE: "## About {name}",
    ContextSection.FACTS: "## Facts",
    ContextSection.CONVERSATIONS: "## Conversations",
    ContextSection.DOCUMENTS: "## Documents",
    ContextSection.NOTES: "## Notes and summaries",
}
_SECTION_OF = {
    MemoryKind.FACT: ContextSection.FACTS,
    MemoryKind.TURN: ContextSection.CONVERSATIONS,
    MemoryKind.ROUND: ContextSection.CONVERSATIONS,
    MemoryKind.SESSION: ContextSection.CONVERSATIONS,
    MemoryKind.DOCUMENT: ContextSection.DOCUMENTS,
    MemoryKind.NOTE: ContextSection.NOTES,
    MemoryKind.SUMMARY: ContextSection.NOTES,
    MemoryKind.PROFILE: ContextSection.PROFILE,
}


def _day(when: datetime | None) -> str:
    return when.date().isoformat() if when else "undated"


def validity(fact: MemoryItem) -> str:
    """When a fact holds: ``since D``, ``D1 to D2, no longer true``, or nothing known."""
    if fact.valid_to is not None or fact.status is MemoryStatus.SUPERSEDED:
        start = f"{_day(fact.valid_from)} to " if fact.valid_from else "until "
        return f"{start}{_day(fact.valid_to)}, no longer true"
    if fact.metadata.get("ended"):
        return f"ended {_day(fact.event_time)}"
    return f"since {_day(fact.valid_from)}" if fact.valid_from else ""


def line_of(memory: MemoryItem) -> str:
    """How one memory reads in the block (without clipping)."""
    text = " ".join(memory.text.split())
    if memory.kind is MemoryKind.FACT:
        when = validity(memory)
        return f"- {text} ({when})" if when else f"- {text}"
    if memory.kind in (MemoryKind.TURN, MemoryKind.ROUND, MemoryKind.SESSION):
        return f"- {memory.speaker}: {text}" if memory.speaker else f"- {text}"
    if memory.kind is MemoryKind.PROFILE:
        return text
    return f"- [{_day(memory.event_time)}] {text}"


def session_heading(memory: MemoryItem) -> str:
    """The heading a message sits under: its session's day and id."""
    session = f" · session {memory.session_id}" if memory.session_id else ""
    return f"### {_day(memory.event_time)}{session}"


@dataclass
class _Fill:
    """The block being filled: chosen items and the tokens they (and headings) take."""

    counter: TokenCounter
    budget: int
    items: list[ContextItem] = field(default_factory=list)
    headings: set[str] = field(default_factory=set)
    used: int = 0

    def cost(self, text: str) -> int:
        return self.counter.count(text + "\n")

    def clip(self, text: str, tokens: int) -> str:
        """``text`` cut (at a word) to at most ``tokens``, ending in "…" when cut."""
        if self.cost(text) <= tokens:
            return text
        words = text.split(" ")
        low, high = 0, len(words)  # the longest prefix that fits, by bisection
        while low < high:
            mid = (low + high + 1) // 2
            if self.cost(" ".join(words[:mid]) + ELLIPSIS) <= tokens:
                low = mid
            else:
                high = mid - 1
        return " ".join(words[:low]) + ELLIPSIS if low else ""

    def offer(self, section: ContextSection, memory: MemoryItem, score: float | None) -> bool:
        """Add the memory if it (with the headings it needs) fits; whether it did."""
        cap = self.budget // (_PROFILE_SHARE if section is ContextSection.PROFILE else _ITEM_SHARE)
        text = self.clip(line_of(memory), cap)
        if not text:
            return False
        group = session_heading(memory) if section is ContextSection.CONVERSATIONS else None
        extra = [h for h in (_title(section, memory), group) if h and h not in self.headings]
        tokens = self.cost(text)
        need = tokens + sum(self.cost(h) for h in extra)
        if self.used + need > self.budget:
            return False
        self.items.append(ContextItem(section, memory, text, tokens, score, group))
        self.headings.update(extra)
        self.used += need
        return True


def _title(section: ContextSection, memory: MemoryItem) -> str:
    return _TITLES[section].format(name=memory.subject or "the user")


def render(items: Sequence[ContextItem]) -> tuple[str, list[ContextItem]]:
    """The block's text and its items in reading order: sections in a fixed order, facts
    and passages by rank, messages by session and time."""
    ordered: list[ContextItem] = []
    lines: list[str] = []
    for section in ContextSection:
        chosen = [i for i in items if i.section is section]
        if not chosen:
            continue
        if section is ContextSection.CONVERSATIONS:
            chosen.sort(key=lambda i: (_time(i.memory), i.memory.id))
        lines.append(_title(section, chosen[0].memory))
        group = None
        for item in chosen:
            if item.group is not None and item.group != group:
                group = item.group
                lines.append(group)
            lines.append(item.text)
            ordered.append(item)
    return "\n".join(lines), ordered


def _time(memory: MemoryItem) -> float:
    when = memory.event_time or memory.created_at
    return when.timestamp()


def build_context(
    query: str,
    user_id: str,
    hits: Sequence[Hit],
    profile: MemoryItem | None,
    *,
    budget_tokens: int,
    counter: TokenCounter,
) -> ContextBlock:
    """The block for ``hits`` (best first) and the user's ``profile`` within the budget."""
    fill = _Fill(counter, budget_tokens)
    if profile is not None:
        fill.offer(ContextSection.PROFILE, profile, None)
    offered = 0
    for hit in hits:
        if profile is not None and hit.memory.id == profile.id:
            continue  # already on top
        offered += 1
        section = _SECTION_OF[hit.memory.kind]
        if section is ContextSection.PROFILE:
            section = ContextSection.NOTES  # someone else's profile: a note like any other
        fill.offer(section, hit.memory, hit.score)
    chosen = fill.items  # in rank order (the profile first)
    text, items = render(chosen)
    # Counted whole: a real tokenizer may join lines into fewer or more tokens than their sum.
    while chosen and counter.count(text) > budget_tokens:
        chosen = chosen[:-1]  # the lowest-ranked goes first
        text, items = render(chosen)
    kept_hits = sum(1 for i in items if i.score is not None)
    return ContextBlock(
        query=query,
        user_id=user_id,
        text=text,
        items=items,
        tokens=counter.count(text),
        budget_tokens=budget_tokens,
        omitted=offered - kept_hits,
        tokenizer=counter.name,
    )
