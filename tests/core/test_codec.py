"""The records' JSON form: ``to_json`` matches ``to_jsonable`` and decodes back to equal records."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from kenning import Memory
from kenning.codec import from_jsonable, to_json, to_jsonable
from kenning.models import Episode, SearchResult


def test_search_result_encodes_and_decodes_to_an_equal_record(memory: Memory) -> None:
    added = memory.add(
        [{"role": "user", "content": "I moved to Lisbon in May, naïvely hoping for sun ☀"}],
        user_id="ana",
        timestamp=datetime(2024, 5, 3, tzinfo=UTC),
    )
    memory.add_fact("Ana lives in Lisbon", user_id="ana", key="ana.city")
    result = memory.search("where does Ana live?", user_id="ana", limit=5)
    assert result.hits

    encoded = to_json(result)
    assert json.loads(encoded) == to_jsonable(result)
    assert "☀" in to_json(added).decode("utf-8")  # UTF-8, not \\u escapes
    assert from_jsonable(SearchResult, json.loads(encoded)) == result


def test_episode_round_trip_keeps_times_and_metadata(memory: Memory) -> None:
    added = memory.add(["hello"], user_id="bo", timestamp=datetime(2023, 1, 2, 3, 4, tzinfo=UTC))
    episode = added.episodes[0]
    assert from_jsonable(Episode, json.loads(to_json(episode))) == episode


def test_unknown_objects_and_nan_are_refused() -> None:
    with pytest.raises(TypeError, match="object is not JSON serialisable"):
        to_json({"x": object()})
    with pytest.raises(ValueError):
        to_json({"score": float("nan")})
