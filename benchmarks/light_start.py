"""Start-up, embedding and ingest figures of the default (ONNX) install, each beside its pair.

Prints one line per figure with what it is compared against, measured in the same run:

* ``kenning --help``: wall time of a fresh process (median of ``--repeat`` runs);
* a fresh process that opens a store and answers one search, model load included: the
  default ONNX embedder and, with the ``torch`` extra installed, sentence-transformers'
  MiniLM (median of ``--repeat`` runs each, alternating);
* one query embedding (p50 over LoCoMo questions): ONNX and sentence-transformers,
  alternating blocks of 50 in one process;
* a cold LoCoMo ingest (one ``add`` per session, empty embedding cache) against the raw
  embedder on exactly the texts the ingest embedded (raw before and after; their mean);
* with ``--install-sizes``: ``du -sm`` of site-packages of fresh virtualenvs with
  ``pip install .`` and ``pip install '.[server]'`` (needs the package index; slow).

Run::

    .venv/bin/python benchmarks/light_start.py
    .venv/bin/python benchmarks/light_start.py --install-sizes --json out.json

Wall clock (``time.perf_counter``); the machine is shared, so compare figures of one run.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from _bench import DEFAULT_LOCOMO, REPO_ROOT, environment, print_table, quantiles_ms, write_json

from kenning import Memory
from kenning.embed import CachedEmbedder, Embedder, EmbeddingCache, OnnxEmbedder, Vectors
from kenning.eval.locomo import load_locomo, session_messages

BIN = Path(sys.executable).parent


def _wall(command: Sequence[str], env: dict[str, str] | None = None) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, env=env)
    return time.perf_counter() - started


def cli_help(repeat: int) -> float:
    """Median wall seconds of ``kenning --help`` in a fresh process."""
    return statistics.median(_wall([str(BIN / "kenning"), "--help"]) for _ in range(repeat))


FRESH_SEARCH = """
    import sys
    from kenning import Memory, Settings
    settings = Settings(db_path=sys.argv[1], embedding_cache_path="", embedder=sys.argv[2])
    with Memory(settings=settings) as m:
        m.search("where does Ana live?", user_id="ana")
"""


def fresh_search(embedders: Sequence[str], repeat: int, directory: Path) -> dict[str, float]:
    """Median wall seconds of a fresh process opening a store with one message and searching."""
    db = directory / "fresh.db"
    with Memory(db) as m:  # the store exists and holds one message before timing
        m.add("Ana lives in Kreuzberg", user_id="ana")
    env = {k: v for k, v in os.environ.items() if not k.startswith("KENNING_")}
    code = textwrap.dedent(FRESH_SEARCH)
    times: dict[str, list[float]] = {name: [] for name in embedders}
    for _ in range(repeat):
        for name in embedders:
            command = [sys.executable, "-c", code, str(db), name]
            times[name].append(_wall(command, env))
    return {name: statistics.median(values) for name, values in times.items()}


def query_p50(embedders: dict[str, Embedder], queries: Sequence[str]) -> dict[str, float]:
    """p50 milliseconds of one-query embeddings, embedders alternating in blocks of 50."""
    seconds: dict[str, list[float]] = {name: [] for name in embedders}
    for e in embedders.values():
        e.embed(["warm up"])
    for start in range(0, len(queries), 50):
        for name, e in embedders.items():
            for q in queries[start : start + 50]:
                began = time.perf_counter()
                e.embed([q])
                seconds[name].append(time.perf_counter() - began)
    return {name: quantiles_ms(values)["p50"] for name, values in seconds.items()}


def ingest_vs_raw(data: Path, conversations: int, directory: Path) -> dict[str, Any]:
    """Cold LoCoMo ingest throughput against the raw embedder on the same texts."""
    model = OnnxEmbedder()
    model.load()
    passed: list[str] = []

    class Counting:
        """Passes texts to the model and keeps them (what the ingest really embedded)."""

        model_id = model.model_id
        dim = model.dim

        def embed(self, texts: Sequence[str]) -> Vectors:
            passed.extend(texts)
            return model.embed(texts)

    chats = list(load_locomo(data))[:conversations]
    with EmbeddingCache(directory / "cold-cache.db") as cache:
        memory = Memory(directory / "ingest.db", embedder=CachedEmbedder(Counting(), cache))
        try:
            started = time.perf_counter()
            for chat in chats:
                for session in chat.sessions:
                    messages = session_messages(session)
                    if messages:
                        memory.add(
                            messages,
                            user_id=chat.sample_id,
                            session_id=session.session_id,
                            timestamp=session.date,
                        )
            ingest = time.perf_counter() - started
        finally:
            memory.close()
    raws = []
    for _ in range(2):
        began = time.perf_counter()
        model.embed(passed)
        raws.append(time.perf_counter() - began)
    raw = statistics.mean(raws)
    return {
        "texts": len(passed),
        "ingest_seconds": ingest,
        "ingest_texts_per_second": len(passed) / ingest,
        "raw_seconds": raws,
        "raw_texts_per_second": len(passed) / raw,
        "ratio": raw / ingest,
    }


def install_sizes(directory: Path) -> dict[str, float]:
    """MB of site-packages in fresh virtualenvs with the core install and with [server]."""
    sizes: dict[str, float] = {}
    for name, spec in (("default", "."), ("server", ".[server]")):
        venv = directory / f"venv-{name}"
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        pip = [str(venv / "bin" / "pip"), "install", "--quiet", spec]
        subprocess.run(pip, check=True, cwd=REPO_ROOT, capture_output=True)
        site = next((venv / "lib").glob("python*/site-packages"))
        du = subprocess.run(["du", "-sm", str(site)], check=True, capture_output=True, text=True)
        sizes[name] = float(du.stdout.split()[0])
    return sizes


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--data", type=Path, default=DEFAULT_LOCOMO, help="locomo10.json")
    parser.add_argument("--conversations", type=int, default=10, help="for the ingest figure")
    parser.add_argument("--repeat", type=int, default=5, help="fresh processes per figure")
    parser.add_argument("--install-sizes", action="store_true", help="build two fresh venvs")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args(argv)
    env = environment()
    torch = importlib.util.find_spec("sentence_transformers") is not None
    rows: list[list[object]] = []
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="kenning-bench-") as tmp:
        directory = Path(tmp)
        if args.install_sizes:
            out["site_packages_mb"] = install_sizes(directory)
            for name, mb in out["site_packages_mb"].items():
                rows.append([f"site-packages MB, {name} install", mb, "", "du -sm"])
        out["help_seconds"] = cli_help(args.repeat)
        rows.append(["kenning --help, s", out["help_seconds"], "", f"median of {args.repeat}"])
        names = ["onnx", "sentence-transformers"] if torch else ["onnx"]
        out["fresh_search_seconds"] = fresh_search(names, args.repeat, directory)
        fresh = out["fresh_search_seconds"]
        rows.append(
            [
                "fresh process: open + 1 search, s",
                fresh["onnx"],
                fresh.get("sentence-transformers", "-"),
                f"median of {args.repeat}",
            ]
        )
        queries = [q.question for c in load_locomo(args.data) for q in c.questions][:500]
        embedders: dict[str, Embedder] = {"onnx": OnnxEmbedder()}
        if torch:
            from kenning.embed import SentenceTransformerEmbedder

            embedders["sentence-transformers"] = SentenceTransformerEmbedder()
        out["query_ms_p50"] = query_p50(embedders, queries)
        p50 = out["query_ms_p50"]
        rows.append(
            [
                "one query embedding p50, ms",
                p50["onnx"],
                p50.get("sentence-transformers", "-"),
                f"{len(queries)} LoCoMo questions",
            ]
        )
        out["ingest"] = ingest_vs_raw(args.data, args.conversations, directory)
        ing = out["ingest"]
        rows.append(
            [
                "cold ingest / raw embedder",
                ing["ratio"],
                "",
                f"{ing['ingest_texts_per_second']:.0f} vs {ing['raw_texts_per_second']:.0f} texts/s, {ing['texts']} texts",
            ]
        )
    print_table(["figure", "onnx (default)", "sentence-transformers", "note"], rows)
    if args.json is not None:
        write_json(args.json, {"benchmark": "light_start", "environment": env, **out})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
