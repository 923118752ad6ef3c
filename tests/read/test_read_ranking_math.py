"""PageRank, granularity lifts, peakedness and MMR as pure functions, against exact answers."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kenning.index.sparse import Triplets, group_max
from kenning.read.diversity import mmr
from kenning.read.granularity import lift, peakedness
from kenning.read.pagerank import personalized_pagerank


def _closed_form(adjacency: np.ndarray, reset: np.ndarray, damping: float) -> np.ndarray:
    """PPR by a linear solve, ``p = (1 - d) (I - d P)^-1 r`` with dead ends restarting at r."""
    n = len(adjacency)
    r = reset / reset.sum()
    out = adjacency.sum(axis=1)
    transition = np.zeros((n, n))
    for j in range(n):
        transition[:, j] = adjacency[j] / out[j] if out[j] > 0 else r
    return (1 - damping) * np.linalg.solve(np.eye(n) - damping * transition, r)


def test_pagerank_matches_the_closed_form_on_a_small_graph() -> None:
    a = np.array(
        [
            [0, 1, 1, 0, 0],
            [1, 0, 0, 1, 0],
            [1, 0, 0, 1, 0],
            [0, 1, 1, 0, 2],
            [0, 0, 0, 2, 0],
        ],
        dtype=float,
    )
    reset = np.array([1.0, 0, 0, 0, 0])
    got = personalized_pagerank(Triplets.from_dense(a), reset, damping=0.5, tol=1e-12)
    np.testing.assert_allclose(got, _closed_form(a, reset, 0.5), atol=1e-9)
    assert got.sum() == pytest.approx(1.0)
    assert got[0] == got.max()  # the seed keeps the most mass
    assert got[1] == pytest.approx(got[2])  # symmetric neighbours of the seed


def test_pagerank_with_a_dead_end_still_sums_to_one() -> None:
    a = np.array([[0, 1, 0], [0, 0, 1], [0, 0, 0]], dtype=float)  # node 2 has no way out
    reset = np.array([0.5, 0.5, 0.0])
    got = personalized_pagerank(Triplets.from_dense(a), reset, damping=0.85, tol=1e-13)
    np.testing.assert_allclose(got, _closed_form(a, reset, 0.85), atol=1e-9)
    assert got.sum() == pytest.approx(1.0)


@settings(max_examples=40, deadline=None)
@given(
    st.integers(min_value=2, max_value=8).flatmap(
        lambda n: st.tuples(
            st.lists(st.floats(0, 3), min_size=n * n, max_size=n * n),
            st.lists(st.floats(0, 1), min_size=n, max_size=n).filter(lambda r: sum(r) > 0.01),
            st.floats(0.05, 0.9),
        )
    )
)
def test_pagerank_matches_the_closed_form_on_random_graphs(
    case: tuple[list[float], list[float], float],
) -> None:
    weights, reset, damping = case
    n = len(reset)
    a = np.asarray(weights).reshape(n, n)
    got = personalized_pagerank(
        Triplets.from_dense(a), np.asarray(reset), damping=damping, tol=1e-13, max_iter=5000
    )
    np.testing.assert_allclose(got, _closed_form(a, np.asarray(reset), damping), atol=1e-7)


def test_pagerank_rejects_bad_input() -> None:
    a = Triplets.from_dense(np.ones((2, 2)))
    with pytest.raises(ValueError, match="damping"):
        personalized_pagerank(a, np.ones(2), damping=1.0)
    with pytest.raises(ValueError, match="reset"):
        personalized_pagerank(a, np.zeros(2))
    with pytest.raises(ValueError, match="reset"):
        personalized_pagerank(a, np.ones(3))


def test_lift_gives_each_memory_the_best_score_of_the_level_sharing_a_message() -> None:
    # memories: t0, t1, t2 (turns of messages 0, 1, 2); r01, r12 (rounds); s (session)
    incidence = Triplets.from_dense(
        np.array(
            [
                [1, 0, 0],
                [0, 1, 0],
                [0, 0, 1],
                [1, 1, 0],
                [0, 1, 1],
                [1, 1, 1],
            ],
            dtype=float,
        )
    )
    inf = -np.inf
    rounds = np.array([inf, inf, inf, 0.2, 0.9, inf])
    got = lift(incidence, rounds)
    np.testing.assert_allclose(got, [0.2, 0.9, 0.9, 0.9, 0.9, 0.9])
    turns = np.array([0.0, 0.5, 0.1, inf, inf, inf])
    np.testing.assert_allclose(lift(incidence, turns), [0.0, 0.5, 0.1, 0.5, 0.5, 0.5])
    nothing = lift(incidence, np.full(6, -np.inf))
    assert np.isneginf(nothing).all()


def test_peakedness_is_high_for_one_standout_and_low_for_a_flat_top() -> None:
    standout = peakedness(np.array([0.95, 0.1, 0.1, 0.1, 0.1, -np.inf]))
    flat = peakedness(np.array([0.5, 0.5, 0.5, 0.5, 0.5]))
    assert standout > 0.8
    assert flat == pytest.approx(0.0, abs=1e-9)
    assert peakedness(np.array([0.3])) == 1.0
    assert peakedness(np.array([-np.inf])) == 0.0


def test_mmr_skips_a_near_duplicate_of_what_it_already_picked() -> None:
    vectors = np.array([[1, 0], [0.999, 0.0447], [0, 1]], dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    relevance = np.array([1.0, 0.95, 0.6])
    assert mmr(relevance, vectors, 2, lambda_=0.5) == [0, 2]
    assert mmr(relevance, vectors, 2, lambda_=1.0) == [0, 1]  # relevance only
    # Relevance is rescaled to [0, 1]: at lambda 0.7 the duplicate still beats the weakest hit.
    assert mmr(relevance, vectors, 5) == [0, 1, 2]
    assert mmr(np.array([]), np.zeros((0, 2), dtype=np.float32), 3) == []


@settings(max_examples=60, deadline=None)
@given(
    st.integers(min_value=1, max_value=6).flatmap(
        lambda n: st.tuples(
            st.lists(st.sampled_from([0.0, 0.0, 1.0, 2.5, -1.5]), min_size=n * 4, max_size=n * 4),
            st.lists(st.floats(-2, 2), min_size=4, max_size=4),
            st.lists(st.floats(-2, 2), min_size=n, max_size=n),
        )
    )
)
def test_triplet_products_match_dense_algebra(
    case: tuple[list[float], list[float], list[float]],
) -> None:
    values, x, y = case
    dense = np.asarray(values).reshape(-1, 4)
    m = Triplets.from_dense(dense)
    np.testing.assert_allclose(m.to_dense(), dense)
    np.testing.assert_allclose(m.matvec(x), dense @ np.asarray(x), atol=1e-12)
    np.testing.assert_allclose(m.rmatvec(y), dense.T @ np.asarray(y), atol=1e-12)
    np.testing.assert_allclose(m.row_sums(), dense.sum(axis=1), atol=1e-12)
    np.testing.assert_allclose(m.col_sums(), dense.sum(axis=0), atol=1e-12)
    np.testing.assert_allclose(m.keep(m.values > 0).to_dense(), np.where(dense > 0, dense, 0))
    if dense.shape[0] == 4:
        np.testing.assert_allclose(m.symmetric().to_dense(), dense + dense.T)
        np.testing.assert_allclose(m.plus(m).to_dense(), 2 * dense)


def test_group_max_takes_each_groups_largest_value() -> None:
    groups = np.array([2, 0, 2, 2, 0], dtype=np.int64)
    values = np.array([0.5, -1.0, 3.0, 1.0, -2.0])
    np.testing.assert_allclose(group_max(groups, values, 4, empty=-9.0), [-1.0, -9.0, 3.0, -9.0])
    with pytest.raises(ValueError, match="shapes differ"):
        Triplets((2, 2)).plus(Triplets((3, 3)))
