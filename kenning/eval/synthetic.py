"""Small synthetic files in benchmark formats, for tests and smoke runs.

The real LongMemEval files are not redistributed here; :func:`write_sample_longmemeval` writes a
file in the same format (same fields, id shapes, date format, ``has_answer`` labelling) whose
haystacks mix templated chit-chat with the sessions that hold the answer.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from kenning.errors import ValidationError

from ._common import write_json

__all__ = ["write_sample_longmemeval"]

_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

_FILLER = (
    (
        "Can you give me some tips for {activity}? I have about {n} minutes a day for it.",
        "Sure! For {activity} with {n} minutes a day, start small, keep a routine and track "
        "your progress weekly.",
    ),
    (
        "What's a good recipe for {dish} that serves {n} people?",
        "Here is a simple {dish} recipe for {n}: prepare the ingredients, cook them in stages "
        "and season to taste at the end.",
    ),
    (
        "I keep getting a {error} in my Python script at line {n}. Any idea why?",
        "A {error} at line {n} usually means the value there is not what you expect; print it "
        "just before that line to check.",
    ),
    (
        "Could you recommend {n} books about {topic}?",
        "Here are {n} well-reviewed books about {topic}, from introductory to advanced.",
    ),
    (
        "How should I plan a {n}-day trip to {city}?",
        "For {n} days in {city}, spend the first day on the old town, then museums, then a "
        "day trip nearby.",
    ),
    (
        "What is the difference between {thing_a} and {thing_b}?",
        "{thing_a} and {thing_b} differ mostly in cost and durability; it depends on how often "
        "you use them.",
    ),
)

_SLOTS: dict[str, tuple[str, ...]] = {
    "activity": ("learning guitar", "running", "meditation", "learning Spanish", "drawing"),
    "dish": ("lentil soup", "banana bread", "chicken curry", "vegetable lasagna", "pad thai"),
    "error": ("KeyError", "TypeError", "IndexError", "ValueError", "AttributeError"),
    "topic": ("astronomy", "economics", "world history", "psychology", "gardening"),
    "city": ("Lisbon", "Kyoto", "Prague", "Montreal", "Cape Town", "Seville", "Hanoi"),
    "thing_a": ("a laptop", "an e-reader", "a gas stove", "a road bike"),
    "thing_b": ("a tablet", "a paperback", "an induction hob", "a gravel bike"),
    "animal": ("cat", "dog", "rabbit", "parrot"),
    "pet_name": ("Biscuit", "Mochi", "Pepper", "Luna", "Olive", "Ziggy"),
    "job": ("data analyst", "nurse", "product designer", "teacher", "civil engineer"),
    "company": ("Northwind Labs", "Bluefin Health", "Acme Robotics", "Greenleaf Bank"),
    "cuisine": ("Ethiopian", "Korean", "Mexican", "Lebanese", "Thai"),
    "race": ("half marathon", "10K race", "triathlon", "trail race"),
    "relative": ("sister", "brother", "cousin", "aunt"),
    "item": ("standing desk", "air purifier", "bookshelf", "espresso machine", "floor lamp"),
    "instrument": ("ukulele", "cello", "saxophone", "keyboard"),
}


@dataclass(frozen=True, slots=True)
class _Case:
    """One generated question: its evidence statements (one per answer session) and labels."""

    question_type: str
    statements: tuple[str, ...]
    question: str
    answer: str
    abstention_question: str


def _pick(rng: random.Random, slot: str) -> str:
    return rng.choice(_SLOTS[slot])


def _case_user_fact(rng: random.Random) -> _Case:
    animal, name = _pick(rng, "animal"), _pick(rng, "pet_name")
    return _Case(
        "single-session-user",
        (
            f"By the way, I finally adopted a {animal} from the shelter last weekend and we "
            f"named her {name}.",
        ),
        f"What is the name of the {animal} I adopted?",
        name,
        f"What is the name of the {_pick(rng, 'instrument')} teacher I hired?",
    )


def _case_job(rng: random.Random) -> _Case:
    job, company = _pick(rng, "job"), _pick(rng, "company")
    return _Case(
        "single-session-user",
        (f"I just started a new job as a {job} at {company}, the office is downtown.",),
        "Which company do I work for now?",
        company,
        "Which company does my roommate work for?",
    )


def _case_preference(rng: random.Random) -> _Case:
    cuisine = _pick(rng, "cuisine")
    return _Case(
        "single-session-preference",
        (f"I've been really into {cuisine} food lately, it's become my favourite cuisine.",),
        "Can you suggest somewhere to go for dinner tonight?",
        f"The user would prefer suggestions of {cuisine} restaurants.",
        "Can you suggest a good vintage car to restore?",
    )


def _case_temporal(rng: random.Random) -> _Case:
    race = _pick(rng, "race")
    return _Case(
        "temporal-reasoning",
        (f"I ran my first {race} this morning, it was exhausting but so much fun.",),
        f"How many weeks ago did I run my first {race}?",
        "It depends on the question date; count the weeks from the session date.",
        f"How many weeks ago did I sell my {_pick(rng, 'instrument')}?",
    )


def _case_update(rng: random.Random) -> _Case:
    relative = _pick(rng, "relative")
    first, second = rng.sample(_SLOTS["city"], 2)
    return _Case(
        "knowledge-update",
        (
            f"My {relative} lives in {first}, so I visit there a couple of times a year.",
            f"Big news: my {relative} just moved from {first} to {second} for work.",
        ),
        f"Which city does my {relative} live in now?",
        second,
        f"Which city does my {relative}'s best friend live in?",
    )


def _case_multi(rng: random.Random) -> _Case:
    first, second = rng.sample(_SLOTS["item"], 2)
    return _Case(
        "multi-session",
        (
            f"I bought a {first} for my new apartment today.",
            f"I also picked up a {second} for the apartment this week.",
        ),
        "What did I buy for my new apartment?",
        f"A {first} and a {second}.",
        "What did I buy for my parents' anniversary?",
    )


_CASES: tuple[Callable[[random.Random], _Case], ...] = (
    _case_user_fact,
    _case_job,
    _case_preference,
    _case_temporal,
    _case_update,
    _case_multi,
)


def _filler_round(rng: random.Random) -> tuple[str, str]:
    user, assistant = rng.choice(_FILLER)
    values = {slot: _pick(rng, slot) for slot in _SLOTS}
    values["n"] = str(rng.randint(2, 90))
    return user.format(**values), assistant.format(**values)


def _format_date(when: datetime) -> str:
    return f"{when:%Y/%m/%d} ({_WEEKDAYS[when.weekday()]}) {when:%H:%M}"


def _session(rng: random.Random, evidence: str | None) -> list[dict[str, Any]]:
    rounds = [_filler_round(rng) for _ in range(rng.randint(2, 4))]
    turns: list[dict[str, Any]] = []
    slot = rng.randrange(len(rounds)) if evidence is not None else -1
    for index, (user, assistant) in enumerate(rounds):
        if index == slot and evidence is not None:
            turns.append({"role": "user", "content": evidence, "has_answer": True})
            turns.append(
                {
                    "role": "assistant",
                    "content": "That's great to hear, thanks for sharing!",
                    "has_answer": False,
                }
            )
        if evidence is None:
            turns.append({"role": "user", "content": user})
            turns.append({"role": "assistant", "content": assistant})
        else:
            turns.append({"role": "user", "content": user, "has_answer": False})
            turns.append({"role": "assistant", "content": assistant, "has_answer": False})
    return turns


def _question(rng: random.Random, number: int, abstention: bool) -> dict[str, Any]:
    case = rng.choice(_CASES)(rng)
    qid = f"{rng.getrandbits(16):04x}{number:04d}"  # unique: the number is part of it
    n_sessions = rng.randint(6, 10)
    positions = sorted(rng.sample(range(n_sessions), len(case.statements)))
    when = datetime(2023, 5, 1, tzinfo=UTC) + timedelta(days=rng.randint(0, 60))
    ids, dates, sessions, answer_ids = [], [], [], []
    filler = 0
    for position in range(n_sessions):
        when += timedelta(
            days=rng.randint(1, 9), hours=rng.randint(0, 12), minutes=rng.randint(0, 59)
        )
        if position in positions:
            sid = f"answer_{qid}_{positions.index(position) + 1}"
            answer_ids.append(sid)
            turns = _session(rng, case.statements[positions.index(position)])
        else:
            filler += 1
            sid = f"sharegpt_{rng.getrandbits(24):06x}_{filler}"
            turns = _session(rng, None)
        ids.append(sid)
        dates.append(_format_date(when))
        sessions.append(turns)
    asked = when + timedelta(days=rng.randint(1, 30))
    return {
        "question_id": f"{qid}_abs" if abstention else qid,
        "question_type": case.question_type,
        "question": case.abstention_question if abstention else case.question,
        "answer": "You did not mention this information." if abstention else case.answer,
        "question_date": _format_date(asked),
        "haystack_session_ids": ids,
        "haystack_dates": dates,
        "haystack_sessions": sessions,
        "answer_session_ids": answer_ids,
    }


def write_sample_longmemeval(path: str | Path, *, n_questions: int, seed: int) -> Path:
    """Write ``n_questions`` synthetic questions in LongMemEval's format to ``path``.

    Deterministic for a given ``seed``. The last question is an abstention question (id ending
    in ``_abs``), so ``n_questions`` must be at least 2. Each haystack has 6-10 dated sessions:
    one answer session per evidence statement (two for ``knowledge-update`` and
    ``multi-session``), with the evidence user turn labelled ``has_answer: true`` and the other
    turns of answer sessions ``false``; filler sessions carry no labels, as in the real data.
    The file is written to a temporary name and renamed into place.
    """
    if n_questions < 2:
        raise ValidationError("n_questions", f"must be at least 2, got {n_questions}")
    rng = random.Random(seed)
    data = [_question(rng, number, number == n_questions - 1) for number in range(n_questions)]
    return write_json(path, data)
