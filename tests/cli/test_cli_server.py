"""``kenning keys ...`` and ``kenning serve`` as a user runs them (fixtures: conftest.py)."""

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
from typer.testing import Result

from kenning.server import OPEN_NOTICE, hash_token
from kenning.store import SQLiteStore

Invoke = Callable[..., Result]  # the ``cli`` fixture: kenning ARGS -> click Result


def test_keys_create_list_revoke(cli: Invoke, cli_env: Any) -> None:
    db = cli_env.db
    secret = cli("keys", "create", "--user", "ana", "--user", "bob", "--name", "agent").stdout
    secret = secret.strip()
    assert secret.startswith("egk_") and "\n" not in secret
    admin = cli("keys", "create", "--admin").stdout.strip()
    listed: list[dict[str, Any]] = json.loads(cli("keys", "list", "--json").stdout)
    assert [(k["name"], k["users"], k["admin"]) for k in listed] == [
        ("agent", ["ana", "bob"], False),
        ("admin", [], True),
    ]
    assert "hash" not in listed[0] and secret not in cli("keys", "list").stdout
    store = SQLiteStore(db)
    try:
        assert store.find_api_key(hash_token(secret)) is not None
        assert store.find_api_key(hash_token(admin)) is not None
        assert secret not in db.read_bytes().decode("latin-1")
    finally:
        store.close()
    assert "revoked" in cli("keys", "revoke", listed[0]["id"]).stdout
    after = json.loads(cli("keys", "list", "--json").stdout)
    assert after[0]["revoked_at"] is not None and after[1]["revoked_at"] is None


def test_keys_errors(cli: Invoke) -> None:
    assert "at least one user" in cli("keys", "create", code=2).stderr
    assert "not found" in cli("keys", "revoke", "nope", code=2).stderr


def test_serve_refuses_a_public_host_without_keys(cli: Invoke) -> None:
    result = cli("serve", "--host", "0.0.0.0", "--port", "1", code=2)
    assert "no API keys" in result.stderr and "0.0.0.0" in result.stderr


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_kenning_serve_runs_the_real_server(cli_env: Any) -> None:
    port = _free_port()
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "kenning"), "serve", "--port", str(port)],
        env=dict(os.environ),  # the hermetic KENNING_* variables of the cli_env fixture
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=cli_env.tmp,
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
                assert time.monotonic() < deadline, "kenning serve did not start"
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
    store = SQLiteStore(cli_env.db)
    try:
        assert store.stats("ana").episodes == 1
    finally:
        store.close()
