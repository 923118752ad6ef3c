"""What a finished subgoal collapses to: its outcome summary.

The caller's outcome when given; otherwise written by the configured LLM (one call, the
same fallback rule as fact extraction: a failed call falls back, logged and recorded), or
extractive: the subgoal's last result or observation and the count of its steps.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict

from kenning.llm import ChatClient, LLMCall, LLMCallFailed
from kenning.llm.prompts import SUBGOAL_SUMMARY_SYSTEM_PROMPT
from kenning.models import Step, StepKind, StepStatus

log = logging.getLogger(__name__)

SUMMARY_PURPOSE = "subgoal_summary"
_CLIP = 120  # a plan line stays short: expand gives the rest


class _SummaryOut(BaseModel):
    model_config = ConfigDict(extra="ignore")
    summary: str


def line(step: Step) -> str:
    """How a step reads in full: ``#12 tool_call: search 'x' -> 14 results``."""
    text = f"#{step.number} {step.kind.value}: {step.text}"
    result = step.data.get("result")
    if result is not None:
        text += f" -> {result if isinstance(result, str) else json.dumps(result)}"
    if "revises_number" in step.data:
        text += f" (revises #{step.data['revises_number']})"
    if step.status is StepStatus.REVISED:
        text += " (revised)"
    return text


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _CLIP else text[: _CLIP - 1].rstrip() + "…"


def extractive(subgoal: Step, steps: Sequence[Step]) -> str:
    """The last thing the subgoal's steps found: a result, else an observation, else the
    last step."""
    own = [s for s in steps if s.kind is not StepKind.SUBGOAL]
    if not own:
        return f"{subgoal.status.value}, no steps recorded"
    found = next(
        (s for s in reversed(own) if s.data.get("result") is not None),
        next((s for s in reversed(own) if s.kind is StepKind.OBSERVATION), own[-1]),
    )
    return _clip(line(found).split(": ", 1)[1])


def summarize(
    subgoal: Step, steps: Sequence[Step], client: ChatClient | None
) -> tuple[str, list[LLMCall]]:
    """The subgoal's summary and the LLM calls made for it."""
    if client is None:
        return extractive(subgoal, steps), []
    shown = "\n".join(line(s) for s in steps)
    messages = [
        {"role": "system", "content": SUBGOAL_SUMMARY_SYSTEM_PROMPT},
        {
            "role": "user",
            "content": f"Subgoal ({subgoal.status.value}): {subgoal.text}\nSteps:\n{shown}",
        },
    ]
    try:
        out, call = client.complete_json(messages, _SummaryOut, purpose=SUMMARY_PURPOSE)
    except LLMCallFailed as exc:
        log.warning("LLM summary of subgoal %s failed (%s): extractive", subgoal.id, exc.reason)
        return extractive(subgoal, steps), [exc.call]
    text = " ".join(out.summary.split())
    return (text or extractive(subgoal, steps)), [call]
