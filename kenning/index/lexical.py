"""BM25 over an in-memory inverted index (per term: documents and weights), updated incrementally.

Chosen over SQLite FTS5 after measuring both on LoCoMo (``benchmarks/bm25_backends.py``):
same ranking quality when the tokenisation matches, but the in-memory index
scores every document of a scope from the query terms' postings (well under a millisecond
for thousands of turns), lets fusion see a score for every candidate rather than
FTS5's top matches, and behaves identically on every store backend.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt
import Stemmer

Scores = npt.NDArray[np.float32]

_WORD = re.compile(r"[^\W_]+", re.UNICODE)

# A short English stop list: function words only, so that question words such as
# "when" or "where" and content words are never dropped.
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "been",
        "being",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "for",
        "from",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "me",
        "my",
        "myself",
        "of",
        "on",
        "or",
        "our",
        "ours",
        "ourselves",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "to",
        "too",
        "very",
        "was",
        "we",
        "were",
        "what",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "yourself",
        "yourselves",
        "am",
        "s",
        "t",
        "don",
        "ll",
        "re",
        "ve",
        "d",
        "m",
    ]
)


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


def tokenize(text: str) -> list[str]:
    """Lower-case word tokens, stop words removed, Snowball (Porter 2) stemmed."""
    words = [w for w in _WORD.findall(text.lower()) if w not in STOPWORDS]
    return list(_stemmer().stemWords(words))


def bm25_idf(
    document_frequency: npt.NDArray[np.float64], n_documents: int
) -> npt.NDArray[np.float64]:
    """Robertson-Sparck Jones idf with Lucene's +1 so it is never negative.

    ``idf(t) = ln(1 + (N - df + 0.5) / (df + 0.5))`` (Robertson & Zaragoza 2009, eq. 3.3,
    as used by Lucene/Elasticsearch).
    """
    return np.log1p((n_documents - document_frequency + 0.5) / (document_frequency + 0.5))


def bm25_term_weight(
    tf: npt.NDArray[np.float64],
    doc_len: npt.NDArray[np.float64],
    avg_len: float,
    k1: float,
    b: float,
) -> npt.NDArray[np.float64]:
    """BM25's saturated term frequency ``tf (k1+1) / (tf + k1 (1 - b + b |d|/avgdl))``."""
    return tf * (k1 + 1.0) / (tf + k1 * (1.0 - b + b * doc_len / max(avg_len, 1e-9)))


@dataclass(frozen=True)
class _Postings:
    """Per term, the documents containing it and their BM25 term weights (an inverted index).

    Term ``t``'s postings are ``docs[offsets[t]:offsets[t + 1]]`` with ``weights`` alike.
    """

    offsets: npt.NDArray[np.int64]
    docs: npt.NDArray[np.int64]
    weights: npt.NDArray[np.float64]

    def scores(
        self, terms: npt.NDArray[np.int64], term_weights: npt.NDArray[np.float64], n_docs: int
    ) -> Scores:
        """``sum_t term_weights[t] * weight(d, t)`` for every document ``d``."""
        spans = [slice(self.offsets[t], self.offsets[t + 1]) for t in terms]
        docs = np.concatenate([self.docs[span] for span in spans])
        weights = np.concatenate(
            [self.weights[span] * w for span, w in zip(spans, term_weights, strict=True)]
        )
        return np.bincount(docs, weights=weights, minlength=n_docs).astype(np.float32)


class BM25Index:
    """Documents are rows (0..n-1, assigned by the caller in order); removed rows score 0.

    Rows keep their raw term counts as small numpy arrays; the BM25 weight matrix is
    rebuilt (vectorised) on the first search after a change, since every weight depends
    on the average document length.
    """

    def __init__(self, *, k1: float = 1.2, b: float = 0.75) -> None:
        self.k1 = k1
        self.b = b
        self._vocab: dict[str, int] = {}
        self._terms: list[npt.NDArray[np.int64]] = []
        self._counts: list[npt.NDArray[np.float64]] = []
        self._alive: list[bool] = []
        self._postings: _Postings | None = None
        self._df: npt.NDArray[np.float64] = np.zeros(0)
        self._n_alive = 0
        self._words: list[str] = []  # vocabulary by column, rebuilt when it grew

    def __len__(self) -> int:
        return len(self._terms)

    def add(self, text: str) -> int:
        """Index a document; returns its row."""
        counts = Counter(tokenize(text))
        vocab = self._vocab
        self._terms.append(
            np.fromiter(
                (vocab.setdefault(t, len(vocab)) for t in counts), dtype=np.int64, count=len(counts)
            )
        )
        self._counts.append(np.fromiter(counts.values(), dtype=np.float64, count=len(counts)))
        self._alive.append(True)
        self._postings = None
        return len(self._terms) - 1

    def remove(self, row: int) -> None:
        """Stop matching a row (its number is not reused)."""
        if self._alive[row]:
            self._alive[row] = False
            self._terms[row] = np.zeros(0, dtype=np.int64)
            self._counts[row] = np.zeros(0, dtype=np.float64)
            self._postings = None

    def _build(self) -> _Postings:
        n_docs, n_terms = len(self._terms), len(self._vocab)
        sizes = np.fromiter((len(t) for t in self._terms), dtype=np.int64, count=n_docs)
        terms = np.concatenate(self._terms) if n_docs else np.zeros(0, dtype=np.int64)
        tf = np.concatenate(self._counts) if n_docs else np.zeros(0, dtype=np.float64)
        docs = np.repeat(np.arange(n_docs, dtype=np.int64), sizes)
        lengths = np.bincount(docs, weights=tf, minlength=n_docs).astype(np.float64)
        alive = np.asarray(self._alive, dtype=bool)
        avg_len = float(lengths[alive].mean()) if alive.any() else 1.0
        doc_lengths = np.repeat(lengths, sizes)
        weights = bm25_term_weight(tf, doc_lengths, avg_len, self.k1, self.b)
        # Regroup the (document, term) entries by term: each term's postings are contiguous.
        by_term = np.argsort(terms, kind="stable")
        df = np.bincount(terms, minlength=n_terms)
        self._df = df.astype(np.float64)
        self._n_alive = int(alive.sum())
        offsets = np.zeros(n_terms + 1, dtype=np.int64)
        np.cumsum(df, out=offsets[1:])
        return _Postings(offsets, docs[by_term], weights[by_term])

    def terms(self, row: int) -> list[str]:
        """The analysed terms of one document."""
        if len(self._words) != len(self._vocab):
            self._words = list(self._vocab)
        return [self._words[t] for t in self._terms[row]]

    def scores(self, query: str) -> Scores:
        """BM25 score of every row for the query (0 where no term matches)."""
        return self.term_scores(Counter(tokenize(query)))

    def term_scores(self, terms: Mapping[str, float]) -> Scores:
        """BM25 score of every row for analysed query terms with weights (query term counts)."""
        if self._postings is None:
            self._postings = self._build()
        n_docs = len(self._terms)
        known = {t: w for t, w in terms.items() if t in self._vocab and w > 0}
        if not known or n_docs == 0:
            return np.zeros(n_docs, dtype=np.float32)
        columns = np.fromiter((self._vocab[t] for t in known), dtype=np.int64, count=len(known))
        weights = bm25_idf(self._df[columns], self._n_alive) * np.fromiter(
            known.values(), dtype=np.float64, count=len(known)
        )
        return self._postings.scores(columns, weights, n_docs)
