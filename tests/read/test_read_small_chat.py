"""A new user's first twenty messages, searched with the default model (MiniLM), no LLM.

The chat of issue 15 as a new user would type it: only the greeting carries the user's name,
the rest are plain first-person messages, two of them stored as third-person notes. Each
question must return the memory that answers it first, not a fact that merely names Ana.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kenning import Memory, Settings
from kenning.embed import OnnxEmbedder
from kenning.read.query import without_names

MESSAGES = (
    "Hi! I'm Ana, nice to meet you.",
    "Ana lives in Kreuzberg",
    "Ana has a pet named Pixel",
    "I adopted a border collie named Pixel last spring.",
    "I work as a UX designer at a small studio.",
    "I'm vegetarian, so no meat recipes please.",
    "My sister Marta lives in Munich.",
    "We went hiking in the Alps last summer.",
    "I love cooking Thai curries on weekends.",
    "Pixel loves the park by the canal.",
    "My favourite band is Radiohead.",
    "I'm allergic to cats.",
    "I drink too much coffee, probably four cups a day.",
    "My birthday is on the 14th of March.",
    "I'm planning a trip to Lisbon in October.",
    "Ben is my partner, we've been together five years.",
    "I'm learning to play the piano, lessons every Tuesday.",
    "I read a lot of science fiction, Le Guin is my favourite.",
    "The flat is small but the neighbourhood is lively.",
    "I cycle to work every day.",
)


@pytest.fixture(scope="module")
def chat(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Memory]:
    path: Path = tmp_path_factory.mktemp("chat") / "ana.db"
    with Memory(
        settings=Settings(db_path=path, embedding_cache_path=""), embedder=OnnxEmbedder()
    ) as memory:
        for text in MESSAGES:
            message = {"role": "user", "content": text}
            if text.startswith("Hi!"):
                message["name"] = "Ana"
            memory.add([message], user_id="ana")
        yield memory


@pytest.mark.parametrize(
    ("question", "answer"),
    [
        ("where does Ana live?", "Kreuzberg"),
        ("what is Ana's diet?", "vegetarian"),
        ("what instrument is Ana learning?", "piano"),
        ("who is Ana's partner?", "Ben"),
    ],
)
def test_the_answer_ranks_first(chat: Memory, question: str, answer: str) -> None:
    hits = chat.search(question, user_id="ana", limit=3)
    assert answer in hits[0].memory.text, [h.memory.text for h in hits]


def test_the_diet_answer_shows_why_it_stands_first(chat: Memory) -> None:
    # First on meaning, with no word of the question but the name matching anywhere: the
    # agreement guard keeps it above facts that only feedback about "Ana" lifted.
    first = chat.search("what is Ana's diet?", user_id="ana", limit=1)[0]
    assert first.signals["dense"].rank == 1
    assert first.signals["agreement"].contribution > 0


def test_without_names_takes_out_full_and_first_names_with_their_possessive() -> None:
    assert without_names("What is Ana Maria's diet?", ["Ana Maria"]).split() == [
        "What",
        "is",
        "diet?",
    ]
    assert without_names("Did ana\u2019s sister call? Anatole did.", ["Ana"]).split() == [
        "Did",
        "sister",
        "call?",
        "Anatole",
        "did.",
    ]
