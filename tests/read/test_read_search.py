"""The read path's components through the public API: each one changes rankings as it should.

A small dated conversation (two speakers, three sessions) on a real SQLite file with the
deterministic hashing embedder; each test compares a component on and off.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kenning import Memory, Settings, ValidationError
from kenning.models import KeyKind
from kenning.testing import HashEmbedder

SESSIONS = [
    (
        "s1",
        datetime(2023, 5, 8, 14, 0, tzinfo=UTC),
        [
            ("Ana", "I went to a pottery class yesterday, it was so relaxing"),
            ("Ben", "Nice! Did you make anything?"),
            ("Ana", "A little bowl for my dog Pixel"),
        ],
    ),
    (
        "s2",
        datetime(2023, 6, 20, 9, 0, tzinfo=UTC),
        [
            ("Ben", "Ana, I adopted a cat last week, his name is Miso"),
            ("Ana", "Congrats! How is he settling in?"),
            ("Ben", "He loves the sunny window in the kitchen"),
            ("Ana", "Have you been to the Grand Canyon?"),
            ("Ben", "Yes, last summer with my brother"),
        ],
    ),
    (
        "s3",
        datetime(2023, 9, 2, 18, 30, tzinfo=UTC),
        [
            ("Ana", "I adopted a rescue dog from the shelter back in spring"),
            ("Ben", "Is Pixel doing well with the kids?"),
            ("Ana", "She is great, we hiked near the Grand Canyon together"),
        ],
    ),
]


@pytest.fixture
def chat(tmp_path: Path) -> Iterator[Memory]:
    memory = Memory(tmp_path / "chat.db", embedder=HashEmbedder(dim=256))
    for session_id, when, turns in SESSIONS:
        memory.add(
            [{"role": "user", "name": name, "content": text} for name, text in turns],
            user_id="u",
            session_id=session_id,
            timestamp=when,
        )
    yield memory
    memory.close()


def texts(memory: Memory, query: str, **kwargs: object) -> list[str]:
    return [hit.memory.text for hit in memory.search(query, user_id="u", **kwargs)]  # type: ignore[arg-type]


def test_expansion_keys_are_stored_with_each_turn(chat: Memory) -> None:
    turn = next(
        m
        for m in chat.get_all(user_id="u", kinds="turn")
        if m.text.startswith("I went to a pottery")
    )
    assert turn.speaker == "Ana"
    stored = next(s for s in chat.store.iter_indexable("u") if s.item.id == turn.id)
    by_kind = {key.kind: key.text for key in stored.keys}
    assert by_kind[KeyKind.TEXT] == "Ana: " + turn.text
    assert "2023-05-07" in by_kind[KeyKind.DATE]  # "yesterday" in a message of 8 May 2023
    assert "Ana went to a pottery class" in by_kind[KeyKind.REWRITE]
    assert "pottery class" in by_kind[KeyKind.KEYPHRASE]
    pixel = next(s for s in chat.store.iter_indexable("u") if "Pixel" in s.item.text)
    assert "Pixel" in {k.text for k in pixel.keys if k.kind is KeyKind.ENTITY}
    assert chat.stats(user_id="u").entities >= 2  # Pixel, Grand Canyon, ...


def test_key_expansion_makes_a_resolved_date_searchable(chat: Memory) -> None:
    hits = chat.search("7 May 2023", user_id="u", limit=10)
    best_lexical = next(h for h in hits if h.signals["bm25"].rank == 1)
    assert best_lexical.memory.text.startswith("I went to a pottery class")  # "yesterday"
    assert best_lexical.signals["bm25"].raw > 0
    chat.configure(key_expansion=False)
    without = chat.search("7 May 2023", user_id="u", limit=10)
    assert all(h.signals["bm25"].raw == 0 for h in without)


def rank_of(memory: Memory, query: str, text: str) -> int:
    ranked = texts(memory, query, limit=50)
    return ranked.index(text)


def test_speaker_aware_search_prefers_what_the_named_speaker_said(chat: Memory) -> None:
    query = "What pet did Ana adopt?"
    answer = "I adopted a rescue dog from the shelter back in spring"
    chat.configure(lifecycle=False)  # messages only: no facts drawn from them
    hits = chat.search(query, user_id="u", limit=50)
    boosted = {
        h.memory.speaker for h in hits if "speaker" in h.signals and h.signals["speaker"].raw
    }
    assert boosted == {"Ana"}
    rival = "Ana, I adopted a cat last week, his name is Miso"  # Ben's words, naming Ana

    def margin() -> float:
        scores = {h.memory.text: h.score for h in chat.search(query, user_id="u", limit=50)}
        return scores[answer] - scores[rival]

    on = margin()
    chat.configure(speaker=False)
    assert all("speaker" not in h.signals for h in chat.search(query, user_id="u"))
    assert on > margin()


def test_a_turn_is_lifted_by_its_round_and_session(chat: Memory) -> None:
    # "Yes, last summer with my brother" shares no word with the query; its round does.
    query = "has Ben been to the Grand Canyon"
    answer = "Yes, last summer with my brother"
    on_rank = rank_of(chat, query, answer)
    lifted = next(h for h in chat.search(query, user_id="u", limit=50) if h.memory.text == answer)
    assert lifted.signals["round"].contribution > 0
    assert "session" in lifted.signals
    chat.configure(granularity=False)
    plain = next(h for h in chat.search(query, user_id="u", limit=50) if h.memory.text == answer)
    assert "round" not in plain.signals
    assert rank_of(chat, query, answer) > on_rank


def test_round_and_session_searches_are_lifted_by_their_turns(chat: Memory) -> None:
    hits = chat.search("pottery class", user_id="u", kinds=["session"], limit=3)
    assert hits[0].memory.session_id == "s1"
    assert hits[0].signals["turn"].contribution > 0


def test_time_range_in_the_query_is_read_relative_to_now(chat: Memory) -> None:
    query = "what did they talk about in June 2023"
    hits = chat.search(query, user_id="u", limit=5)
    assert [h.memory.session_id for h in hits[:2]] == ["s2", "s2"]
    assert hits[0].signals["time"].raw == 1.0
    assert {h.memory.session_id for h in hits if h.signals["time"].raw} == {"s2"}
    # "last week" relative to an explicit now: the week before 5 September 2023 is session s3
    recent = chat.search("what happened last week", user_id="u", now="2023-09-05", limit=50)
    assert {h.memory.session_id for h in recent if h.signals["time"].raw} == {"s3"}
    # the week before 10 May 2023 holds the pottery class of "yesterday" (7 May); "back in
    # spring", said in September, covers it too
    pottery = "I went to a pottery class yesterday, it was so relaxing"
    spring = "I adopted a rescue dog from the shelter back in spring"
    earlier = chat.search("what happened last week", user_id="u", now="2023-05-10", limit=50)
    assert {h.memory.text for h in earlier if h.signals["time"].raw} == {pottery, spring}
    assert rank_of(chat, "what happened last week", pottery) > [
        h.memory.text for h in earlier
    ].index(pottery)


def test_when_questions_prefer_memories_that_mention_a_date(chat: Memory) -> None:
    hits = chat.search("When did Ben adopt a cat?", user_id="u", limit=3)
    assert hits[0].memory.text.startswith("Ana, I adopted a cat last week")
    # 4 of the candidates (11 turns and the facts drawn from them) mention a date: the mark
    # is worth 1 - 4/n of the when weight
    live = ("active", "superseded")
    candidates = len(chat.get_all(user_id="u", kinds=["turn", "fact"], statuses=live))
    assert candidates > 11
    assert hits[0].signals["when"].raw == pytest.approx(1 - 4 / candidates)
    everything = chat.search("When did Ben adopt a cat?", user_id="u", limit=50)
    assert {h.memory.text.split(",")[0] for h in everything if h.signals["when"].raw} == {
        "I went to a pottery class yesterday",
        "Ana",  # "Ana, I adopted a cat last week, ..."
        "Yes",  # "Yes, last summer with my brother"
        "I adopted a rescue dog from the shelter back in spring",
    }


def test_entity_graph_reaches_memories_through_shared_entities(chat: Memory) -> None:
    query = "Tell me about Pixel"
    hits = chat.search(query, user_id="u", limit=10)
    graph = {h.memory.text: h.signals["graph"].raw for h in hits if "graph" in h.signals}
    mentions = [t for t in graph if "Pixel" in t]
    assert len(mentions) == 2
    assert all(graph[t] > 0 for t in mentions)
    assert max(graph, key=lambda t: graph[t]) in mentions
    chat.configure(graph=False)
    assert all("graph" not in h.signals for h in chat.search(query, user_id="u"))


def test_every_component_can_be_switched_off(chat: Memory) -> None:
    chat.configure(
        key_expansion=False,
        granularity=False,
        speaker=False,
        time=False,
        graph=False,
        prf=False,
        lifecycle=False,
    )
    for hit in chat.search("When did Ana adopt a dog in 2023?", user_id="u"):
        assert set(hit.signals) <= {"dense", "bm25"}
    assert chat.describe()["components"]["graph"] is False


def test_diversity_keeps_the_top_hit_and_returns_the_limit(chat: Memory) -> None:
    plain = chat.search("adopted", user_id="u", limit=4)
    chat.configure(diversity=True)
    diverse = chat.search("adopted", user_id="u", limit=4)
    assert len(diverse) == 4
    assert diverse[0].memory.id == plain[0].memory.id


def test_configure_returns_previous_values_and_rejects_bad_changes(chat: Memory) -> None:
    assert chat.configure(graph=False, prf_weight=0.3) == {"graph": True, "prf_weight": 0.1}
    assert chat.settings.graph is False
    with pytest.raises(ValidationError, match="db_path"):
        chat.configure(db_path="elsewhere.db")
    with pytest.raises(ValidationError, match="settings"):
        chat.configure(graph_damping=1.5)
    with pytest.raises(ValidationError, match="settings"):
        chat.configure(no_such_setting=1)


def test_search_validates_now(chat: Memory) -> None:
    with pytest.raises(ValidationError, match="now"):
        chat.search("x", user_id="u", now="not a date")


def test_settings_switch_components_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KENNING_GRAPH", "false")
    monkeypatch.setenv("KENNING_ROUND_WEIGHT", "0.9")
    settings = Settings()
    assert settings.graph is False and settings.round_weight == 0.9


def test_entity_feedback_reaches_the_next_hop_of_a_multi_hop_question(tmp_path: Path) -> None:
    passages = [
        "Johnnycake is an unincorporated community in McDowell County, West Virginia.",
        "McDowell County is a county in the US state of West Virginia, bordered by Tazewell.",
        "Wyoming is a state in the mountain west of the United States.",
        "The county fair features a community johnnycake bake-off every summer.",
        "Community gardens are common in many towns and counties.",
        "Johnny Cash was an American singer and songwriter.",
    ]
    with Memory(tmp_path / "docs.db", embedder=HashEmbedder(dim=256)) as memory:
        memory.add([{"role": "document", "content": p} for p in passages], user_id="u")
        query = "What does the county containing Johnnycake border?"
        second_hop = passages[1]

        def rank() -> int:
            hits = memory.search(query, user_id="u", kinds=["document"], limit=10)
            return [h.memory.text for h in hits].index(second_hop)

        with_feedback = rank()
        hit = next(
            h
            for h in memory.search(query, user_id="u", kinds=["document"], limit=10)
            if h.memory.text == second_hop
        )
        assert hit.signals["entities"].raw > 0  # "McDowell", named by the first hop
        memory.configure(entity_feedback_weight=0.0)
        assert rank() > with_feedback
