"""The read path: signals, fusion and ranking."""

from engram.config import FusionMethod
from engram.read.fusion import fuse
from engram.read.search import SearchSettings, search_scope

__all__ = ["FusionMethod", "SearchSettings", "fuse", "search_scope"]
