"""Two-stage search against the exact path on one generated scope (real SQLite file).

The two paths read the same store; two-stage scores only the candidates (nearest
neighbours, BM25 postings, entity mentions, time, feedback, and their relatives), so its
ranking must stay close to the exact one, honour every filter, and see new writes.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError as PydanticValidationError

from kenning import Memory, Settings
from kenning.bench.corpus import chat_messages, queries
from kenning.bench.run import as_dicts
from kenning.config import SearchPath
from kenning.index import ann
from kenning.index import scope as scope_module
from kenning.testing import HashEmbedder

USER = "ana"


@pytest.fixture(scope="module")
def scope_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("two-stage") / "scope.db"
    memory = _open(db, SearchPath.EXACT)
    messages = list(chat_messages(1200, seed=11))
    for start in range(0, len(messages), 20):
        batch = messages[start : start + 20]
        memory.add(as_dicts(batch), user_id=USER, session_id=batch[0].session_id)
    memory.close()
    return db


def _open(db: Path, path: SearchPath) -> Memory:
    settings = Settings(db_path=db, embedding_cache_path=None, search_path=path)
    return Memory(db, settings=settings, embedder=HashEmbedder(384))


@pytest.fixture
def both(scope_db: Path) -> Iterator[tuple[Memory, Memory]]:
    exact, two = _open(scope_db, SearchPath.EXACT), _open(scope_db, SearchPath.TWO_STAGE)
    yield exact, two
    exact.close()
    two.close()


def _ids(memory: Memory, query: str, **filters: object) -> list[str]:
    # A fixed "now" and no access recording differences: both read the same store.
    hits = memory.search(query, user_id=USER, limit=10, now="2021-06-01", **filters)  # type: ignore[arg-type]
    return [h.memory.id for h in hits.hits]


@pytest.mark.parametrize("graph", [False, True], ids=["exact-neighbours", "hnsw-neighbours"])
def test_two_stage_ranks_like_the_exact_path(
    both: tuple[Memory, Memory], graph: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # This scope is small enough that nearest neighbours are found exactly; the second case
    # lowers that bound so the HNSW graph supplies them, as in a large scope.
    if graph:
        monkeypatch.setattr(scope_module, "_EXACT_DENSE", 100)
        monkeypatch.setattr(ann, "_ADD_THREADS", 1)  # the same graph on every run
    exact, two = both
    overlap, first = [], []
    for query in queries(40, seed=12):
        a, b = _ids(exact, query), _ids(two, query)
        overlap.append(len(set(a) & set(b)) / max(len(a), 1))
        first.append(a[:1] == b[:1])
    assert float(np.mean(overlap)) >= 0.9
    assert float(np.mean(first)) >= 0.9


def test_two_stage_honours_filters(both: tuple[Memory, Memory]) -> None:
    exact, two = both
    for query in queries(10, seed=13):
        in_session = two.search(query, user_id=USER, session_id="s000007", limit=10)
        assert in_session.hits, query
        assert {h.memory.session_id for h in in_session.hits} == {"s000007"}
        # The session is small: its memories are scored exactly, but the fusion's scales
        # come from the pool, so the order may differ a little, never the membership.
        same = exact.search(query, user_id=USER, session_id="s000007", limit=10).hits
        shared = {h.memory.id for h in same} & {h.memory.id for h in in_session.hits}
        assert len(shared) >= 0.8 * len(same)
        facts = two.search(query, user_id=USER, kinds="fact", limit=5)
        assert facts.hits and {h.memory.kind.value for h in facts.hits} == {"fact"}


def test_two_stage_sees_a_new_message_at_once(scope_db: Path, tmp_path: Path) -> None:
    db = tmp_path / "copy.db"
    with sqlite3.connect(scope_db) as source, sqlite3.connect(db) as target:
        source.backup(target)
    two = _open(db, SearchPath.TWO_STAGE)
    try:
        assert two.describe()["search_path"]["path"] == "two_stage"  # stamped into eval results
        two.search("warm the index", user_id=USER)
        text = "Quorvex the axolotl moved into the Brindlewood aquarium on Tuesday."
        two.add(
            [{"role": "user", "name": "Ana", "content": text}],
            user_id=USER,
            session_id="new",
            timestamp=datetime(2030, 1, 1, tzinfo=UTC),
        )
        hits = two.search("Where did Quorvex the axolotl move?", user_id=USER, limit=3).hits
        assert any("Quorvex" in h.memory.text for h in hits)
    finally:
        two.close()


def test_search_path_setting_is_validated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KENNING_SEARCH_PATH", "sometimes")
    with pytest.raises(PydanticValidationError, match="search_path"):
        Settings()
