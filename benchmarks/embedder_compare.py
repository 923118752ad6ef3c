"""The default ONNX MiniLM against sentence-transformers' float32 MiniLM on LoCoMo (torch extra).

Embeds every LoCoMo turn (as ``kenning eval locomo`` renders it) and every question with both
embedders and prints: the cosine between the two vectors of each turn (mean, minimum, 1st
percentile) and of each question, the overlap of each question's 10 nearest turns of its
conversation under either embedder, and each embedder's throughput on the turns (batches of
64, in one process, one after the other).

Run (needs ``pip install 'kenning[torch]'``)::

    .venv/bin/python benchmarks/embedder_compare.py
    .venv/bin/python benchmarks/embedder_compare.py --threads 1 --json out.json
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from _bench import DEFAULT_LOCOMO, environment, print_table, write_json

from kenning.embed import Embedder, OnnxEmbedder, SentenceTransformerEmbedder, Vectors
from kenning.eval.locomo import load_locomo, render_turn


def timed(embedder: Embedder, texts: Sequence[str]) -> tuple[Vectors, float]:
    embedder.embed(["warm up"])
    started = time.perf_counter()
    vectors = embedder.embed(texts)
    return vectors, time.perf_counter() - started


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--data", type=Path, default=DEFAULT_LOCOMO, help="locomo10.json")
    parser.add_argument("--threads", type=int, default=0, help="ONNX threads (0: automatic)")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args(argv)
    env = environment()
    chats = list(load_locomo(args.data))
    turns = [[render_turn(t) for s in c.sessions for t in s.turns] for c in chats]
    questions = [[q.question for q in c.questions] for c in chats]
    flat_turns = [t for chat in turns for t in chat]
    flat_questions = [q for chat in questions for q in chat]
    reference = SentenceTransformerEmbedder()
    onnx = OnnxEmbedder(threads=args.threads)
    ref_turns, ref_seconds = timed(reference, flat_turns)
    our_turns, our_seconds = timed(onnx, flat_turns)
    ref_q, our_q = reference.embed(flat_questions), onnx.embed(flat_questions)
    cos_turns = np.sum(ref_turns * our_turns, axis=1)
    cos_q = np.sum(ref_q * our_q, axis=1)
    overlaps: list[float] = []
    t0 = q0 = 0
    for chat_turns, chat_questions in zip(turns, questions, strict=True):
        a, b = ref_turns[t0 : t0 + len(chat_turns)], our_turns[t0 : t0 + len(chat_turns)]
        for i in range(len(chat_questions)):
            top_ref = set(np.argsort(-(a @ ref_q[q0 + i]))[:10].tolist())
            top_ours = set(np.argsort(-(b @ our_q[q0 + i]))[:10].tolist())
            overlaps.append(len(top_ref & top_ours) / 10)
        t0 += len(chat_turns)
        q0 += len(chat_questions)
    figures = {
        "turns": len(flat_turns),
        "questions": len(flat_questions),
        "turn_cosine_mean": float(cos_turns.mean()),
        "turn_cosine_min": float(cos_turns.min()),
        "turn_cosine_p1": float(np.percentile(cos_turns, 1)),
        "question_cosine_mean": float(cos_q.mean()),
        "top10_overlap_mean": float(np.mean(overlaps)),
        "sentence_transformers_texts_per_second": len(flat_turns) / ref_seconds,
        "onnx_texts_per_second": len(flat_turns) / our_seconds,
    }
    print_table(["figure", "value"], [[k, v] for k, v in figures.items()])
    if args.json is not None:
        write_json(args.json, {"benchmark": "embedder_compare", "environment": env, **figures})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
