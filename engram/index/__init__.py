"""In-memory retrieval indexes, rebuilt from the store and updated on write."""

from engram.index.dense import DenseIndex
from engram.index.lexical import BM25Index, tokenize
from engram.index.scope import ScopeIndex

__all__ = ["BM25Index", "DenseIndex", "ScopeIndex", "tokenize"]
