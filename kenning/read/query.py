"""Query analysis: what a search asks about, before any memory is scored.

The time range its words name ("last week", "in May 2023"), relative to a reference time;
whether it asks *when* something happened; which of the scope's speakers it names; which
known entities it mentions. Pure: the scope's speakers and entity keys are passed in.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime

from kenning.extract.local import query_entities
from kenning.extract.timeexpr import TimeMention, asks_when, query_time_range


@dataclass(frozen=True, slots=True)
class QueryAnalysis:
    """What a query names: a time range, a "when" question, speakers, entities."""

    text: str
    now: datetime
    time_range: TimeMention | None
    asks_when: bool
    speakers: tuple[str, ...]
    entities: tuple[str, ...]
    asks_current: bool = False  # "now", "these days", "currently": the latest state wanted


# Words that ask for the present state of something that may have changed.
_CURRENT = re.compile(
    r"\b(?:now|nowadays|currently|current|these days|at the moment|at present|presently|"
    r"anymore|any more|still|latest|most recent)\b",
    re.IGNORECASE,
)


# Of those, the phrases whose words match unrelated text ("a 2-day trip"): left out of the
# lexical query. Single words stay: "lately", "currently" are real evidence in messages
# (measured: stripping them cost LoCoMo 0.2 points recall@10).
_CURRENT_PHRASES = re.compile(
    r"\b(?:these days|at the moment|at present|nowadays)\b", re.IGNORECASE
)


def without_current_words(query: str) -> str:
    """The query without the phrases that ask for the present (for lexical matching)."""
    return _CURRENT_PHRASES.sub(" ", query)


_PAST = re.compile(
    r"\b(?:did|was|were|used to|previously|formerly|originally|back then|at the time)\b",
    re.IGNORECASE,
)


def asks_past(query: str) -> bool:
    """Whether a query asks about the past ("what did Ana do?", "where was she living?")."""
    return _PAST.search(query) is not None


def asks_current(query: str) -> bool:
    """Whether a query asks for the current state ("where does Ana live now?")."""
    return _CURRENT.search(query) is not None


def without_names(query: str, names: Collection[str]) -> str:
    """The query without the given names: each full name, and the first name of a multi-word
    one (as :func:`named_speakers` finds them), with a possessive "'s" (longest first)."""
    variants = {v for name in names if name.strip() for v in (name, name.split()[0])}
    for variant in sorted(variants, key=len, reverse=True):
        pattern = rf"(?<!\w){re.escape(variant)}(?:['\u2019]s)?(?!\w)"
        query = re.sub(pattern, " ", query, flags=re.IGNORECASE)
    return query


def named_speakers(query: str, speakers: Collection[str]) -> tuple[str, ...]:
    """The speakers a query names, by full name or, for multi-word names, first name."""
    lowered = query.casefold()
    found = []
    for speaker in sorted(speakers):
        names = {speaker.casefold(), speaker.casefold().split()[0]} if speaker.strip() else set()
        if any(re.search(rf"(?<!\w){re.escape(n)}(?!\w)", lowered) for n in names if n):
            found.append(speaker)
    return tuple(found)


def analyse_query(
    query: str,
    *,
    now: datetime,
    speakers: Collection[str] = (),
    entity_keys: Collection[str] | Mapping[str, str] = (),
) -> QueryAnalysis:
    """Analyse ``query`` against a scope's speakers and entity keys, with ``now`` as reference.

    ``entity_keys`` is what :func:`kenning.extract.local.query_entities` takes as ``known``.
    """
    return QueryAnalysis(
        text=query,
        now=now,
        time_range=query_time_range(query, now),
        asks_when=asks_when(query),
        speakers=named_speakers(query, speakers),
        entities=tuple(query_entities(query, entity_keys)),
        asks_current=asks_current(query),
    )
