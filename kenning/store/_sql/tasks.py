"""Task memory (:mod:`kenning.tasks`): tasks, their steps and the dependencies between
steps, written once for every SQL backend."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from kenning.errors import NotFound
from kenning.models import Step, StepKind, StepStatus, Task, TaskStatus
from kenning.store._codec import decode_json
from kenning.store._sql.core import SQLBase, chunks, marks
from kenning.store._sql.rows import required_time

_TASK_COLUMNS = (
    "id, user_id, agent_id, goal, status, outcome, steps, metadata, created_at, updated_at"
)
_STEP_COLUMNS = (
    "id, task_id, user_id, number, parent_id, kind, text, status, outcome, summary, "
    "stale_reason, data, created_at, updated_at"
)


def _task(row: Sequence[Any]) -> Task:
    return Task(
        id=row[0],
        user_id=row[1],
        agent_id=row[2],
        goal=row[3],
        status=TaskStatus(row[4]),
        outcome=row[5],
        steps=int(row[6]),
        metadata=decode_json(row[7]),
        created_at=required_time(row[8]),
        updated_at=required_time(row[9]),
    )


def _step(row: Sequence[Any], depends_on: tuple[str, ...]) -> Step:
    return Step(
        id=row[0],
        task_id=row[1],
        user_id=row[2],
        number=int(row[3]),
        parent_id=row[4],
        kind=StepKind(row[5]),
        text=row[6],
        status=StepStatus(row[7]),
        outcome=row[8],
        summary=row[9],
        stale_reason=row[10],
        data=decode_json(row[11]),
        created_at=required_time(row[12]),
        updated_at=required_time(row[13]),
        depends_on=depends_on,
    )


class TaskQueries(SQLBase):
    def put_task(self, task: Task) -> Task:
        with self._write():
            self._exec(
                f"INSERT INTO tasks ({_TASK_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (
                    task.id,
                    task.user_id,
                    task.agent_id,
                    task.goal,
                    task.status.value,
                    task.outcome,
                    task.steps,  # 0 for a new task; an import keeps the count
                    self.dialect.json(task.metadata),
                    self._time(task.created_at),
                    self._time(task.updated_at),
                ),
            )
        return task

    def get_task(self, user_id: str, task_id: str) -> Task | None:
        row = self._one(
            f"SELECT {_TASK_COLUMNS} FROM tasks WHERE user_id = ? AND id = ?", (user_id, task_id)
        )
        return _task(row) if row else None

    def list_tasks(self, user_id: str, *, agent_id: str | None = None) -> list[Task]:
        sql = f"SELECT {_TASK_COLUMNS} FROM tasks WHERE user_id = ?"
        params: list[Any] = [user_id]
        if agent_id is not None:
            sql += " AND agent_id = ?"
            params.append(agent_id)
        return [_task(row) for row in self._rows(sql + " ORDER BY created_at, id", params)]

    def update_task(self, task: Task) -> None:
        with self._write():
            self._exec(
                "UPDATE tasks SET status = ?, outcome = ?, metadata = ?, updated_at = ? "
                "WHERE id = ? AND user_id = ?",
                (
                    task.status.value,
                    task.outcome,
                    self.dialect.json(task.metadata),
                    self._time(task.updated_at),
                    task.id,
                    task.user_id,
                ),
            )

    def add_task_step(self, step: Step) -> Step:
        with self._write():
            counted = self._one(
                "UPDATE tasks SET steps = steps + 1, updated_at = ? "
                "WHERE id = ? AND user_id = ? RETURNING steps",
                (self._time(step.created_at), step.task_id, step.user_id),
            )
            if counted is None:
                raise NotFound(f"task {step.task_id!r} not found")
            number = int(counted[0])
            self._insert_step(replace(step, number=number))
        return replace(step, number=number)

    def add_task_dependencies(self, step: Step, depends_on: Sequence[str]) -> None:
        with self._write():
            self._put_dependencies(step, depends_on)

    def _put_dependencies(self, step: Step, depends_on: Sequence[str]) -> None:
        for target in depends_on:
            self._exec(
                "INSERT INTO task_dependencies (step_id, depends_on, task_id, user_id) "
                "VALUES (?,?,?,?) ON CONFLICT DO NOTHING",
                (step.id, target, step.task_id, step.user_id),
            )

    def task_steps(self, user_id: str, task_id: str) -> list[Step]:
        rows = self._rows(
            f"SELECT {_STEP_COLUMNS} FROM task_steps WHERE user_id = ? AND task_id = ? "
            "ORDER BY number",
            (user_id, task_id),
        )
        edges: dict[str, list[str]] = {}
        for step_id, target in self._rows(
            "SELECT step_id, depends_on FROM task_dependencies WHERE task_id = ? AND user_id = ? "
            "ORDER BY step_id, depends_on",
            (task_id, user_id),
        ):
            edges.setdefault(step_id, []).append(target)
        return [_step(row, tuple(edges.get(row[0], ()))) for row in rows]

    def get_task_step(self, user_id: str, step_id: str) -> Step | None:
        row = self._one(
            f"SELECT {_STEP_COLUMNS} FROM task_steps WHERE user_id = ? AND id = ?",
            (user_id, step_id),
        )
        if row is None:
            return None
        targets = self._rows(
            "SELECT depends_on FROM task_dependencies WHERE step_id = ? ORDER BY depends_on",
            (step_id,),
        )
        return _step(row, tuple(str(t[0]) for t in targets))

    def update_task_steps(self, steps: Sequence[Step]) -> None:
        with self._write():
            for step in steps:
                self._exec(
                    "UPDATE task_steps SET status = ?, outcome = ?, summary = ?, "
                    "stale_reason = ?, data = ?, updated_at = ? WHERE id = ? AND user_id = ?",
                    (
                        step.status.value,
                        step.outcome,
                        step.summary,
                        step.stale_reason,
                        self.dialect.json(step.data),
                        self._time(step.updated_at),
                        step.id,
                        step.user_id,
                    ),
                )

    def restore_task_steps(self, steps: Sequence[Step]) -> None:
        """Insert steps as they were exported, numbers and dependencies included."""
        with self._write():
            for step in steps:
                self._insert_step(step)

    def _insert_step(self, step: Step) -> None:
        self._exec(
            f"INSERT INTO task_steps ({_STEP_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                step.id,
                step.task_id,
                step.user_id,
                step.number,
                step.parent_id,
                step.kind.value,
                step.text,
                step.status.value,
                step.outcome,
                step.summary,
                step.stale_reason,
                self.dialect.json(step.data),
                self._time(step.created_at),
                self._time(step.updated_at),
            ),
        )
        self._put_dependencies(step, step.depends_on)

    def delete_tasks(self, user_id: str, task_ids: Sequence[str] | None = None) -> int:
        with self._write():
            if task_ids is None:
                task_ids = [
                    r[0] for r in self._rows("SELECT id FROM tasks WHERE user_id = ?", (user_id,))
                ]
            for chunk in chunks(list(task_ids)):
                for table, column in (
                    ("task_dependencies", "task_id"),
                    ("task_steps", "task_id"),
                    ("tasks", "id"),
                ):
                    self._exec(
                        f"DELETE FROM {table} WHERE user_id = ? AND {column} IN ({marks(chunk)})",
                        (user_id, *chunk),
                    )
        return len(task_ids)
