"""``kenning`` commands end to end on a real SQLite file (hash embedder, see conftest.py)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

DOG = "I adopted a dog named Rex"
LISBON = "My sister lives in Lisbon"
PIANO = "I started piano lessons on Tuesdays"

Invoke = Callable[..., Any]  # the ``cli`` fixture: kenning ARGS -> click Result
CliJson = Callable[..., Any]  # the ``cli_json`` fixture: kenning ARGS --json -> parsed stdout
RunKenning = Callable[..., subprocess.CompletedProcess[str]]


def error_lines(stderr: str) -> list[str]:
    """The non-blank lines of stderr that are not the import progress bar."""
    return [line for line in stderr.splitlines() if line.strip() and "importing" not in line]


def turn_ids(cli_json: CliJson, user: str = "ana") -> dict[str, str]:
    """text -> id of the user's active turn memories."""
    return {m["text"]: m["id"] for m in cli_json("list", "--user", user, "--kind", "turn")}


# -- add / search ---------------------------------------------------------------------------
def test_add_then_search_finds_it(cli: Invoke, cli_json: CliJson) -> None:
    added = cli_json("add", DOG, LISBON, PIANO, "--user", "ana", "--session", "s1")
    assert len(added["episodes"]) == 3 and added["duplicates"] == 0
    assert {m["text"] for m in added["memories"] if m["kind"] == "turn"} == {DOG, LISBON, PIANO}

    listing = cli("search", "which dog did I adopt", "--user", "ana").stdout
    assert DOG in listing
    first_row = next(line for line in listing.splitlines() if line.lstrip().startswith("1."))
    assert DOG in first_row  # ranked first, not merely listed

    hits = cli_json("search", "which dog did I adopt", "--user", "ana", "-n", "2")
    assert len(hits) == 2
    top = hits[0]
    assert top["memory"]["text"] == DOG and top["memory"]["session_id"] == "s1"
    assert 0.0 < top["score"] <= 1.0
    assert hits[0]["score"] >= hits[1]["score"]
    assert {"dense", "bm25"} <= set(top["signals"])
    for signal in top["signals"].values():
        assert set(signal) == {"raw", "rank", "contribution"}
    assert top["signals"]["bm25"]["rank"] == 1  # "dog", "adopt(ed)" only occur in this memory


def test_add_reports_in_words(cli: Invoke) -> None:
    out = cli("add", DOG, "--user", "ana").stdout
    assert "stored 1 episode(s), 0 duplicate(s)" in out


def test_search_is_scoped_to_the_user(cli: Invoke, cli_json: CliJson) -> None:
    cli("add", DOG, "--user", "ana")
    cli("add", LISBON, "--user", "bob")
    assert [h["memory"]["text"] for h in cli_json("search", "dog", "--user", "bob")] == [LISBON]
    assert cli_json("search", "dog", "--user", "nobody") == []


def test_search_filters_session_and_kind(cli: Invoke, cli_json: CliJson) -> None:
    cli("add", DOG, "--user", "ana", "--session", "s1")
    cli("add", PIANO, "--user", "ana", "--session", "s2")
    only_s2 = cli_json("search", "dog", "--user", "ana", "--session", "s2")
    assert [h["memory"]["text"] for h in only_s2] == [PIANO]
    sessions = cli_json("search", "dog", "--user", "ana", "--kind", "session")
    assert sessions and {h["memory"]["kind"] for h in sessions} == {"session"}


def test_timestamp_sets_event_time(cli: Invoke, cli_json: CliJson) -> None:
    cli("add", DOG, "--user", "ana", "--timestamp", "2023-05-07")
    (item,) = cli_json("list", "--user", "ana", "--kind", "turn")
    assert item["event_time"].startswith("2023-05-07T00:00:00")
    assert cli_json("search", "dog", "--user", "ana", "--start", "2024-01-01") == []
    assert len(cli_json("search", "dog", "--user", "ana", "--end", "2024-01-01")) == 1


# -- list / get / history / update / delete ---------------------------------------------------
def test_list_get_history_update_delete(cli: Invoke, cli_json: CliJson) -> None:
    cli("add", DOG, LISBON, "--user", "ana", "--session", "s1")
    ids = turn_ids(cli_json)
    assert set(ids) == {DOG, LISBON}
    dog = ids[DOG]

    table = cli("list", "--user", "ana").stdout
    assert dog in table and DOG in table and "session" in table

    got = json.loads(cli("get", dog, "--user", "ana").stdout)
    assert got["id"] == dog and got["text"] == DOG and got["status"] == "active"
    cli("get", dog, "--user", "bob", code=2)  # another user's memory is not found

    updated = json.loads(cli("update", dog, "I adopted a cat named Tom").stdout)
    assert updated["text"] == "I adopted a cat named Tom" and updated["version"] == 2
    assert json.loads(cli("get", dog).stdout)["text"] == "I adopted a cat named Tom"
    history = cli_json("history", dog)
    assert [h["action"] for h in history] == ["add", "update"]
    assert history[1]["old_text"] == DOG and history[1]["new_text"] == "I adopted a cat named Tom"
    assert "update" in cli("history", dog).stdout
    top = cli_json("search", "cat named Tom", "--user", "ana", "--kind", "turn")[0]
    assert top["memory"]["id"] == dog

    # without --yes, answering "n" aborts and keeps the memory
    refused = cli("delete", dog, input="n\n", code=1)
    assert "Aborted" in refused.output
    assert json.loads(cli("get", dog).stdout)["status"] == "active"
    assert dog in {
        h["memory"]["id"]
        for h in cli_json("search", "cat named Tom", "--user", "ana", "--kind", "turn")
    }

    assert cli("delete", dog, "--yes").stdout.strip() == f"deleted {dog}"
    assert json.loads(cli("get", dog).stdout)["status"] == "deleted"
    assert dog not in {h["memory"]["id"] for h in cli_json("search", "cat Tom", "--user", "ana")}
    assert dog not in turn_ids(cli_json).values()
    assert cli_json("history", dog)[-1]["action"] == "delete"
    cli("update", dog, "resurrected", code=2)


def test_delete_confirmed_interactively(cli: Invoke, cli_json: CliJson) -> None:
    cli("add", DOG, "--user", "ana")
    dog = turn_ids(cli_json)[DOG]
    cli("delete", dog, input="y\n")
    assert json.loads(cli("get", dog).stdout)["status"] == "deleted"


def test_list_paginates(cli: Invoke, cli_json: CliJson) -> None:
    for day, text in enumerate((DOG, LISBON, PIANO), start=1):
        cli("add", text, "--user", "ana", "--timestamp", f"2023-01-0{day}")
    page = cli_json("list", "--user", "ana", "--kind", "turn", "-n", "2", "--offset", "1")
    assert [m["text"] for m in page] == [LISBON, PIANO]  # event-time order


# -- stats ------------------------------------------------------------------------------------
def test_stats_counts_change_after_add(cli: Invoke, cli_json: CliJson) -> None:
    empty = cli_json("stats")
    assert empty["users"] == 0 and empty["episodes"] == 0 and empty["memories"] == {}
    cli("add", DOG, LISBON, "--user", "ana", "--session", "s1")
    cli("add", PIANO, "--user", "bob")
    after = cli_json("stats")
    assert after["users"] == 2 and after["episodes"] == 3
    assert after["memories"]["turn"] == 3
    ana = cli_json("stats", "--user", "ana")
    assert ana["episodes"] == 2 and ana["memories"]["turn"] == 2
    text = cli("stats").stdout
    assert "users: 2  episodes: 3" in text and "turn: 3" in text


# -- import -----------------------------------------------------------------------------------
MESSAGES = [
    {"role": "user", "content": "I moved to Porto last spring", "session_id": "s1"},
    {"role": "assistant", "content": "How do you like Porto?", "session_id": "s1"},
    {"role": "user", "content": "My cat Luna hates the rain", "session_id": "s2"},
]
TEXTS = [m["content"] for m in MESSAGES]


def _jsonl(path: Path) -> Path:
    path = path / "chat.jsonl"
    path.write_text("\n".join(json.dumps(m) for m in MESSAGES) + "\n\n", encoding="utf-8")
    return path


def _list(path: Path) -> Path:
    path = path / "chat.json"
    path.write_text(json.dumps(MESSAGES), encoding="utf-8")
    return path


def _messages(path: Path) -> Path:
    path = path / "chat.json"
    path.write_text(json.dumps({"messages": MESSAGES}), encoding="utf-8")
    return path


def _sessions(path: Path) -> Path:
    sessions = [
        {
            "session_id": "s1",
            "timestamp": "2023-05-01T10:00:00Z",
            "messages": [{k: v for k, v in m.items() if k != "session_id"} for m in MESSAGES[:2]],
        },
        {"session_id": "s2", "timestamp": "2023-06-01", "messages": [MESSAGES[2]["content"]]},
    ]
    path = path / "chat.json"
    path.write_text(json.dumps({"sessions": sessions}), encoding="utf-8")
    return path


@pytest.mark.parametrize("write", [_jsonl, _list, _messages, _sessions])
def test_import_each_format_once(
    write: Callable[[Path], Path], cli: Invoke, cli_json: CliJson, cli_env: Any
) -> None:
    path = write(cli_env.tmp)
    first = cli("import", str(path), "--user", "ana").stdout
    assert "imported 3 message(s) into user 'ana' (0 already stored)" in first
    turns = cli_json("list", "--user", "ana", "--kind", "turn")
    assert sorted(m["text"] for m in turns) == sorted(TEXTS)
    assert {m["text"]: m["session_id"] for m in turns} == {
        TEXTS[0]: "s1",
        TEXTS[1]: "s1",
        TEXTS[2]: "s2",
    }
    if write is _sessions:
        when = {m["text"]: m["event_time"][:10] for m in turns}
        assert when == {TEXTS[0]: "2023-05-01", TEXTS[1]: "2023-05-01", TEXTS[2]: "2023-06-01"}
    before = cli_json("stats")

    second = cli("import", str(path), "--user", "ana").stdout
    assert "imported 0 message(s) into user 'ana' (3 already stored)" in second
    assert cli_json("stats") == before
    hits = cli_json("search", "cat Luna rain", "--user", "ana")
    assert hits[0]["memory"]["text"] == TEXTS[2]


def test_import_session_option_fills_missing_sessions(
    cli: Invoke, cli_json: CliJson, cli_env: Any
) -> None:
    path = cli_env.tmp / "plain.json"
    path.write_text(json.dumps(["hello there", {"content": "a note", "session_id": "own"}]))
    cli("import", str(path), "--user", "ana", "--session", "default")
    turns = {
        m["text"]: m["session_id"] for m in cli_json("list", "--user", "ana", "--kind", "turn")
    }
    assert turns == {"hello there": "default", "a note": "own"}


def test_import_sessions_with_equal_openings_keeps_both(
    cli: Invoke, cli_json: CliJson, cli_env: Any
) -> None:
    path = cli_env.tmp / "two.json"
    sessions = [
        {"session_id": "a", "timestamp": "2023-05-01", "messages": ["hi", "I like tea"]},
        {"session_id": "b", "timestamp": "2023-06-01", "messages": ["hi", "I like coffee"]},
    ]
    path.write_text(json.dumps({"sessions": sessions}), encoding="utf-8")
    out = cli("import", str(path), "--user", "ana").stdout
    assert "imported 4 message(s)" in out
    turns = cli_json("list", "--user", "ana", "--kind", "turn")
    assert sorted((m["session_id"], m["text"]) for m in turns) == [
        ("a", "I like tea"),
        ("a", "hi"),
        ("b", "I like coffee"),
        ("b", "hi"),
    ]


BAD_FILES = [
    # (file name, content, words the one error line must contain)
    (
        "bad.jsonl",
        '{"role": "user", "content": "fine"}\n{"role": "user", oops}\n',
        ["bad.jsonl:2", "invalid JSON"],
    ),
    ("bad.json", '[\n  {"content": "x"},\n  oops\n]', ["bad.json", "invalid JSON at line 3"]),
    ("role.json", '[{"role": "robot", "content": "hi"}]', ["messages[0].role", "'robot'"]),
    ("field.json", '[{"content": "hi", "mood": "ok"}]', ["messages[0].mood"]),
    ("empty.json", '{"messages": [{"content": "  "}]}', ["messages[0].content"]),
    ("item.json", '{"messages": [1]}', ["item.json.messages[0]", "message object"]),
    ("shape.json", '{"turns": []}', ["shape.json", "expected a list of messages"]),
    ("nomsgs.json", '{"sessions": [{"id": 1}]}', ["nomsgs.json.sessions[0]", "'messages'"]),
    ("when.json", '[{"content": "hi", "timestamp": "someday"}]', ["timestamp", "'someday'"]),
]


@pytest.mark.parametrize(("name", "content", "words"), BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_import_bad_file_exits_2_naming_the_problem(
    name: str, content: str, words: list[str], cli: Invoke, cli_json: CliJson, cli_env: Any
) -> None:
    path = cli_env.tmp / name
    path.write_text(content, encoding="utf-8")
    result = cli("import", str(path), "--user", "ana", code=2)
    (line,) = error_lines(result.stderr)
    assert line.startswith("error: ")
    for word in words:
        assert word in line
    assert "Traceback" not in result.output
    assert cli_json("stats")["episodes"] == 0


def test_import_missing_file_is_a_usage_error(cli: Invoke, cli_env: Any) -> None:
    result = cli("import", str(cli_env.tmp / "nope.json"), "--user", "ana", code=2)
    assert "does not exist" in result.stderr


# -- validation errors ----------------------------------------------------------------------
INVALID = [
    (["search", "", "--user", "ana"], "error: query: must be a non-empty string"),
    (["search", "   ", "--user", "ana"], "error: query: must be a non-empty string"),
    (["search", "x", "--user", "ana", "--kind", "bogus"], "error: kinds: 'bogus'"),
    (["search", "x", "--user", "ana", "-n", "0"], "error: limit: must be an integer"),
    (["search", "x", "--user", "ana", "--start", "nonsense"], "error: start: cannot parse"),
    (["search", "x", "--user", ""], "error: user_id: must be a non-empty string"),
    (["add", "", "--user", "ana"], "error: messages[0].content: must be a non-empty string"),
    (["add", "hi", "--user", "ana", "--role", "robot"], "error: messages[0].role: must be one"),
    (["add", "hi", "--user", "ana", "--timestamp", "someday"], "error: timestamp: cannot parse"),
    (["list", "--user", "ana", "--kind", "bogus"], "error: kinds: 'bogus'"),
    (["list", "--user", "ana", "-n", "-1"], "error: limit: must be a non-negative integer"),
    (["get", "no-such-id"], "error: memory 'no-such-id' not found"),
    (["history", "no-such-id"], "error: memory 'no-such-id' not found"),
    (["update", "no-such-id", "new text"], "error: memory 'no-such-id' not found"),
    (["update", "no-such-id", " "], "error: text: must be a non-empty string"),
    (["delete", "no-such-id", "--yes"], "error: memory 'no-such-id' not found"),
]


@pytest.mark.parametrize(("args", "message"), INVALID, ids=[" ".join(a) for a, _ in INVALID])
def test_invalid_input_exits_2_with_one_line(args: list[str], message: str, cli: Invoke) -> None:
    result = cli(*args, code=2)
    assert error_lines(result.stderr) == [result.stderr.strip()]
    assert result.stderr.startswith(message)
    assert "Traceback" not in result.output
    assert result.stdout == ""


def test_missing_required_option_is_a_usage_error(cli: Invoke) -> None:
    result = cli("search", "x", code=2)
    assert "Missing option '--user'" in result.stderr


def test_invalid_setting_exits_2_with_one_line(
    cli: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KENNING_EMBEDDER", "bogus")
    result = cli("stats", code=None)
    assert result.exit_code == 2
    (line,) = error_lines(result.stderr)
    assert line.startswith("error: ") and "embedder" in line.lower()


def test_long_error_is_one_line_when_piped(run_kenning: RunKenning) -> None:
    result = run_kenning(["search", "x", "--user", "ana", "--kind", "bogus"])
    assert result.returncode == 2
    assert len(error_lines(result.stderr)) == 1, result.stderr


@pytest.mark.parametrize("command", ["list", "search"])
def test_tables_show_usable_ids_at_80_columns(
    command: str, cli: Invoke, cli_json: CliJson, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli("add", DOG, "--user", "ana")
    dog = turn_ids(cli_json)[DOG]
    monkeypatch.setenv("COLUMNS", "80")
    args = (
        ["list", "--user", "ana"]
        if command == "list"
        else ["search", "dog", "--user", "ana", "--kind", "turn"]
    )
    assert dog in cli(*args).stdout


# -- the installed console script -------------------------------------------------------------
def test_console_script_add_search_stats(run_kenning: RunKenning, cli_env: Any) -> None:
    added = run_kenning(["add", DOG, LISBON, "--user", "ana", "--json"])
    assert added.returncode == 0, added.stderr
    assert len(json.loads(added.stdout)["episodes"]) == 2
    found = run_kenning(["search", "dog", "--user", "ana", "--kind", "turn", "--json"])
    assert found.returncode == 0, found.stderr
    assert json.loads(found.stdout)[0]["memory"]["text"] == DOG
    assert cli_env.db.exists()  # KENNING_DB_PATH was used ...
    assert not (cli_env.home / ".kenning").exists()  # ... and nothing went to ~/.kenning

    other = cli_env.tmp / "other.db"
    assert run_kenning(["add", PIANO, "--user", "ana", "--db", str(other)]).returncode == 0
    stats = run_kenning(["stats", "--json", "--db", str(other)])
    assert json.loads(stats.stdout)["episodes"] == 1
    assert json.loads(run_kenning(["stats", "--json"]).stdout)["episodes"] == 2

    failed = run_kenning(["get", "no-such-id"])
    assert failed.returncode == 2
    assert failed.stderr.strip() == "error: memory 'no-such-id' not found"
