"""OpenAI-style content lists (issue 16, item 7): text parts are the message's text; other
parts are kept in the episode and reported as skipped, never silently lost."""

from __future__ import annotations

from pathlib import Path

import pytest

from kenning import Memory, MemoryKind, Settings, ValidationError
from kenning.testing import HashEmbedder

IMAGE = {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}


@pytest.fixture
def m(db_location: str | Path) -> Memory:
    memory = Memory(
        db_location,
        settings=Settings(embedder="hash", embedding_cache_path=""),  # type: ignore[arg-type]
        embedder=HashEmbedder(),
    )
    yield memory  # type: ignore[misc]
    memory.close()


def test_text_parts_are_the_text_and_other_parts_are_kept(m: Memory) -> None:
    content = [
        {"type": "text", "text": "Here is my new flat in Lisbon."},
        IMAGE,
        {"type": "input_text", "text": "The view is great."},
    ]
    result = m.add(
        ["plain first", {"role": "user", "name": "Ana", "content": content}], user_id="ana"
    )
    assert [(s.message, s.part, s.type) for s in result.skipped] == [(1, 1, "image_url")]
    episode = m.episodes(user_id="ana")[1]
    assert episode.content == "Here is my new flat in Lisbon.\nThe view is great."
    assert episode.metadata["content_parts"] == [{**IMAGE, "index": 1}]
    # Searchable by its text; the image is not copied into derived memories.
    hits = m.search("flat in Lisbon view", user_id="ana", kinds=[MemoryKind.TURN])
    assert hits[0].memory.text == episode.content
    assert "content_parts" not in hits[0].memory.metadata


def test_bad_content_lists_are_refused_by_field(m: Memory) -> None:
    cases = {
        "messages[0].content": [],
        "messages[0].content[1]": [{"type": "text", "text": "ok"}, {"text": "no type"}],
        "messages[0].content[0].text": [{"type": "text", "text": 3}],
    }
    for field, content in cases.items():
        with pytest.raises(ValidationError) as caught:
            m.add([{"role": "user", "content": content}], user_id="ana")
        assert caught.value.field == field
    with pytest.raises(ValidationError, match="no text part") as only_image:
        m.add([{"role": "user", "content": [IMAGE]}], user_id="ana")
    assert only_image.value.field == "messages[0].content"
    assert m.episodes(user_id="ana") == []
