"""Fixtures for the command-line tests: a hermetic environment and a runner for ``kenning``.

Every test gets the hash embedder (no model), no embedding cache, a fresh SQLite file in
``tmp_path`` and a ``HOME`` in ``tmp_path`` (so a run that wrote to ``~/.kenning`` is caught).
The shared benchmark data comes from the ``locomo_file`` / ``hipporag_dir`` fixtures of
``tests/conftest.py``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from kenning.cli import app


@dataclass(frozen=True)
class CliEnv:
    """Where the hermetic environment of one test puts things."""

    db: Path
    home: Path
    tmp: Path


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliEnv:
    """Hash embedder, no cache, a fresh database and a private HOME; wide terminal for tables."""
    for name in list(os.environ):
        if name.startswith("KENNING_") and name != "KENNING_TEST_DATA":
            monkeypatch.delenv(name)
    home = tmp_path / "home"
    home.mkdir()
    db = tmp_path / "cli.db"
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("KENNING_EMBEDDER", "hash")
    monkeypatch.setenv("KENNING_EMBEDDING_CACHE_PATH", "")
    monkeypatch.setenv("KENNING_DB_PATH", str(db))
    # rich lays tables out to the terminal width; a wide one keeps cell text on one line
    monkeypatch.setenv("COLUMNS", "250")
    return CliEnv(db=db, home=home, tmp=tmp_path)


Invoke = Callable[..., Result]


@pytest.fixture
def cli(cli_env: CliEnv) -> Invoke:
    """Run ``kenning ARGS...`` in-process; asserts the expected exit code (0 by default)."""
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None, code: int | None = 0) -> Result:
        result = runner.invoke(app, list(args), input=input)
        if code is not None:
            assert result.exit_code == code, (
                f"kenning {' '.join(args)} exited {result.exit_code}, expected {code}\n"
                f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}\n{result.exception!r}"
            )
        return result

    return invoke


@pytest.fixture
def cli_json(cli: Invoke) -> Callable[..., Any]:
    """Run a command with ``--json`` and parse its stdout."""

    def invoke(*args: str) -> Any:
        return json.loads(cli(*args, "--json").stdout)

    return invoke


def kenning_script() -> Path:
    """The installed ``kenning`` console script of the interpreter running the tests."""
    beside = Path(sys.executable).parent / "kenning"
    found = beside if beside.exists() else shutil.which("kenning")
    assert found, "the kenning console script is not installed (pip install -e .)"
    return Path(found)


@pytest.fixture
def run_kenning(cli_env: CliEnv) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run the installed ``kenning`` script in a subprocess, in the hermetic environment."""

    def run(args: Sequence[str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
        env = dict(os.environ)
        env.pop("COLUMNS", None)  # as when piped: rich's default width of 80
        return subprocess.run(
            [str(kenning_script()), *args],
            capture_output=True,
            text=True,
            env=env,
            cwd=cli_env.tmp,
            timeout=timeout,
            check=False,
        )

    return run
