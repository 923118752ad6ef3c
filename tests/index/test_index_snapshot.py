"""Index snapshots: a scope restored from its file is the scope built from the store.

Every test runs ``Memory`` on a real SQLite file with snapshots on for every scope size
(``index_snapshot_min=0``), and compares against an index built from the store alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from kenning import Memory, SearchPath, Settings
from kenning.bench.corpus import chat_messages, queries
from kenning.bench.run import as_dicts
from kenning.index import snapshot
from kenning.index.scope import ScopeIndex
from kenning.testing import HashEmbedder

USER = "ana"
# Erased words, as the file would hold them (stemmed BM25 terms start so); ids are hex, so
# digits could appear in a file by chance.
SECRET = b"marzipanquok"
LOCKER = b"walrusgazpach"
QUERIES = queries(12, seed=3)


def _open(db: Path, **settings: Any) -> Memory:
    options: dict[str, Any] = {"db_path": db, "embedding_cache_path": None}
    options["index_snapshot_min"] = 0
    options.update(settings)
    return Memory(db, settings=Settings(**options), embedder=HashEmbedder(dim=64))


@contextmanager
def _both(db: Path, **settings: Any) -> Iterator[tuple[Memory, Memory]]:
    """A ``Memory`` reading snapshots and one deriving every scope from the store."""
    restored = _open(db, **settings)
    built = _open(db, index_snapshots=False, **settings)
    try:
        yield restored, built
    finally:
        restored.close()
        built.close()


def _fill(memory: Memory, messages: int, *, seed: int = 0) -> None:
    stream = chat_messages(messages, seed=seed)
    while chunk := list(islice(stream, 20)):
        memory.add(as_dicts(chunk), user_id=USER, session_id=chunk[0].session_id + f"-{seed}")


def _results(memory: Memory) -> list[list[str]]:
    """The hits of every query (ids)."""
    return [[h.memory.id for h in memory.search(q, user_id=USER, limit=8)] for q in QUERIES]


def _same_results(a: Memory, b: Memory) -> None:
    """The same hits in the same order; scores equal but for a hair (retention decays with
    the clock between the two searches)."""
    for query in QUERIES:
        first = a.search(query, user_id=USER, limit=8)
        second = b.search(query, user_id=USER, limit=8)
        assert [h.memory.id for h in first] == [h.memory.id for h in second]
        assert [h.score for h in first] == pytest.approx([h.score for h in second], abs=1e-4)


def _same_index(a: ScopeIndex, b: ScopeIndex) -> None:
    """Everything a snapshot holds of two indexes is equal (the HNSW graphs aside: their
    layout depends on the order of inserts; their answers are compared by searches)."""
    found = []
    for index in (a, b):
        index.settle()  # the appended BM25 part merged, synonyms paired: as written
        arrays: dict[str, Any] = {}
        tags: dict[str, Any] = {}
        snapshot._encode(index, "", arrays, tags)
        found.append((tags, {k: v for k, v in arrays.items() if not k.startswith("dense._ann")}))
    (tags_a, arrays_a), (tags_b, arrays_b) = found
    assert {k: v for k, v in tags_a.items() if k != "dense._ann"} == {
        k: v for k, v in tags_b.items() if k != "dense._ann"
    }
    assert arrays_a.keys() == arrays_b.keys()
    differ = [
        k
        for k in arrays_a
        if not np.array_equal(arrays_a[k], arrays_b[k], equal_nan=arrays_a[k].dtype.kind == "f")
    ]
    assert differ == []


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "m.db"
    memory = _open(path)
    _fill(memory, 200)
    memory.close()  # writes the snapshot
    yield path


def _snapshot_of(db: Path) -> Path:
    files = list(Path(f"{db}.index").glob("*.snapshot"))
    assert len(files) == 1, files
    return files[0]


def test_restored_index_equals_the_index_built_from_the_store(db: Path) -> None:
    manifest = snapshot.read_manifest(_snapshot_of(db))
    assert manifest is not None and manifest["format"] == snapshot.FORMAT_VERSION
    with _both(db) as (restored, built):
        assert manifest["position"] == restored._store.feed_head(USER) > 0
        a, b = restored._registry.get(USER), built._registry.get(USER)
        assert len(a) == len(b) > 200
        _same_index(a, b)
        _same_results(restored, built)
    assert not list(Path(f"{db}.index").glob("*.tmp"))  # written by rename, nothing left over


def test_a_snapshot_catches_up_with_what_others_wrote_since(
    db: Path, caplog: pytest.LogCaptureFixture
) -> None:
    other = _open(db, index_snapshots=False)  # another process: writes, leaves the file as is
    _fill(other, 60, seed=7)
    hits = other.search(QUERIES[0], user_id=USER, limit=3)
    other.update(hits[0].memory.id, "Ana moved the piano lessons to Thursday", user_id=USER)
    other.delete(hits[1].memory.id, user_id=USER)
    head = other._store.feed_head(USER)
    other.close()
    stale = snapshot.read_manifest(_snapshot_of(db))
    assert stale is not None and stale["position"] < head

    with _both(db) as (restored, built):
        with caplog.at_level("DEBUG", logger="kenning.index.registry"):
            restored._registry.get(USER)
        assert "restored index of ana" in caplog.text
        # Applied one by one, the changes leave the deleted memory's place and number the
        # new entities and messages in another order than a load: the answers are the same.
        _same_results(restored, built)
        found = restored.search("piano lessons Thursday", user_id=USER, limit=3)
        assert "Ana moved the piano lessons to Thursday" in [h.memory.text for h in found]
        assert hits[1].memory.id not in {i for r in _results(restored) for i in r}


def test_a_hard_erase_deletes_the_snapshot_and_its_text_everywhere(db: Path) -> None:
    memory = _open(db)
    try:
        memory.add("My bank password is marzipanquokka", user_id=USER)
        memory.close()
        assert SECRET in _snapshot_of(db).read_bytes()  # the vocabulary holds it

        memory = _open(db)
        pin = next(
            m for m in memory.get_all(user_id=USER, limit=1000) if "marzipanquokka" in m.text
        )
        memory.forget(pin.id, user_id=USER, hard=True)
        assert not list(Path(f"{db}.index").glob("*.snapshot"))
        assert all(
            "marzipanquokka" not in h.memory.text
            for h in memory.search("bank password", user_id=USER)
        )
    finally:
        memory.close()
    assert SECRET not in _snapshot_of(db).read_bytes()


def test_an_erase_by_another_process_reaches_the_snapshot(db: Path) -> None:
    memory = _open(db)
    memory.add("My locker code is walrusgazpacho", user_id=USER)
    memory.close()
    eraser = _open(db, index_snapshots=False)  # cannot see the file: erases in the store only
    code = next(m for m in eraser.get_all(user_id=USER, limit=1000) if "walrusgazpacho" in m.text)
    eraser.forget(code.id, user_id=USER, hard=True)
    eraser.close()
    assert LOCKER in _snapshot_of(db).read_bytes()

    reader = _open(db)
    try:
        assert all(
            "walrusgazpacho" not in h.memory.text for h in reader.search("locker", user_id=USER)
        )
    finally:
        reader.close()
    # Catching up saw the erase: the old file is gone and the rebuilt one is clean.
    assert LOCKER not in _snapshot_of(db).read_bytes()


def test_a_snapshot_written_while_an_erase_commits_is_deleted(db: Path) -> None:
    memory = _open(db)
    try:
        registry = memory._registry
        loaded = registry._scopes.get(USER) or registry._load(USER)
        victim = memory.search(QUERIES[1], user_id=USER, limit=1)[0].memory
        # The erase commits after the index's position, before the file is written.
        eraser = _open(db, index_snapshots=False)
        eraser.forget(victim.id, user_id=USER, hard=True)
        eraser.close()
        registry._save(USER, loaded)
        assert not list(Path(f"{db}.index").glob("*.snapshot"))
    finally:
        memory.close()


@pytest.mark.parametrize(
    "change",
    [
        {"key_expansion": False},
        {"bm25_k1": 1.5},
    ],
)
def test_a_snapshot_made_with_other_options_is_rebuilt(db: Path, change: dict[str, Any]) -> None:
    with _both(db, **change) as (changed, built):
        _same_index(changed._registry.get(USER), built._registry.get(USER))
    manifest = snapshot.read_manifest(_snapshot_of(db))
    assert manifest is not None
    assert manifest["key_expansion"] == change.get("key_expansion", True)
    assert manifest["k1"] == change.get("bm25_k1", 1.2)


def test_another_model_or_database_is_not_restored(db: Path, tmp_path: Path) -> None:
    # A snapshot ahead of its database (a file from another copy of it) is not used.
    fresh = tmp_path / "fresh.db"
    memory = _open(fresh, index_dir=Path(f"{db}.index"))
    try:
        assert memory.search(QUERIES[0], user_id=USER).hits == []
    finally:
        memory.close()

    other_model = Memory(
        db,
        settings=Settings(db_path=db, embedding_cache_path=None, index_snapshot_min=0),
        embedder=HashEmbedder(dim=32),
    )
    try:
        assert other_model._registry.get(USER).dense.dim == 32
        assert other_model.search(QUERIES[0], user_id=USER).hits
    finally:
        other_model.close()
    assert snapshot.read_manifest(_snapshot_of(db))["dim"] == 32  # type: ignore[index]


def test_a_damaged_snapshot_is_rebuilt(db: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = _snapshot_of(db)
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with _both(db) as (memory, built):
        _same_results(memory, built)
    assert "unreadable" in caplog.text
    assert snapshot.read_manifest(path) is not None  # rewritten whole


def test_the_hnsw_graph_is_restored_not_rebuilt(tmp_path: Path) -> None:
    db = tmp_path / "m.db"
    memory = _open(db, search_path=SearchPath.TWO_STAGE)
    _fill(memory, 200)
    # Small scopes are searched exactly; ask for the graph as a large scope's search would.
    assert not memory._registry.get(USER).dense.has_graph()
    memory._registry.get(USER).dense.graph()
    memory.add("One more message, so that closing writes the snapshot", user_id=USER)
    first = _results(memory)
    memory.close()

    restored = _open(db, search_path=SearchPath.TWO_STAGE)
    try:
        dense = restored._registry.get(USER).dense
        assert dense.has_graph()  # came with the file
        assert _results(restored) == first
        vector = dense.row(5)
        assert 5 in dense.nearest(vector, 5).tolist()
    finally:
        restored.close()


def test_no_snapshot_below_the_minimum_or_in_memory(tmp_path: Path) -> None:
    small = _open(tmp_path / "small.db", index_snapshot_min=1000)
    _fill(small, 40)
    small.close()
    assert not list(Path(f"{tmp_path / 'small.db'}.index").glob("*.snapshot"))
    in_memory = _open(Path(":memory:"))
    assert in_memory._registry.snapshot_path(USER) is None
    in_memory.close()
    np.testing.assert_equal(len(list(tmp_path.glob("*.index"))), 0)


def test_a_snapshot_missing_an_attribute_of_this_version_is_rebuilt(
    db: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # A file written by a version whose index had no BM25 owner column.
    with monkeypatch.context() as older:
        older.setattr(ScopeIndex, "_TRANSIENT", ScopeIndex._TRANSIENT | {"_lexical_owner"})
        memory = _open(db)
        memory.add("One more message, so that closing writes the snapshot", user_id=USER)
        memory.close()
    caplog.clear()
    with _both(db) as (restored, built):
        _same_results(restored, built)
    assert "does not fit this version" in caplog.text and "_lexical_owner" in caplog.text


def test_closing_rewrites_the_snapshot_only_after_memories_changed(db: Path) -> None:
    written = snapshot.read_manifest(_snapshot_of(db))
    assert written is not None
    reader = _open(db)
    assert reader.search(QUERIES[0], user_id=USER).hits  # access statistics change
    reader.close()
    after_search = snapshot.read_manifest(_snapshot_of(db))
    assert after_search is not None and after_search["position"] == written["position"]
    probe = _open(db, index_snapshots=False)
    assert probe._store.feed_head(USER) > written["position"]  # the feed moved on, not the file
    probe.close()

    writer = _open(db)
    writer.add("Ana bought a red kayak", user_id=USER)
    head = writer._store.feed_head(USER)
    writer.close()
    after_add = snapshot.read_manifest(_snapshot_of(db))
    assert after_add is not None and after_add["position"] == head > written["position"]


def test_a_scope_with_passages_searched_before_closing_is_restored(tmp_path: Path) -> None:
    # Long messages carry passage keys (several dense rows each); a search before closing
    # fills the index's caches of them, which a snapshot must not write.
    path = tmp_path / "p.db"
    memory = _open(path)
    _fill(memory, 60)
    long = " ".join(f"word{i} about the garden and the river" for i in range(12))
    memory.add([{"role": "user", "content": f"{long} marzipan recipe"}], user_id=USER)
    assert memory.search("marzipan recipe", user_id=USER, limit=3).hits
    memory.close()
    _snapshot_of(path)
    with _both(path) as (restored, built):
        a, b = restored._registry.get(USER), built._registry.get(USER)
        assert a._more_rows and a._more_rows.keys() == b._more_rows.keys()
        _same_index(a, b)
        _same_results(restored, built)
