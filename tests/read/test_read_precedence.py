"""The precedence rules over fused scores (kenning.read.precedence), as pure functions, and
the agreement guarantee through the public API on real chats with the default model."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from kenning import Memory, Settings
from kenning.embed import OnnxEmbedder
from kenning.read.precedence import agreement_guard, newest_competitor

INF = np.inf


def _arrays(*rows: list[float]) -> list[np.ndarray]:
    return [np.asarray(r, dtype=np.float64) for r in rows]


def test_a_memory_first_on_dense_and_bm25_is_lifted_above_a_reordered_rival() -> None:
    dense, bm25 = _arrays([0.9, 0.7, 0.2], [3.0, 1.0, -INF])
    contributions = {
        "dense": np.array([0.30, 0.20, 0.05]),
        "bm25": np.array([0.20, 0.05, 0.00]),
        "entities": np.array([0.00, 0.40, 0.10]),  # feedback lifts the second one
    }
    fused = sum(contributions.values())
    assert fused[1] > fused[0]
    adjustment = agreement_guard(dense, lambda: bm25, contributions, fused)
    assert adjustment is not None
    raw, added = adjustment
    assert fused[0] > fused[1] > fused[2]  # first again, the others in their order
    assert raw.tolist() == [1.0, 0.0, 0.0]
    # lifted a clear margin (0.1%) above the rival: 0.65 * 1.001 - 0.5
    assert added[0] == pytest.approx(0.15065, abs=1e-6) and added[1:].tolist() == [0.0, 0.0]


def test_without_any_lexical_match_the_dense_first_stands_alone() -> None:
    # "what is Ana's diet?": no memory holds "diet", the names aside; the lexical search has
    # no opinion, and the memory closest in meaning is not buried by feedback about names.
    dense, bm25 = _arrays([0.9, 0.5], [-INF, -INF])
    contributions = {"dense": np.array([0.30, 0.10]), "entities": np.array([0.0, 0.35])}
    fused = sum(contributions.values())
    assert agreement_guard(dense, lambda: bm25, contributions, fused) is not None
    assert fused[0] > fused[1]


def test_a_rival_with_a_reason_of_its_own_keeps_its_place() -> None:
    dense, bm25 = _arrays([0.9, 0.7], [3.0, 1.0])
    contributions = {
        "dense": np.array([0.30, 0.20]),
        "bm25": np.array([0.20, 0.05]),
        "time": np.array([0.00, 0.40]),  # the query names a time only the rival is in
    }
    fused = sum(contributions.values())
    before = fused.copy()
    assert agreement_guard(dense, lambda: bm25, contributions, fused) is None
    assert fused.tolist() == before.tolist()


def test_no_guard_when_dense_and_bm25_disagree_on_the_first() -> None:
    dense, bm25 = _arrays([0.9, 0.7], [1.0, 3.0])
    contributions = {"dense": np.array([0.3, 0.2]), "graph": np.array([0.0, 0.5])}
    fused = sum(contributions.values())
    assert agreement_guard(dense, lambda: bm25, contributions, fused) is None


def _unit(*vectors: list[float]) -> np.ndarray:
    out = np.asarray(vectors, dtype=np.float32)
    return out / np.linalg.norm(out, axis=1, keepdims=True)


def test_the_newer_of_two_competing_statements_ranks_first() -> None:
    # places 0..2 of the candidates: an old statement, its newer rival, unrelated chit-chat
    vectors = _unit([1, 0.2, 0], [1, 0, 0.3], [0, 0, 1])
    times = np.array([100.0, 200.0, 300.0])
    scores = np.array([0.9, 0.7, 0.8])
    window = np.array([0, 2, 1])  # best first
    adjustment = newest_competitor(
        vectors[[0, 2, 1]], times[[0, 2, 1]], scores, window, similarity=0.5, ratio=0.6
    )
    assert adjustment is not None
    raw, taken = adjustment
    assert scores[0] < scores[1]  # the old one now below its newer rival
    assert scores[1] == 0.7 and scores[2] == 0.8  # the others untouched (chit-chat is newest)
    assert raw.tolist() == [1.0, 0.0, 0.0] and taken[0] < 0


@pytest.mark.parametrize(
    ("similarity", "ratio", "newer_score"),
    [(0.99, 0.6, 0.7), (0.5, 0.9, 0.7), (0.5, 0.6, 0.3)],
    ids=["not similar enough", "newer scores below the ratio", "newer is a poor answer"],
)
def test_statements_that_do_not_compete_keep_their_order(
    similarity: float, ratio: float, newer_score: float
) -> None:
    vectors = _unit([1, 0.2, 0], [1, 0, 0.3])
    scores = np.array([0.9, newer_score])
    window = np.array([0, 1])
    result = newest_competitor(
        vectors, np.array([100.0, 200.0]), scores, window, similarity=similarity, ratio=ratio
    )
    assert result is None and scores.tolist() == [0.9, newer_score]


def test_caps_do_not_chain_into_new_competitors() -> None:
    # A (oldest, 1.0) competes with B (0.7); C (0.45, newest) is close to A but scores below
    # 0.6 of it, and is unlike B: once A is capped to 0.7, C must not start to count.
    vectors = _unit([1, 0, 0], [1, 1, 0], [1, -1, 0])
    times = np.array([1.0, 2.0, 3.0])
    scores = np.array([1.0, 0.7, 0.45])
    newest_competitor(vectors, times, scores, np.array([0, 1, 2]), similarity=0.5, ratio=0.6)
    assert scores[1] > scores[0] > scores[2]


# -- through the public API --------------------------------------------------------------

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lifecycle"))
from stories import LIFE_CHANGES  # noqa: E402

_REASONS = ("time", "when", "speaker", "recent", "fact")


@pytest.mark.slow
def test_no_query_pushes_down_a_memory_first_on_dense_and_bm25_without_a_reason(
    tmp_path: Path,
) -> None:
    """Over the hand-written stories' questions: wherever a hit is first on both dense and
    BM25, it is the first hit, unless the first hit shows a reason of the query's own."""
    embedder = OnnxEmbedder()
    guarded = checked = 0
    for number, story in enumerate(LIFE_CHANGES[:12]):
        with Memory(
            settings=Settings(db_path=tmp_path / f"s{number}.db", embedding_cache_path=""),
            embedder=embedder,
        ) as memory:
            for index, session in enumerate(story.sessions):
                memory.add(
                    [{"role": "user", "content": text} for _, text in session.messages],
                    user_id="me",
                    session_id=f"s{index}",
                    timestamp=session.date,
                )
            for query in (story.current_question, story.as_of_question):
                hits = memory.search(query, user_id="me", limit=10).hits
                agreed = [
                    h
                    for h in hits
                    if h.signals["dense"].rank == 1
                    and h.signals.get("bm25")
                    and h.signals["bm25"].rank == 1
                ]
                if not agreed:
                    continue
                checked += 1
                first = hits[0]
                # The first hit gained from a reason of the query's own, or the agreed one
                # lost by one (an ended fact, a newer competitor, fading).
                explained = any(
                    first.signals[r].contribution > 0 for r in _REASONS if r in first.signals
                ) or any(s.contribution < -1e-3 for s in agreed[0].signals.values())
                assert first.memory.id == agreed[0].memory.id or explained, query
                guarded += "agreement" in agreed[0].signals
    assert checked >= 5  # the property was exercised
    assert guarded >= 1  # and at least once the guard had to act


@pytest.mark.slow
@pytest.mark.parametrize("newest_wins", [False, True])
def test_newest_wins_puts_the_new_favourite_band_first(tmp_path: Path, newest_wins: bool) -> None:
    """A hand-written story the local extractor does not understand ("I've got a new favourite
    band"): with newest-wins the newer statement outranks the older fact, and says why."""
    story = next(s for s in LIFE_CHANGES if s.person == "Rowan")
    settings = Settings(
        db_path=tmp_path / "rowan.db", embedding_cache_path="", newest_wins=newest_wins
    )
    with Memory(settings=settings, embedder=OnnxEmbedder()) as memory:
        for index, session in enumerate(story.sessions):
            memory.add(
                story.messages(index),
                user_id="me",
                session_id=f"s{index}",
                timestamp=session.date,
            )
        hits = memory.search(story.current_question, user_id="me").hits
        first_new = story.new_value in hits[0].memory.text
        assert first_new == newest_wins, [h.memory.text for h in hits[:3]]
        capped = [h for h in hits if "newer" in h.signals and h.signals["newer"].raw == 1.0]
        assert bool(capped) == newest_wins
        if newest_wins:
            assert story.old_value in capped[0].memory.text
            assert capped[0].signals["newer"].contribution < 0
