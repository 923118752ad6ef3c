"""``kenning serve`` in child processes on one database, as separate servers run."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_ready(base: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert process.poll() is None, "a server exited while starting"
        try:
            if httpx.get(f"{base}/v1/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError(f"{base} did not start within 120 s")


@contextmanager
def servers(db: str, count: int, log_dir: Path, **settings: str) -> Iterator[list[str]]:
    """``count`` servers on ``db`` (hash embedder, no rate limit, these ``KENNING_``
    settings); their base URLs. Stopped on exit."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KENNING_")}
    env |= {
        "KENNING_EMBEDDER": "hash",
        "KENNING_EMBEDDING_CACHE_PATH": "",
        "KENNING_SERVER_RATE_LIMIT": "100000",
    }
    env |= {f"KENNING_{name.upper()}": value for name, value in settings.items()}
    processes: list[subprocess.Popen[bytes]] = []
    bases: list[str] = []
    with open(log_dir / "servers.log", "wb") as log:
        try:
            for _ in range(count):
                port = _free_port()
                command = [sys.executable, "-m", "kenning.cli", "serve", "--host", "127.0.0.1"]
                processes.append(
                    subprocess.Popen(
                        [*command, "--port", str(port), "--db", db],
                        env=env,
                        stdout=log,
                        stderr=log,
                    )
                )
                bases.append(f"http://127.0.0.1:{port}")
            for base, process in zip(bases, processes, strict=True):
                _wait_ready(base, process)
            yield bases
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                process.wait(timeout=30)
