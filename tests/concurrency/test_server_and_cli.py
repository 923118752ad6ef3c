"""The server and the CLI on one file: what one process writes, the other's next call sees;
what the CLI erases is in no server response and not in the server's memory."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from kenning import Memory
from kenning.server import ApiKeys
from kenning.testing import HashEmbedder

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server"))
from serving import serve

from concurrency.cli_process import run_cli

pytestmark = pytest.mark.slow


def cli(db: Path, *args: str) -> Any:
    return run_cli(db, *args, embedding_cache_path="")


def search(client: httpx.Client, query: str) -> tuple[list[str], str]:
    """Texts of the hits (turns only: a fact drawn from a message can stand for it) and
    the whole response."""
    response = client.post(
        "/v1/users/ana/search", json={"query": query, "limit": 10, "kinds": ["turn"]}
    )
    assert response.status_code == 200, response.text
    return [h["memory"]["text"] for h in response.json()["hits"]], response.text


def test_the_server_follows_what_the_cli_writes_and_erases(tmp_path: Path) -> None:
    db = tmp_path / "shared.db"
    with Memory(db, embedder=HashEmbedder()) as memory:
        servers = serve(memory, ApiKeys(memory.store))
        server = next(servers)
        try:
            client = server.client()
            client.post("/v1/users/ana/messages", json={"messages": ["I like green tea"]})
            assert search(client, "green tea")[0][0] == "I like green tea"  # index loaded

            added = cli(db, "add", "Ana lives in Kreuzberg", "--user", "ana", "--json")
            turn = next(m for m in added["memories"] if m["kind"] == "turn")
            assert "Ana lives in Kreuzberg" in search(client, "where does Ana live")[0]

            cli(db, "update", turn["id"], "Ana lives in Neukölln now", "--user", "ana")
            texts, _ = search(client, "where does Ana live")
            assert "Ana lives in Neukölln now" in texts
            assert "Ana lives in Kreuzberg" not in texts

            cli(db, "delete", turn["id"], "--user", "ana", "--yes")
            assert "Ana lives in Neukölln now" not in search(client, "where does Ana live")[0]

            secret = cli(db, "add", "My bank PIN is 4711", "--user", "ana", "--json")
            assert "My bank PIN is 4711" in search(client, "bank PIN")[0]
            pin = next(m for m in secret["memories"] if m["kind"] == "turn")
            cli(db, "forget", pin["id"], "--user", "ana", "--hard", "--yes")

            texts, body = search(client, "what is my bank PIN number")
            assert "4711" not in body
            listed = client.get("/v1/users/ana/memories", params={"limit": 500}).text
            assert "4711" not in listed
            # Nothing of it is left in the server's in-memory index either.
            index = memory._registry.loaded("ana")
            assert index is not None
            # It holds ids and numbers, no texts: the BM25 vocabulary and entity names are
            # what is left to check.
            assert not hasattr(index, "items")
            assert "4711" not in index.lexical._vocab
            assert all("4711" not in name for name in index.graph.names)
            assert "I like green tea" in search(client, "green tea")[0]  # the rest is there
        finally:
            servers.close()
