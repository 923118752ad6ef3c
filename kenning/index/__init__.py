"""In-memory retrieval indexes, rebuilt from the store and updated on write."""

from kenning.index.dense import DenseIndex
from kenning.index.lexical import BM25Index, tokenize
from kenning.index.scope import ScopeIndex

__all__ = ["BM25Index", "DenseIndex", "ScopeIndex", "tokenize"]
