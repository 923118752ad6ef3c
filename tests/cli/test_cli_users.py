"""``kenning users``, ``kenning sessions``, ``kenning delete-user``: the CLI mirror of
``Memory.users``, ``Memory.sessions`` and ``Memory.delete_user``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Invoke = Callable[..., Any]
CliJson = Callable[..., Any]
SECRET = "Zyxwvut-7731"


def _fill(cli: Invoke) -> None:
    cli("add", "Hello there", f"I live in {SECRET}", "--user", "ana", "--session", "s1")
    cli("add", "We fly to Lisbon", "--user", "ana", "--session", "s2")
    cli("add", "Bob keeps bees", "--user", "bob")


def test_users_and_sessions(cli: Invoke, cli_json: CliJson) -> None:
    assert "no users" in cli("users").stdout
    _fill(cli)
    users = cli_json("users")
    assert [(u["user_id"], u["episodes"]) for u in users] == [("ana", 3), ("bob", 1)]
    assert all(u["memories"] >= u["episodes"] and u["first_at"] for u in users)
    table = cli("users").stdout
    assert "ana" in table and "bob" in table and "messages" in table
    sessions = cli_json("sessions", "ana")
    assert [s["session_id"] for s in sessions] == ["s2", "s1"]  # latest first
    assert [s["episodes"] for s in sessions] == [1, 2]
    assert "s1" in cli("sessions", "ana").stdout
    assert "no sessions for user nobody" in cli("sessions", "nobody").stdout


def test_delete_user_asks_and_erases(cli: Invoke, cli_json: CliJson, cli_env: Any) -> None:
    _fill(cli)
    refused = cli("delete-user", "ana", input="n\n", code=1)  # no: aborted, nothing erased
    assert "Erase user 'ana'" in refused.stdout
    assert [u["user_id"] for u in cli_json("users")] == ["ana", "bob"]
    done = cli("delete-user", "ana", input="y\n")
    assert "erased user ana: 3 message(s)" in done.stdout
    assert [u["user_id"] for u in cli_json("users")] == ["bob"]
    assert cli_json("search", SECRET, "--user", "ana") == []
    missing = cli("delete-user", "ana", "--yes", code=2)
    assert "user 'ana' not found" in missing.stderr
    erased = cli_json("delete-user", "bob", "--yes")
    assert erased["erased_episodes"] == 1 and erased["erased_memories"] >= 1
    raw = b"".join(p.read_bytes() for p in cli_env.tmp.iterdir() if p.name.startswith("cli.db"))
    assert SECRET.encode() not in raw
    assert cli_json("users") == []
