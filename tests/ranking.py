"""Comparing two search results of the same call made at two moments."""

from __future__ import annotations

import pytest

from kenning import SearchResult


def assert_same_ranking(got: SearchResult, expected: SearchResult) -> None:
    """Equal results, but for the retention factor's clock: how long ago, at each call, the
    memories were stored or recalled (a nanosecond's difference in its factor)."""
    assert got.query == expected.query
    assert [h.memory for h in got.hits] == [h.memory for h in expected.hits]
    for mine, theirs in zip(got.hits, expected.hits, strict=True):
        assert mine.score == pytest.approx(theirs.score, abs=1e-6)
        assert mine.signals.keys() == theirs.signals.keys()
        for name, signal in mine.signals.items():
            other = theirs.signals[name]
            assert signal.rank == other.rank
            assert signal.raw == pytest.approx(other.raw, abs=1e-6)
            assert signal.contribution == pytest.approx(other.contribution, abs=1e-6)
