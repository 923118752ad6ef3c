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
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import ClassVar

import numpy as np
import numpy.typing as npt
import Stemmer

from kenning.index.arrays import Growable, Ragged

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
    """Per term, the documents containing it and their term counts (an inverted index).

    Term ``t``'s postings are ``docs[offsets[t]:offsets[t + 1]]`` with ``tf`` alike; terms
    numbered past ``len(offsets) - 2`` came later and have none here.
    """

    offsets: npt.NDArray[np.int64]
    docs: npt.NDArray[np.int32]
    tf: npt.NDArray[np.float32]

    def entries(self, term: int) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.float32]]:
        """A term's documents and counts."""
        if term + 1 >= len(self.offsets):
            return _NO_DOCS, _NO_TF
        span = slice(self.offsets[term], self.offsets[term + 1])
        return self.docs[span], self.tf[span]


# Postings and documents hold 32-bit rows, terms and counts: half the memory of 64-bit ones,
# and a scope has fewer than 2^31 memories and terms.
_NO_DOCS = np.zeros(0, dtype=np.int32)
_NO_TF = np.zeros(0, dtype=np.float32)
# The appended part is merged into the postings once it holds this many entries, or 1/64 of
# the postings: a merge (one sort) costs O(entries), so each add pays a constant share, and
# a query's scan of the appended part stays short.
_MERGE_ENTRIES = 20_000


class RowMap:
    """Some rows of an index, for scores of those rows only: ``place_of(docs)`` gives each
    document's place among them, -1 for the others (one lookup table, built once)."""

    def __init__(self, rows: npt.NDArray[np.int64], n_rows: int) -> None:
        self.rows = rows
        self.size = len(rows)
        self._place = np.full(n_rows, -1, dtype=np.int64)
        known = rows >= 0
        self._place[rows[known]] = np.flatnonzero(known)

    def place_of(self, docs: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        out: npt.NDArray[np.int64] = self._place[docs]
        return out


class BM25Index:
    """Documents are rows (0..n-1, assigned by the caller in order); removed rows score 0.

    The inverted index keeps raw term counts, so a new document changes no stored weight
    (BM25 weights depend on the average length and document frequencies, which are read
    at query time). New documents go to an appended part, scanned with one vectorised
    comparison, and are merged into the sorted postings once it grows (``_MERGE_ENTRIES``):
    an add costs the same at a million documents as at a thousand.
    """

    _TRANSIENT: ClassVar[frozenset[str]] = frozenset({"_words"})  # see index.snapshot

    def __init__(self, *, k1: float = 1.2, b: float = 0.75) -> None:
        self.k1 = k1
        self.b = b
        self._vocab: dict[str, int] = {}
        self._terms = Ragged(np.int32)  # by row: the document's term numbers
        self._counts = Ragged(np.float32)  # ... and how often each occurs
        self._alive = Growable(np.bool_)
        self._lengths = Growable(np.float64)
        self._df = Growable(np.float64)  # by term number, alive documents only
        self._n_alive = 0
        self._total_length = 0.0
        self._postings = _Postings(np.zeros(1, dtype=np.int64), _NO_DOCS, _NO_TF)
        self._recent_terms = Growable(np.int64)  # the appended part, one entry per (doc, term)
        self._recent_docs = Growable(np.int64)
        self._recent_tf = Growable(np.float64)
        self._words: list[str] = []  # vocabulary by column, rebuilt when it grew
        self._deferred = False  # see deferred_merges

    def __len__(self) -> int:
        return len(self._terms)

    def add(self, text: str) -> int:
        """Index a document; returns its row."""
        counts = Counter(tokenize(text))
        vocab = self._vocab
        terms = np.fromiter(
            (vocab.setdefault(t, len(vocab)) for t in counts), dtype=np.int64, count=len(counts)
        )
        tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
        row = len(self._terms)
        self._terms.set(row, terms)
        self._counts.set(row, tf)
        self._alive.extend(np.ones(1, dtype=np.bool_))
        self._lengths.extend(np.asarray([tf.sum()]))
        if len(vocab) > self._df.size:
            self._df.extend(np.zeros(len(vocab) - self._df.size))
        self._df.values[terms] += 1.0
        self._n_alive += 1
        self._total_length += float(tf.sum())
        self._recent_terms.extend(terms)
        self._recent_docs.extend(np.full(len(terms), row, dtype=np.int64))
        self._recent_tf.extend(tf)
        if not self._deferred and self._recent_terms.size > max(
            _MERGE_ENTRIES, len(self._postings.docs) // 64
        ):
            self.merge()
        return row

    @contextmanager
    def deferred_merges(self) -> Iterator[None]:
        """Add many documents with one merge at the end (loading a scope), not one per
        ``_MERGE_ENTRIES``: merges during a load would cost O(entries) each, many times."""
        self._deferred = True
        try:
            yield
        finally:
            self._deferred = False
            self.merge()

    def remove(self, row: int) -> None:
        """Stop matching a row (its number is not reused)."""
        if self._alive.values[row]:
            self._alive.values[row] = False
            self._df.values[self._terms.get(row)] -= 1.0
            self._n_alive -= 1
            self._total_length -= float(self._lengths.values[row])
            self._terms.set(row, _NO_DOCS)
            self._counts.set(row, _NO_TF)

    def merge(self) -> None:
        """Rebuild the sorted postings from every row's counts (removed rows drop out)."""
        n_docs, n_terms = len(self._terms), len(self._vocab)
        every_row = np.arange(n_docs, dtype=np.int64)
        docs, terms = self._terms.gather(every_row)
        _, tf = self._counts.gather(every_row)
        by_term = np.argsort(terms, kind="stable")
        offsets = np.zeros(n_terms + 1, dtype=np.int64)
        np.cumsum(np.bincount(terms, minlength=n_terms), out=offsets[1:])
        self._postings = _Postings(offsets, docs[by_term].astype(np.int32), tf[by_term])
        for part in (self._recent_terms, self._recent_docs, self._recent_tf):
            part.clear()

    def document_share(self, term: str) -> float:
        """The share of (live) documents an analysed term occurs in (0 for an unknown term)."""
        column = self._vocab.get(term)
        if column is None or not self._n_alive:
            return 0.0
        return float(self._df.values[column]) / self._n_alive

    def terms(self, row: int) -> list[str]:
        """The analysed terms of one document."""
        if len(self._words) != len(self._vocab):
            self._words = list(self._vocab)
        return [self._words[t] for t in self._terms.get(row).tolist()]

    def scores(self, query: str, rows: RowMap | None = None) -> Scores:
        """BM25 score of every row for the query (0 where no term matches); with ``rows``,
        of those rows only (see :class:`RowMap`)."""
        return self.term_scores(Counter(tokenize(query)), rows)

    def term_scores(self, terms: Mapping[str, float], rows: RowMap | None = None) -> Scores:
        """BM25 score of every row (or of ``rows``) for analysed query terms with weights
        (query term counts)."""
        n_docs = len(self._terms) if rows is None else rows.size
        docs, entries = self._entry_scores(terms)
        places = docs
        if rows is not None and len(docs):
            places = rows.place_of(docs)
            kept = places >= 0
            places, entries = places[kept], entries[kept]
        return np.bincount(places, weights=entries, minlength=n_docs).astype(np.float32)

    def matches(
        self, terms: Mapping[str, float]
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
        """The rows matching any of the analysed terms (ascending) and their BM25 scores:
        the work is the terms' postings, not the whole index."""
        docs, entries = self._entry_scores(terms)
        # Sorting the entries beat a bincount over every row in a one-off comparison on the
        # bench queries at 211,000 rows (about 24,000 entries each).
        rows, inverse = np.unique(docs, return_inverse=True)
        scores = np.bincount(inverse.reshape(-1), weights=entries, minlength=len(rows))
        return rows.astype(np.int64), scores.astype(np.float32)

    def _entry_scores(
        self, terms: Mapping[str, float]
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
        """Each live (row, term) entry of the terms' postings with its share of the row's
        BM25 score."""
        known = {self._vocab[t]: w for t, w in terms.items() if t in self._vocab and w > 0}
        if not known or not len(self._terms):
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
        columns = np.fromiter(known, dtype=np.int64, count=len(known))
        term_weights = bm25_idf(self._df.values[columns], self._n_alive) * np.fromiter(
            known.values(), dtype=np.float64, count=len(known)
        )
        docs, tf, weights = self._matching(columns, term_weights)
        keep = self._alive.values[docs]
        docs, tf, weights = docs[keep].astype(np.int64), tf[keep], weights[keep]
        avg_len = self._total_length / self._n_alive if self._n_alive else 1.0
        saturated = bm25_term_weight(tf, self._lengths.values[docs], avg_len, self.k1, self.b)
        return docs, weights * saturated

    def _matching(
        self, columns: npt.NDArray[np.int64], term_weights: npt.NDArray[np.float64]
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        """Every (document, count, query-term weight) entry of the query's terms."""
        parts = [self._postings.entries(int(t)) for t in columns]
        recent_terms = self._recent_terms.view()
        hit = np.isin(recent_terms, columns)
        weight_of = dict(zip(columns.tolist(), term_weights.tolist(), strict=True))
        recent_weights = np.fromiter(
            (weight_of[t] for t in recent_terms[hit].tolist()), dtype=np.float64
        )
        docs = np.concatenate([p[0] for p in parts] + [self._recent_docs.view()[hit]])
        tf = np.concatenate([p[1] for p in parts] + [self._recent_tf.view()[hit]])
        weights = np.concatenate(
            [np.full(len(p[0]), w) for p, w in zip(parts, term_weights, strict=True)]
            + [recent_weights]
        )
        return docs, tf, weights
