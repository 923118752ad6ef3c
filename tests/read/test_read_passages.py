"""Long messages indexed under passages (``passage_words``): what the model cannot read at
the end of a long message is still found by dense search, through the public API."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from kenning import Memory, Settings
from kenning.embed import OnnxEmbedder
from kenning.write.derive import passages

FILLER = " ".join(["The weather report covered rain and sunshine across the valley towns."] * 25)
SOUP = "By the way, the secret in grandmother's tomato soup is smoked paprika and cinnamon."
BIKE = "By the way, the trick for a squeaky bicycle chain is a drop of wax lubricant."


def test_passages_cover_every_word_with_overlap() -> None:
    words = [f"w{i}" for i in range(400)]
    found = passages(" ".join(words), 120)
    assert all(len(p.split()) == 120 for p in found)
    covered = {w for p in found for w in p.split()}
    assert covered == set(words)
    firsts = [words.index(p.split()[0]) for p in found]
    assert firsts == sorted(firsts) and firsts[0] == 0
    assert found[-1].split()[-1] == "w399"
    # Consecutive passages share at least a quarter of a passage.
    assert all(b - a <= 90 for a, b in itertools.pairwise(firsts))


@pytest.mark.parametrize("length", [10, 180])
def test_short_messages_and_switched_off_get_no_passages(length: int) -> None:
    text = " ".join(["word"] * length)
    assert passages(text, 120) == []
    assert passages(" ".join(["word"] * 1000), 0) == []


@pytest.fixture(scope="module")
def minilm() -> OnnxEmbedder:
    return OnnxEmbedder()


def _dense_first(memory: Memory, query: str) -> str:
    hits = memory.search(query, user_id="u", kinds="turn", limit=5).hits
    return next(h.memory.text for h in hits if h.signals["dense"].rank == 1)


@pytest.mark.parametrize("words", [0, 120])
def test_a_detail_at_the_end_of_a_long_message_is_found_by_dense_search(
    tmp_path: Path, minilm: OnnxEmbedder, words: int
) -> None:
    settings = Settings(db_path=tmp_path / "p.db", embedding_cache_path="", passage_words=words)
    with Memory(settings=settings, embedder=minilm) as memory:
        memory.add([{"role": "assistant", "content": f"{FILLER} {SOUP}"}], user_id="u")
        memory.add("I had soup for lunch with my sister.", user_id="u")
        memory.add("My grandmother lives in Lyon.", user_id="u")
        first = _dense_first(memory, "which spices go in the tomato soup?")
        # Without passages the model reads only the weather report at the start.
        assert first.startswith("The weather") == (words > 0), first


def test_an_updated_long_message_is_found_by_its_new_detail(
    tmp_path: Path, minilm: OnnxEmbedder
) -> None:
    settings = Settings(db_path=tmp_path / "u.db", embedding_cache_path="", passage_words=120)
    with Memory(settings=settings, embedder=minilm) as memory:
        memory.add([{"role": "assistant", "content": f"{FILLER} {SOUP}"}], user_id="u")
        memory.add("My bike is in the shed.", user_id="u")
        long = next(m for m in memory.get_all(user_id="u", kinds="turn") if len(m.text) > 500)
        memory.update(long.id, f"{FILLER} {BIKE}", user_id="u")
        assert _dense_first(memory, "how do I fix a squeaky bicycle chain?").endswith(BIKE)
        assert not _dense_first(memory, "which spices go in the tomato soup?").endswith(SOUP)


def test_passages_switch_off_at_search_time_and_keep_bm25_to_the_text(
    tmp_path: Path, minilm: OnnxEmbedder
) -> None:
    # On by default (24 words); configure(passages=False) scores by the whole text only, on the
    # same store, and a message's BM25 document is its text once, whatever its passages.
    settings = Settings(db_path=tmp_path / "s.db", embedding_cache_path="")
    assert settings.passage_words == 24 and settings.passages
    with Memory(settings=settings, embedder=minilm) as memory:
        memory.add([{"role": "assistant", "content": f"{FILLER} {SOUP}"}], user_id="u")
        memory.add("I had soup for lunch with my sister.", user_id="u")
        query = "which spices go in the tomato soup?"
        with_passages = memory.search(query, user_id="u", kinds="turn", limit=2).hits
        assert with_passages[0].memory.text.endswith(SOUP)
        memory.configure(passages=False)
        without = memory.search(query, user_id="u", kinds="turn", limit=2).hits
        long_dense = {h.memory.text[:20]: h.signals["dense"].raw for h in without}
        assert long_dense["The weather report c"] < with_passages[0].signals["dense"].raw
        bm25 = {h.memory.text[:20]: h.signals["bm25"].raw for h in with_passages}
        assert bm25 == {h.memory.text[:20]: h.signals["bm25"].raw for h in without}


def test_documents_get_no_passages(tmp_path: Path, minilm: OnnxEmbedder) -> None:
    # A document is one coherent text: windows cut from it lose what it is about.
    settings = Settings(db_path=tmp_path / "d.db", embedding_cache_path="", passage_words=24)
    with Memory(settings=settings, embedder=minilm) as memory:
        memory.add([{"role": "document", "content": f"{FILLER} {SOUP}"}], user_id="u")
        memory.add([{"role": "assistant", "content": f"{FILLER} {SOUP}"}], user_id="u")
        query = "which spices go in the tomato soup?"
        hits = {h.memory.kind.value: h for h in memory.search(query, user_id="u", limit=5).hits}
        document, turn = hits["document"], hits["turn"]
        assert document.signals["dense"].raw < turn.signals["dense"].raw
