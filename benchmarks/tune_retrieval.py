"""Retrieval settings on the development split: the sweep behind the defaults.

The development split is the first five LoCoMo conversations (the "dev" half; the other five
are held out) and the first ``--questions`` (50) questions of the MuSiQue and HotpotQA
samples. Each dataset is ingested once into a temporary store; then every variant (settings
changed from the defaults, through ``Memory.configure``) answers every question, as
``kenning eval`` does for its ablation. The objective is the mean of LoCoMo recall@10 and the
two samples' recall@5. Held-out data is never read.

Run::

    .venv/bin/python benchmarks/tune_retrieval.py                       # the sweep in docs/retrieval.md
    .venv/bin/python benchmarks/tune_retrieval.py --variants '{"dense 0.7": {"dense_weight": 0.7}}'
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from _bench import DEFAULT_LOCOMO, environment, print_table, write_json

from kenning import Memory, Settings
from kenning.eval import run_hipporag, run_locomo

HIPPORAG = DEFAULT_LOCOMO.parents[1] / "hipporag"

SWEEP: dict[str, dict[str, Any]] = {
    "dense 0.5": {"dense_weight": 0.5},
    "dense 0.7": {"dense_weight": 0.7},
    "graph off": {"graph": False},
    "graph weight 0.4": {"graph_weight": 0.4},
    "5 graph seeds": {"graph_seeds": 5},
    "2 graph seeds": {"graph_seeds": 2},
    "no entity feedback": {"entity_feedback_weight": 0.0},
    "entity feedback 0.3": {"entity_feedback_weight": 0.3},
    "entity feedback 0.7": {"entity_feedback_weight": 0.7},
    "round 0.7, session 0.5": {"round_weight": 0.7, "session_weight": 0.5},
    "round 1.4, session 1.0": {"round_weight": 1.4, "session_weight": 1.0},
    "adaptive granularity": {"adaptive_granularity": True},
    "MMR diversity": {"diversity": True},
}
"""Variant name -> settings changed from the defaults."""


def _variants(result: dict[str, Any]) -> dict[str, Any]:
    """Each variant's figures (a run of the defaults alone reports no ablation)."""
    return result.get("ablation") or {"default": {"overall": result["overall"]}}


def _memory(directory: Path, name: str) -> Memory:
    path = directory / f"{name}.db"
    return Memory(path, settings=Settings(db_path=path))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--locomo", type=Path, default=DEFAULT_LOCOMO, help="locomo10.json")
    parser.add_argument("--hipporag", type=Path, default=HIPPORAG, help="HippoRAG data folder")
    parser.add_argument("--questions", type=int, default=50, help="HippoRAG questions per file")
    parser.add_argument("--variants", type=json.loads, default=SWEEP, help="JSON name -> changes")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args(argv)

    variants = {"default": {}, **args.variants}
    figures: dict[str, dict[str, float]] = {name: {} for name in variants}
    with tempfile.TemporaryDirectory(prefix="kenning-tune-") as tmp:
        with _memory(Path(tmp), "locomo") as memory:
            result = run_locomo(
                args.locomo, memory, limit_conversations=5, variants=variants, ks=(10,)
            )
        for name, variant in _variants(result).items():
            figures[name]["locomo recall@10"] = variant["overall"]["recall@10"]
            figures[name]["locomo ndcg@10"] = variant["overall"]["ndcg@10"]
        for dataset in ("musique", "hotpotqa"):
            with _memory(Path(tmp), dataset) as memory:
                result = run_hipporag(
                    args.hipporag / f"{dataset}_train.json",
                    args.hipporag / f"{dataset}_train_corpus.json",
                    memory,
                    limit_questions=args.questions,
                    variants=variants,
                )
            for name, variant in _variants(result).items():
                figures[name][f"{dataset} recall@5"] = variant["overall"]["recall@5"]

    columns = ["locomo recall@10", "locomo ndcg@10", "musique recall@5", "hotpotqa recall@5"]
    for values in figures.values():
        values["mean"] = (
            values["locomo recall@10"] + values["musique recall@5"] + values["hotpotqa recall@5"]
        ) / 3
    print_table(
        ["variant", "mean", *columns],
        [[name, v["mean"], *(v[c] for c in columns)] for name, v in figures.items()],
    )
    if args.json is not None:
        write_json(args.json, {**environment(), "variants": variants, "figures": figures})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
