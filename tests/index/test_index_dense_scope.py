"""``DenseIndex`` growth and clearing; ``ScopeIndex`` eligibility masks and per-memory scores."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from kenning.index import DenseIndex, ScopeIndex
from kenning.index.scope import Eligibility
from kenning.models import MemoryItem, MemoryKind, MemoryStatus
from kenning.testing import HashEmbedder

T0 = datetime(2024, 1, 1, tzinfo=UTC)
DAY = timedelta(days=1)


def unit(*values: float) -> np.ndarray:
    v = np.asarray(values, dtype=np.float32)
    return v / np.linalg.norm(v)


# -- DenseIndex ---------------------------------------------------------------------


def test_dense_index_grows_past_its_capacity() -> None:
    dense = DenseIndex(3, capacity=2)
    rows = np.eye(3, dtype=np.float32)
    assert list(dense.add(rows[:1])) == [0]
    assert list(dense.add(rows[1:])) == [1, 2]
    assert list(dense.add(np.stack([unit(1, 1, 0)] * 4))) == [3, 4, 5, 6]
    assert len(dense) == 7
    scores = dense.scores(unit(1, 0, 0))
    assert scores.shape == (7,)
    # Rows are stored as float16: 1/sqrt(2) to about 3 significant digits.
    np.testing.assert_allclose(scores, [1, 0, 0] + [1 / np.sqrt(2)] * 4, rtol=1e-3)
    assert dense.row(0).dtype == np.float32


def test_dense_index_accepts_a_single_vector() -> None:
    dense = DenseIndex(2)
    assert list(dense.add(unit(0, 1))) == [0]
    np.testing.assert_allclose(dense.scores(unit(0, 1)), [1.0])


def test_dense_clear_zeroes_a_row_without_reusing_it() -> None:
    dense = DenseIndex(2, capacity=1)
    dense.add(np.stack([unit(1, 0), unit(0, 1), unit(1, 1)]))
    dense.clear(0)
    np.testing.assert_allclose(dense.scores(unit(1, 0)), [0.0, 0.0, 1 / np.sqrt(2)], atol=1e-3)
    assert list(dense.add(unit(1, 0))) == [3]
    assert len(dense) == 4


def test_empty_dense_index_scores_nothing() -> None:
    assert DenseIndex(4).scores(unit(1, 0, 0, 0)).shape == (0,)


# -- ScopeIndex ---------------------------------------------------------------------


def item(
    name: str,
    *,
    kind: MemoryKind = MemoryKind.TURN,
    status: MemoryStatus = MemoryStatus.ACTIVE,
    session: str | None = "s1",
    agent: str | None = None,
    event: datetime | None = T0,
    valid_from: datetime | None = None,
    valid_to: datetime | None = None,
) -> MemoryItem:
    return MemoryItem(
        id=name,
        user_id="u",
        kind=kind,
        text=name.replace("_", " "),
        created_at=T0,
        updated_at=T0,
        session_id=session,
        agent_id=agent,
        status=status,
        event_time=event,
        valid_from=valid_from,
        valid_to=valid_to,
    )


ITEMS = [
    item("turn_jan", event=T0),
    item("turn_feb", event=T0 + 31 * DAY, session="s2", agent="bot"),
    item("round_mar", kind=MemoryKind.ROUND, event=T0 + 60 * DAY),
    item(
        "fact_valid_feb_to_apr",
        kind=MemoryKind.FACT,
        valid_from=T0 + 31 * DAY,
        valid_to=T0 + 91 * DAY,
    ),
    item("archived_note", kind=MemoryKind.NOTE, status=MemoryStatus.ARCHIVED),
    item("timeless_doc", kind=MemoryKind.DOCUMENT, event=None, session=None),
]


@pytest.fixture
def scope() -> ScopeIndex:
    embedder = HashEmbedder(dim=64)
    index = ScopeIndex(64)
    for memory in ITEMS:
        index.upsert(memory, [memory.text], embedder.embed([memory.text]))
    return index


def eligible(scope: ScopeIndex, **conditions: object) -> set[str]:
    mask = scope.eligible(Eligibility(**conditions))  # type: ignore[arg-type]
    assert mask.dtype == np.bool_ and mask.shape == (len(scope),)
    return {scope.ids[i] for i in np.flatnonzero(mask)}


ACTIVE = {"turn_jan", "turn_feb", "round_mar", "fact_valid_feb_to_apr", "timeless_doc"}


@pytest.mark.parametrize(
    ("conditions", "expected"),
    [
        ({}, ACTIVE),
        ({"statuses": (MemoryStatus.ARCHIVED,)}, {"archived_note"}),
        ({"statuses": tuple(MemoryStatus)}, ACTIVE | {"archived_note"}),
        ({"kinds": (MemoryKind.TURN,)}, {"turn_jan", "turn_feb"}),
        ({"kinds": (MemoryKind.ROUND, MemoryKind.DOCUMENT)}, {"round_mar", "timeless_doc"}),
        ({"kinds": ()}, set()),
        ({"session_id": "s2"}, {"turn_feb"}),
        ({"agent_id": "bot"}, {"turn_feb"}),
        ({"session_id": "s1", "kinds": (MemoryKind.TURN,)}, {"turn_jan"}),
        # start/end bound the event time; memories without one never match a bound.
        ({"start": T0 + 31 * DAY}, {"turn_feb", "round_mar"}),
        ({"end": T0 + 31 * DAY}, {"turn_jan", "fact_valid_feb_to_apr"}),
        ({"start": T0 + DAY, "end": T0 + 60 * DAY}, {"turn_feb"}),
        # as_of: begun (valid_from, else event time) and not yet ended (valid_to).
        ({"as_of": T0 - DAY}, {"timeless_doc"}),
        ({"as_of": T0}, {"turn_jan", "timeless_doc"}),
        (
            {"as_of": T0 + 45 * DAY},
            {"turn_jan", "turn_feb", "fact_valid_feb_to_apr", "timeless_doc"},
        ),
        ({"as_of": T0 + 91 * DAY}, ACTIVE - {"fact_valid_feb_to_apr"}),  # valid_to is exclusive
    ],
)
def test_eligibility_masks(
    scope: ScopeIndex, conditions: dict[str, object], expected: set[str]
) -> None:
    assert eligible(scope, **conditions) == expected


def test_removed_memory_is_never_eligible_nor_scored(scope: ScopeIndex) -> None:
    scope.remove("turn_jan")
    scope.remove("not-indexed")  # unknown ids are ignored
    assert "turn_jan" not in eligible(scope, statuses=tuple(MemoryStatus))
    position = scope.position["turn_jan"]
    assert scope.lexical_scores("turn jan")[position] == -np.inf
    assert scope.dense_scores(HashEmbedder(dim=64).embed(["turn jan"])[0])[position] == -np.inf


def test_update_item_refreshes_filter_columns(scope: ScopeIndex) -> None:
    moved = item("turn_jan", status=MemoryStatus.SUPERSEDED, session="s9", event=T0 + 200 * DAY)
    scope.update_item(moved)
    assert "turn_jan" not in eligible(scope)
    assert eligible(scope, statuses=(MemoryStatus.SUPERSEDED,), session_id="s9") == {"turn_jan"}
    assert "turn_jan" in eligible(scope, statuses=tuple(MemoryStatus), start=T0 + 100 * DAY)


def test_upsert_replaces_keys_and_scores_take_the_best_key(scope: ScopeIndex) -> None:
    embedder = HashEmbedder(dim=64)
    position = scope.position["turn_jan"]
    assert scope.lexical_scores("jan")[position] > 0
    keys = ["violin lessons", "music school"]
    scope.upsert(item("turn_jan"), keys, embedder.embed(keys))
    assert len(scope) == len(ITEMS)  # same memory, same position
    assert scope.position["turn_jan"] == position
    assert scope.lexical_scores("jan")[position] == 0.0  # old key gone; the new keys do not match
    lexical = scope.lexical_scores("violin school")
    assert lexical[position] > 0
    dense = scope.dense_scores(embedder.embed(["music school"])[0])
    assert dense[position] == pytest.approx(1.0, abs=1e-3)  # the best of its two keys (float16)
    assert np.isfinite(dense).all()


def test_upsert_requires_one_vector_per_key(scope: ScopeIndex) -> None:
    with pytest.raises(ValueError):
        scope.upsert(item("x"), ["a", "b"], HashEmbedder(dim=64).embed(["a"]))


def test_scope_grows_past_its_initial_columns() -> None:
    embedder = HashEmbedder(dim=16)
    index = ScopeIndex(16)
    for i in range(150):
        memory = item(f"m{i}", session=f"s{i % 3}", event=T0 + i * DAY)
        index.upsert(memory, [memory.text], embedder.embed([memory.text]))
    assert len(index) == 150
    assert len(eligible(index, session_id="s0")) == 50
    assert eligible(index, start=T0 + 149 * DAY) == {"m149"}
