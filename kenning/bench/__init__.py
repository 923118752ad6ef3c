"""``kenning bench``: how ingest and search scale with the size of one user's scope.

:mod:`kenning.bench.corpus` generates the chat histories, :mod:`kenning.bench.run` builds
stores from them and measures each in a fresh process (:mod:`kenning.bench.probe`).
"""

from kenning.bench.run import BenchFigures, IngestFigures, ProbeFigures, run_bench

__all__ = ["BenchFigures", "IngestFigures", "ProbeFigures", "run_bench"]
