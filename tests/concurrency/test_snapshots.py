"""Index snapshots shared by processes: one-shot CLI processes and a long-lived ``Memory``
on one SQLite file, every scope snapshotted. What a process writes reaches the others'
snapshots and indexes; what one erases is in no snapshot file and no other index."""

from __future__ import annotations

import json
from itertools import islice
from pathlib import Path
from typing import Any

import pytest

from concurrency.cli_process import run_cli
from kenning import Memory, Settings
from kenning.bench.corpus import chat_messages
from kenning.bench.run import as_dicts
from kenning.testing import HashEmbedder

pytestmark = pytest.mark.slow

SECRET = "walrusgazpacho"  # a word no generated message holds; stemmed, it still starts so


def cli(db: Path, *args: str) -> Any:
    return run_cli(db, *args, embedding_cache_path="", index_snapshot_min="0")


def snapshot_bytes(db: Path) -> bytes:
    return b"".join(p.read_bytes() for p in Path(f"{db}.index").glob("*.snapshot"))


def test_an_erase_by_one_process_leaves_no_snapshot_or_index_holding_it(tmp_path: Path) -> None:
    db = tmp_path / "shared.db"
    settings = Settings(db_path=db, embedding_cache_path=None, index_snapshot_min=0)
    # The CLI embeds with the default hash embedder's dimension: so does this process.
    memory = Memory(db, settings=settings, embedder=HashEmbedder())
    try:
        stream = chat_messages(120)
        while chunk := list(islice(stream, 20)):
            memory.add(as_dicts(chunk), user_id="ana", session_id=chunk[0].session_id)
        assert memory.search("hiking", user_id="ana").hits  # this process holds the scope
        memory.close()  # writes the snapshot
        assert snapshot_bytes(db)
        memory = Memory(db, settings=settings, embedder=HashEmbedder())
        assert memory.search("hiking", user_id="ana").hits  # restored from the snapshot

        added = cli(db, "add", f"My locker code is {SECRET}", "--user", "ana", "--json")
        assert SECRET.encode()[:12] in snapshot_bytes(db)  # the CLI's close wrote it
        found = memory.search(f"locker code {SECRET}", user_id="ana", limit=20)
        assert any(SECRET in h.memory.text for h in found.hits)  # followed the feed

        turn = next(m for m in added["memories"] if m["kind"] == "turn")
        cli(db, "forget", turn["id"], "--user", "ana", "--hard", "--yes")
        assert SECRET.encode()[:12] not in snapshot_bytes(db)  # the eraser deleted it

        after = memory.search(f"locker code {SECRET}", user_id="ana", limit=20)
        assert all(SECRET not in h.memory.text for h in after.hits)
        index = memory._registry.loaded("ana")
        assert index is not None and not any(SECRET[:10] in w for w in index.lexical._vocab)
        memory.add("Ana bought a red kayak", user_id="ana")  # so that closing writes again
    finally:
        memory.close()
    assert snapshot_bytes(db) and SECRET.encode()[:12] not in snapshot_bytes(db)
    listed = cli(db, "search", f"locker code {SECRET}", "--user", "ana", "--json")
    assert SECRET not in json.dumps(listed)
