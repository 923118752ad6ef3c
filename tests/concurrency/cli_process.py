"""The CLI in a child process on a store file, as another program would run it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any


def run_cli(db: Path, *args: str, **settings: str) -> Any:
    """``kenning ARGS --db DB`` with the hash embedder and these ``KENNING_`` settings (none of
    this process's); its output, parsed when ``--json`` is among the arguments."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KENNING_")}
    env["KENNING_EMBEDDER"] = "hash"
    env.update({f"KENNING_{name.upper()}": value for name, value in settings.items()})
    done = subprocess.run(
        [sys.executable, "-m", "kenning.cli", *args, "--db", str(db)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout) if "--json" in args else done.stdout
