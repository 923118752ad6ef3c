"""``kenning eval ...``: retrieval quality on public benchmarks (``kenning.eval``), each
dataset ingested into a fresh temporary store unless ``--db`` names one."""

from __future__ import annotations

import functools
import json
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from kenning.cli import _matrix
from kenning.cli._output import console, errors, print_error, print_json, progress_bar
from kenning.errors import KenningError

if TYPE_CHECKING:  # imported where used: `kenning --help` must not load the engine
    from kenning.memory import Memory

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]

eval_app = typer.Typer(help="Measure retrieval quality on public benchmarks.", no_args_is_help=True)

JsonOut = Annotated[
    Path | None, typer.Option("--json", help="Also write the full results to this JSON file.")
]
EvalDb = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="Store to ingest into: a SQLite file or postgresql:// URL (default: a fresh "
        "temporary file).",
    ),
]


@contextmanager
def _eval_memory(db: str | None) -> Iterator[Memory]:
    from kenning.cli.app import _memory as _open

    with (
        tempfile.TemporaryDirectory(prefix="kenning-eval-") as tmp,
        _open(db or Path(tmp) / "eval.db") as memory,
    ):
        yield memory


def _report(
    result: dict[str, Any], out: Path | None, sections: list[tuple[str, dict[str, Any]]]
) -> None:
    from rich.table import Table

    for title, metrics in sections:
        table = Table(title=title)
        table.add_column("metric")
        table.add_column("value", justify="right")
        for key, value in metrics.items():
            table.add_row(key, f"{value:.4f}" if isinstance(value, float) else str(value))
        console.print(table)
    console.print(
        {k: round(v, 3) if isinstance(v, float) else v for k, v in result.get("timing", {}).items()}
    )
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, indent=2), encoding="utf-8")
        console.print(f"results written to {out}")


AblationFlag = Annotated[
    bool,
    typer.Option(
        "--ablation/--no-ablation",
        help="Also answer every question with each retrieval component off in turn (and "
        "dense-only / BM25-only baselines) and print the comparison; --no-ablation is faster.",
    ),
]


def _print_ablation(result: dict[str, Any], metrics: tuple[str, ...], *, categories: bool) -> None:
    from rich.console import Console
    from rich.table import Table

    ablation = result.get("ablation")
    if not ablation:
        return
    table = Table(title="ablation (same ingest, each variant answers every question)")
    table.add_column("configuration", no_wrap=True)
    for metric in metrics:
        table.add_column(metric, justify="right", no_wrap=True)
    table.add_column(f"Δ {metrics[0]}", justify="right", no_wrap=True)
    category_names = sorted(ablation["default"].get("per_category", {})) if categories else []
    for category in category_names:
        table.add_column(f"cat {category}", justify="right", no_wrap=True)
    if categories:
        table.add_column("dev / test", justify="right", no_wrap=True)
    reference = ablation["default"]["overall"][metrics[0]]
    for name, variant in ablation.items():
        overall = variant["overall"]
        row = [name, *(f"{overall[m]:.3f}" for m in metrics)]
        row.append("" if name == "default" else f"{overall[metrics[0]] - reference:+.3f}")
        for category in category_names:
            row.append(f"{variant['per_category'][category][metrics[0]]:.3f}")
        if categories:
            halves = variant["halves"]
            row.append(
                " / ".join(
                    f"{halves[h][metrics[0]]:.3f}" if h in halves else "-" for h in ("dev", "test")
                )
            )
        table.add_row(*row)
    # Wider than a default 80-column pipe, so the table reads the same in a log file.
    Console(width=max(console.width, 150)).print(table)


def _variants(ablation: bool) -> dict[str, dict[str, Any]] | None:
    from kenning.eval.ablation import ABLATIONS

    return ABLATIONS if ablation else None


def _headline(metrics: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    return {k: v for k, v in metrics.items() if k.split("@")[-1] in keys or k == "questions"}


@eval_app.command("locomo")
def eval_locomo(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="locomo10.json")],
    out: JsonOut = None,
    limit_conversations: Annotated[
        int | None, typer.Option(help="Only the first N conversations.")
    ] = None,
    db: EvalDb = None,
    ablation: AblationFlag = True,
    context_budget: Annotated[
        int | None,
        typer.Option(
            min=20,
            help="Also build each question's context block at this many tokens and report "
            "for how many questions it holds an evidence turn, beside the top 10 hits.",
        ),
    ] = None,
) -> None:
    """LoCoMo turn retrieval, categories 1-4: recall/any/all/ndcg@k overall and per category."""
    from kenning.eval import run_locomo

    with _eval_memory(db) as memory, progress_bar("locomo conversations", None) as advance:
        result = run_locomo(
            path,
            memory,
            limit_conversations=limit_conversations,
            progress=advance,
            variants=_variants(ablation),
            context_budget=context_budget,
        )
    sections = [("overall", _headline(result["overall"], ("1", "5", "10", "25", "50")))]
    sections += [
        (f"category {c}", _headline(m, ("10",))) for c, m in sorted(result["per_category"].items())
    ]
    sections += [
        (f"{name} half of the conversations", _headline(m, ("10",)))
        for name, m in result["halves"].items()
    ]
    if "context" in result:
        sections.append(("context block", result["context"]))
    _report(result, out, sections)
    _print_ablation(result, ("recall@10", "ndcg@10"), categories=True)


@eval_app.command("longmemeval")
def eval_longmemeval(
    path: Annotated[
        Path,
        typer.Argument(exists=True, dir_okay=False, help="longmemeval_s.json (or same format)"),
    ],
    out: JsonOut = None,
    limit_questions: Annotated[
        int | None,
        typer.Option(help="Only N questions, spread evenly over the file (every type)."),
    ] = None,
    db: EvalDb = None,
    ablation: AblationFlag = True,
) -> None:
    """LongMemEval retrieval: recall_any/recall_all/ndcg_any@k at session and turn level."""
    from kenning.eval import run_longmemeval

    with _eval_memory(db) as memory, progress_bar("longmemeval questions", None) as advance:
        result = run_longmemeval(
            path,
            memory,
            limit_questions=limit_questions,
            progress=advance,
            variants=_variants(ablation),
        )
    _report(result, out, [("session", result["session"]), ("turn", result["turn"])])
    _print_ablation(
        result,
        ("session recall_any@5", "turn recall_any@5", "session ndcg_any@5"),
        categories=False,
    )


@eval_app.command("realmem")
def eval_realmem(
    folder: Annotated[
        Path,
        typer.Argument(
            exists=True,
            file_okay=False,
            help="RealMem folder: dataset/*_dialogues_256k.json and realmem_queries_derived.json",
        ),
    ],
    out: JsonOut = None,
    limit_persons: Annotated[int | None, typer.Option(help="Only the first N histories.")] = None,
    limit_queries: Annotated[int | None, typer.Option(help="Only the first N queries.")] = None,
    db: EvalDb = None,
    ablation: AblationFlag = True,
) -> None:
    """RealMem retrieval: each query over the history before it, session and turn level."""
    from kenning.eval import run_realmem

    with _eval_memory(db) as memory, progress_bar("realmem queries", None) as advance:
        result = run_realmem(
            folder,
            memory,
            limit_persons=limit_persons,
            limit_queries=limit_queries,
            progress=advance,
            variants=_variants(ablation),
        )
    _report(result, out, [("session", result["session"]), ("turn", result["turn"])])
    _print_ablation(
        result,
        ("session recall_any@5", "turn recall_any@10", "session ndcg_any@5"),
        categories=False,
    )


@eval_app.command("hipporag")
def eval_hipporag(
    questions: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="Questions JSON file.")
    ],
    corpus: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="Corpus JSON file.")],
    out: JsonOut = None,
    limit_questions: Annotated[int | None, typer.Option(help="Only the first N questions.")] = None,
    db: EvalDb = None,
    ablation: AblationFlag = True,
) -> None:
    """HippoRAG passage retrieval: recall@2 and recall@5."""
    from kenning.eval import run_hipporag

    with _eval_memory(db) as memory, progress_bar("hipporag", None) as advance:
        result = run_hipporag(
            questions,
            corpus,
            memory,
            limit_questions=limit_questions,
            progress=advance,
            variants=_variants(ablation),
        )
    _report(result, out, [("overall", result["overall"])])
    _print_ablation(result, ("recall@5", "recall@2"), categories=False)


@eval_app.command("matrix")
def eval_matrix(
    data_dir: Annotated[
        Path,
        typer.Argument(
            exists=True,
            file_okay=False,
            help="Data folder: locomo/, longmemeval/, realmem/, hipporag/ (as shared/data).",
        ),
    ],
    out: Annotated[
        Path, typer.Option("--out", help="Folder of the per-dataset result files.")
    ] = Path("eval-matrix"),
    only: Annotated[
        str | None,
        typer.Option(
            "--only",
            help="Comma-separated datasets (default: every one found): locomo, "
            "longmemeval_s, realmem, hotpotqa, musique.",
        ),
    ] = None,
    resume: Annotated[
        bool,
        typer.Option(
            "--resume/--no-resume",
            help="Load a dataset's finished file from --out (same limits and variants) "
            "instead of running it again.",
        ),
    ] = True,
    limit_locomo: Annotated[
        int | None, typer.Option(min=1, help="Only the first N LoCoMo conversations.")
    ] = None,
    limit_longmemeval: Annotated[
        int | None, typer.Option(min=1, help="Only N LongMemEval questions, spread evenly.")
    ] = None,
    limit_realmem_persons: Annotated[
        int | None, typer.Option(min=1, help="Only the first N RealMem histories.")
    ] = None,
    limit_realmem_queries: Annotated[
        int | None, typer.Option(min=1, help="Only the first N RealMem queries.")
    ] = None,
    limit_hipporag: Annotated[
        int | None, typer.Option(min=1, help="Only the first N HotpotQA / MuSiQue questions.")
    ] = None,
    markdown: Annotated[
        Path | None, typer.Option("--markdown", help="Also write the tables as markdown here.")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Every development dataset under every variant (one fresh store each), and the figure of
    each under the variant chosen on the others (leave-one-dataset-out)."""

    from kenning.eval.matrix import MatrixLimits, run_matrix, select_datasets

    limits = MatrixLimits(
        locomo_conversations=limit_locomo,
        longmemeval_questions=limit_longmemeval,
        realmem_persons=limit_realmem_persons,
        realmem_queries=limit_realmem_queries,
        hipporag_questions=limit_hipporag,
    )
    command = _matrix.command_line(
        data_dir,
        out=out,
        only=only,
        resume=resume,
        limits=limits,
        markdown=markdown,
        as_json=as_json,
    )
    (errors if as_json else console).print(command, markup=False, highlight=False, soft_wrap=True)
    try:
        names = [n.strip() for n in only.split(",") if n.strip()] if only else None
        selection = select_datasets(data_dir, only=names)
        for note in selection.notes:
            errors.print(note, markup=False, highlight=False)
        report = run_matrix(
            selection.datasets,
            functools.partial(_eval_memory, None),
            out=out,
            limits=limits,
            resume=resume,
            progress=lambda dataset: progress_bar(dataset.name, None),
            on_done=lambda o: errors.print(_matrix.describe_outcome(o), markup=False),
        )
    except KenningError as exc:
        print_error(exc)
        raise typer.Exit(2) from exc
    tables = _matrix.matrix_tables(report)
    if as_json:
        print_json(_matrix.report_json(report, command))
    else:
        _matrix.print_tables(tables)
    if markdown is not None:
        markdown.parent.mkdir(parents=True, exist_ok=True)
        markdown.write_text(_matrix.markdown(tables, command), encoding="utf-8")
        errors.print(f"markdown written to {markdown}", markup=False, highlight=False)


@eval_app.command("sample-longmemeval")
def eval_sample_longmemeval(
    out: Annotated[Path, typer.Argument(help="Where to write the generated file.")],
    questions: Annotated[int, typer.Option(help="Number of questions.")] = 20,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
) -> None:
    """Write a small synthetic file in the LongMemEval format (for smoke runs)."""
    from kenning.eval import write_sample_longmemeval

    write_sample_longmemeval(out, n_questions=questions, seed=seed)
    console.print(f"wrote {questions} questions to {out}")


@eval_app.command("updates")
def eval_updates(
    stories: Annotated[int, typer.Option(min=1, help="Number of generated stories.")] = 500,
    seed: Annotated[int, typer.Option(help="Random seed of the story generator.")] = 0,
    out: JsonOut = None,
    db: Annotated[
        Path | None,
        typer.Option(
            "--db",
            help="Base path of the two stores, one per run: <stem>-local<suffix> and "
            "<stem>-off<suffix>; both must not exist yet (default: fresh temporary files).",
        ),
    ] = None,
    dump: Annotated[
        Path | None,
        typer.Option("--dump", help="Also write the generated stories to this JSON file."),
    ] = None,
) -> None:
    """Knowledge updates: current value first now, old value first as of before the change."""

    from rich.console import Console
    from rich.table import Table

    from kenning.eval import generate_update_stories, run_updates, write_update_stories

    generated = generate_update_stories(stories, seed=seed)
    if dump is not None:
        write_update_stories(dump, generated)
        console.print(f"stories written to {dump}")
    modes = ("local", "off")
    runs: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="kenning-eval-") as tmp:
        base = db or Path(tmp) / "updates.db"
        paths = {mode: base.with_name(f"{base.stem}-{mode}{base.suffix}") for mode in modes}
        taken = [str(path) for path in paths.values() if path.exists()]
        if taken:
            errors.print(
                f"[red]error:[/red] {', '.join(taken)} exists; each run needs a fresh store"
            )
            raise typer.Exit(2)
        base.parent.mkdir(parents=True, exist_ok=True)
        for mode in modes:
            from kenning.cli.app import _memory

            factory = functools.partial(_memory, paths[mode], fact_extraction=mode)
            with progress_bar(f"updates, fact extraction {mode}", None) as advance:
                runs[mode] = run_updates(factory, generated, progress=advance)

    wide = Console(width=max(console.width, 130))
    table = Table(title=f"knowledge updates: {len(generated)} stories, seed {seed}")
    metrics = ("accuracy@1", "accuracy@5", "mrr")
    table.add_column("fact extraction", no_wrap=True)
    for metric in metrics:
        for kind in ("current", "as-of"):
            table.add_column(f"{kind} {metric.replace('accuracy', 'acc')}", justify="right")
    table.add_column("questions", justify="right")
    for mode, run in runs.items():
        cells = [
            f"{run[f'{kind}_{metric}']:.3f}" for metric in metrics for kind in ("current", "as_of")
        ]
        table.add_row(mode, *cells, str(run["questions"]))
    wide.print(table)

    per_attribute = Table(title="per attribute, fact extraction local")
    per_attribute.add_column("attribute", no_wrap=True)
    per_attribute.add_column("stories", justify="right")
    for column in ("current acc@1", "as-of acc@1", "current mrr", "as-of mrr"):
        per_attribute.add_column(column, justify="right")
    for name, row in runs["local"]["per_attribute"].items():
        per_attribute.add_row(
            name,
            str(row["stories"]),
            *(
                f"{row[key]:.3f}"
                for key in ("current_accuracy@1", "as_of_accuracy@1", "current_mrr", "as_of_mrr")
            ),
        )
    wide.print(per_attribute)
    for mode, run in runs.items():
        timing = {k: round(v, 3) if isinstance(v, float) else v for k, v in run["timing"].items()}
        console.print(f"{mode}: {timing}")
    if out is not None:
        result = {
            "dataset": "updates",
            "generator": {"stories": stories, "seed": seed},
            "runs": runs,
        }
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, indent=2, ensure_ascii=False), encoding="utf-8")
        console.print(f"results written to {out}")


@eval_app.command("tasks")
def eval_tasks(
    tasks: Annotated[int, typer.Option("--tasks", min=1, help="Number of generated tasks.")] = 200,
    seed: Annotated[int, typer.Option(help="Random seed of the task generator.")] = 0,
    budget: Annotated[
        int, typer.Option("--budget", min=20, help="Token budget of each task context.")
    ] = 1500,
    out: JsonOut = None,
    db: EvalDb = None,
) -> None:
    """Task memory: generated long agent tasks replayed through TaskMemory; questions about
    earlier steps answered from the context (and expand), its size against the transcript."""
    from kenning.eval.tasks import generate_tasks, run_tasks

    generated = generate_tasks(tasks, seed=seed)
    with _eval_memory(db) as memory, progress_bar("tasks", None) as advance:
        result = run_tasks(memory, generated, budget_tokens=budget, progress=advance)
    result["generator"] = {"tasks": tasks, "seed": seed}
    sections: list[tuple[str, dict[str, Any]]] = [
        (f"answers: {tasks} tasks, {result['steps']} steps, seed {seed}", result["overall"])
    ]
    sections += [(f"question type {name}", row) for name, row in result["per_type"].items()]
    sections += [
        (
            f"size (tokens = characters / 4), budget {budget}",
            {
                "context mean": result["context"]["tokens_mean"],
                "context p95": result["context"]["tokens_p95"],
                "transcript mean": result["transcript"]["tokens_mean"],
                "transcript p95": result["transcript"]["tokens_p95"],
                "context / transcript mean": result["ratio"]["mean"],
                "context / transcript max": result["ratio"]["max"],
                "expand calls": result["expand"]["calls"],
                "expanded tokens mean": result["expand"]["tokens_mean"],
            },
        ),
        ("target: answered at <= 25% of the transcript", result["target"]),
        ("stale flags after revisions", result["stale"]),
    ]
    _report(result, out, sections)
