"""The package's shape: one-way layer imports, a complete public surface, no import-time work."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import kenning

PACKAGE = Path(kenning.__file__).parent

# Lower layers may not import higher ones (docs/architecture.md). Each entry lists the
# kenning subpackages/modules a layer must never import.
# The edges: programs built on the library (each uses everything below it, not the others).
_EDGES = {"cli", "eval", "server", "mcp", "client", "bench"}
_ABOVE_MODELS = {
    "extract",
    "llm",
    "store",
    "embed",
    "index",
    "write",
    "read",
    "lifecycle",
    "memory",
    "tasks",
} | _EDGES
FORBIDDEN: dict[str, set[str]] = {
    "kenning.models": _ABOVE_MODELS,
    "kenning._http": _ABOVE_MODELS,
    "kenning.errors": _ABOVE_MODELS,
    "kenning.config": _ABOVE_MODELS,
    "kenning.extract": _ABOVE_MODELS - {"extract"},
    "kenning.llm": _ABOVE_MODELS - {"llm"},
    "kenning.store": _ABOVE_MODELS - {"store"},
    "kenning.embed": _ABOVE_MODELS - {"extract", "embed"},
    "kenning.index": {"llm", "write", "read", "lifecycle", "memory", "tasks"} | _EDGES,
    "kenning.write": {"read", "lifecycle", "memory", "tasks"} | _EDGES,
    "kenning.read": {"write", "llm", "lifecycle", "memory", "tasks"} | _EDGES,
    "kenning.lifecycle": {"memory", "tasks"} | _EDGES,
    "kenning._assembly": {"memory", "tasks"} | _EDGES,
    "kenning.memory": {"tasks"} | _EDGES,
    "kenning.async_memory": {"tasks"} | _EDGES,
    # Task memory sits on Memory; the edges (server, MCP) use it.
    "kenning.tasks": _EDGES,
    "kenning.eval": _EDGES - {"eval"},
    "kenning.bench": _EDGES - {"bench"},
    "kenning.server": _EDGES - {"server", "mcp"},  # mounts kenning.mcp at /mcp
    "kenning.mcp": _EDGES - {"mcp"},
    "kenning.client": _ABOVE_MODELS - {"extract", "client"},
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _kenning_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name.startswith("kenning.")}


def test_layers_import_one_way() -> None:
    violations = []
    for path in PACKAGE.rglob("*.py"):
        module = _module_name(path)
        for layer, banned in FORBIDDEN.items():
            if module != layer and not module.startswith(layer + "."):
                continue
            for imported in _kenning_imports(path):
                top = imported.split(".")[1]
                if top in banned:
                    violations.append(f"{module} imports {imported}")
    assert violations == []


def test_public_names_are_exported_and_exist() -> None:
    assert sorted(kenning.__all__) == sorted(set(kenning.__all__))
    for name in kenning.__all__:
        assert hasattr(kenning, name), name
    public = {n for n in vars(kenning) if not n.startswith("_") and n[0].isupper()}
    assert public <= set(kenning.__all__), public - set(kenning.__all__)


def test_importing_kenning_reads_no_environment_and_loads_no_model() -> None:
    code = (
        "import os, sys\n"
        "reads = []\n"
        "original = os.environ.__class__.__getitem__\n"
        "def spy(self, key):\n"
        "    if key.startswith('KENNING_'): reads.append(key)\n"
        "    return original(self, key)\n"
        "os.environ.__class__.__getitem__ = spy\n"
        "import kenning, kenning.cli, kenning.eval\n"
        "assert not reads, reads\n"
        "assert 'torch' not in sys.modules and 'sentence_transformers' not in sys.modules\n"
        "assert 'fastapi' not in sys.modules and 'uvicorn' not in sys.modules\n"
        "print('ok')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
