"""A scripted LLM for lifecycle tests: a real OpenAI-compatible server whose chat answers
come from rules, standing in for a remote model (the only stand-in the project allows)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from kenning import Memory, Settings
from kenning.testing import FakeOpenAIServer, HashEmbedder


@pytest.fixture
def llm_memory(
    new_database: Callable[[], str],
) -> Iterator[Callable[..., tuple[Memory, FakeOpenAIServer]]]:
    """Builds a Memory with fact_extraction=llm against a fresh scripted server."""
    opened: list[tuple[Memory, FakeOpenAIServer]] = []

    def build(
        llm: Callable[[dict[str, Any]], str], **settings: Any
    ) -> tuple[Memory, FakeOpenAIServer]:
        server = FakeOpenAIServer(chat_responder=llm).start()
        memory = Memory(
            new_database(),
            settings=Settings(
                embedder="hash",
                embedding_cache_path="",
                fact_extraction="llm",
                llm_url=server.url,
                llm_model="scripted",
                llm_max_retries=settings.pop("llm_max_retries", 1),
                **settings,
            ),
            embedder=HashEmbedder(),
        )
        opened.append((memory, server))
        return memory, server

    yield build
    for memory, server in opened:
        memory.close()
        server.stop()
