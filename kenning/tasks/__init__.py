"""Working memory for long agent tasks: subgoal chunks (HiAgent) and a task tree (Task
Memory Engine). See :class:`TaskMemory` and docs/tasks.md."""

from __future__ import annotations

from kenning.tasks.engine import TaskMemory

__all__ = ["TaskMemory"]
