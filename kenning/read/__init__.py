"""The read path: signals, fusion and ranking."""

from kenning.config import FusionMethod
from kenning.read.fusion import fuse
from kenning.read.search import SearchSettings, search_scope

__all__ = ["FusionMethod", "SearchSettings", "fuse", "search_scope"]
