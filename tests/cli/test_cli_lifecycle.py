"""The lifecycle commands: fact, forget, undo, pin, consolidate, and LLM usage in stats."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

Invoke = Callable[..., Any]
CliJson = Callable[..., Any]


def _fact(cli: Invoke, text: str, *args: str) -> dict[str, Any]:
    return json.loads(cli("fact", text, "--user", "ana", *args).stdout)  # type: ignore[no-any-return]


def test_fact_with_a_key_supersedes_and_history_shows_both(cli: Invoke, cli_json: CliJson) -> None:
    paris = _fact(cli, "Ana lives in Paris", "--key", "ana.city", "--valid-from", "2024-01-01")
    berlin = _fact(cli, "Ana lives in Berlin", "--key", "ana.city", "--valid-from", "2024-06-01")
    assert paris["slot"] == berlin["slot"] == "ana.city"
    old = json.loads(cli("get", paris["id"]).stdout)
    assert old["status"] == "superseded" and old["valid_to"].startswith("2024-06-01")
    top = cli_json("search", "where does Ana live?", "--user", "ana", "--kind", "fact")[0]
    assert top["memory"]["id"] == berlin["id"]
    earlier = cli_json(
        "search", "where does Ana live?", "--user", "ana", "--kind", "fact", "--as-of", "2024-03-01"
    )
    assert earlier[0]["memory"]["id"] == paris["id"]
    history = cli_json("history", berlin["id"])
    assert {h["memory_id"] for h in history} == {paris["id"], berlin["id"]}
    assert "supersede" in {h["action"] for h in history}


def test_forget_undo_and_hard_forget(cli: Invoke, cli_json: CliJson) -> None:
    fact = _fact(cli, "Ana's gym locker is number 42")
    assert "archived 1" in cli("forget", fact["id"], "--user", "ana").stdout
    assert json.loads(cli("get", fact["id"]).stdout)["status"] == "archived"
    assert cli_json("search", "gym locker", "--user", "ana") == []
    restored = json.loads(cli("undo", fact["id"], "--user", "ana").stdout)
    assert restored["status"] == "active"
    refused = cli("forget", fact["id"], "--user", "ana", "--hard", input="n\n", code=1)
    assert "Aborted" in refused.output
    erased = cli("forget", fact["id"], "--user", "ana", "--hard", "--yes").stdout
    assert "erased 1 episode(s)" in erased
    cli("get", fact["id"], code=2)
    cli("undo", fact["id"], "--user", "ana", code=2)
    cli("forget", "--user", "ana", code=2)  # neither an id nor --episode


def test_pin_consolidate_and_stats(cli: Invoke, cli_json: CliJson) -> None:
    fact = _fact(cli, "Ana is allergic to penicillin")
    assert "pinned" in cli("pin", fact["id"], "--user", "ana").stdout
    assert json.loads(cli("get", fact["id"]).stdout)["pinned"] is True
    assert "unpinned" in cli("pin", fact["id"], "--user", "ana", "--off").stdout
    cli("add", "I live in Lisbon and work at Siemens", "--user", "ana", "--name", "Ana")
    report = cli_json("consolidate", "--user", "ana")
    assert report["profiles"] == 1 and report["summaries"] == 1
    assert "merged 0" in cli("consolidate", "--user", "ana").stdout
    profile = cli_json("list", "--user", "ana", "--kind", "profile")[0]
    assert "Lisbon" in profile["text"] and "Siemens" in profile["text"]
    stats = cli_json("stats", "--user", "ana")
    assert stats["llm"] == {
        "calls": 0,
        "failed": 0,
        "prompt_tokens": 0,
        "completion_tokens": 0,
        "cost": 0.0,
    }
    cli("consolidate", "--user", "ana", "--archive-below", "2", code=2)
