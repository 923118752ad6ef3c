"""The lifecycle of memories after they are written: forgetting, undo, consolidation.

Supersession, reinforcement and A-MEM links happen on the write path (:mod:`kenning.write`);
retention is a ranking signal on the read path (:mod:`kenning.read.retention`). This package
holds what a user or a periodic job triggers later.
"""
