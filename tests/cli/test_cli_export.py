"""``kenning export`` and ``kenning import`` of an export file, end to end (see conftest.py)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

Invoke = Callable[..., Any]
CliJson = Callable[..., Any]
RunKenning = Callable[..., subprocess.CompletedProcess[str]]


def _fill(cli: Invoke) -> None:
    cli("add", "I adopted a dog named Rex", "My sister lives in Lisbon", "--user", "ana")
    cli("add", "Bo bakes bread", "--user", "bo", "--session", "b1")


def test_export_then_import_into_another_store(
    cli: Invoke, cli_json: CliJson, cli_env: Any
) -> None:
    _fill(cli)
    file = cli_env.tmp / "backup.jsonl"
    report = cli_json("export", str(file))
    assert report["users"] == ["ana", "bo"] and report["counts"]["episode"] == 3
    lines = file.read_text(encoding="utf-8").splitlines()
    assert json.loads(lines[0])["format"] == "kenning-export"
    assert len(lines) == sum(report["counts"].values()) + 2

    other = str(cli_env.tmp / "other.db")
    first = cli_json("import", str(file), "--db", other)
    assert first["added"] == report["counts"] and not any(first["skipped"].values())
    second = cli_json("import", str(file), "--db", other)
    assert not any(second["added"].values()) and second["skipped"] == report["counts"]
    assert "nothing new" in cli("import", str(file), "--db", other).stdout
    original = cli_json("list", "--user", "ana")
    assert cli_json("list", "--user", "ana", "--db", other) == original


def test_export_of_one_user_to_stdout(cli: Invoke, cli_env: Any) -> None:
    _fill(cli)
    out = cli("export", "-", "--user-id", "bo").stdout.splitlines()
    header, records = json.loads(out[0]), [json.loads(line) for line in out[1:-1]]
    assert header["users"] == ["bo"]
    assert records and {r["user_id"] for r in records} == {"bo"}
    assert json.loads(out[-1])["type"] == "end"


def test_a_bad_export_exits_2_naming_line_and_field(cli: Invoke, cli_env: Any) -> None:
    _fill(cli)
    file = cli_env.tmp / "backup.jsonl"
    cli("export", str(file))
    lines = file.read_text(encoding="utf-8").splitlines()
    header = json.loads(lines[0])
    file.write_text(json.dumps({**header, "version": 99}) + "\n" + "\n".join(lines[1:]) + "\n")
    result = cli("import", str(file), "--db", str(cli_env.tmp / "other.db"), code=2)
    assert "line 1, field 'version': format version 99 is newer" in result.stderr


def test_import_tells_a_file_it_cannot_read(cli: Invoke, cli_env: Any) -> None:
    notes = cli_env.tmp / "notes.csv"
    notes.write_text("just some words\n", encoding="utf-8")
    result = cli("import", str(notes), code=2)
    assert "neither a Kenning export" in result.stderr
    chat = cli_env.tmp / "chat.jsonl"
    chat.write_text(json.dumps({"role": "user", "content": "hello"}) + "\n", encoding="utf-8")
    assert "needs --user" in cli("import", str(chat), code=2).stderr


def test_the_installed_script_round_trips(
    cli: Invoke, run_kenning: RunKenning, cli_env: Any
) -> None:
    _fill(cli)
    file = Path(cli_env.tmp / "backup.jsonl")
    exported = run_kenning(["export", str(file), "--user", "ana"])
    assert exported.returncode == 0, exported.stderr
    other = str(cli_env.tmp / "other.db")
    imported = run_kenning(["import", str(file), "--db", other, "--json"])
    assert imported.returncode == 0, imported.stderr
    assert json.loads(imported.stdout)["added"]["episode"] == 2
