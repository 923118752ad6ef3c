"""Ablation: the same run with each retrieval component switched off in turn.

A runner given ``variants`` ingests once, then answers every question under each variant
(``Memory.configure`` switches components on a live engine) and reports each variant's
headline metrics beside the default's, so every component's contribution is visible.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Protocol

from ._protocol import SupportsMemory
from .metrics import Scored, summarize

__all__ = [
    "ABLATIONS",
    "DEFAULT",
    "PARAMETERS",
    "SupportsConfigure",
    "configured",
    "kept_metrics",
    "level_ablation",
    "variant_plan",
]

DEFAULT = "default"

_ALL_OFF: dict[str, Any] = {
    "key_expansion": False,
    "granularity": False,
    "speaker": False,
    "time": False,
    "graph": False,
    "prf": False,
    "diversity": False,
    "adaptive_granularity": False,
    "lifecycle": False,
    "passages": False,
    "agreement_guard": False,
}

ABLATIONS: dict[str, dict[str, Any]] = {
    DEFAULT: {},
    "no key expansion": {"key_expansion": False},
    "no multi-granularity": {"granularity": False},
    "no speaker-aware": {"speaker": False},
    "no time-aware": {"time": False},
    "no entity graph": {"graph": False},
    "no pseudo-relevance feedback": {"prf": False},
    "no entity feedback (term feedback kept)": {"entity_feedback_weight": 0.0},
    "no lifecycle (facts, validity, retention)": {"lifecycle": False},
    "no passages": {"passages": False},
    "no agreement guard": {"agreement_guard": False},
    "with newest-wins": {"newest_wins": True},
    "with MMR diversity": {"diversity": True},
    "with adaptive granularity": {"adaptive_granularity": True},
    "BM25 only": {**_ALL_OFF, "dense_weight": 0.0},
    "dense only": {**_ALL_OFF, "dense_weight": 1.0},
    "dense + BM25 (no components)": _ALL_OFF,
}
"""Variant name -> settings changed from the engine's own configuration."""

PARAMETERS: dict[str, dict[str, Any]] = {
    "dense weight 0.5": {"dense_weight": 0.5},
    "dense weight 0.7": {"dense_weight": 0.7},
    "lifts x0.5": {"turn_weight": 0.25, "round_weight": 0.5, "session_weight": 0.35},
    "lifts x1.5": {"turn_weight": 0.75, "round_weight": 1.5, "session_weight": 1.05},
    "graph x0.5": {"graph_weight": 0.1},
    "feedback x0.5": {"prf_weight": 0.05, "entity_feedback_weight": 0.25},
    "feedback x2": {"prf_weight": 0.2, "entity_feedback_weight": 1.0},
}
"""Parameter variants around the defaults (search-time settings only, so one ingest serves
them all): the development matrix's leave-one-dataset-out choice picks among these and the
component variants of :data:`ABLATIONS`."""


def variant_plan(
    variants: Mapping[str, Mapping[str, Any]] | None,
) -> dict[str, Mapping[str, Any]]:
    """Variant name -> settings changes, the default (no change) first.

    Without ``variants`` the plan is the default alone: a runner then reports no ablation.
    """
    return {DEFAULT: {}, **{n: c for n, c in (variants or {}).items() if n != DEFAULT}}


class SupportsConfigure(SupportsMemory, Protocol):
    """A memory whose retrieval settings can change between queries."""

    def configure(self, **changes: Any) -> dict[str, Any]:
        """Apply ``changes``; return the previous values of the changed settings."""
        ...


@contextmanager
def configured(memory: SupportsMemory, changes: Mapping[str, Any]) -> Iterator[None]:
    """Run a block under changed settings, restoring the previous ones afterwards."""
    if not changes:
        yield
        return
    configure = getattr(memory, "configure", None)
    if not callable(configure):
        raise TypeError("an ablation needs a memory with a configure() method")
    previous = configure(**changes)
    try:
        yield
    finally:
        configure(**previous)


def level_ablation(
    plan: Mapping[str, Mapping[str, Any]],
    rows: Mapping[str, Iterable[Scored]],
    per_question: Mapping[str, list[dict[str, float]]] | None = None,
) -> dict[str, Any]:
    """``result["ablation"]`` of a runner that scores several levels (session, turn): per
    variant its changes and its ``"<level> <metric>"`` means; each row's group is its level.
    ``per_question`` (variant -> one dict per question, see :func:`kept_metrics`) is kept
    beside them when given."""
    return {
        name: {
            "changes": dict(plan[name]),
            "overall": {
                f"{level} {metric}": value
                for level, group in summarize(rows[name]).groups.items()
                for metric, value in group.as_dict().items()
            },
            **({"per_question": per_question[name]} if per_question else {}),
        }
        for name in plan
    }


def kept_metrics(
    scores: Mapping[str, float], keep: Collection[str], level: str | None = None
) -> dict[str, float]:
    """One question's metrics that a caller asked to keep per question (``per_question``):
    the development matrix's headline metrics, for its paired bootstrap. A runner of several
    levels names them ``"<level> <metric>"``, as in its ablation's means."""
    prefix = f"{level} " if level else ""
    return {prefix + m: v for m, v in scores.items() if prefix + m in keep}
