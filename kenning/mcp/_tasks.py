"""The MCP server's task tools: working memory for a long task (issue 17).

``task_start``, ``task_open_subgoal``, ``task_record``, ``task_close_subgoal``,
``task_revise``, ``task_context``, ``task_expand`` and ``task_finish``, each calling one
:class:`kenning.tasks.TaskMemory` method for the user :func:`user_of` resolves and checks
(the same scoping as ``remember`` and ``recall``). A step is named with its task: a step
id of another task (or user) is "not found". Results are this edge's own records.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from mcp.server.mcpserver import Context, MCPServer
from mcp.types import CallToolResult, TextContent, ToolAnnotations
from pydantic import BaseModel, Field

from kenning.mcp._server import UserId, _tool_errors
from kenning.memory import Memory
from kenning.models import (
    MemoryKind,
    Revision,
    Step,
    StepKind,
    StepStatus,
    Task,
    TaskContext,
    TaskStatus,
)
from kenning.tasks import TaskMemory

TASK_TEXT_CHARS = 20_000  # a goal, subgoal, step, reason or outcome
TASK_MAX_IDS = 50  # depends_on entries
TASK_CONTEXT_DEFAULT = 1_000
TASK_CONTEXT_MIN = 50
TASK_CONTEXT_MAX = 16_000

# -- results ----------------------------------------------------------------------------


class TaskOut(BaseModel):
    """A task."""

    id: str
    goal: str
    status: TaskStatus
    agent_id: str | None
    outcome: str | None
    steps: int = Field(description="Number of steps recorded.")

    @classmethod
    def of(cls, task: Task) -> TaskOut:
        return cls(
            id=task.id,
            goal=task.goal,
            status=task.status,
            agent_id=task.agent_id,
            outcome=task.outcome,
            steps=task.steps,
        )


class StepOut(BaseModel):
    """A step of a task: a subgoal, action, tool call, observation or note."""

    id: str
    number: int = Field(description="Its place in the task (#1, #2, ...).")
    kind: StepKind
    text: str
    status: StepStatus
    parent_id: str | None = Field(description="The subgoal it sits under (null: the task).")
    outcome: str | None
    summary: str | None = Field(description="A closed subgoal's summary.")
    stale_reason: str | None = Field(description="Set while a step it depends on was revised.")
    depends_on: list[str]
    data: dict[str, Any]

    @classmethod
    def of(cls, step: Step) -> StepOut:
        return cls(
            id=step.id,
            number=step.number,
            kind=step.kind,
            text=step.text,
            status=step.status,
            parent_id=step.parent_id,
            outcome=step.outcome,
            summary=step.summary,
            stale_reason=step.stale_reason,
            depends_on=list(step.depends_on),
            data=step.data,
        )


class RevisionOut(BaseModel):
    """What ``task_revise`` did."""

    step: StepOut = Field(description="The new version.")
    revised: StepOut = Field(description="The old version (kept, status revised).")
    stale: list[StepOut] = Field(description="Every step depending on it, now flagged stale.")

    @classmethod
    def of(cls, revision: Revision) -> RevisionOut:
        return cls(
            step=StepOut.of(revision.step),
            revised=StepOut.of(revision.revised),
            stale=[StepOut.of(s) for s in revision.stale],
        )


class MemoryRef(BaseModel):
    """A long-term memory in a task's context."""

    id: str
    kind: MemoryKind
    text: str


class TaskContextOut(BaseModel):
    """``task_context``'s fields; the text content is ``text``."""

    task: TaskOut
    text: str
    tokens: int
    budget_tokens: int
    steps: list[StepOut] = Field(description="Steps of the active path shown in full.")
    collapsed: list[StepOut] = Field(description="Finished subgoals shown as their summary.")
    stale: list[StepOut] = Field(description="Steps flagged stale, with their reason.")
    memories: list[MemoryRef] = Field(description="Long-term memories included.")
    omitted: int = Field(description="Steps of the active path left out for the budget.")

    @classmethod
    def of(cls, context: TaskContext) -> TaskContextOut:
        return cls(
            task=TaskOut.of(context.task),
            text=context.text,
            tokens=context.tokens,
            budget_tokens=context.budget_tokens,
            steps=[StepOut.of(s) for s in context.steps],
            collapsed=[StepOut.of(s) for s in context.collapsed],
            stale=[StepOut.of(s) for s in context.stale],
            memories=[MemoryRef(id=m.id, kind=m.kind, text=m.text) for m in context.memories],
            omitted=context.omitted,
        )


class Expanded(BaseModel):
    """Every step under a subgoal, in full, by number."""

    task_id: str
    subgoal_id: str
    steps: list[StepOut]


# -- arguments --------------------------------------------------------------------------


def _text(description: str) -> Any:
    return Field(min_length=1, max_length=TASK_TEXT_CHARS, description=description)


def _id(description: str) -> Any:
    return Field(min_length=1, max_length=200, description=description)


TaskId = Annotated[str, _id("The task's id (from task_start).")]
StepId = Annotated[str, _id("A step's id within that task.")]
DependsOn = Annotated[
    list[Annotated[str, Field(min_length=1, max_length=200)]] | None,
    Field(max_length=TASK_MAX_IDS, description="Ids of earlier steps of the task it relies on."),
]
Failed = Annotated[
    bool, Field(strict=True, description="true: it failed (the reason goes in outcome).")
]


def add_task_tools(
    server: MCPServer,
    memory: Memory,
    *,
    user_of: Callable[[str | None, Context], str],
    user_note: str,
) -> None:
    """Register the task tools on ``server``; ``user_of`` resolves and checks each call's
    user (as for ``remember``), ``user_note`` ends each description."""
    engine = TaskMemory(memory)

    def task_start(
        ctx: Context,
        goal: Annotated[str, _text("What the task is to achieve.")],
        user_id: UserId = None,
        agent_id: Annotated[str | None, _id("The agent working on it (optional).")] = None,
    ) -> TaskOut:
        user = user_of(user_id, ctx)
        with _tool_errors():
            return TaskOut.of(engine.start(goal, user_id=user, agent_id=agent_id))

    def task_open_subgoal(
        ctx: Context,
        task_id: TaskId,
        text: Annotated[str, _text("The subgoal.")],
        user_id: UserId = None,
        parent_id: Annotated[
            str | None, _id("Open subgoal to nest it under (default: the open one).")
        ] = None,
        depends_on: DependsOn = None,
    ) -> StepOut:
        user = user_of(user_id, ctx)
        with _tool_errors():
            step = engine.open_subgoal(
                task_id, text, user_id=user, parent_id=parent_id, depends_on=depends_on or ()
            )
        return StepOut.of(step)

    def task_record(
        ctx: Context,
        task_id: TaskId,
        text: Annotated[str, _text("What was done, called, seen or noted, verbatim.")],
        user_id: UserId = None,
        kind: Annotated[
            StepKind, Field(description="action, tool_call, observation or note.")
        ] = StepKind.ACTION,
        data: Annotated[
            dict[str, Any] | None,
            Field(description="Any JSON object; a tool call: tool, arguments, result."),
        ] = None,
        depends_on: DependsOn = None,
    ) -> StepOut:
        user = user_of(user_id, ctx)
        with _tool_errors():
            step = engine.record(
                task_id, text, user_id=user, kind=kind, data=data, depends_on=depends_on or ()
            )
        return StepOut.of(step)

    def task_close_subgoal(
        ctx: Context,
        task_id: TaskId,
        step_id: Annotated[str, _id("The subgoal's step id.")],
        user_id: UserId = None,
        outcome: Annotated[
            str | None, _text("Its summary (default: written from its steps).")
        ] = None,
        failed: Failed = False,
    ) -> StepOut:
        user = user_of(user_id, ctx)
        with _tool_errors():
            subgoal = engine.step(task_id, step_id, user_id=user)
            closed = engine.close_subgoal(subgoal.id, user_id=user, outcome=outcome, failed=failed)
        return StepOut.of(closed)

    def task_revise(
        ctx: Context,
        task_id: TaskId,
        step_id: StepId,
        text: Annotated[str, _text("The new version of the step.")],
        reason: Annotated[str, _text("Why: shown on every step that relied on the old one.")],
        user_id: UserId = None,
    ) -> RevisionOut:
        user = user_of(user_id, ctx)
        with _tool_errors():
            step = engine.step(task_id, step_id, user_id=user)
            revision = engine.revise(step.id, text, user_id=user, reason=reason)
        return RevisionOut.of(revision)

    def task_context(
        ctx: Context,
        task_id: TaskId,
        user_id: UserId = None,
        budget_tokens: Annotated[
            int,
            Field(
                ge=TASK_CONTEXT_MIN,
                le=TASK_CONTEXT_MAX,
                strict=True,
                description="Most tokens the context text may take.",
            ),
        ] = TASK_CONTEXT_DEFAULT,
    ) -> Annotated[CallToolResult, TaskContextOut]:
        user = user_of(user_id, ctx)
        with _tool_errors():
            context = engine.context(task_id, user_id=user, budget_tokens=budget_tokens)
        return CallToolResult(
            content=[TextContent(type="text", text=context.text)],
            structured_content=TaskContextOut.of(context).model_dump(mode="json"),
        )

    def task_expand(
        ctx: Context,
        task_id: TaskId,
        step_id: Annotated[str, _id("The subgoal's step id.")],
        user_id: UserId = None,
    ) -> Expanded:
        user = user_of(user_id, ctx)
        with _tool_errors():
            subgoal = engine.step(task_id, step_id, user_id=user)
            steps = engine.expand(subgoal.id, user_id=user)
        return Expanded(
            task_id=task_id, subgoal_id=subgoal.id, steps=[StepOut.of(s) for s in steps]
        )

    def task_finish(
        ctx: Context,
        task_id: TaskId,
        outcome: Annotated[str, _text("What came of it (kept as a long-term memory).")],
        user_id: UserId = None,
        failed: Failed = False,
    ) -> TaskOut:
        user = user_of(user_id, ctx)
        with _tool_errors():
            task = engine.finish(task_id, user_id=user, outcome=outcome, failed=failed)
        return TaskOut.of(task)

    def tool(fn: Callable[..., Any], title: str, text: str, read_only: bool = False) -> None:
        server.add_tool(
            fn,
            description=text + user_note,
            annotations=ToolAnnotations(
                title=title, read_only_hint=read_only, destructive_hint=False
            ),
        )

    tool(
        task_start,
        "Start a task",
        "Start a long task with its goal; returns its id. Then open subgoals, record what you "
        "do under them, close them, and call task_context to see where you are.",
    )
    tool(
        task_open_subgoal,
        "Open a subgoal",
        "Open a subgoal of a task, nested in the open subgoal (or under `parent_id`); steps "
        "recorded next go under it.",
    )
    tool(
        task_record,
        "Record a step",
        "Record an action, tool call (data: tool, arguments, result), observation or note "
        "under the open subgoal, verbatim; `depends_on` names earlier steps it relies on.",
    )
    tool(
        task_close_subgoal,
        "Close a subgoal",
        "Close a subgoal (and those open under it), done or failed=true; it collapses to "
        "`outcome`, or to a summary of its steps. task_expand brings the steps back.",
    )
    tool(
        task_revise,
        "Revise a step",
        "Record a new version of a step (the old one is kept, revised); every step that "
        "depended on it is flagged stale with `reason`.",
    )
    tool(
        task_context,
        "Task context",
        "The task's working context within `budget_tokens`: goal, plan (finished subgoals as "
        "one line with their summary), the open subgoal's steps in full, stale steps with "
        "their reason, relevant long-term memories.",
        read_only=True,
    )
    tool(
        task_expand,
        "Expand a subgoal",
        "Every step under a (closed) subgoal, recursively, in full, by number.",
        read_only=True,
    )
    tool(
        task_finish,
        "Finish a task",
        "Finish the task with its outcome (failed=true if it failed); the outcome and every "
        "failed subgoal become long-term memories, found by recall next time.",
    )
