"""``kenning eval`` end to end: real engine (hash embedder), real data files, results JSON.

The data comes from the shared data directory (conftest.py: skipped when missing, failed
under CI). The whole file runs in a few seconds.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

Invoke = Callable[..., Any]
RunKenning = Callable[..., subprocess.CompletedProcess[str]]

# One LoCoMo conversation (conv-26: 419 turns, 150 scored questions) with the hash embedder
# and BM25 measured recall@10 = 0.558 (ndcg@10 = 0.447). The bar is ~60% of that: it catches
# a broken pipeline (ingest, scoping, fusion, scoring) without tracking small ranking changes.
LOCOMO_RECALL_AT_10_FLOOR = 0.33


def _in_unit_interval(metrics: dict[str, Any]) -> bool:
    return all(0.0 <= v <= 1.0 for k, v in metrics.items() if k != "questions")


def test_eval_locomo_one_conversation(cli: Invoke, cli_env: Any, locomo_file: Path) -> None:
    out = cli_env.tmp / "results" / "locomo.json"
    db = cli_env.tmp / "eval.db"
    result = cli(
        "eval",
        "locomo",
        str(locomo_file),
        "--limit-conversations",
        "1",
        "--json",
        str(out),
        "--db",
        str(db),
    )
    assert "recall@10" in result.stdout and f"results written to {out}" in result.stdout

    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["dataset"] == "locomo"
    questions = report["questions"]
    assert questions > 0
    overall = report["overall"]
    assert 0.0 <= overall["recall@10"] <= 1.0 and 0.0 <= overall["ndcg@10"] <= 1.0
    assert _in_unit_interval(overall)
    assert overall["recall@10"] >= LOCOMO_RECALL_AT_10_FLOOR, overall
    assert overall["recall@1"] <= overall["recall@10"] <= overall["recall@50"]

    assert set(report["per_category"]) == {"1", "2", "3", "4"}
    assert sum(m["questions"] for m in report["per_category"].values()) == questions
    for metrics in report["per_category"].values():
        assert _in_unit_interval(metrics) and "recall@10" in metrics
    assert report["halves"], "no halves reported"
    for metrics in report["halves"].values():
        assert _in_unit_interval(metrics) and "recall@10" in metrics

    timing = report["timing"]
    assert timing["queries"] == questions and timing["turns"] > 0
    assert timing["ingest_seconds"] > 0 and timing["query_seconds"] > 0
    config = report["config"]
    assert config["conversations"] == 1
    assert config["engine"]["embedder"].startswith("hash")
    assert config["engine"]["fusion"] == "minmax"

    # --db kept the ingested store: the conversation is there, scoped to its own user
    stats = json.loads(cli("stats", "--json", "--db", str(db)).stdout)
    assert stats["users"] == 1 and stats["episodes"] == timing["turns"]
    assert not cli_env.db.exists()  # KENNING_DB_PATH is never an eval target


def test_eval_hipporag_sample(run_kenning: RunKenning, cli_env: Any, hipporag_dir: Path) -> None:
    out = cli_env.tmp / "hipporag.json"
    questions, corpus = hipporag_dir / "sample.json", hipporag_dir / "sample_corpus.json"
    done = run_kenning(["eval", "hipporag", str(questions), str(corpus), "--json", str(out)])
    assert done.returncode == 0, done.stderr
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["dataset"] == "hipporag" and report["questions"] == 1
    assert set(report["overall"]) == {"recall@2", "recall@5"}
    assert _in_unit_interval(report["overall"])
    assert report["overall"]["recall@5"] == 1.0  # the sample corpus has only 3 passages
    assert report["timing"]["passages"] == 3
    assert report["config"]["engine"]["embedder"].startswith("hash")
    assert not cli_env.db.exists() and not (cli_env.home / ".kenning").exists()


def test_eval_sample_then_longmemeval(cli: Invoke, cli_env: Any) -> None:
    sample = cli_env.tmp / "lme" / "sample.json"
    sample.parent.mkdir()
    assert (
        "wrote 6 questions"
        in cli("eval", "sample-longmemeval", str(sample), "--questions", "6").stdout
    )
    questions = json.loads(sample.read_text(encoding="utf-8"))
    assert len(questions) == 6
    assert {"question_id", "haystack_sessions", "answer_session_ids"} <= set(questions[0])

    out = cli_env.tmp / "lme.json"
    cli("eval", "longmemeval", str(sample), "--json", str(out))
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["dataset"] == "longmemeval"
    assert 0 < report["questions"] <= 6
    for level in ("session", "turn"):
        metrics = report[level]
        assert {"recall_any@10", "recall_all@10", "ndcg_any@10"} <= set(metrics)
        assert _in_unit_interval(metrics)
        assert metrics["recall_all@10"] <= metrics["recall_any@10"]
    scored = report["config"]["questions_scored"]
    assert scored["session"] > 0 and scored["turn"] > 0
    # the synthetic haystacks are small: the gold session is found by rank 50
    assert report["session"]["recall_any@50"] == 1.0

    limited = cli_env.tmp / "lme2.json"
    cli("eval", "longmemeval", str(sample), "--limit-questions", "2", "--json", str(limited))
    assert json.loads(limited.read_text(encoding="utf-8"))["questions"] <= 2


def test_eval_missing_file_is_a_usage_error(cli: Invoke, cli_env: Any) -> None:
    result = cli("eval", "locomo", str(cli_env.tmp / "missing.json"), code=2)
    assert "does not exist" in result.stderr


def test_eval_locomo_ablation_table(cli: Invoke, cli_env: Any, locomo_file: Path) -> None:
    from kenning.eval.ablation import ABLATIONS

    out = cli_env.tmp / "ablation.json"
    result = cli(
        "eval",
        "locomo",
        str(locomo_file),
        "--limit-conversations",
        "1",
        "--ablation",
        "--json",
        str(out),
    )
    assert "ablation" in result.stdout and "no multi-granularity" in result.stdout
    report = json.loads(out.read_text(encoding="utf-8"))
    ablation = report["ablation"]
    assert list(ablation) == list(ABLATIONS)
    assert ablation["default"]["overall"] == report["overall"]
    for name, variant in ablation.items():
        assert variant["changes"] == ABLATIONS[name]
        assert _in_unit_interval(variant["overall"])
    # even with the hashing embedder the components add recall over plain dense + BM25
    bare = ablation["dense + BM25 (no components)"]["overall"]["recall@10"]
    assert report["overall"]["recall@10"] > bare
    assert report["config"]["engine"]["components"]["graph"] is True


def test_eval_longmemeval_and_hipporag_ablation(
    cli: Invoke, cli_env: Any, hipporag_dir: Path
) -> None:
    sample = cli_env.tmp / "lme.json"
    cli("eval", "sample-longmemeval", str(sample), "--questions", "4")
    out = cli_env.tmp / "lme-out.json"
    cli("eval", "longmemeval", str(sample), "--ablation", "--json", str(out))
    ablation = json.loads(out.read_text(encoding="utf-8"))["ablation"]
    assert "session recall_any@5" in ablation["dense only"]["overall"]
    questions, corpus = hipporag_dir / "sample.json", hipporag_dir / "sample_corpus.json"
    out = cli_env.tmp / "hippo-out.json"
    cli("eval", "hipporag", str(questions), str(corpus), "--ablation", "--json", str(out))
    ablation = json.loads(out.read_text(encoding="utf-8"))["ablation"]
    assert ablation["BM25 only"]["overall"]["recall@5"] == 1.0  # 3 passages: all in the top 5


def test_eval_updates_prints_both_runs(cli: Invoke, cli_env: Any) -> None:
    tmp = cli_env.tmp
    out, dump, db = tmp / "r" / "updates.json", tmp / "stories.json", tmp / "u.db"
    args = ["eval", "updates", "--stories", "5", "--seed", "3", "--json", str(out)]
    result = cli(*args, "--dump", str(dump), "--db", str(db))
    rows = [line for line in result.stdout.splitlines() if "│" in line]
    assert any(line.split("│")[1].strip() == "local" for line in rows)
    assert any(line.split("│")[1].strip() == "off" for line in rows)
    assert "current acc@1" in result.stdout and "as-of acc@1" in result.stdout
    report = json.loads(out.read_text(encoding="utf-8"))
    assert set(report["runs"]) == {"local", "off"}
    assert report["generator"] == {"stories": 5, "seed": 3}
    assert all(run["questions"] == 10 for run in report["runs"].values())
    assert len(json.loads(dump.read_text(encoding="utf-8"))) == 5
    assert (tmp / "u-local.db").exists() and (tmp / "u-off.db").exists()
    # the stores are not fresh any more: a second run into them is refused
    cli(*args, "--db", str(db), code=2)
