"""Evaluation harness: dataset loaders, retrieval metrics as pure functions, and runners.

Each runner ingests a benchmark into a memory through the public ``add`` API, queries it with
``search``, and returns a JSON-ready dict stamped with the dataset, configuration, kenning
version and git revision. Gold labels, question categories and benchmark-written summaries are
read by the scorer only; the memory sees what a user would give it.
"""

from __future__ import annotations

from ._common import git_revision, stamp
from ._protocol import SupportsMemory
from .hipporag import load_hipporag_corpus, load_hipporag_questions, run_hipporag
from .locomo import load_locomo, run_locomo
from .longmemeval import load_longmemeval, run_longmemeval
from .matrix import leave_one_out, run_matrix
from .metrics import (
    GroupedSummary,
    MetricSummary,
    Scored,
    all_at_k,
    any_at_k,
    ndcg_any_at_k,
    ndcg_at_k,
    recall_all_at_k,
    recall_any_at_k,
    recall_at_k,
    summarize,
)
from .realmem import load_realmem, run_realmem
from .synthetic import write_sample_longmemeval
from .updates import UpdateStory, generate_update_stories, run_updates, write_update_stories

__all__ = [
    "GroupedSummary",
    "MetricSummary",
    "Scored",
    "SupportsMemory",
    "UpdateStory",
    "all_at_k",
    "any_at_k",
    "generate_update_stories",
    "git_revision",
    "leave_one_out",
    "load_hipporag_corpus",
    "load_hipporag_questions",
    "load_locomo",
    "load_longmemeval",
    "load_realmem",
    "ndcg_any_at_k",
    "ndcg_at_k",
    "recall_all_at_k",
    "recall_any_at_k",
    "recall_at_k",
    "run_hipporag",
    "run_locomo",
    "run_longmemeval",
    "run_matrix",
    "run_realmem",
    "run_updates",
    "stamp",
    "summarize",
    "write_sample_longmemeval",
    "write_update_stories",
]
