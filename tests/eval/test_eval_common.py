"""Shared harness helpers: percentiles, hit-to-id mapping, version stamp."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from kenning.errors import ValidationError
from kenning.eval._common import (
    UNMAPPED_PREFIX,
    check_ks,
    metadata_key,
    percentile,
    ranked_ids,
    read_json,
    stamp,
)
from kenning.models import Hit, MemoryItem, MemoryKind

NOW = datetime(2024, 1, 1, tzinfo=UTC)


def _hit(memory_id: str, metadata: dict[str, object]) -> Hit:
    item = MemoryItem(
        id=memory_id,
        user_id="u",
        kind=MemoryKind.TURN,
        text="t",
        created_at=NOW,
        updated_at=NOW,
        metadata=metadata,
    )
    return Hit(memory=item, score=1.0, signals={})


def test_percentile_matches_numpy_linear() -> None:
    values = [5.0, 1.0, 4.0, 2.0, 3.0, 10.0]
    for q in (0, 5, 50, 95, 100):
        assert percentile(values, q) == pytest.approx(float(np.percentile(values, q)))
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5
    assert percentile([], 50) is None
    with pytest.raises(ValidationError):
        percentile([1.0], 101)


def test_ranked_ids_dedupes_and_keeps_unmapped_ranks() -> None:
    hits = [
        _hit("m1", {"dia_id": "D1:1"}),
        _hit("m2", {}),
        _hit("m3", {"dia_id": "D1:1"}),
        _hit("m4", {"dia_id": 7}),
    ]
    ranked = ranked_ids(hits, metadata_key("dia_id"))
    assert ranked == ["D1:1", f"{UNMAPPED_PREFIX}m2", "7"]


def test_check_ks() -> None:
    assert check_ks([10, 1, 5, 5]) == (1, 5, 10)
    with pytest.raises(ValidationError):
        check_ks([])
    with pytest.raises(ValidationError):
        check_ks([0, 1])


def test_stamp_has_version_and_revision_keys() -> None:
    result = stamp()
    assert set(result) == {"kenning_version", "git_revision"}
    assert isinstance(result["kenning_version"], str) and result["kenning_version"]


def test_read_json_errors(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError):
        read_json(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(ValidationError):
        read_json(bad)
