"""Deterministic fakes for tests and demos, shipped with the package so users can use them too.

* :class:`HashEmbedder`: a deterministic embedder with no model (``embedder=hash``);
* :class:`FakeOpenAIServer`: a real, scriptable OpenAI-compatible HTTP server;
* :class:`CountingEmbedder`: wraps any embedder and counts and times its calls;
* :class:`ScriptedLLM`: a rule-driven chat responder for the fake server that answers
  Kenning's extraction and contradiction calls.
"""

from __future__ import annotations

from kenning.embed.hashing import HashEmbedder
from kenning.testing.counting import CountingEmbedder
from kenning.testing.llm_script import ScriptedLLM, city_facts
from kenning.testing.openai_server import FakeOpenAIServer, RecordedRequest, ScriptedFailure

__all__ = [
    "CountingEmbedder",
    "FakeOpenAIServer",
    "HashEmbedder",
    "RecordedRequest",
    "ScriptedFailure",
    "ScriptedLLM",
    "city_facts",
]
