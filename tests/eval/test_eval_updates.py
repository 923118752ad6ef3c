"""Knowledge-update stories: the generator's rules, the scoring functions, the runner and CLI.

No accuracy thresholds here: the engine's lifecycle work changes the figures; the target is
measured by running ``kenning eval updates``.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from kenning import Memory, Settings
from kenning.errors import ValidationError
from kenning.eval.updates import (
    ATTRIBUTES,
    QuestionKind,
    UpdateStory,
    first_correct_rank,
    generate_update_stories,
    is_correct,
    mentions,
    reciprocal_rank,
    run_updates,
    story_messages,
    write_update_stories,
)
from kenning.models import Hit, MemoryItem, MemoryKind, SearchResult

_EPOCH = datetime(2020, 1, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def stories() -> list[UpdateStory]:
    return generate_update_stories(500, seed=0)


# -- generator --------------------------------------------------------------------------------


def test_generator_is_deterministic_per_seed() -> None:
    first = [s.as_dict() for s in generate_update_stories(40, seed=7)]
    again = [s.as_dict() for s in generate_update_stories(40, seed=7)]
    other = [s.as_dict() for s in generate_update_stories(40, seed=8)]
    assert first == again
    assert first != other
    texts = {t["text"] for s in first for se in s["sessions"] for t in se["turns"]}
    other_texts = {t["text"] for s in other for se in s["sessions"] for t in se["turns"]}
    assert texts != other_texts


def test_generator_rejects_an_empty_set() -> None:
    with pytest.raises(ValidationError):
        generate_update_stories(0)


def test_500_stories_have_unique_ids_and_cover_every_attribute(
    stories: list[UpdateStory],
) -> None:
    assert len(stories) == 500
    assert len({s.story_id for s in stories}) == 500
    counts = Counter(s.attribute for s in stories)
    assert set(counts) == set(ATTRIBUTES)
    assert counts["name"] < counts["city"]  # name changes are rarer
    mention_old = sum(s.change_mentions_old for s in stories) / len(stories)
    assert 0.08 <= mention_old <= 0.25
    assert any(s.restated for s in stories) and not all(s.restated for s in stories)
    assert {len(s.sessions) for s in stories} == {2, 3, 4}


def test_times_are_ordered_and_as_of_lies_between_the_statements(
    stories: list[UpdateStory],
) -> None:
    for story in stories:
        stamps = [t.timestamp for se in story.sessions for t in se.turns]
        assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps)
        first_session = {t.timestamp for t in story.sessions[0].turns}
        assert story.old_stated_at in first_session
        assert story.changed_at not in first_session  # the change comes in a later session
        assert story.old_stated_at < story.changed_at
        by_kind = {q.kind: q for q in story.questions}
        assert set(by_kind) == set(QuestionKind)
        as_of = by_kind[QuestionKind.AS_OF].as_of
        assert as_of is not None and story.old_stated_at < as_of < story.changed_at
        assert by_kind[QuestionKind.CURRENT].as_of is None
        for question in story.questions:
            assert question.now == stamps[-1]


def test_values_appear_in_the_turns_and_never_in_the_questions(
    stories: list[UpdateStory],
) -> None:
    for story in stories:
        person_texts = [t.text for se in story.sessions for t in se.turns if t.role == "user"]
        assert story.old_value != story.new_value
        assert any(is_correct(text, story.old_value, story.new_value) for text in person_texts)
        assert any(mentions(text, story.new_value) for text in person_texts)
        naming_both = [
            text
            for text in person_texts
            if mentions(text, story.old_value) and mentions(text, story.new_value)
        ]
        assert len(naming_both) == int(story.change_mentions_old)
        for question in story.questions:
            assert {question.expected, question.other} == {story.old_value, story.new_value}
            assert not mentions(question.question, question.expected)
            assert not mentions(question.question, question.other)
            assert story.person in question.question
        current = next(q for q in story.questions if q.kind is QuestionKind.CURRENT)
        assert current.expected == story.new_value


def test_phrasing_is_varied(stories: list[UpdateStory]) -> None:
    # Distinct statement shapes per attribute, with the values masked out.
    shapes: dict[str, set[str]] = {}
    for story in stories:
        for se in story.sessions:
            for turn in se.turns:
                if turn.role == "user" and mentions(turn.text, story.new_value):
                    masked = turn.text.replace(story.new_value, "<new>")
                    shapes.setdefault(story.attribute, set()).add(masked.split("<new>")[0][:12])
    for attribute in ("city", "employer", "occupation", "school", "partner", "pet", "age"):
        assert len(shapes[attribute]) >= 6, (attribute, shapes[attribute])


def test_stories_dump_as_json(tmp_path: Path) -> None:
    generated = generate_update_stories(5, seed=3)
    path = write_update_stories(tmp_path / "sub" / "stories.json", generated)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert [d["id"] for d in data] == [s.story_id for s in generated]
    assert data[0]["questions"][1]["as_of"] is not None
    assert not list(path.parent.glob(".*.tmp"))


# -- scoring ----------------------------------------------------------------------------------


def test_mentions_matches_whole_words_ignoring_case() -> None:
    assert mentions("My brother visited Rome.", "Rome")
    assert mentions("my brother visited rome", "ROME")
    assert not mentions("We saw Romeo and Juliet", "Rome")
    assert not mentions("born in 1934", "34")
    assert mentions("a 34-year-old", "34")
    assert mentions("I work at Booking.com now", "Booking.com")
    assert mentions("we moved to Cape Town!", "cape town")
    assert not mentions("anything", "")


def test_is_correct_needs_the_expected_value_without_the_other() -> None:
    assert is_correct("We live in Berlin now.", "Berlin", "Paris")
    assert not is_correct("We left Paris for Berlin.", "Berlin", "Paris")
    assert not is_correct("Paris was lovely.", "Berlin", "Paris")
    assert not is_correct("We went to see Romeo and Juliet.", "Rome", "Milan")
    assert is_correct("Rome, then Romeo.", "Rome", "Milan")


def test_first_correct_rank_and_reciprocal_rank() -> None:
    texts = ["Paris and Berlin", "Paris", "Berlin it is", "Berlin again"]
    assert first_correct_rank(texts, "Berlin", "Paris") == 3
    assert first_correct_rank(texts, "Paris", "Berlin") == 2
    assert first_correct_rank(texts, "Lyon", "Paris") is None
    assert first_correct_rank([], "Lyon", "Paris") is None
    assert reciprocal_rank(1) == 1.0
    assert reciprocal_rank(4) == 0.25
    assert reciprocal_rank(None) == 0.0


# -- runner -----------------------------------------------------------------------------------


@dataclass
class _ScriptedMemory:
    """Records what the runner gives it; answers every query with fixed texts."""

    answers: Sequence[str]
    adds: list[tuple[list[Mapping[str, Any]], str, str | None]] = field(default_factory=list)
    searches: list[dict[str, Any]] = field(default_factory=list)
    entered: int = 0
    exited: int = 0

    def __enter__(self) -> _ScriptedMemory:
        self.entered += 1
        return self

    def __exit__(self, *exc: object) -> None:
        self.exited += 1

    def add(
        self,
        messages: Sequence[Any],
        *,
        user_id: str,
        session_id: str | None = None,
        timestamp: datetime | None = None,
    ) -> object:
        self.adds.append((list(messages), user_id, session_id))
        return None

    def search(
        self,
        query: str,
        *,
        user_id: str,
        limit: int = 10,
        as_of: datetime | None = None,
        now: datetime | None = None,
    ) -> SearchResult:
        self.searches.append(
            {"query": query, "user_id": user_id, "limit": limit, "as_of": as_of, "now": now}
        )
        hits = [
            Hit(
                memory=MemoryItem(
                    id=f"m{rank}",
                    user_id=user_id,
                    kind=MemoryKind.TURN,
                    text=text,
                    created_at=_EPOCH,
                    updated_at=_EPOCH,
                ),
                score=1.0 / rank,
                signals={},
            )
            for rank, text in enumerate(self.answers[:limit], start=1)
        ]
        return SearchResult(query=query, hits=hits)


def test_runner_gives_the_memory_only_messages_and_questions() -> None:
    generated = generate_update_stories(6, seed=11)
    fake = _ScriptedMemory(answers=["nothing relevant", "still nothing"])
    result = run_updates(lambda: fake, generated, limit=7)
    assert (fake.entered, fake.exited) == (1, 1)
    assert len(fake.adds) == sum(len(s.sessions) for s in generated)
    for messages, user_id, session_id in fake.adds:
        assert user_id.startswith("upd11-") and session_id is not None
        for message in messages:
            assert set(message) <= {"role", "content", "name", "timestamp"}
    by_story = {s.story_id: s for s in generated}
    for search in fake.searches:
        story = by_story[search["user_id"]]
        assert search["limit"] == 7
        assert not mentions(search["query"], story.old_value)
        assert not mentions(search["query"], story.new_value)
        assert search["now"] == story.sessions[-1].turns[-1].timestamp
    assert sum(s["as_of"] is not None for s in fake.searches) == len(generated)
    assert result["current_accuracy@1"] == 0.0 and result["as_of_mrr"] == 0.0
    assert len(result["failures"]) == 10  # five of each kind
    assert result["failures"][0]["top_hit"] == "nothing relevant"


def test_runner_scores_a_perfect_and_a_confused_memory() -> None:
    story = generate_update_stories(1, seed=5)[0]
    new, old = story.new_value, story.old_value
    # Every question gets the same ranking: "new" only at rank 2, "old" only at rank 3.
    fake = _ScriptedMemory(answers=[f"{old} and {new}", f"just {new}", f"just {old}"])
    result = run_updates(lambda: fake, [story])
    assert result["current_accuracy@1"] == 0.0 and result["current_accuracy@5"] == 1.0
    assert result["current_mrr"] == 0.5 and result["as_of_mrr"] == pytest.approx(1 / 3)
    assert result["questions"] == 2
    assert result["per_attribute"][story.attribute]["stories"] == 1


def test_story_messages_name_the_person_only() -> None:
    story = generate_update_stories(1, seed=2)[0]
    messages = story_messages(story.sessions[0])
    assert {m["role"] for m in messages} == {"user", "assistant"}
    assert all(m.get("name") == story.person for m in messages if m["role"] == "user")
    assert all("name" not in m for m in messages if m["role"] == "assistant")


@pytest.mark.parametrize("extraction", ["local", "off"])
def test_run_updates_on_the_real_engine(tmp_path: Path, extraction: str) -> None:
    generated = generate_update_stories(10, seed=1)

    @contextmanager
    def factory() -> Iterator[Memory]:
        settings = Settings(
            db_path=tmp_path / f"{extraction}.db",
            embedder="hash",
            embedding_cache_path="",
            fact_extraction=extraction,
        )
        with Memory(settings=settings) as memory:
            yield memory

    result = run_updates(factory, generated)
    json.dumps(result)
    assert result["stories"] == 10 and result["questions"] == 20
    assert result["current_questions"] == 10 and result["as_of_questions"] == 10
    for key in ("accuracy@1", "accuracy@5", "mrr"):
        for kind in ("current", "as_of"):
            assert 0.0 <= result[f"{kind}_{key}"] <= 1.0
    assert result["current_accuracy@1"] <= result["current_accuracy@5"]
    assert sum(row["stories"] for row in result["per_attribute"].values()) == 10
    assert result["timing"]["queries"] == 20
    assert result["config"]["limit"] == 10 and "git_revision" in result["config"]
