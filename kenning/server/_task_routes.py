"""The ``/v1/users/{user_id}/tasks`` endpoints: working memory for long agent tasks.

Each route calls one :class:`kenning.tasks.TaskMemory` method with the path's user id
(issue 17). A step is always named under its task (``/tasks/{task_id}/steps/{step_id}``):
a step id of another task, or of another user, is a 404 like a missing one.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from kenning.models import Revision, Step, StepKind, Task, TaskContext
from kenning.server._auth import ScopedUser
from kenning.server._routes import _ERRORS, _json, _limits, _memory
from kenning.server._schemas import _Body
from kenning.tasks import TaskMemory

tasks = APIRouter(prefix="/v1/users/{user_id}", tags=["tasks"], responses=_ERRORS)

MAX_IDS = 100  # step ids per depends_on / on list

StepIds = Annotated[
    list[str] | None,
    Field(max_length=MAX_IDS, description="Ids of earlier steps of the task it depends on."),
]


# -- request bodies ------------------------------------------------------------------------


class StartRequest(_Body):
    """A new task (``TaskMemory.start``)."""

    goal: str = Field(description="What the task is to achieve.")
    agent_id: str | None = Field(default=None, description="Agent working on it.")
    metadata: dict[str, Any] | None = Field(default=None, description="Any JSON object.")


class SubgoalRequest(_Body):
    """A subgoal to open (``TaskMemory.open_subgoal``)."""

    text: str = Field(description="The subgoal.")
    parent_id: str | None = Field(
        default=None, description="Open subgoal to nest it under (default: the open one)."
    )
    depends_on: StepIds = None


class RecordRequest(_Body):
    """A step to record verbatim (``TaskMemory.record``)."""

    text: str = Field(description="What was done, called, seen or noted.")
    kind: StepKind = Field(
        default=StepKind.ACTION,
        description="action, tool_call, observation or note (subgoals are opened apart).",
    )
    data: dict[str, Any] | None = Field(
        default=None, description="Any JSON object (a tool call: tool, arguments, result)."
    )
    depends_on: StepIds = None
    parent_id: str | None = Field(
        default=None, description="Open subgoal to record it under (default: the open one)."
    )


class CloseRequest(_Body):
    """How a subgoal ends (``TaskMemory.close_subgoal``)."""

    outcome: str | None = Field(
        default=None, description="Its summary (default: written by the LLM, else extractive)."
    )
    failed: bool = Field(default=False, strict=True, description="Closed as failed.")


class ReviseRequest(_Body):
    """A new version of a step (``TaskMemory.revise``); the old one is kept."""

    text: str = Field(description="The new text.")
    reason: str = Field(description="Why: shown on every step that depended on the old one.")
    data: dict[str, Any] | None = Field(default=None, description="Any JSON object.")


class DependRequest(_Body):
    """Earlier steps a step depends on (``TaskMemory.depend``)."""

    on: list[str] = Field(min_length=1, max_length=MAX_IDS, description="Step ids.")


class TaskSearchRequest(_Body):
    """A search among a task's steps (``TaskMemory.search``)."""

    query: str = Field(description="What to look for (BM25 over the steps' text and data).")
    limit: int = Field(default=10, ge=1, le=1000, strict=True, description="Most steps.")


class TaskContextRequest(_Body):
    """A task's working context (``TaskMemory.context``)."""

    budget_tokens: int | None = Field(
        default=None,
        ge=20,
        le=1_000_000,
        strict=True,
        description="Most tokens the text may take (default: context_budget_tokens).",
    )


class FinishRequest(_Body):
    """How the task ends (``TaskMemory.finish``)."""

    outcome: str = Field(description="What came of it (becomes a long-term memory).")
    failed: bool = Field(default=False, strict=True, description="The task failed.")


# -- answers: for the OpenAPI document ------------------------------------------------------


class TaskList(BaseModel):
    """The user's tasks, oldest first."""

    items: list[Task]


class TaskTree(BaseModel):
    """A task and every step of it, by number (``parent_id`` gives the tree)."""

    task: Task
    steps: list[Step]


class StepList(BaseModel):
    """Steps of a task, by number (or best first for a search)."""

    items: list[Step]


# -- helpers --------------------------------------------------------------------------------


def _tasks(request: Request) -> TaskMemory:
    return TaskMemory(_memory(request))  # holds only references: as cheap as a lookup


def _texts(request: Request, **texts: str | None) -> None:
    limits = _limits(request)
    for field, text in texts.items():
        limits.check_text(text, field)


# -- routes ---------------------------------------------------------------------------------


@tasks.post(
    "/tasks", status_code=201, summary="Start a task (TaskMemory.start)", response_model=Task
)
def start_task(request: Request, user_id: ScopedUser, body: StartRequest) -> JSONResponse:
    _texts(request, goal=body.goal)
    task = _tasks(request).start(
        body.goal, user_id=user_id, agent_id=body.agent_id, metadata=body.metadata
    )
    return _json(task, 201)


@tasks.get("/tasks", summary="The user's tasks (TaskMemory.tasks)", response_model=TaskList)
def list_tasks(
    request: Request,
    user_id: ScopedUser,
    agent_id: Annotated[str | None, Query(description="Only this agent's tasks.")] = None,
) -> JSONResponse:
    return _json({"items": _tasks(request).tasks(user_id=user_id, agent_id=agent_id)})


@tasks.get(
    "/tasks/{task_id}",
    summary="A task with every step (TaskMemory.get, TaskMemory.steps)",
    response_model=TaskTree,
)
def get_task(request: Request, user_id: ScopedUser, task_id: str) -> JSONResponse:
    engine = _tasks(request)
    task = engine.get(task_id, user_id=user_id)
    return _json({"task": task, "steps": engine.steps(task.id, user_id=user_id)})


@tasks.post(
    "/tasks/{task_id}/subgoals",
    status_code=201,
    summary="Open a subgoal (TaskMemory.open_subgoal)",
    response_model=Step,
)
def open_subgoal(
    request: Request, user_id: ScopedUser, task_id: str, body: SubgoalRequest
) -> JSONResponse:
    _texts(request, text=body.text)
    step = _tasks(request).open_subgoal(
        task_id,
        body.text,
        user_id=user_id,
        parent_id=body.parent_id,
        depends_on=body.depends_on or (),
    )
    return _json(step, 201)


@tasks.post(
    "/tasks/{task_id}/steps",
    status_code=201,
    summary="Record an action, tool call, observation or note (TaskMemory.record)",
    response_model=Step,
)
def record_step(
    request: Request, user_id: ScopedUser, task_id: str, body: RecordRequest
) -> JSONResponse:
    _texts(request, text=body.text)
    step = _tasks(request).record(
        task_id,
        body.text,
        user_id=user_id,
        kind=body.kind,
        data=body.data,
        depends_on=body.depends_on or (),
        parent_id=body.parent_id,
    )
    return _json(step, 201)


@tasks.post(
    "/tasks/{task_id}/steps/{step_id}/close",
    summary="Close a subgoal, done or failed, to its summary (TaskMemory.close_subgoal)",
    response_model=Step,
)
def close_subgoal(
    request: Request,
    user_id: ScopedUser,
    task_id: str,
    step_id: str,
    body: Annotated[CloseRequest | None, Body()] = None,
) -> JSONResponse:
    body = body or CloseRequest()
    _texts(request, outcome=body.outcome)
    engine = _tasks(request)
    step = engine.step(task_id, step_id, user_id=user_id)
    closed = engine.close_subgoal(
        step.id, user_id=user_id, outcome=body.outcome, failed=body.failed
    )
    return _json(closed)


@tasks.post(
    "/tasks/{task_id}/steps/{step_id}/revise",
    summary="Record a new version of a step; its dependents turn stale (TaskMemory.revise)",
    response_model=Revision,
)
def revise_step(
    request: Request, user_id: ScopedUser, task_id: str, step_id: str, body: ReviseRequest
) -> JSONResponse:
    _texts(request, text=body.text, reason=body.reason)
    engine = _tasks(request)
    step = engine.step(task_id, step_id, user_id=user_id)
    revision = engine.revise(
        step.id, body.text, user_id=user_id, reason=body.reason, data=body.data
    )
    return _json(revision)


@tasks.post(
    "/tasks/{task_id}/steps/{step_id}/resolve",
    summary="Clear a step's stale flag (TaskMemory.resolve)",
    response_model=Step,
)
def resolve_step(request: Request, user_id: ScopedUser, task_id: str, step_id: str) -> JSONResponse:
    engine = _tasks(request)
    step = engine.step(task_id, step_id, user_id=user_id)
    return _json(engine.resolve(step.id, user_id=user_id))


@tasks.post(
    "/tasks/{task_id}/steps/{step_id}/depend",
    summary="Record that a step depends on earlier steps (TaskMemory.depend)",
    response_model=Step,
)
def depend_step(
    request: Request, user_id: ScopedUser, task_id: str, step_id: str, body: DependRequest
) -> JSONResponse:
    engine = _tasks(request)
    step = engine.step(task_id, step_id, user_id=user_id)
    return _json(engine.depend(step.id, on=body.on, user_id=user_id))


@tasks.get(
    "/tasks/{task_id}/steps/{step_id}/expand",
    summary="Every step under a subgoal, in full (TaskMemory.expand)",
    response_model=StepList,
)
def expand_step(request: Request, user_id: ScopedUser, task_id: str, step_id: str) -> JSONResponse:
    engine = _tasks(request)
    step = engine.step(task_id, step_id, user_id=user_id)
    return _json({"items": engine.expand(step.id, user_id=user_id)})


@tasks.post(
    "/tasks/{task_id}/search",
    summary="The task's steps best matching a query (TaskMemory.search)",
    response_model=StepList,
)
def search_steps(
    request: Request, user_id: ScopedUser, task_id: str, body: TaskSearchRequest
) -> JSONResponse:
    limits = _limits(request)
    limits.check_text(body.query, "query")
    limits.check_page(body.limit, limits.max_search_limit)
    found = _tasks(request).search(task_id, body.query, user_id=user_id, limit=body.limit)
    return _json({"items": found})


@tasks.post(
    "/tasks/{task_id}/context",
    summary="The task's working context within a token budget (TaskMemory.context)",
    response_model=TaskContext,
)
def task_context(
    request: Request,
    user_id: ScopedUser,
    task_id: str,
    body: Annotated[TaskContextRequest | None, Body()] = None,
) -> JSONResponse:
    budget = body.budget_tokens if body else None
    return _json(_tasks(request).context(task_id, user_id=user_id, budget_tokens=budget))


@tasks.post(
    "/tasks/{task_id}/finish",
    summary="Finish the task; its outcome and failed subgoals become memories (TaskMemory.finish)",
    response_model=Task,
)
def finish_task(
    request: Request, user_id: ScopedUser, task_id: str, body: FinishRequest
) -> JSONResponse:
    _texts(request, outcome=body.outcome)
    task = _tasks(request).finish(
        task_id, user_id=user_id, outcome=body.outcome, failed=body.failed
    )
    return _json(task)
