"""Score fusion (``kenning.read.fusion``) on hand-made arrays."""

from __future__ import annotations

import math

import numpy as np
import pytest

from kenning.read.fusion import FusionMethod, fuse, minmax, ranks, ranks_at, rrf, zscore

INF, NAN = math.inf, math.nan


def arr(*values: float) -> np.ndarray:
    return np.asarray(values, dtype=np.float64)


def test_ranks_best_first_ties_by_position_and_nan_without_score() -> None:
    np.testing.assert_array_equal(ranks(arr(3, 1, NAN, 3, -INF, 2)), [1, 4, NAN, 2, NAN, 3])
    np.testing.assert_array_equal(ranks(arr()), [])
    np.testing.assert_array_equal(ranks(arr(-INF, NAN)), [NAN, NAN])
    np.testing.assert_array_equal(ranks(arr(-5, -1)), [2, 1])


def test_rrf_is_one_over_k_plus_rank() -> None:
    np.testing.assert_allclose(rrf(arr(0.2, 0.9, -INF)), [1 / 62, 1 / 61, 0.0])
    np.testing.assert_allclose(rrf(arr(0.2, 0.9), k=1.0), [1 / 3, 1 / 2])


def test_minmax_scales_to_the_unit_interval() -> None:
    np.testing.assert_allclose(minmax(arr(2, 4, 6, -INF, NAN)), [0, 0.5, 1, 0, 0])
    np.testing.assert_allclose(minmax(arr(-3, -1)), [0, 1])


@pytest.mark.parametrize(
    ("scores", "expected"),
    [
        (arr(0.7, 0.7, -INF), [1, 1, 0]),  # all equal and positive: full marks
        (arr(0.0, 0.0), [0, 0]),  # all equal and not positive: nothing
        (arr(-2.0), [0]),
        (arr(-INF, NAN), [0, 0]),  # no scores at all
        (arr(), []),
    ],
)
def test_minmax_degenerate_cases(scores: np.ndarray, expected: list[float]) -> None:
    np.testing.assert_allclose(minmax(scores), expected)


def test_zscore_standardises_and_floors_missing_scores() -> None:
    z = zscore(arr(1, 2, 3, -INF))
    s = math.sqrt(2 / 3)  # population standard deviation of 1, 2, 3
    np.testing.assert_allclose(z, [-1 / s, 0, 1 / s, -1 / s])
    finite = z[:3]
    assert finite.mean() == pytest.approx(0, abs=1e-12)
    assert finite.std() == pytest.approx(1)


@pytest.mark.parametrize(
    ("scores", "expected"),
    [
        (arr(5.0, -INF), [0, 0]),  # fewer than two scores: no spread to measure
        (arr(4.0, 4.0, NAN), [0, 0, 0]),  # zero spread
        (arr(), []),
    ],
)
def test_zscore_degenerate_cases(scores: np.ndarray, expected: list[float]) -> None:
    np.testing.assert_allclose(zscore(scores), expected)


@pytest.mark.parametrize("method", list(FusionMethod))
def test_fuse_is_a_weighted_sum_of_normalised_signals(method: FusionMethod) -> None:
    dense, bm25 = arr(0.9, 0.1, 0.5), arr(-INF, 3.0, 1.0)
    normalise = {FusionMethod.RRF: rrf, FusionMethod.MINMAX: minmax, FusionMethod.ZSCORE: zscore}
    total, parts = fuse({"dense": dense, "bm25": bm25}, {"dense": 0.3, "bm25": 0.7}, method)
    np.testing.assert_allclose(parts["dense"], 0.3 * normalise[method](dense))
    np.testing.assert_allclose(parts["bm25"], 0.7 * normalise[method](bm25))
    np.testing.assert_allclose(total, parts["dense"] + parts["bm25"])


def test_fuse_minmax_hand_computed() -> None:
    total, parts = fuse(
        {"dense": arr(0.9, 0.1, 0.5), "bm25": arr(-INF, 3.0, 1.0)},
        {"dense": 0.5, "bm25": 0.5},
        FusionMethod.MINMAX,
    )
    np.testing.assert_allclose(parts["dense"], [0.5, 0.0, 0.25])
    np.testing.assert_allclose(parts["bm25"], [0.0, 0.5, 0.0])
    np.testing.assert_allclose(total, [0.5, 0.5, 0.25])


def test_fuse_rrf_hand_computed() -> None:
    total, _ = fuse(
        {"a": arr(0.9, 0.1), "b": arr(0.2, 0.8)}, {"a": 1.0, "b": 1.0}, FusionMethod.RRF
    )
    np.testing.assert_allclose(total, [1 / 61 + 1 / 62, 1 / 62 + 1 / 61])


def test_fuse_signal_without_weight_contributes_nothing() -> None:
    total, parts = fuse({"a": arr(1, 2), "extra": arr(5, 0)}, {"a": 1.0}, FusionMethod.MINMAX)
    np.testing.assert_allclose(parts["extra"], [0, 0])
    np.testing.assert_allclose(total, [0, 1])


def test_fuse_needs_a_signal() -> None:
    with pytest.raises(ValueError):
        fuse({}, {"dense": 1.0}, FusionMethod.MINMAX)


def test_fusion_methods_are_named_values() -> None:
    assert {m.value for m in FusionMethod} == {"rrf", "minmax", "zscore"}
    assert FusionMethod("rrf") is FusionMethod.RRF


@pytest.mark.parametrize("seed", range(5))
def test_ranks_at_some_candidates_are_their_ranks_among_all(seed: int) -> None:
    rng = np.random.default_rng(seed)
    scores = rng.integers(0, 6, size=300).astype(np.float64)  # many ties
    scores[rng.choice(300, 30, replace=False)] = np.nan
    scores[rng.choice(300, 10, replace=False)] = -np.inf
    at = rng.choice(300, 25, replace=False)
    np.testing.assert_array_equal(ranks_at(scores, at), ranks(scores)[at])
