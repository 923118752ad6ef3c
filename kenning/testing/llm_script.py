"""A scripted stand-in for an extraction LLM: answers Kenning's extraction and contradiction
calls (see :mod:`kenning.llm.extraction` for the wire format) from rules, for tests and demos
of ``fact_extraction=llm`` without a model. Use it as ``FakeOpenAIServer(chat_responder=...)``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

FactRule = Callable[[str, str | None], list[dict[str, Any]]]

_CITY = re.compile(r"\b(?:live in|living in|moved to|relocated to)\s+([A-Z][a-z]+)")


def city_facts(text: str, speaker: str | None) -> list[dict[str, Any]]:
    """A tiny 'model': where the speaker lives."""
    subject = speaker or "user"
    return [
        {
            "subject": subject,
            "predicate": "lives in",
            "object": m.group(1),
            "text": f"{subject} lives in {m.group(1)}",
            "attribute": "city",
        }
        for m in _CITY.finditer(text)
    ]


class ScriptedLLM:
    """Answers extraction calls with ``facts_for`` per turn, plus note attributes, and
    contradiction calls with ``contradicts``; counts the calls of each kind."""

    def __init__(
        self,
        facts_for: FactRule = city_facts,
        contradicts: Callable[[dict[str, Any], list[dict[str, Any]]], list[str]] | None = None,
        wrap: Callable[[str], str] = lambda reply: reply,
    ) -> None:
        self.facts_for = facts_for
        self.contradicts = contradicts or (lambda fact, candidates: [])
        self.wrap = wrap
        self.extractions: list[dict[str, Any]] = []
        self.judgements: list[dict[str, Any]] = []

    def __call__(self, body: dict[str, Any]) -> str:
        payload = json.loads(body["messages"][-1]["content"])
        if "turns" in payload:
            self.extractions.append(payload)
            facts, notes = [], []
            for turn in payload["turns"]:
                for fact in self.facts_for(turn["text"], turn["speaker"]):
                    facts.append({"turn": turn["turn"], **fact})
                words = [w for w in re.findall(r"[A-Za-z]{4,}", turn["text"])][:3]
                notes.append(
                    {
                        "turn": turn["turn"],
                        "keywords": words,
                        "tags": ["chat"],
                        "context": turn["text"][:40],
                    }
                )
            updates = [
                {"id": n["id"], "tags": [*n["tags"], "linked"], "context": n["context"] or "seen"}
                for n in payload["neighbours"]
            ]
            reply: dict[str, Any] = {
                "facts": facts,
                "entities": [],
                "notes": notes,
                "neighbour_updates": updates,
            }
        else:
            self.judgements.append(payload)
            reply = {"contradicted": self.contradicts(payload["fact"], payload["candidates"])}
        return self.wrap(json.dumps(reply))
