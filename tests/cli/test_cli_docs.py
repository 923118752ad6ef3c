"""Every command has help text and is documented in docs/cli.md (in the style of sqlite-utils).

The commands are read from the typer app itself, so a new command without docs fails here.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import typer.main

from kenning.cli import app

ROOT = Path(__file__).resolve().parents[2]
DOCS = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
# options every command documents once, in the introduction of docs/cli.md
GENERAL_OPTIONS = {"--db", "--json", "--help"}


def _walk(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    # typer >= 0.16 vendors click, so test for subcommands by duck typing, not click.Group
    yield path, command
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        yield from _walk(sub, (*path, name))


COMMANDS = dict(_walk(typer.main.get_command(app)))
LEAVES = {path: cmd for path, cmd in COMMANDS.items() if not getattr(cmd, "commands", None)}
ROWS = re.findall(r"^\| `kenning ([^`]*)`", DOCS, flags=re.MULTILINE)


def _ids(paths: Any) -> list[str]:
    return [" ".join(p) or "kenning" for p in paths]


def _doc_row(path: tuple[str, ...]) -> str:
    """The docs table row of a command (its usage cell)."""
    name = " ".join(path)
    matches = [row for row in ROWS if row == name or row.startswith(name + " ")]
    assert len(matches) == 1, f"docs/cli.md has {len(matches)} rows for `kenning {name}`"
    return matches[0]


def test_the_walk_finds_every_command() -> None:
    # guards the walker itself: if it stopped descending, the tests below would pass vacuously
    assert {" ".join(p) for p in LEAVES} == {
        "add",
        "search",
        "get",
        "list",
        "history",
        "update",
        "delete",
        "import",
        "export",
        "stats",
        "migrate",
        "eval locomo",
        "eval longmemeval",
        "eval realmem",
        "eval hipporag",
        "eval matrix",
        "eval sample-longmemeval",
        "eval updates",
        "eval tasks",
        "fact",
        "forget",
        "undo",
        "pin",
        "consolidate",
        "recover",
        "mcp",
        "serve",
        "keys create",
        "keys list",
        "keys revoke",
        "bench",
        "users",
        "sessions",
        "delete-user",
    }


@pytest.mark.parametrize("path", list(COMMANDS), ids=_ids(COMMANDS))
def test_every_command_has_help(path: tuple[str, ...]) -> None:
    help_text = (COMMANDS[path].help or "").strip()
    assert len(help_text) > 10, f"`kenning {' '.join(path)}` has no help text"


@pytest.mark.parametrize("path", list(LEAVES), ids=_ids(LEAVES))
def test_every_command_is_documented(path: tuple[str, ...]) -> None:
    _doc_row(path)
    assert f"`kenning {' '.join(path)}" in DOCS


def test_docs_name_only_real_commands() -> None:
    leaves = {" ".join(p) for p in LEAVES}
    for row in ROWS:
        words = row.split()
        command = " ".join(words[:2]) if words[0] in ("eval", "keys") else words[0]
        assert command in leaves, f"docs/cli.md documents `kenning {command}`, which does not exist"


@pytest.mark.parametrize(
    "path",
    [pytest.param(p, id=" ".join(p)) for p in LEAVES],
)
def test_every_option_is_in_the_docs_row(path: tuple[str, ...]) -> None:
    row = _doc_row(path)
    missing = [
        param.opts[0]
        for param in LEAVES[path].params
        if param.param_type_name == "option"
        and not GENERAL_OPTIONS & set(param.opts)
        and not any(re.search(rf"{re.escape(opt)}\b", row) for opt in param.opts)
    ]
    assert missing == [], f"`kenning {' '.join(path)}` options missing from docs/cli.md: {missing}"


def test_every_parameter_has_help() -> None:
    undescribed = [
        f"{' '.join(path)} {param.opts[0]}"
        for path, command in LEAVES.items()
        for param in command.params
        if not (getattr(param, "help", None) or "").strip()
    ]
    assert undescribed == []


def test_help_in_a_subprocess(run_kenning: Callable[..., subprocess.CompletedProcess[str]]) -> None:
    top = run_kenning(["--help"])
    assert top.returncode == 0, top.stderr
    assert "long-term memory" in top.stdout
    for path in COMMANDS:
        if len(path) == 1:
            assert re.search(rf"│ {re.escape(path[0])}\s", top.stdout), path
    for group in ("eval", "keys"):
        sub = run_kenning([group, "--help"])
        assert sub.returncode == 0, sub.stderr
        for path in COMMANDS:
            if len(path) == 2 and path[0] == group:
                assert path[1] in sub.stdout, path
    usage = run_kenning(["search", "--help"])
    assert usage.returncode == 0 and "--as-of" in usage.stdout
    bare = run_kenning([])
    assert bare.returncode == 2 and "Usage: kenning" in bare.stdout + bare.stderr
