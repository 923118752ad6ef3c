"""Erasing a user in one process: another process's index follows the store, whether it
held the scope in memory or in a snapshot, and the id used again is a new, empty scope."""

from __future__ import annotations

from pathlib import Path

from concurrency.cli_process import run_cli
from kenning import Memory, Settings
from kenning.testing import HashEmbedder

SECRET = "walrusgazpacho"


def test_a_user_erased_by_another_process_vanishes_from_this_ones_searches(
    tmp_path: Path,
) -> None:
    db = tmp_path / "shared.db"
    settings = Settings(db_path=db, embedding_cache_path=None, index_snapshot_min=0)
    memory = Memory(db, settings=settings, embedder=HashEmbedder())
    try:
        memory.add(["Hello there", f"My locker code is {SECRET}"], user_id="ana")
        memory.add("Bob keeps bees", user_id="bob")
        assert any(SECRET in h.memory.text for h in memory.search(SECRET, user_id="ana").hits)

        erased = run_cli(db, "delete-user", "ana", "--yes", "--json", embedding_cache_path="")
        assert erased["erased_episodes"] == 2

        assert memory.search(SECRET, user_id="ana").hits == []
        index = memory._registry.loaded("ana")
        assert index is not None and not any(SECRET[:8] in w for w in index.lexical._vocab)
        assert [u.user_id for u in memory.users()] == ["bob"]
        run_cli(db, "add", "Ana bought a red kayak", "--user", "ana", embedding_cache_path="")
        hits = memory.search("red kayak", user_id="ana").hits
        assert [h.memory.text for h in hits if h.memory.kind.value == "turn"] == [
            "Ana bought a red kayak"
        ]
    finally:
        memory.close()
    listed = run_cli(db, "search", SECRET, "--user", "ana", "--json", embedding_cache_path="")
    assert all(SECRET not in hit["memory"]["text"] for hit in listed)
