"""Long documents (issue 16, item 6): split into overlapping chunks on sentence boundaries,
each a memory with its offset and the document's episode as its source; never refused."""

from __future__ import annotations

import itertools
import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kenning import Memory, MemoryKind, Settings
from kenning.testing import HashEmbedder
from kenning.write.chunks import chunk_document

WORDS = [
    "river",
    "stone",
    "lantern",
    "harbor",
    "maple",
    "copper",
    "orbit",
    "velvet",
    "signal",
    "meadow",
]


def _sentences(count: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        words = [rng.choice(WORDS) for _ in range(rng.randint(4, 40))]
        out.append(" ".join(words).capitalize() + rng.choice([".", "!", "?"]))
    return out


def _document(sentences: int, seed: int = 7) -> str:
    return " ".join(_sentences(sentences, seed))


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    sentences=st.integers(1, 120),
    seed=st.integers(0, 10_000),
    size=st.integers(200, 1500),
    overlap=st.integers(0, 300),
)
def test_chunks_cover_the_document_within_size(
    sentences: int, seed: int, size: int, overlap: int
) -> None:
    parts = _sentences(sentences, seed)
    text = " ".join(parts)
    chunks = chunk_document(text, size, overlap)
    assert all(text[c.offset : c.offset + len(c.text)] == c.text for c in chunks)
    assert all(0 < len(c.text) <= size for c in chunks)
    assert [c.offset for c in chunks] == sorted({c.offset for c in chunks})
    covered = set()
    for chunk in chunks:
        covered.update(range(chunk.offset, chunk.offset + len(chunk.text)))
    assert all(i in covered for i, ch in enumerate(text) if not ch.isspace())
    if len(text) > size and max(map(len, parts)) <= size:
        # Every chunk but the first starts a sentence (none had to be cut).
        assert all(text[c.offset - 2] in ".!?" for c in chunks[1:])
    if 0 < overlap <= size // 3 and max(map(len, parts)) <= size // 3:
        # Room for the overlap beside the next sentence: consecutive chunks share text.
        pairs = itertools.pairwise(chunks)
        assert all(b.offset < a.offset + len(a.text) for a, b in pairs)
    elif len(text) <= size:
        assert [c.text for c in chunks] == [text]


def test_a_long_sentence_is_cut_between_words() -> None:
    text = "word " * 500
    chunks = chunk_document(text.strip(), 300, 50)
    assert all(len(c.text) <= 300 and not c.text.endswith("wor") for c in chunks)
    assert all(set(c.text.split()) == {"word"} for c in chunks)


@pytest.fixture
def m(db_location: str | Path) -> Memory:
    memory = Memory(
        db_location,
        settings=Settings(embedder="hash", embedding_cache_path=""),  # type: ignore[arg-type]
        embedder=HashEmbedder(),
    )
    yield memory  # type: ignore[misc]
    memory.close()


def test_a_long_document_becomes_chunk_memories_of_one_episode(m: Memory) -> None:
    text = _document(200) + " The secret ingredient is cardamom. " + _document(200, seed=8)
    assert len(text) > 20_000  # over the server's message limit
    m.add([{"role": "document", "content": text, "metadata": {"source": "notes.md"}}], user_id="a")
    episode = m.episodes(user_id="a")[0]
    assert episode.content == text  # the document itself, verbatim
    chunks = m.get_all(user_id="a", kinds=MemoryKind.DOCUMENT, limit=None)
    assert len(chunks) > 20
    assert {c.episode_ids for c in chunks} == {(episode.id,)}
    assert sorted(c.metadata["chunk"] for c in chunks) == list(range(len(chunks)))
    for chunk in chunks:
        offset = chunk.metadata["offset"]
        assert text[offset : offset + len(chunk.text)] == chunk.text
        assert len(chunk.text) <= 1200 and chunk.metadata["source"] == "notes.md"
        assert chunk.metadata["chunks"] == len(chunks)
    hits = m.search("secret ingredient cardamom", user_id="a", limit=3)
    assert "cardamom" in hits[0].memory.text
    # Forgetting the document forgets every chunk.
    m.forget(episode_id=episode.id, user_id="a", hard=True)
    assert m.get_all(user_id="a", statuses=None, limit=None) == []


def test_chunk_size_is_a_setting(db_location: str | Path) -> None:
    settings_ = Settings(
        embedder="hash",
        embedding_cache_path="",
        document_chunk_chars=300,  # type: ignore[arg-type]
    )
    with Memory(db_location, settings=settings_, embedder=HashEmbedder()) as memory:
        memory.add([{"role": "document", "content": _document(40)}], user_id="a")
        chunks = memory.get_all(user_id="a", kinds=MemoryKind.DOCUMENT, limit=None)
    assert len(chunks) > 3 and max(len(c.text) for c in chunks) <= 300
