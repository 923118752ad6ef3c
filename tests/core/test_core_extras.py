"""What needs an extra that is not installed fails with one line naming the install command.

Each case runs in a fresh interpreter in which the extra's modules cannot be imported (a
finder at the front of ``sys.meta_path`` refuses them), as on a core-only install.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

HIDE = """
    import importlib.abc, sys

    class Hide(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in HIDDEN:
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
            return None

    sys.meta_path.insert(0, Hide())
"""


def run_hidden(
    hidden: tuple[str, ...], code: str, tmp_path: Path
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KENNING_")}
    env["HOME"] = str(tmp_path)
    env["KENNING_DB_PATH"] = str(tmp_path / "k.db")
    source = f"HIDDEN = {hidden!r}\n" + textwrap.dedent(HIDE) + textwrap.dedent(code)
    return subprocess.run(
        [sys.executable, "-c", source],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
        cwd=tmp_path,
    )


def cli(*argv: str) -> str:
    return f"""
    sys.argv = ["kenning", *{list(argv)!r}]
    from kenning.cli import main
    main()
    """


@pytest.mark.parametrize(
    ("hidden", "argv", "extra"),
    [
        (("fastapi", "uvicorn"), ("serve",), "server"),
        (("mcp",), ("mcp",), "server"),
        (("fastapi",), ("keys", "list"), "server"),
    ],
)
def test_cli_names_the_missing_extra(
    tmp_path: Path, hidden: tuple[str, ...], argv: tuple[str, ...], extra: str
) -> None:
    done = run_hidden(hidden, cli(*argv), tmp_path)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert f"pip install 'kenning[{extra}]'" in lines[0]
    assert lines[0].startswith("error:")


def test_sentence_transformers_embedder_names_the_torch_extra(tmp_path: Path) -> None:
    code = """
    import os
    os.environ["KENNING_EMBEDDER"] = "sentence-transformers"
    """ + cli("search", "anything", "--user", "ana")
    done = run_hidden(("sentence_transformers", "torch"), code, tmp_path)
    assert done.returncode == 2, done.stderr
    assert "pip install 'kenning[torch]'" in done.stderr
    assert "Traceback" not in done.stderr


def test_python_api_raises_config_error_naming_the_extra(tmp_path: Path) -> None:
    code = """
    from kenning import ConfigError
    try:
        import kenning.server
    except ConfigError as exc:
        print(exc)
    """
    done = run_hidden(("uvicorn",), code, tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == (
        "the REST server needs the 'server' extra (not installed: uvicorn): "
        "pip install 'kenning[server]'"
    )


def test_core_commands_work_without_the_extras(tmp_path: Path) -> None:
    hidden = ("fastapi", "uvicorn", "mcp", "torch", "sentence_transformers")
    added = run_hidden(hidden, cli("add", "Ana lives in Kreuzberg", "--user", "ana"), tmp_path)
    assert added.returncode == 0, added.stderr
    found = run_hidden(hidden, cli("search", "where does Ana live?", "--user", "ana"), tmp_path)
    assert found.returncode == 0, found.stderr
    assert "Kreuzberg" in found.stdout
