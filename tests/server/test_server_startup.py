"""The server loads the embedding model before it says it is ready, never on a request."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from serving import serve

from kenning import Memory
from kenning.embed import EmbedderWrapper, Vectors
from kenning.server import ApiKeys
from kenning.testing import HashEmbedder


class Recording(EmbedderWrapper):
    """Notes when the model is loaded and when it embeds."""

    def __init__(self) -> None:
        super().__init__(HashEmbedder())
        self.events: list[str] = []

    def load(self) -> None:
        self.events.append("load")
        super().load()

    def embed(self, texts: Sequence[str]) -> Vectors:
        self.events.append("embed")
        return super().embed(texts)


def test_model_is_loaded_during_startup_before_the_first_request(tmp_path: Path) -> None:
    embedder = Recording()
    with Memory(tmp_path / "m.db", embedder=embedder) as memory:
        assert embedder.events == []  # opening a store loads nothing
        servers = serve(memory, ApiKeys(memory.store))
        server = next(servers)  # returns once uvicorn reports startup complete
        try:
            assert embedder.events == ["load"]
            client = server.client()
            added = client.post("/v1/users/ana/messages", json={"messages": ["I live in Porto"]})
            assert added.status_code in (200, 201), added.text
            response = client.post("/v1/users/ana/search", json={"query": "where do I live?"})
            assert response.status_code == 200, response.text
            assert embedder.events[0] == "load" and embedder.events.count("load") == 1
            assert "embed" in embedder.events[1:]
        finally:
            servers.close()
