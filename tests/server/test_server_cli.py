"""``engram keys ...`` and ``engram serve`` as a user runs them."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner, Result

from engram.cli import app
from engram.server import OPEN_NOTICE, hash_token
from engram.store import SQLiteStore

Run = Callable[..., Result]


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in list(os.environ):
        if name.startswith("ENGRAM_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("ENGRAM_EMBEDDER", "hash")
    monkeypatch.setenv("ENGRAM_EMBEDDING_CACHE_PATH", "")
    path = tmp_path / "keys.db"
    monkeypatch.setenv("ENGRAM_DB_PATH", str(path))
    return path


@pytest.fixture
def run(db: Path) -> Run:
    runner = CliRunner()

    def invoke(*args: str, code: int = 0) -> Result:
        result = runner.invoke(app, list(args))
        assert result.exit_code == code, (result.stdout, result.stderr, result.exception)
        return result

    return invoke


def test_keys_create_list_revoke(run: Run, db: Path) -> None:
    secret = run("keys", "create", "--user", "ana", "--user", "bob", "--name", "agent").stdout
    secret = secret.strip()
    assert secret.startswith("egk_") and "\n" not in secret
    admin = run("keys", "create", "--admin").stdout.strip()
    listed: list[dict[str, Any]] = json.loads(run("keys", "list", "--json").stdout)
    assert [(k["name"], k["users"], k["admin"]) for k in listed] == [
        ("agent", ["ana", "bob"], False),
        ("admin", [], True),
    ]
    assert "hash" not in listed[0] and secret not in run("keys", "list").stdout
    store = SQLiteStore(db)
    try:
        assert store.find_api_key(hash_token(secret)) is not None
        assert store.find_api_key(hash_token(admin)) is not None
        assert secret not in db.read_bytes().decode("latin-1")
    finally:
        store.close()
    assert "revoked" in run("keys", "revoke", listed[0]["id"]).stdout
    after = json.loads(run("keys", "list", "--json").stdout)
    assert after[0]["revoked_at"] is not None and after[1]["revoked_at"] is None


def test_keys_errors(run: Run) -> None:
    assert "at least one user" in run("keys", "create", code=2).stderr
    assert "not found" in run("keys", "revoke", "nope", code=2).stderr


def test_serve_refuses_a_public_host_without_keys(run: Run) -> None:
    result = run("serve", "--host", "0.0.0.0", "--port", "1", code=2)
    assert "no API keys" in result.stderr and "0.0.0.0" in result.stderr


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_engram_serve_runs_the_real_server(db: Path, tmp_path: Path) -> None:
    port = _free_port()
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "engram"), "serve", "--port", str(port)],
        env=dict(os.environ),  # the hermetic ENGRAM_* variables of the db fixture
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, process.communicate()
            try:
                health = httpx.get(f"{url}/v1/health", timeout=1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "engram serve did not start"
                time.sleep(0.1)
        assert health.json()["status"] == "ok"
        added = httpx.post(f"{url}/v1/users/ana/messages", json={"messages": "hello"})
        assert added.status_code == 201
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=30)
    assert OPEN_NOTICE in stderr
    assert f"http://127.0.0.1:{port}" in stderr
    assert f"web page http://127.0.0.1:{port}/ " in stderr
    store = SQLiteStore(db)
    try:
        assert store.stats("ana").episodes == 1
    finally:
        store.close()
