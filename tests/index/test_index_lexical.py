"""BM25 (``kenning.index.lexical``) against hand-computed scores and a naive reference."""

from __future__ import annotations

import math
import random
from collections import Counter

import numpy as np
import pytest

from kenning.index.lexical import STOPWORDS, BM25Index, bm25_idf, bm25_term_weight, tokenize

K1, B = 1.2, 0.75


def idf(df: int, n: int) -> float:
    """``ln(1 + (N - df + 0.5) / (df + 0.5))``, as in the module docstring."""
    return math.log(1 + (n - df + 0.5) / (df + 0.5))


def tf_weight(tf: int, doc_len: float, avg_len: float, k1: float = K1, b: float = B) -> float:
    """``tf (k1+1) / (tf + k1 (1 - b + b |d|/avgdl))``."""
    return tf * (k1 + 1) / (tf + k1 * (1 - b + b * doc_len / avg_len))


# -- tokenize -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("The dogs were running quickly", ["dog", "run", "quick"]),
        ("When and where did you go?", ["when", "where", "go"]),  # question words are kept
        ("I am not", ["not"]),
        ("APPLES, apples; Apple!", ["appl", "appl", "appl"]),
        ("foo_bar baz-qux", ["foo", "bar", "baz", "qux"]),  # "_" and "-" split words
        ("Café naïve 42nd", ["café", "naïv", "42nd"]),
        ("", []),
        ("the of and to", []),
        ("  ...!!  ", []),
    ],
)
def test_tokenize(text: str, tokens: list[str]) -> None:
    assert tokenize(text) == tokens


def test_stopwords_are_function_words_only() -> None:
    assert {"the", "a", "is", "and", "you"} <= STOPWORDS
    assert {"when", "where", "not", "never", "dog"}.isdisjoint(STOPWORDS)


# -- hand-computed scores ---------------------------------------------------------------

DOCS = ["apple banana apple", "banana cherry", "cherry date elderberry fig"]
# Analysed: d0 = [appl, banana, appl] (|d|=3), d1 = [banana, cherri] (2),
# d2 = [cherri, date, elderberri, fig] (4); avgdl = 3; N = 3.


@pytest.fixture
def index() -> BM25Index:
    bm25 = BM25Index(k1=K1, b=B)
    assert [bm25.add(doc) for doc in DOCS] == [0, 1, 2]
    return bm25


def test_scores_match_a_hand_computed_case(index: BM25Index) -> None:
    avg = 3.0
    expected = [
        idf(1, 3) * tf_weight(2, 3, avg) + idf(2, 3) * tf_weight(1, 3, avg),
        idf(2, 3) * tf_weight(1, 2, avg),
        0.0,
    ]
    np.testing.assert_allclose(index.scores("apple banana"), expected, rtol=1e-6)
    # Spelled out for d1: idf(banana) = ln(1 + 1.5/2.5); tf part = 2.2 / (1 + 1.2 * 0.75).
    assert index.scores("banana")[1] == pytest.approx(math.log(1.6) * 2.2 / 1.9, rel=1e-6)


def test_repeated_query_terms_count_again(index: BM25Index) -> None:
    once, twice = index.scores("cherry"), index.scores("cherry cherry")
    np.testing.assert_allclose(twice, 2 * once, rtol=1e-6)
    assert once[1] > once[2] > 0  # shorter document wins at equal tf


def test_unknown_terms_and_stopwords_score_zero(index: BM25Index) -> None:
    assert index.scores("kiwi").tolist() == [0.0, 0.0, 0.0]
    assert index.scores("the and of").tolist() == [0.0, 0.0, 0.0]
    assert index.scores("").dtype == np.float32


def test_removed_row_scores_zero_and_statistics_follow(index: BM25Index) -> None:
    index.remove(0)
    # N = 2 live documents, avgdl = (2 + 4) / 2 = 3, df(banana) = 1, df(cherri) = 2.
    expected_banana = [0.0, idf(1, 2) * tf_weight(1, 2, 3.0), 0.0]
    np.testing.assert_allclose(index.scores("banana apple"), expected_banana, rtol=1e-6)
    expected_cherry = [0.0, idf(2, 2) * tf_weight(1, 2, 3.0), idf(2, 2) * tf_weight(1, 4, 3.0)]
    np.testing.assert_allclose(index.scores("cherry"), expected_cherry, rtol=1e-6)
    index.remove(0)  # removing twice is harmless
    assert len(index) == 3  # row numbers are not reused
    assert index.add("apple pie") == 3
    assert index.scores("apple")[0] == 0.0 and index.scores("apple")[3] > 0


def test_helpers_are_the_docstring_formulas() -> None:
    df = np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(bm25_idf(df, 3), [idf(1, 3), idf(2, 3), idf(3, 3)])
    assert bm25_idf(np.array([3.0]), 3)[0] > 0  # never negative, even in every document
    tf, lengths = np.array([1.0, 3.0]), np.array([2.0, 6.0])
    np.testing.assert_allclose(
        bm25_term_weight(tf, lengths, 4.0, 1.5, 0.5),
        [tf_weight(1, 2, 4, 1.5, 0.5), tf_weight(3, 6, 4, 1.5, 0.5)],
    )
    # b = 0: no length normalisation.
    np.testing.assert_allclose(
        bm25_term_weight(np.array([2.0, 2.0]), np.array([1.0, 100.0]), 10.0, 1.2, 0.0),
        [2 * 2.2 / 3.2] * 2,
    )


def reference_bm25(docs: list[list[str]], alive: list[bool], query: list[str]) -> list[float]:
    """A direct, loop-based transcription of the formulas, for comparison."""
    live = [d for d, a in zip(docs, alive, strict=True) if a]
    n, avg = len(live), sum(map(len, live)) / len(live)
    df = Counter(t for d in live for t in set(d))
    out = []
    for doc, is_alive in zip(docs, alive, strict=True):
        counts = Counter(doc)
        score = 0.0
        if is_alive:
            for term, qtf in Counter(query).items():
                if counts[term]:
                    score += qtf * idf(df[term], n) * tf_weight(counts[term], len(doc), avg)
        out.append(score)
    return out


def test_matches_a_naive_reference_on_random_documents() -> None:
    rng = random.Random(1234)
    vocabulary = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel"]
    texts = [" ".join(rng.choices(vocabulary, k=rng.randint(1, 12))) for _ in range(40)]
    bm25 = BM25Index(k1=K1, b=B)
    for text in texts:
        bm25.add(text)
    alive = [True] * len(texts)
    for row in rng.sample(range(len(texts)), 8):
        bm25.remove(row)
        alive[row] = False
    for _ in range(20):
        query = " ".join(rng.choices(vocabulary, k=rng.randint(1, 4)))
        expected = reference_bm25([tokenize(t) for t in texts], alive, tokenize(query))
        np.testing.assert_allclose(bm25.scores(query), expected, rtol=1e-5, atol=1e-6)


def test_removed_rows_at_the_end_leave_the_others_scored() -> None:
    index = BM25Index()
    kept = index.add("the dog barked at the mailman")
    gone = index.add("a cat slept")
    index.remove(gone)  # the last rows hold no terms any more
    last = index.add("")
    scores = index.scores("dog")
    assert scores[kept] > 0 and scores[gone] == 0 and scores[last] == 0


def test_incremental_postings_score_as_a_fresh_index(monkeypatch: pytest.MonkeyPatch) -> None:
    """Adds past several merges and removals on the way give the scores of an index built
    from the surviving documents alone (same rows, same statistics)."""
    import kenning.index.lexical as lexical

    monkeypatch.setattr(lexical, "_MERGE_ENTRIES", 7)
    rng = np.random.default_rng(5)
    words = [f"w{i}" for i in range(30)]
    texts = [" ".join(rng.choice(words, size=int(rng.integers(1, 9)))) for _ in range(120)]
    grown = BM25Index(k1=K1, b=B)
    removed = set()
    for row, text in enumerate(texts):
        grown.add(text)
        if row % 9 == 4:
            grown.remove(row - 2)
            removed.add(row - 2)
    fresh = BM25Index(k1=K1, b=B)
    for text in texts:
        fresh.add(text)
    for row in sorted(removed):
        fresh.remove(row)
    fresh.merge()
    for query in ("w1 w2", "w3 w3 w17", "w29", "nothing"):
        assert np.allclose(grown.scores(query), fresh.scores(query), atol=1e-5), query
        assert all(grown.scores(query)[r] == 0 for r in removed)
