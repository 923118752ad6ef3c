"""``TaskMemory``: working memory for long agent tasks, beside a ``Memory``.

A task is a tree of steps: subgoals (opened, then closed done or failed with an outcome) and
the actions, tool calls, observations and notes recorded under the open subgoal. Steps are
append-only, like episodes: revising one records a new step and keeps the old one (status
``revised``); every step that depends on it, transitively, is flagged stale with the
reason until it is revised or resolved. A closed subgoal collapses to its summary in the
working context (:mod:`kenning.tasks.context`); ``expand`` and ``search`` bring its steps
back. Finishing a task turns its outcome and its failed subgoals into long-term memories of
the agent. Everything lives in the store (several processes may drive one task).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import numpy as np

from kenning.errors import NotFound, ValidationError
from kenning.ids import new_id
from kenning.index.lexical import BM25Index
from kenning.memory import Memory
from kenning.models import (
    ContextBlock,
    Revision,
    Step,
    StepKind,
    StepStatus,
    Task,
    TaskContext,
    TaskStatus,
)
from kenning.read.tokens import token_counter
from kenning.store import normalize_json
from kenning.tasks.context import Tree, build_task_context
from kenning.tasks.summary import line, summarize
from kenning.write.arguments import boolean, integer
from kenning.write.messages import check_encodable, optional_id, require_id

_RECORDED = (StepKind.ACTION, StepKind.TOOL_CALL, StepKind.OBSERVATION, StepKind.NOTE)


def _text(value: object, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(field, "must be a non-empty string")
    check_encodable(value, field)
    return value


def _data(value: Mapping[str, Any] | None) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ValidationError("data", "must be a JSON object")
    try:
        return normalize_json(dict(value))
    except (TypeError, ValueError) as exc:
        raise ValidationError("data", f"must be a JSON object: {exc}") from exc


class TaskMemory:
    """Tasks of a ``Memory``'s users (same store, same scoping by ``user_id``)."""

    def __init__(self, memory: Memory) -> None:
        self.memory = memory
        self._store = memory.store

    # -- tasks -------------------------------------------------------------------------
    def start(
        self,
        goal: str,
        *,
        user_id: str,
        agent_id: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> Task:
        """A new task with this goal."""
        now = datetime.now(UTC)
        task = Task(
            id=new_id(),
            user_id=require_id(user_id, "user_id"),
            agent_id=optional_id(agent_id, "agent_id"),
            goal=_text(goal, "goal"),
            status=TaskStatus.ACTIVE,
            created_at=now,
            updated_at=now,
            metadata=_data(metadata),
        )
        return self._store.put_task(task)

    def get(self, task_id: str, *, user_id: str) -> Task:
        """One task of the user (``NotFound`` otherwise)."""
        task = self._store.get_task(require_id(user_id, "user_id"), task_id)
        if task is None:
            raise NotFound(f"task {task_id!r} not found")
        return task

    def tasks(self, *, user_id: str, agent_id: str | None = None) -> list[Task]:
        """The user's tasks (of one agent), oldest first."""
        return self._store.list_tasks(require_id(user_id, "user_id"), agent_id=agent_id)

    def steps(self, task_id: str, *, user_id: str) -> list[Step]:
        """Every step of a task, by number."""
        task = self.get(task_id, user_id=user_id)
        return self._store.task_steps(task.user_id, task.id)

    def finish(self, task_id: str, *, user_id: str, outcome: str, failed: bool = False) -> Task:
        """Close the task (and its open subgoals) with its outcome; the outcome and every
        failed subgoal with its reason become long-term memories of the task's agent."""
        task = self.get(task_id, user_id=user_id)
        if task.status is not TaskStatus.ACTIVE:
            raise ValidationError("task_id", f"task {task_id!r} is {task.status.value} already")
        outcome = _text(outcome, "outcome")
        status = TaskStatus.FAILED if boolean(failed, "failed") else TaskStatus.DONE
        for subgoal in reversed(Tree.of(self.steps(task.id, user_id=user_id)).active_path()):
            self.close_subgoal(subgoal.id, user_id=user_id, failed=failed)
        done = replace(task, status=status, outcome=outcome, updated_at=datetime.now(UTC))
        self._store.update_task(done)
        self._lessons(done)
        return done

    def _lessons(self, task: Task) -> None:
        failures = [
            s
            for s in self._store.task_steps(task.user_id, task.id)
            if s.kind is StepKind.SUBGOAL and s.status is StepStatus.FAILED
        ]
        lessons = [f"Task '{task.goal}' {task.status.value}: {task.outcome}"]
        lessons += [
            f"In task '{task.goal}', the subgoal '{s.text}' failed: {s.summary or s.outcome}"
            for s in failures
        ]
        self.memory.add(
            [
                {
                    "role": "assistant",
                    "content": text,
                    "id": f"lesson:{task.id}:{number}",
                    "metadata": {"task_id": task.id, "lesson": True},
                }
                for number, text in enumerate(lessons)
            ],
            user_id=task.user_id,
            agent_id=task.agent_id,
            session_id=f"task:{task.id}",
        )

    # -- steps -------------------------------------------------------------------------
    def open_subgoal(
        self,
        task_id: str,
        text: str,
        *,
        user_id: str,
        parent_id: str | None = None,
        depends_on: Iterable[str] = (),
    ) -> Step:
        """Open a subgoal under ``parent_id`` (default: the open subgoal, so subgoals nest)."""
        return self._append(
            task_id, text, StepKind.SUBGOAL, StepStatus.OPEN, user_id, parent_id, depends_on, None
        )

    def record(
        self,
        task_id: str,
        text: str,
        *,
        user_id: str,
        kind: StepKind | str = StepKind.ACTION,
        data: Mapping[str, Any] | None = None,
        depends_on: Iterable[str] = (),
        parent_id: str | None = None,
    ) -> Step:
        """Record an action, tool call (``data``: tool, arguments, ``result``), observation
        or note, verbatim, under ``parent_id`` (default: the open subgoal)."""
        try:
            kind = StepKind(kind)
        except ValueError as exc:
            raise ValidationError("kind", f"{exc}; one of {[k.value for k in _RECORDED]}") from exc
        if kind is StepKind.SUBGOAL:
            raise ValidationError("kind", "subgoals are opened with open_subgoal")
        return self._append(
            task_id, text, kind, StepStatus.RECORDED, user_id, parent_id, depends_on, data
        )

    def _append(
        self,
        task_id: str,
        text: str,
        kind: StepKind,
        status: StepStatus,
        user_id: str,
        parent_id: str | None,
        depends_on: Iterable[str],
        data: Mapping[str, Any] | None,
    ) -> Step:
        task = self.get(task_id, user_id=user_id)
        if task.status is not TaskStatus.ACTIVE:
            raise ValidationError("task_id", f"task {task_id!r} is {task.status.value}")
        steps = self._store.task_steps(task.user_id, task.id)
        known = {s.id: s for s in steps}
        targets = tuple(dict.fromkeys(depends_on))
        for target in targets:
            if target not in known:
                raise ValidationError("depends_on", f"no step {target!r} in this task")
        if parent_id is None:
            path = Tree.of(steps).active_path()
            parent_id = path[-1].id if path else None
        elif known.get(parent_id) is None or known[parent_id].kind is not StepKind.SUBGOAL:
            raise ValidationError("parent_id", f"no subgoal {parent_id!r} in this task")
        elif known[parent_id].status is not StepStatus.OPEN:
            raise ValidationError("parent_id", f"subgoal {parent_id!r} is closed")
        now = datetime.now(UTC)
        step = Step(
            id=new_id(),
            task_id=task.id,
            user_id=task.user_id,
            number=0,  # numbered by the store
            kind=kind,
            text=_text(text, "text"),
            status=status,
            created_at=now,
            updated_at=now,
            parent_id=parent_id,
            depends_on=targets,
            data=_data(data),
        )
        return self._store.add_task_step(step)

    def step(self, task_id: str, step_id: str, *, user_id: str) -> Step:
        """One step of this task of the user (``NotFound`` for another task's or user's)."""
        step = self._store.get_task_step(require_id(user_id, "user_id"), step_id)
        if step is None or step.task_id != task_id:
            raise NotFound(f"step {step_id!r} not found in task {task_id!r}")
        return step

    def _step(self, step_id: str, user_id: str) -> Step:
        step = self._store.get_task_step(require_id(user_id, "user_id"), step_id)
        if step is None:
            raise NotFound(f"step {step_id!r} not found")
        return step

    def depend(self, step_id: str, *, on: Iterable[str], user_id: str) -> Step:
        """Record that a step depends on earlier steps of its task."""
        step = self._step(step_id, user_id)
        known = {s.id for s in self._store.task_steps(step.user_id, step.task_id)}
        targets = list(dict.fromkeys(on))
        for target in targets:
            if target not in known or target == step.id:
                raise ValidationError("on", f"no other step {target!r} in this task")
        self._store.add_task_dependencies(step, targets)
        return self._step(step_id, user_id)

    def revise(
        self,
        step_id: str,
        text: str,
        *,
        user_id: str,
        reason: str,
        data: Mapping[str, Any] | None = None,
    ) -> Revision:
        """Record a new version of a step (the old one is kept, ``revised``); every step
        that depends on it, transitively, is flagged stale with ``reason``."""
        old = self._step(step_id, user_id)
        if old.kind is StepKind.SUBGOAL:
            raise ValidationError("step_id", "a subgoal is not revised: close it, open another")
        if old.status is StepStatus.REVISED:
            raise ValidationError("step_id", f"step #{old.number} was revised already")
        reason = _text(reason, "reason")
        new = self.record(
            old.task_id,
            text,
            user_id=user_id,
            kind=old.kind,
            data={**_data(data), "revises": old.id, "revises_number": old.number},
        )
        steps = self._store.task_steps(old.user_id, old.task_id)
        now = datetime.now(UTC)
        why = f"#{old.number} was revised by #{new.number}: {reason}"
        stale = [replace(s, stale_reason=why, updated_at=now) for s in _dependents(steps, old.id)]
        revised = replace(old, status=StepStatus.REVISED, updated_at=now)
        fresh = replace(new, stale_reason=None) if old.stale_reason else new
        self._store.update_task_steps([revised, *stale])
        return Revision(step=fresh, revised=revised, stale=stale)

    def resolve(self, step_id: str, *, user_id: str) -> Step:
        """Clear a step's stale flag (checked: still valid after the revision)."""
        step = self._step(step_id, user_id)
        cleared = replace(step, stale_reason=None, updated_at=datetime.now(UTC))
        self._store.update_task_steps([cleared])
        return cleared

    def close_subgoal(
        self,
        step_id: str,
        *,
        user_id: str,
        outcome: str | None = None,
        failed: bool = False,
    ) -> Step:
        """Close a subgoal (and the subgoals open under it), done or failed, collapsing it
        to its summary: ``outcome`` when given, else written (LLM) or extractive."""
        subgoal = self._step(step_id, user_id)
        if subgoal.kind is not StepKind.SUBGOAL:
            raise ValidationError("step_id", f"step #{subgoal.number} is not a subgoal")
        if subgoal.status is not StepStatus.OPEN:
            raise ValidationError("step_id", f"subgoal #{subgoal.number} is closed already")
        if outcome is not None:
            outcome = _text(outcome, "outcome")
        status = StepStatus.FAILED if boolean(failed, "failed") else StepStatus.DONE
        tree = Tree.of(self._store.task_steps(subgoal.user_id, subgoal.task_id))
        inner = [
            s
            for s in tree.descendants(subgoal.id)
            if s.kind is StepKind.SUBGOAL and s.status is StepStatus.OPEN
        ]
        closed: list[Step] = []
        for target in [*sorted(inner, key=lambda s: -s.number), subgoal]:
            own_outcome = outcome if target is subgoal else None
            done = replace(target, status=status, outcome=own_outcome)
            summary, calls = (
                (own_outcome, [])
                if own_outcome
                else summarize(done, tree.descendants(target.id), self.memory.llm)
            )
            if calls:
                self._store.put_llm_calls(subgoal.user_id, calls)
            closed.append(replace(done, summary=summary, updated_at=datetime.now(UTC)))
        self._store.update_task_steps(closed)
        return closed[-1]

    def expand(self, step_id: str, *, user_id: str) -> list[Step]:
        """Every step under a subgoal (recursively), in full, by number."""
        subgoal = self._step(step_id, user_id)
        tree = Tree.of(self._store.task_steps(subgoal.user_id, subgoal.task_id))
        return tree.descendants(subgoal.id)

    def search(self, task_id: str, query: str, *, user_id: str, limit: int = 10) -> list[Step]:
        """The task's steps best matching ``query`` (BM25 over their text and data)."""
        _text(query, "query")
        integer(limit, "limit", low=1, high=1000)
        steps = self.steps(task_id, user_id=user_id)
        index = BM25Index()
        for step in steps:
            index.add(line(step))
        if not steps:
            return []
        scores = index.scores(query)
        order = np.argsort(-scores, kind="stable")[:limit]
        return [steps[int(i)] for i in order if scores[int(i)] > 0]

    # -- context -----------------------------------------------------------------------
    def context(
        self, task_id: str, *, user_id: str, budget_tokens: int | None = None
    ) -> TaskContext:
        """The working context: goal, plan, active path in full, stale steps, long-term
        memories, within ``budget_tokens`` (default: the context_budget_tokens setting)."""
        settings = self.memory.settings
        budget = settings.context_budget_tokens if budget_tokens is None else budget_tokens
        integer(budget, "budget_tokens", low=20, high=1_000_000)
        task = self.get(task_id, user_id=user_id)
        steps = self._store.task_steps(task.user_id, task.id)

        def memories(query: str, room: int) -> ContextBlock | None:
            block = self.memory.context(query, user_id=task.user_id, budget_tokens=max(room, 20))
            return block if block.tokens <= room else None

        return build_task_context(
            task,
            steps,
            budget_tokens=budget,
            counter=token_counter(settings.context_tokenizer),
            memories=memories,
        )


def _dependents(steps: Sequence[Step], step_id: str) -> list[Step]:
    """Every step that depends on ``step_id``, directly or through others, by number."""
    by_target: dict[str, list[Step]] = {}
    for step in steps:
        for target in step.depends_on:
            by_target.setdefault(target, []).append(step)
    found: dict[str, Step] = {}
    todo = [step_id]
    while todo:
        for step in by_target.get(todo.pop(), []):
            if step.id not in found and step.status is not StepStatus.REVISED:
                found[step.id] = step
                todo.append(step.id)
    return sorted(found.values(), key=lambda s: s.number)
