"""The scenario suite: hand-written life-change stories through the public API, with the
default embedding model (MiniLM), as a user would run it.

For each story, after the change the current value ranks first for the natural question; with
``as_of`` before the change the old value ranks first; the fact's history shows both values;
nothing is lost (every message is stored). Run once with the local extractor (no LLM) and once
with a scripted LLM behind a real OpenAI-compatible server.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from stories import LIFE_CHANGES, LifeChange
from stories_blind import BLIND_LIFE_CHANGES

from kenning import Memory, MemoryKind, Settings
from kenning.embed import OnnxEmbedder
from kenning.eval.updates import is_correct, mentions
from kenning.extract.facts import PREDICATES
from kenning.testing import FakeOpenAIServer, ScriptedLLM

pytestmark = pytest.mark.slow


def _ingest(memory: Memory, story: LifeChange) -> int:
    total = 0
    for index, session in enumerate(story.sessions):
        messages = story.messages(index)
        memory.add(messages, user_id="me", session_id=f"s{index}", timestamp=session.date)
        total += len(messages)
    return total


def _perfect_llm(story: LifeChange) -> ScriptedLLM:
    """What a capable model would extract: the story's values, attributed to its person; once
    the new value is said, a passing mention of the old one ("I miss the canals in Leiden")
    states nothing about the present."""
    changed = False

    def facts_for(text: str, speaker: str | None) -> list[dict[str, Any]]:
        nonlocal changed
        if mentions(text, story.new_value):
            changed = True
            value = story.new_value
        elif mentions(text, story.old_value) and not changed:
            value = story.old_value
        else:
            return []
        predicate = PREDICATES.get(story.attribute, "favorite is")
        return [
            {
                "subject": story.person,
                "predicate": predicate,
                "object": value,
                "text": f"{story.person} {predicate} {value}",
                "attribute": story.attribute,
            }
        ]

    return ScriptedLLM(facts_for)


def _check(memory: Memory, story: LifeChange, sent: int) -> None:
    last = story.sessions[-1].date
    now = memory.search(story.current_question, user_id="me", now=last)
    assert is_correct(now[0].memory.text, story.new_value, story.old_value), [
        h.memory.text for h in now[:3]
    ]
    then = memory.search(story.as_of_question, user_id="me", as_of=story.as_of)
    assert is_correct(then[0].memory.text, story.old_value, story.new_value), [
        h.memory.text for h in then[:3]
    ]
    current = next(
        f
        for f in memory.get_all(user_id="me", kinds="fact")
        if f.object and mentions(f.object, story.new_value)
    )
    texts = {e.new_text or "" for e in memory.history(current.id, user_id="me")}
    assert any(mentions(t, story.old_value) for t in texts), texts
    assert any(mentions(t, story.new_value) for t in texts), texts
    assert len(memory.episodes(user_id="me", limit=None)) == sent
    turns = memory.get_all(user_id="me", kinds=MemoryKind.TURN, limit=None)
    assert len(turns) == sent


STORIES = [pytest.param(s, id=f"{s.attribute}-{s.person}") for s in LIFE_CHANGES]


def test_there_are_enough_stories() -> None:
    assert len(LIFE_CHANGES) >= 30
    assert {s.attribute.split(":")[0] for s in LIFE_CHANGES} >= set(PREDICATES) - {"name"}


@pytest.fixture(scope="module")
def minilm() -> OnnxEmbedder:
    return OnnxEmbedder()


@dataclass(frozen=True)
class Outcome:
    story: LifeChange
    current_first: bool
    as_of_first: bool
    new_fact: bool  # the extractor found the new value
    old_fact: bool  # ... and the old one
    history_both: bool  # that fact's history shows the old value too
    sent: int
    stored: int


def _outcome(memory: Memory, story: LifeChange) -> Outcome:
    sent = _ingest(memory, story)
    now = memory.search(story.current_question, user_id="me", now=story.sessions[-1].date)
    then = memory.search(story.as_of_question, user_id="me", as_of=story.as_of)
    current = [
        f
        for f in memory.get_all(user_id="me", kinds="fact")
        if f.object and mentions(f.object, story.new_value)
    ]
    history = memory.history(current[0].id, user_id="me") if current else []
    old = [
        f
        for f in memory.get_all(user_id="me", kinds="fact", statuses=None)
        if f.object and mentions(f.object, story.old_value)
    ]
    return Outcome(
        story=story,
        current_first=is_correct(now[0].memory.text, story.new_value, story.old_value),
        as_of_first=is_correct(then[0].memory.text, story.old_value, story.new_value),
        new_fact=bool(current),
        old_fact=bool(old),
        history_both=any(mentions(e.new_text or "", story.old_value) for e in history),
        sent=sent,
        stored=len(memory.episodes(user_id="me", limit=None)),
    )


def _local_outcomes(
    stories: list[LifeChange], folder: Path, minilm: OnnxEmbedder, name: str
) -> list[Outcome]:
    """Every story through a fresh memory with the local extractor (no LLM)."""
    outcomes = []
    for number, story in enumerate(stories):
        with Memory(
            settings=Settings(db_path=folder / f"story{number}.db", embedding_cache_path=""),
            embedder=minilm,
        ) as memory:
            outcomes.append(_outcome(memory, story))
    # The shares docs/lifecycle.md quotes (shown with ``pytest -s``).
    print(
        f"\nlocal extractor, {len(outcomes)} {name} stories: current value first in "
        f"{sum(o.current_first for o in outcomes)}, old value first as of before the change "
        f"in {sum(o.as_of_first for o in outcomes)}"
    )
    return outcomes


@pytest.fixture(scope="module")
def local_outcomes(tmp_path_factory: pytest.TempPathFactory, minilm: OnnxEmbedder) -> list[Outcome]:
    return _local_outcomes(LIFE_CHANGES, tmp_path_factory.mktemp("local"), minilm, "hand-written")


@pytest.fixture(scope="module")
def blind_outcomes(tmp_path_factory: pytest.TempPathFactory, minilm: OnnxEmbedder) -> list[Outcome]:
    return _local_outcomes(BLIND_LIFE_CHANGES, tmp_path_factory.mktemp("blind"), minilm, "blind")


def _failures(outcomes: list[Outcome], check: str) -> list[str]:
    return [f"{o.story.attribute}/{o.story.person}" for o in outcomes if not getattr(o, check)]


# Without an LLM, the rule-based extractor misses many of these hand-written phrasings
# ("Three weeks in Porto now, still living out of boxes"); ranking still gets most stories
# right. The floors sit just under the measured shares (docs/lifecycle.md) so that a
# regression fails; the per-story checks below hold for every story.


def test_local_nothing_is_lost(
    local_outcomes: list[Outcome], blind_outcomes: list[Outcome]
) -> None:
    for outcomes in (local_outcomes, blind_outcomes):
        assert [(o.stored, o.sent) for o in outcomes] == [(o.sent, o.sent) for o in outcomes]


def test_local_current_value_ranks_first_in_most_stories(local_outcomes: list[Outcome]) -> None:
    wrong = _failures(local_outcomes, "current_first")
    assert len(wrong) <= 14, wrong  # measured: 21 of 35 right


def test_local_as_of_value_ranks_first_in_most_stories(local_outcomes: list[Outcome]) -> None:
    wrong = _failures(local_outcomes, "as_of_first")
    assert len(wrong) <= 5, wrong  # measured: 30 of 35 right


# The 40 stories written blind to the extractor (stories_blind.py) are the held-out check: the
# floors sit at the measured shares, far below the 32/40 and 36/40 the project aims at.


def test_blind_current_value_ranks_first_in_some_stories(
    blind_outcomes: list[Outcome],
) -> None:
    wrong = _failures(blind_outcomes, "current_first")
    assert len(wrong) <= 25, wrong  # measured: 15 of 40 right


def test_blind_as_of_value_ranks_first_in_most_stories(blind_outcomes: list[Outcome]) -> None:
    wrong = _failures(blind_outcomes, "as_of_first")
    assert len(wrong) <= 16, wrong  # measured: 24 of 40 right


def test_local_history_shows_both_values_whenever_both_were_extracted(
    local_outcomes: list[Outcome],
) -> None:
    both = [o for o in local_outcomes if o.new_fact and o.old_fact]
    assert both  # the extractor understands some of these stories
    assert _failures(both, "history_both") == []


@contextmanager
def _llm_memory(path: Path, minilm: OnnxEmbedder, llm: ScriptedLLM) -> Iterator[Memory]:
    """A memory whose facts come from ``llm`` behind a real OpenAI-compatible server."""
    with (
        FakeOpenAIServer(chat_responder=llm) as server,
        Memory(
            settings=Settings(
                db_path=path,
                embedding_cache_path="",
                fact_extraction="llm",
                llm_url=server.url,
                llm_model="scripted",
            ),
            embedder=minilm,
        ) as memory,
    ):
        yield memory
        assert llm.extractions  # the LLM was used
        assert memory.stats(user_id="me").llm.failed == 0


@pytest.mark.parametrize("story", STORIES)
def test_scripted_llm(tmp_path: Path, minilm: OnnxEmbedder, story: LifeChange) -> None:
    llm = _perfect_llm(story)
    with _llm_memory(tmp_path / "llm.db", minilm, llm) as memory:
        _check(memory, story, _ingest(memory, story))


def test_scripted_llm_on_the_blind_stories(tmp_path: Path, minilm: OnnxEmbedder) -> None:
    """With facts as a capable model would give them, the blind stories are mostly right.

    Not all: measured, 34 of 40 get the current value first (and all 40 the old one as of). In the others a reply that
    does not name the value ("Completely. Lasagne is a distant second now.") outranks the
    fact, which a question in British spelling ("favourite") does not match lexically.
    """
    outcomes = []
    for number, story in enumerate(BLIND_LIFE_CHANGES):
        with _llm_memory(tmp_path / f"llm{number}.db", minilm, _perfect_llm(story)) as memory:
            outcomes.append(_outcome(memory, story))
    print(
        f"\nscripted LLM, blind stories: current value first in "
        f"{sum(o.current_first for o in outcomes)}, as of in {sum(o.as_of_first for o in outcomes)}"
    )
    assert len(_failures(outcomes, "current_first")) <= 6
    assert _failures(outcomes, "as_of_first") == []
    # Two stories name the new value only in the assistant's question ("Did you end up
    # becoming a food photographer?" / "Yep, since June."): no fact states it.
    assert _failures(outcomes, "new_fact") == ["occupation/Mateo", "favorite:sport/Ilse"]
    assert _failures([o for o in outcomes if o.new_fact], "history_both") == []
