"""A task's working context (HiAgent, Task Memory Engine): built from the task tree, not
from the transcript.

* the **goal** and the **plan**: along the active path (the open subgoals, outermost
  first), each level's subgoals, a finished one collapsed to one line with the numbers of
  the steps it holds (``expand`` brings them back) and, for the latest few of a level, its
  summary;
* the **active subgoal in full**: the steps recorded directly under the innermost open
  subgoal (the task's own steps when none is open); the outer open subgoals are on the plan;
* **stale** steps flagged: for each of the latest revisions, the steps it made stale and
  why; the steps of older revisions on one line;
* **long-term memories** relevant to the active subgoal, from the user's ``Memory``.

Within the budget, in this order of precedence: the goal and the plan's open subgoals, the
stale flags, the newest steps of the active path, the finished subgoals' lines (newest
first), then long-term memories. What does not fit is left out (``omitted`` counts steps).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from kenning.models import (
    ContextBlock,
    MemoryItem,
    Step,
    StepKind,
    StepStatus,
    Task,
    TaskContext,
)
from kenning.read.tokens import TokenCounter
from kenning.tasks.summary import line

_MEMORY_SHARE = 8  # long-term memories take at most an eighth of the budget
SUMMARIZED = 5  # finished subgoals of a level shown with their summary (the latest)
STALE_REASONS = 5  # revisions whose stale steps are listed with the reason (the latest)


@dataclass(frozen=True, slots=True)
class Tree:
    """A task's steps as a tree: children by parent id (``None``: the task itself)."""

    steps: list[Step]
    children: dict[str | None, list[Step]]

    @classmethod
    def of(cls, steps: Sequence[Step]) -> Tree:
        children: dict[str | None, list[Step]] = {}
        for step in steps:
            children.setdefault(step.parent_id, []).append(step)
        return cls(list(steps), children)

    def active_path(self) -> list[Step]:
        """The open subgoals from the outermost to the innermost (the one new steps go to)."""
        path: list[Step] = []
        parent: str | None = None
        while True:
            open_ = [
                s
                for s in self.children.get(parent, [])
                if s.kind is StepKind.SUBGOAL and s.status is StepStatus.OPEN
            ]
            if not open_:
                return path
            path.append(open_[-1])
            parent = open_[-1].id

    def descendants(self, step_id: str) -> list[Step]:
        """Every step under a subgoal, recursively, in number order."""
        out: list[Step] = []
        todo = [step_id]
        while todo:
            for child in self.children.get(todo.pop(), []):
                out.append(child)
                if child.kind is StepKind.SUBGOAL:
                    todo.append(child.id)
        return sorted(out, key=lambda s: s.number)


def plan_line(subgoal: Step, tree: Tree, depth: int, *, summary: bool = True) -> str:
    """A subgoal in the plan: status, number, text, and (finished) its summary (unless
    ``summary`` is false) and the numbers of its steps."""
    indent = "  " * depth
    head = f"{indent}[{subgoal.status.value}] #{subgoal.number} {subgoal.text}"
    if subgoal.status is StepStatus.OPEN:
        return head
    inside = tree.descendants(subgoal.id)
    # Always "steps #a-#b" (one form for whoever reads it back, "#2-#2" included).
    span = f" (steps #{inside[0].number}-#{inside[-1].number})" if inside else ""
    if not summary:
        return f"{head}{span}"
    return f"{head} — {subgoal.summary or subgoal.outcome or 'no summary'}{span}"


@dataclass
class _Lines:
    """Lines chosen so far, each with its place in the rendered order, within a budget."""

    counter: TokenCounter
    budget: int
    chosen: dict[tuple[int, int], str] = field(default_factory=dict)
    used: int = 0

    def offer(self, place: tuple[int, int], text: str) -> bool:
        cost = self.counter.count(text + "\n")
        if self.used + cost > self.budget:
            return False
        self.chosen[place] = text
        self.used += cost
        return True

    def text(self) -> str:
        return "\n".join(self.chosen[p] for p in sorted(self.chosen))


def build_task_context(
    task: Task,
    steps: Sequence[Step],
    *,
    budget_tokens: int,
    counter: TokenCounter,
    memories: Callable[[str, int], ContextBlock | None],
) -> TaskContext:
    """The working context of ``task`` within ``budget_tokens``; ``memories(query, budget)``
    gives the long-term memories for the active subgoal (None: none)."""
    tree = Tree.of(steps)
    path = tree.active_path()
    lines = _Lines(counter, budget_tokens)
    lines.offer((0, 0), f"# Task: {task.goal} ({task.status.value}, {task.steps} steps)")
    # The plan: each level of the active path, its subgoals in order (sections 1.x).
    plan: list[tuple[tuple[int, int], Step, int]] = []
    for depth, parent in enumerate([None, *[p.id for p in path]]):
        for subgoal in tree.children.get(parent, []):
            if subgoal.kind is StepKind.SUBGOAL and (
                subgoal.status is not StepStatus.OPEN or subgoal in path
            ):
                plan.append(((1, subgoal.number * 8 + depth), subgoal, depth))
    if plan:
        lines.offer((1, -1), "## Plan")
    for place, subgoal, depth in plan:
        if subgoal in path:
            lines.offer(place, plan_line(subgoal, tree, depth))
    stale = [s for s in steps if s.stale_reason and s.status is not StepStatus.REVISED]
    if stale:
        lines.offer((3, -1), "## Stale steps (a step they depend on was revised)")
    for first, text in _stale_lines(stale):
        lines.offer((3, first), text)
    # The active subgoal in full (the task's own steps when none is open); the steps of
    # the subgoals around it are theirs to expand.
    active = [
        s
        for s in tree.children.get(path[-1].id if path else None, [])
        if s.kind is not StepKind.SUBGOAL and s.status is not StepStatus.REVISED
    ]
    active.sort(key=lambda s: s.number)
    if active:
        lines.offer((2, -1), f"## Current: {path[-1].text if path else task.goal}")
    shown = [s for s in reversed(active) if lines.offer((2, s.number), line(s))]
    # Finished subgoals, newest first: the latest few of each level with their summary,
    # older ones by their text and steps only (working memory favours what is recent;
    # expand brings any of them back).
    collapsed: list[Step] = []
    per_level: dict[int, int] = {}
    for place, subgoal, depth in reversed(plan):
        if subgoal in path:
            continue
        per_level[depth] = per_level.get(depth, 0) + 1
        full = per_level[depth] <= SUMMARIZED
        if lines.offer(place, plan_line(subgoal, tree, depth, summary=full)):
            collapsed.append(subgoal)
    recalled = _recall(lines, memories, path[-1].text if path else task.goal)
    text = lines.text()
    return TaskContext(
        task=task,
        text=text,
        tokens=counter.count(text),
        budget_tokens=budget_tokens,
        steps=sorted(shown, key=lambda s: s.number),
        collapsed=sorted(collapsed, key=lambda s: s.number),
        stale=stale,
        memories=recalled,
        omitted=len(active) - len(shown),
    )


def _stale_lines(stale: Sequence[Step]) -> list[tuple[int, str]]:
    """One line per revision (the steps it made stale share its reason), the latest
    :data:`STALE_REASONS` with their reason, the steps of older ones on one line."""
    by_reason: dict[str, list[Step]] = {}
    for step in stale:
        by_reason.setdefault(step.stale_reason or "", []).append(step)
    groups = sorted(by_reason.items(), key=lambda item: item[1][0].number)
    older, recent = groups[:-STALE_REASONS], groups[-STALE_REASONS:]
    out: list[tuple[int, str]] = []
    if older:
        steps = sorted((s for _, group in older for s in group), key=lambda s: s.number)
        numbers = ", ".join(f"#{s.number}" for s in steps)
        out.append((steps[0].number, f"{numbers} STALE: after {len(older)} earlier revisions"))
    for reason, group in recent:
        numbers = ", ".join(f"#{s.number}" for s in group)
        out.append((group[0].number, f"{numbers} STALE: {reason}"))
    return out


def _recall(
    lines: _Lines, memories: Callable[[str, int], ContextBlock | None], query: str
) -> list[MemoryItem]:
    """Long-term memories for the active subgoal, in what is left (at most an eighth)."""
    room = min(lines.budget - lines.used, lines.budget // _MEMORY_SHARE) - 10
    if room < 40:
        return []
    block = memories(query, room)
    if block is None or not block.items:
        return []
    if lines.offer((4, -1), "## From long-term memory") and lines.offer((4, 0), block.text):
        return [item.memory for item in block.items]
    return []
