"""Development matrix: every development dataset under every variant, then leave-one-dataset-out.

``run_matrix`` runs each dataset of a data folder on a fresh memory, every variant of
``MATRIX_VARIANTS`` answering every question on one ingest, and writes each finished dataset's
result to ``<out>/<dataset>.json`` at once; with ``resume=True`` a finished file run with the same
limits and variants is loaded instead, so an interrupted run loses one dataset at most.

``leave_one_out`` chooses, for each dataset in turn, the variant (which components are on) with the
best mean gain over plain dense + BM25 on all the *other* datasets, and reports the left-out
dataset's figure under that choice. That figure, never one chosen on the dataset itself, is the
project's. It also lists, per variant, its difference from the default on each dataset, with
a 95% paired bootstrap interval over the dataset's questions (``paired_interval``): a component
is on by default only if switching it off is nowhere better beyond that noise.
``kenning eval matrix`` draws the two tables, for the terminal and as markdown.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np

from kenning.errors import ValidationError

from ._common import Progress, read_json, write_json
from ._protocol import SupportsMemory
from .ablation import ABLATIONS, DEFAULT, PARAMETERS
from .hipporag import run_hipporag
from .locomo import run_locomo
from .longmemeval import run_longmemeval
from .realmem import run_realmem

__all__ = [
    "MATRIX_VARIANTS",
    "PLAIN",
    "LeaveOneOut",
    "LeftOut",
    "MatrixDataset",
    "MatrixLimits",
    "MatrixOutcome",
    "MatrixReport",
    "MatrixSelection",
    "VariantDeltas",
    "development_datasets",
    "leave_one_out",
    "paired_interval",
    "run_matrix",
    "select_datasets",
]

PLAIN = "dense + BM25 (no components)"

MATRIX_VARIANTS: dict[str, dict[str, Any]] = {
    **{
        name: ABLATIONS[name]
        for name in (
            DEFAULT,
            PLAIN,
            "BM25 only",
            *(n for n in ABLATIONS if n.startswith("no ")),
            *(n for n in ABLATIONS if n.startswith("with ")),
        )
    },
    **PARAMETERS,
}
"""The matrix's variants: from ``ABLATIONS`` the default, plain dense + BM25, BM25 alone
(a reference), each component off in turn and each optional component on; then the parameter
variants of ``PARAMETERS``."""

Variants = Mapping[str, Mapping[str, Any]]
MemoryFactory = Callable[[], AbstractContextManager[SupportsMemory]]
"""Opens a fresh, empty memory (entered with ``with``, once per dataset)."""


@dataclass(frozen=True, slots=True)
class MatrixLimits:
    """How much of each dataset to run (``None``: all of it); each dataset records the ones it
    uses, so changing a limit reruns only the datasets it concerns."""

    locomo_conversations: int | None = None
    longmemeval_questions: int | None = None
    realmem_persons: int | None = None
    realmem_queries: int | None = None
    hipporag_questions: int | None = None

    def __post_init__(self) -> None:
        for item in fields(self):
            value = getattr(self, item.name)
            if value is not None and value < 1:
                raise ValidationError(item.name, f"must be at least 1, got {value}")


@dataclass(frozen=True, slots=True)
class MatrixDataset:
    """One development dataset and its headline figure: the mean of the ``headline`` metrics
    (keys of ``result["ablation"][variant]["overall"]``); ``reported`` ones are shown beside it.

    It runs as ``runner(*inputs, memory, progress=..., variants=..., <limits>)``, where
    ``limits`` maps each limit argument of the runner to a ``MatrixLimits`` field; ``paths``
    must all exist (default: the inputs).
    """

    name: str
    inputs: tuple[Path, ...]
    headline: tuple[str, ...]
    reported: tuple[str, ...]
    runner: Callable[..., dict[str, Any]] = field(repr=False)
    limits: Mapping[str, str] = field(default_factory=dict)
    paths: tuple[Path, ...] = ()

    def limit_args(self, limits: MatrixLimits) -> dict[str, int | None]:
        """The runner's limit arguments (what a result file records)."""
        return {arg: getattr(limits, name) for arg, name in self.limits.items()}

    def missing(self) -> list[Path]:
        """The files or folders it reads that do not exist."""
        return [p for p in self.paths or self.inputs if not p.exists()]

    @property
    def headline_label(self) -> str:
        """``recall@10``, or ``mean(a, b)`` for a headline of several metrics."""
        joined = ", ".join(self.headline)
        return joined if len(self.headline) == 1 else f"mean({joined})"

    def value(self, overall: Mapping[str, Any]) -> float:
        """The headline figure from one variant's metric means."""
        missing = [m for m in self.headline if m not in overall]
        if missing:
            raise ValidationError(self.name, f"result has no {', '.join(missing)}")
        return statistics.fmean(float(overall[m]) for m in self.headline)


def development_datasets(data_dir: str | Path) -> tuple[MatrixDataset, ...]:
    """The development datasets, at their places in a data folder laid out as
    ``shared/data`` (see its PROVENANCE.md); LongMemEval_S may be ``.json.gz`` or ``.json``."""
    root = Path(data_dir)
    lme = root / "longmemeval" / "longmemeval_s_cleaned.json"
    lme = lme if lme.exists() else lme.with_name(lme.name + ".gz")
    realmem = root / "realmem"
    levels = ("session recall_all@10", "turn recall_all@10")
    hipporag = root / "hipporag"
    return (
        MatrixDataset(
            "locomo",
            (root / "locomo" / "locomo10.json",),
            ("recall@10",),
            ("recall@10",),
            run_locomo,
            {"limit_conversations": "locomo_conversations"},
        ),
        MatrixDataset(
            "longmemeval_s",
            (lme,),
            levels,
            levels,
            run_longmemeval,
            {"limit_questions": "longmemeval_questions"},
        ),
        MatrixDataset(
            "realmem",
            (realmem,),
            levels,
            (*levels, "session recall_any@5"),
            run_realmem,
            {"limit_persons": "realmem_persons", "limit_queries": "realmem_queries"},
            (realmem / "dataset", realmem / "realmem_queries_derived.json"),
        ),
        *(
            MatrixDataset(
                name,
                (hipporag / f"{name}_train.json", hipporag / f"{name}_train_corpus.json"),
                ("recall@5",),
                ("recall@5",),
                run_hipporag,
                {"limit_questions": "hipporag_questions"},
            )
            for name in ("hotpotqa", "musique")
        ),
    )


@dataclass(frozen=True, slots=True)
class MatrixSelection:
    """The datasets to run, and a note for each one skipped because its files are missing."""

    datasets: tuple[MatrixDataset, ...]
    notes: tuple[str, ...]


def select_datasets(data_dir: str | Path, *, only: Sequence[str] | None = None) -> MatrixSelection:
    """The development datasets found under ``data_dir`` (or the ``only`` ones, in their order).

    A dataset with missing files is skipped with a note; one named in ``only`` is an error
    instead, and so is an unknown name or finding none at all.
    """
    known = {d.name: d for d in development_datasets(data_dir)}
    unknown = [name for name in only or () if name not in known]
    if unknown:
        raise ValidationError("only", f"unknown dataset {unknown[0]!r}; known: {', '.join(known)}")
    chosen, notes = [], []
    for dataset in [known[n] for n in dict.fromkeys(only)] if only else list(known.values()):
        missing = ", ".join(str(p) for p in dataset.missing())
        if not missing:
            chosen.append(dataset)
        elif only:
            raise ValidationError("only", f"{dataset.name}: not found: {missing}")
        else:
            notes.append(f"skipped {dataset.name}: not found: {missing}")
    if not chosen:
        raise ValidationError("data_dir", f"no development dataset found under {data_dir}")
    return MatrixSelection(tuple(chosen), tuple(notes))


@dataclass(frozen=True, slots=True)
class MatrixOutcome:
    """One dataset's full result, where it was written, and whether an earlier run's file was
    loaded instead of running it (``resumed``)."""

    dataset: MatrixDataset
    path: Path
    result: dict[str, Any]
    resumed: bool

    def headlines(self) -> dict[str, float]:
        """Variant name -> the dataset's headline figure under it."""
        ablation = self.result.get("ablation") or {}
        return {name: self.dataset.value(v["overall"]) for name, v in ablation.items()}

    def intervals(self) -> dict[str, tuple[float, float]]:
        """Variant name -> the 95% paired bootstrap interval of its headline minus the
        default's (variants whose result kept no per-question metrics are left out)."""
        ablation = self.result.get("ablation") or {}
        base = (ablation.get(DEFAULT) or {}).get("per_question")
        if not base:
            return {}
        return {
            name: paired_interval(self.dataset.headline, base, v["per_question"])
            for name, v in ablation.items()
            if name != DEFAULT and v.get("per_question")
        }


def paired_interval(
    headline: Sequence[str],
    base: Sequence[Mapping[str, float]],
    variant: Sequence[Mapping[str, float]],
    *,
    resamples: int = 2000,
    seed: int = 0,
    level: float = 0.95,
) -> tuple[float, float]:
    """The ``level`` interval of a variant's headline minus the default's, by a paired
    bootstrap over questions: the same resampled questions for both, so what they share
    (hard and easy questions) cancels out.

    ``base`` and ``variant`` hold one dict per question, in the same order, with the headline
    metrics the question has (a question may lack a level, as in LongMemEval); the headline of
    a resample is the mean over ``headline`` of each metric's mean over the questions with it.
    """
    if len(base) != len(variant):
        raise ValidationError("variant", f"{len(variant)} questions, the default has {len(base)}")
    if not base:
        raise ValidationError("base", "no question")

    def matrix(rows: Sequence[Mapping[str, float]]) -> np.ndarray:
        return np.array([[r.get(m, np.nan) for m in headline] for r in rows], dtype=np.float64)

    a, b = matrix(base), matrix(variant)
    picks = np.random.default_rng(seed).integers(0, len(base), size=(resamples, len(base)))

    def headline_of(values: np.ndarray) -> np.ndarray:
        taken = values[picks]  # resamples x questions x metrics
        present = ~np.isnan(taken)
        sums = np.where(present, taken, 0.0).sum(axis=1)
        counts = present.sum(axis=1)
        means = np.divide(sums, counts, out=np.full_like(sums, np.nan), where=counts > 0)
        return np.asarray(np.nanmean(means, axis=1))  # a level no resampled question has

    differences = headline_of(b) - headline_of(a)
    tail = (1.0 - level) / 2 * 100
    low, high = np.percentile(differences, [tail, 100 - tail])
    return float(low), float(high)


@dataclass(frozen=True, slots=True)
class LeftOut:
    """A dataset's figure under the variant chosen on all the other datasets."""

    dataset: str
    choice: str
    gain_elsewhere: float | None
    """The choice's mean gain over plain dense + BM25 on the other datasets (``None``: none)."""
    figure: float
    default: float
    plain: float


@dataclass(frozen=True, slots=True)
class VariantDeltas:
    """A variant's headline minus the default's on each dataset, and the datasets where it is
    better (for a "no X" variant: where X hurts) or worse than the default beyond the noise:
    its 95% paired bootstrap interval (``intervals``) lies above or below 0, or, for a dataset
    without per-question figures, the difference exceeds the fixed noise margin."""

    variant: str
    deltas: Mapping[str, float]
    better_on: tuple[str, ...]
    worse_on: tuple[str, ...] = ()
    intervals: Mapping[str, tuple[float, float]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class LeaveOneOut:
    """Result of :func:`leave_one_out`."""

    left_out: tuple[LeftOut, ...]
    variants: tuple[VariantDeltas, ...]
    noise: float

    @property
    def harmful_components(self) -> tuple[VariantDeltas, ...]:
        """The "no X" variants better than the default somewhere: X is on but should not be."""
        return tuple(v for v in self.variants if v.variant.startswith("no ") and v.better_on)


def _rounded(value: float) -> float:
    # Differences of figures carry float noise (0.505 - 0.5 > 0.005); compare them rounded.
    return round(value, 12)


def _beyond(
    name: str,
    sign: int,
    intervals: Mapping[str, tuple[float, float]],
    deltas: Mapping[str, float],
    noise: float,
) -> bool:
    """Whether the difference on ``name`` is beyond noise in the direction of ``sign``: by its
    bootstrap interval where there is one, else by the fixed margin."""
    if name in intervals:
        low, high = intervals[name]
        return _rounded(low) > 0 if sign > 0 else _rounded(high) < 0
    return _rounded(sign * deltas[name]) > noise


def leave_one_out(
    table: Mapping[str, Mapping[str, float]],
    *,
    noise: float = 0.005,
    intervals: Mapping[str, Mapping[str, tuple[float, float]]] | None = None,
) -> LeaveOneOut:
    """Leave-one-dataset-out choice of a variant, for each dataset in turn.

    ``table`` maps dataset -> variant -> headline figure; every dataset needs ``"default"`` and
    ``PLAIN``, and only the variants measured on every dataset compete. For a dataset ``d``, the
    chosen variant maximises the mean over the other datasets ``e`` of
    ``table[e][v] - table[e][PLAIN]``; ties go to the default, then to name order. With a single
    dataset there is nothing to choose on: the default stands. ``intervals`` (dataset ->
    variant -> paired bootstrap interval of the difference from the default) decide where a
    variant is better or worse beyond noise; without one, the fixed ``noise`` margin does.
    """
    if not table:
        raise ValidationError("table", "no dataset")
    if noise < 0:
        raise ValidationError("noise", f"must be at least 0, got {noise}")
    for name, row in table.items():
        if DEFAULT not in row or PLAIN not in row:
            raise ValidationError("table", f"{name} lacks {DEFAULT!r} or {PLAIN!r}")
    first = next(iter(table.values()))
    common = [v for v in first if all(v in row for row in table.values())]
    candidates = sorted(common, key=lambda v: (v != DEFAULT, v))
    rows = []
    for name, row in table.items():
        others = [r for n, r in table.items() if n != name]
        choice, gain = DEFAULT, None
        if others:
            gains = {v: statistics.fmean(r[v] - r[PLAIN] for r in others) for v in candidates}
            choice = max(candidates, key=lambda v: _rounded(gains[v]))  # first of the best
            gain = gains[choice]
        rows.append(LeftOut(name, choice, gain, row[choice], row[DEFAULT], row[PLAIN]))
    deltas = []
    for variant in (v for v in common if v != DEFAULT):
        by_dataset = {name: row[variant] - row[DEFAULT] for name, row in table.items()}
        known = {
            name: (intervals or {}).get(name, {})[variant]
            for name in table
            if variant in (intervals or {}).get(name, {})
        }
        better = tuple(n for n in by_dataset if _beyond(n, 1, known, by_dataset, noise))
        worse = tuple(n for n in by_dataset if _beyond(n, -1, known, by_dataset, noise))
        deltas.append(VariantDeltas(variant, by_dataset, better, worse, known))
    return LeaveOneOut(tuple(rows), tuple(deltas), noise)


@dataclass(frozen=True, slots=True)
class MatrixReport:
    """Every dataset's outcome, their headline table and the leave-one-out summary."""

    outcomes: tuple[MatrixOutcome, ...]
    table: dict[str, dict[str, float]]
    summary: LeaveOneOut


def _finished(path: Path, stamp: Mapping[str, Any]) -> dict[str, Any] | None:
    if not path.exists():
        return None
    try:
        result = read_json(path)
    except ValidationError:
        return None  # a damaged file is run again
    return result if isinstance(result, dict) and result.get("matrix") == stamp else None


def run_matrix(
    datasets: Sequence[MatrixDataset],
    memory_factory: MemoryFactory,
    *,
    out: str | Path,
    limits: MatrixLimits | None = None,
    variants: Variants = MATRIX_VARIANTS,
    resume: bool = True,
    noise: float = 0.005,
    progress: Callable[[MatrixDataset], AbstractContextManager[Progress | None]] | None = None,
    on_done: Callable[[MatrixOutcome], None] | None = None,
) -> MatrixReport:
    """Run every dataset under every variant, each on a fresh ``memory_factory()`` memory.

    Each finished result (the runner's, plus a ``"matrix"`` block recording the dataset, the
    limits it used and the variants) is written to ``<out>/<name>.json`` at once. With
    ``resume``, a file whose ``"matrix"`` block matches is loaded instead of running again; it
    does not record the engine settings: use a new ``out`` after changing them. ``progress``
    gives a progress callback per dataset, ``on_done`` hears of each finished one.
    """
    if DEFAULT not in variants or PLAIN not in variants:
        raise ValidationError("variants", f"must include {DEFAULT!r} and {PLAIN!r}")
    limits = limits or MatrixLimits()
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    plan = {name: dict(changes) for name, changes in variants.items()}
    outcomes = []
    for dataset in datasets:
        path = folder / f"{dataset.name}.json"
        args = dataset.limit_args(limits)
        stamp = {"dataset": dataset.name, "limits": args, "variants": plan}
        result = _finished(path, stamp) if resume else None
        resumed = result is not None
        if result is None:
            bar = progress(dataset) if progress else nullcontext(None)
            with memory_factory() as memory, bar as advance:
                run = dataset.runner(
                    *dataset.inputs,
                    memory,
                    progress=advance,
                    variants=plan,
                    per_question=dataset.headline,
                    **args,
                )
            result = {**run, "matrix": stamp}
            write_json(path, result)
        outcome = MatrixOutcome(dataset, path, result, resumed)
        outcomes.append(outcome)
        if on_done is not None:
            on_done(outcome)
    table = {o.dataset.name: o.headlines() for o in outcomes}
    intervals = {o.dataset.name: o.intervals() for o in outcomes}
    summary = leave_one_out(table, noise=noise, intervals=intervals)
    return MatrixReport(tuple(outcomes), table, summary)
