"""Task memory (issue 17): generated long agent tasks replayed through ``TaskMemory``.

The generator (:func:`generate_tasks`, seeded, no data files) writes long tasks: a goal, nested
subgoals (depth up to 3), tool calls with distinctive results, actions, observations and notes,
dependencies that point backwards (a deploy reads the config step that set it, an observation
reads a tool call), and revisions of config steps whose dependents must become stale. Every
``every`` steps, and once more when the task's subgoals are all closed, a checkpoint asks
questions about earlier steps.

The scripted agent (:func:`run_tasks`) replays each task through ``TaskMemory`` and answers
every question with no LLM, from what ``TaskMemory.context`` shows, calling ``expand`` (or
``search``) only when the context does not hold the answer. Answers are scored exactly against
the generator's ground truth; the engine never sees it.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kenning.errors import ValidationError
from kenning.models import Step, StepKind, StepStatus, TaskContext

from ._common import Progress, describe, percentile, stamp
from .task_scripts import (
    Checkpoint,
    GeneratedTask,
    Op,
    QuestionType,
    Route,
    ScriptQuestion,
    ScriptStep,
    generate_tasks,
    render_step,
    transitive_dependents,
)

if TYPE_CHECKING:
    from kenning.memory import Memory
    from kenning.tasks import TaskMemory

__all__ = [
    "Checkpoint",
    "GeneratedTask",
    "Op",
    "QuestionType",
    "Route",
    "ScriptQuestion",
    "ScriptStep",
    "generate_tasks",
    "render_step",
    "run_tasks",
    "transitive_dependents",
]

MAX_EXPANDS = 3
"""Subgoals the agent expands, nearest first, before falling back to ``search``."""

TARGET_RATIO = 0.25
"""The context may take at most this share of the transcript's tokens (issue 17)."""

LONG_FACTOR = 2
"""A question scores against the ratio target when its transcript is this many budgets long."""


# -- the scripted agent -------------------------------------------------------------------------

_NUMBER = re.compile(r"#(\d+)")
_SPAN = re.compile(r"\[(?:done|failed)\] #(\d+) .*\(steps #(\d+)-#(\d+)\)\s*$")
_STALE = re.compile(r"^\s*((?:#\d+, )*#\d+) STALE\b")


def _chars_tokens(text: str) -> float:
    """The harness's own token estimate (characters / 4), the same for context and transcript."""
    return len(text) / 4


def _line_number(line: str) -> int | None:
    """The newest step a context line speaks for: a collapsed subgoal's last step, else the
    first ``#n`` of the line."""
    span = _SPAN.search(line)
    if span is not None:
        return int(span.group(3))
    found = _NUMBER.search(line)
    return int(found.group(1)) if found else None


def _holds(step: Step, answer: str) -> bool:
    return answer in step.text or step.data.get("result") == answer


@dataclass(slots=True)
class _Answer:
    route: Route
    expands: int = 0
    expand_chars: int = 0


def _tool_result(
    tm: TaskMemory, ctx: TaskContext, number: int, answer: str, question: str, user_id: str
) -> _Answer:
    """Step ``number``'s result: from its line in the context; else expand the innermost
    finished subgoal whose span (``steps #a-#b``) holds it; else ``search``."""
    for line in ctx.text.splitlines():
        if answer in line and _line_number(line) == number and not _SPAN.search(line):
            return _Answer(Route.CONTEXT)
    by_number = {s.number: s for s in ctx.collapsed}
    spans: list[tuple[int, int]] = []  # (width, subgoal number)
    for line in ctx.text.splitlines():
        span = _SPAN.search(line)
        if span and int(span.group(2)) <= number <= int(span.group(3)):
            spans.append((int(span.group(3)) - int(span.group(2)), int(span.group(1))))
    out = _Answer(Route.MISSED)
    for _, subgoal in sorted(spans)[:MAX_EXPANDS]:
        if subgoal not in by_number:
            continue
        expanded = tm.expand(by_number[subgoal].id, user_id=user_id)
        out.expands += 1
        out.expand_chars += sum(len(render_step(s)) + 1 for s in expanded)
        if any(s.number == number and _holds(s, answer) for s in expanded):
            out.route = Route.EXPAND
            return out
    hits = tm.search(ctx.task.id, question, user_id=user_id, limit=5)
    if any(s.number == number and _holds(s, answer) for s in hits):
        out.route = Route.SEARCH
    return out


def _dependents(ctx: TaskContext, numbers: set[int]) -> _Answer:
    """Every dependent flagged in the context text (``#n, #m STALE: why``)."""
    flagged = {
        int(number)
        for line in ctx.text.splitlines()
        if (m := _STALE.match(line))
        for number in re.findall(r"#(\d+)", m.group(1))
    }
    return _Answer(Route.CONTEXT if numbers <= flagged else Route.MISSED)


def _current_value(
    tm: TaskMemory, ctx: TaskContext, key: str, answer: str, user_id: str
) -> _Answer:
    """The value of the newest line of the context that sets ``key``; when no line of the
    context sets it, of the newest non-revised step ``search`` finds."""
    pattern = re.compile(rf"\b{re.escape(key)} = ([^\s,;…]+)")
    seen: list[tuple[int, str]] = []
    for line in ctx.text.splitlines():
        found, number = pattern.search(line), _line_number(line)
        if found and number is not None:
            seen.append((number, found.group(1)))
    if seen:
        return _Answer(Route.CONTEXT if max(seen)[1] == answer else Route.MISSED)
    hits = tm.search(ctx.task.id, f"current value of {key}", user_id=user_id, limit=10)
    values = [
        (s.number, found.group(1))
        for s in hits
        if s.status is not StepStatus.REVISED and (found := pattern.search(s.text))
    ]
    return _Answer(Route.SEARCH if values and max(values)[1] == answer else Route.MISSED)


@dataclass(frozen=True, slots=True)
class _Row:
    """One answered (or missed) question with the sizes at that moment."""

    type: QuestionType
    route: Route
    final: bool
    context: float  # tokens, chars / 4
    engine_tokens: int  # TaskContext.tokens
    transcript: float  # tokens, chars / 4
    expands: int
    expand_tokens: float
    listed: bool  # DEPENDENTS: every dependent in TaskContext.stale too

    @property
    def answered(self) -> bool:
        return self.route is not Route.MISSED


@dataclass(slots=True)
class _Tally:
    rows: list[_Row] = field(default_factory=list)
    stale: list[tuple[int, int, int]] = field(default_factory=list)  # truth, flagged, extra
    misplaced: int = 0
    context_seconds: list[float] = field(default_factory=list)
    misses: list[dict[str, Any]] = field(default_factory=list)


def _question_text(question: ScriptQuestion, steps: Mapping[int, Step]) -> str:
    step = steps[question.about]
    if question.type is QuestionType.TOOL_RESULT:
        return f"What did step {step.number} ({step.text}) return?"
    if question.type is QuestionType.DEPENDENTS:
        return f"Which steps depend on step {step.number}, the {question.key} we changed?"
    return f"What is the current value of {question.key}?"


def _ask(
    tm: TaskMemory,
    task_id: str,
    checkpoint: Checkpoint,
    steps: Mapping[int, Step],
    transcript: float,
    *,
    user_id: str,
    budget: int,
    tally: _Tally,
    failures: int,
) -> None:
    started = time.perf_counter()
    ctx = tm.context(task_id, user_id=user_id, budget_tokens=budget)
    tally.context_seconds.append(time.perf_counter() - started)
    stale_ids = {s.id for s in ctx.stale}
    for question in checkpoint.questions:
        text = _question_text(question, steps)
        listed = True
        if question.type is QuestionType.TOOL_RESULT:
            number = steps[question.about].number
            answer = _tool_result(tm, ctx, number, question.answer, text, user_id)
        elif question.type is QuestionType.DEPENDENTS:
            answer = _dependents(ctx, {steps[i].number for i in question.dependents})
            listed = {steps[i].id for i in question.dependents} <= stale_ids
        else:
            answer = _current_value(tm, ctx, question.key, question.answer, user_id)
        row = _Row(
            question.type,
            answer.route,
            checkpoint.final,
            _chars_tokens(ctx.text),
            ctx.tokens,
            transcript,
            answer.expands,
            answer.expand_chars / 4,
            listed,
        )
        tally.rows.append(row)
        if not row.answered and len(tally.misses) < failures:
            expected = question.answer or sorted(steps[i].number for i in question.dependents)
            tally.misses.append(
                {"task_id": task_id, "question": text, "expected": expected, "context": ctx.text}
            )


def _replay(
    tm: TaskMemory,
    task: GeneratedTask,
    *,
    user_id: str,
    agent_id: str,
    budget: int,
    tally: _Tally,
    failures: int,
) -> None:
    started = tm.start(
        task.goal, user_id=user_id, agent_id=agent_id, metadata={"eval": task.task_id}
    )
    steps: dict[int, Step] = {}
    transcript = 0
    checkpoints = {c.after: c for c in task.checkpoints}
    for line in task.script:
        step: Step | None = None
        if line.op is Op.OPEN:
            step = tm.open_subgoal(started.id, line.text, user_id=user_id)
        elif line.op is Op.RECORD:
            step = tm.record(
                started.id,
                line.text,
                user_id=user_id,
                kind=line.kind or StepKind.NOTE,
                data=line.data,
                depends_on=[steps[i].id for i in line.depends_on],
            )
        elif line.op is Op.CLOSE and line.target is not None:
            tm.close_subgoal(
                steps[line.target].id, user_id=user_id, outcome=line.outcome, failed=line.failed
            )
        elif line.target is not None:
            revision = tm.revise(
                steps[line.target].id,
                line.text,
                user_id=user_id,
                reason=line.reason or "changed",
                data=line.data,
            )
            step = revision.step
            truth = {steps[i].id for i in transitive_dependents(task.script, line.target)}
            got = {s.id for s in revision.stale}
            tally.stale.append((len(truth), len(truth & got), len(got - truth)))
        if step is not None:
            parent = steps[line.parent].id if line.parent is not None else None
            tally.misplaced += step.parent_id != parent
            steps[line.index] = step
            transcript += len(render_step(step)) + 1
        if line.index in checkpoints:
            _ask(
                tm,
                started.id,
                checkpoints[line.index],
                steps,
                transcript / 4,
                user_id=user_id,
                budget=budget,
                tally=tally,
                failures=failures,
            )
    tm.finish(started.id, user_id=user_id, outcome=f"done: {task.goal}")


def _share(count: int, total: int) -> float | None:
    return round(count / total, 4) if total else None


def _mean(values: Sequence[float]) -> float | None:
    return round(sum(values) / len(values), 2) if values else None


def _p95(values: Sequence[float]) -> float | None:
    value = percentile(values, 95)
    return None if value is None else round(value, 2)


def _routes(rows: Sequence[_Row]) -> dict[str, Any]:
    """Questions, recall, and the share answered by each route."""
    out: dict[str, Any] = {
        "questions": len(rows),
        "recall": _share(sum(r.answered for r in rows), len(rows)),
    }
    for route in Route:
        out[f"{route.value}_share"] = _share(sum(r.route is route for r in rows), len(rows))
    return out


def _compact(rows: Sequence[_Row], budget: int) -> dict[str, Any]:
    """The ratio target: answered with a context of at most 25% of the transcript."""

    def met(row: _Row, extra: float = 0.0) -> bool:
        return row.answered and row.context + extra <= TARGET_RATIO * row.transcript

    long = [r for r in rows if r.transcript >= LONG_FACTOR * budget]
    return {
        "min_transcript_tokens": LONG_FACTOR * budget,
        "questions": len(long),
        "answerable_at_25pct": _share(sum(met(r) for r in long), len(long)),
        "answerable_at_25pct_with_expand": _share(
            sum(met(r, r.expand_tokens) for r in long), len(long)
        ),
        "recall": _share(sum(r.answered for r in long), len(long)),
        "ratio_mean": _mean([r.context / r.transcript for r in long]),
        "ratio_max": round(max((r.context / r.transcript for r in long), default=0.0), 4),
        "all_questions_answerable_at_25pct": _share(sum(met(r) for r in rows), len(rows)),
    }


def _bins(rows: Sequence[_Row], budget: int) -> dict[str, Any]:
    """Recall and context/transcript ratio by the transcript's length in budgets."""
    edges = ((0, 1), (1, 2), (2, 4), (4, None))
    out: dict[str, Any] = {}
    for low, high in edges:
        name = f">={low}x budget" if high is None else f"{low}-{high}x budget"
        group = [
            r
            for r in rows
            if low * budget <= r.transcript and (high is None or r.transcript < high * budget)
        ]
        out[name] = {
            **_routes(group),
            "ratio_mean": _mean([r.context / r.transcript for r in group]),
        }
    return out


def _summary(tally: _Tally, budget: int) -> dict[str, Any]:
    rows = tally.rows
    ratios = [r.context / r.transcript for r in rows if r.transcript]
    expanded = [r for r in rows if r.expands]
    dependents = [r for r in rows if r.type is QuestionType.DEPENDENTS]
    truth = sum(t for t, _, _ in tally.stale)
    return {
        "questions": len(rows),
        "overall": _routes(rows),
        "per_type": {
            kind.value: _routes([r for r in rows if r.type is kind]) for kind in QuestionType
        },
        "final_checkpoint": _routes([r for r in rows if r.final]),
        "expand": {
            "questions_expanding": len(expanded),
            "calls": sum(r.expands for r in rows),
            "tokens_mean": _mean([r.expand_tokens for r in expanded]),
        },
        "context": {
            "budget_tokens": budget,
            "tokens_mean": _mean([r.context for r in rows]),
            "tokens_p95": _p95([r.context for r in rows]),
            "tokens_max": max((r.context for r in rows), default=None),
            "engine_tokens_mean": _mean([float(r.engine_tokens) for r in rows]),
            "engine_over_budget": sum(r.engine_tokens > budget for r in rows),
        },
        "transcript": {
            "tokens_mean": _mean([r.transcript for r in rows]),
            "tokens_p95": _p95([r.transcript for r in rows]),
            "tokens_max": max((r.transcript for r in rows), default=None),
        },
        "ratio": {"mean": _mean(ratios), "max": round(max(ratios), 4) if ratios else None},
        "target": _compact(rows, budget),
        "by_transcript_length": _bins(rows, budget),
        "stale": {
            "revisions": len(tally.stale),
            "dependents": truth,
            "recall": _share(sum(f for _, f, _ in tally.stale), truth),
            "extra": sum(e for _, _, e in tally.stale),
            "revisions_fully_flagged": _share(
                sum(f == t for t, f, _ in tally.stale), len(tally.stale)
            ),
            "questions_flagged_in_text": _share(
                sum(r.answered for r in dependents), len(dependents)
            ),
            "questions_flagged_in_list": _share(sum(r.listed for r in dependents), len(dependents)),
        },
        "misplaced_steps": tally.misplaced,
    }


def run_tasks(
    memory: Memory,
    tasks: Sequence[GeneratedTask],
    *,
    budget_tokens: int = 1500,
    user_id: str = "tasks-eval",
    agent_id: str = "agent",
    failures: int = 5,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Replay every task through a ``TaskMemory`` on ``memory`` and score its questions.

    Each task is started under ``user_id`` / ``agent_id`` (one scope: the lessons of finished
    tasks reach later tasks' contexts as long-term memories) and replayed line by line; at
    each checkpoint one ``context(budget_tokens=...)`` is built and every question answered
    from it (``expand`` / ``search`` only when it does not hold the answer). The result has
    recall overall, per question type and per route, the context's and the transcript's
    sizes (characters / 4) at question time, the 25% target over questions whose transcript
    is at least ``LONG_FACTOR`` budgets long, and stale-flag recall of every revision.
    ``progress(done, total)`` runs per task.
    """
    from kenning.tasks import TaskMemory

    if budget_tokens < 20:
        raise ValidationError("budget_tokens", f"must be at least 20, got {budget_tokens}")
    tm = TaskMemory(memory)
    tally = _Tally()
    started = time.perf_counter()
    for done, task in enumerate(tasks, start=1):
        _replay(
            tm,
            task,
            user_id=user_id,
            agent_id=agent_id,
            budget=budget_tokens,
            tally=tally,
            failures=failures,
        )
        if progress is not None:
            progress(done, len(tasks))
    seconds = time.perf_counter() - started
    steps = sum(t.steps for t in tasks)
    context_ms = [s * 1000 for s in tally.context_seconds]
    return {
        "dataset": "tasks",
        "tasks": len(tasks),
        "steps": steps,
        **_summary(tally, budget_tokens),
        "misses": tally.misses,
        "timing": {
            "seconds": round(seconds, 2),
            "steps_per_second": round(steps / seconds, 1) if seconds else None,
            "contexts": len(context_ms),
            "context_ms_p50": _mean([percentile(context_ms, 50) or 0.0]),
            "context_ms_p95": _p95(context_ms),
        },
        "config": {
            **describe(memory),
            "budget_tokens": budget_tokens,
            "target_ratio": TARGET_RATIO,
            "long_factor": LONG_FACTOR,
            "max_expands": MAX_EXPANDS,
            "scope": {"user_id": user_id, "agent_id": agent_id},
            **stamp(),
        },
    }
