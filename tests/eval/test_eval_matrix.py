"""The development matrix: leave-one-dataset-out on hand-built tables, and ``kenning eval matrix``
end to end on a tiny data folder of all five datasets (hash embedder, a few seconds)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from kenning.cli import app
from kenning.errors import ValidationError
from kenning.eval import leave_one_out, write_sample_longmemeval
from kenning.eval.ablation import ABLATIONS, PARAMETERS
from kenning.eval.matrix import (
    MATRIX_VARIANTS,
    PLAIN,
    MatrixLimits,
    development_datasets,
    paired_interval,
    select_datasets,
)

NO_X, WITH_Y = "no X", "with Y"


def _row(default: float, no_x: float, with_y: float) -> dict[str, float]:
    return {"default": default, PLAIN: 0.5, NO_X: no_x, WITH_Y: with_y}


# "with Y" gains 0.3 over plain on A, B and C but loses 0.4 on D; "no X" is within the noise of
# the default except on B (worse) and C (better by 0.006 > 0.005).
TABLE = {
    "A": _row(0.6, 0.6, 0.8),
    "B": _row(0.6, 0.59, 0.8),
    "C": _row(0.6, 0.606, 0.8),
    "D": _row(0.6, 0.597, 0.1),
}


def test_each_dataset_gets_the_choice_made_on_the_others() -> None:
    result = leave_one_out(TABLE)
    by_dataset = {row.dataset: row for row in result.left_out}
    # D: chosen on A, B, C, "with Y" wins there; D's own figure under it is the bad one
    assert by_dataset["D"].choice == WITH_Y
    assert by_dataset["D"].figure == pytest.approx(0.1)
    assert by_dataset["D"].gain_elsewhere == pytest.approx(0.3)
    # A: "with Y" averages (0.3 + 0.3 - 0.4) / 3 < 0.1 on B, C, D; "no X" 0.0977 < 0.1
    assert by_dataset["A"].choice == "default" and by_dataset["A"].figure == 0.6
    # B: "no X" averages (0.1 + 0.106 + 0.097) / 3 = 0.101 on A, C, D, and B pays for it
    assert by_dataset["B"].choice == NO_X
    assert by_dataset["B"].figure == pytest.approx(0.59)
    assert by_dataset["C"].choice == "default"
    for row in result.left_out:
        assert row.default == 0.6 and row.plain == 0.5


def test_component_flags_use_the_noise_margin() -> None:
    result = leave_one_out(TABLE)
    deltas = {v.variant: v for v in result.variants}
    assert set(deltas) == {PLAIN, NO_X, WITH_Y}
    assert deltas[NO_X].deltas["C"] == pytest.approx(0.006)
    assert deltas[NO_X].better_on == ("C",)  # D is 0.003 worse, B 0.01 worse
    assert deltas[WITH_Y].better_on == ("A", "B", "C")
    assert deltas[PLAIN].better_on == ()
    assert [v.variant for v in result.harmful_components] == [NO_X]
    # a wider margin clears X; a delta of exactly the margin (0.505 - 0.5) is noise
    assert leave_one_out(TABLE, noise=0.01).harmful_components == ()
    edge = {"A": _row(0.5, 0.505, 0.5), "B": _row(0.5, 0.5051, 0.5)}
    assert {v.variant: v.better_on for v in leave_one_out(edge).variants}[NO_X] == ("B",)


def test_paired_bootstrap_interval() -> None:
    headline = ("recall@10",)
    base = [{"recall@10": float(i % 2)} for i in range(200)]
    # the same figures: nothing to tell apart
    assert paired_interval(headline, base, base) == (0.0, 0.0)
    # better on 30 of 200 questions, never worse: 0.15 more, and surely above 0
    better = [{"recall@10": 1.0 if i < 60 else r["recall@10"]} for i, r in enumerate(base)]
    low, high = paired_interval(headline, base, better)
    assert 0.0 < low < 0.15 < high < 0.25
    # one question of 200 better, one worse: within noise
    swapped = [dict(r) for r in base]
    swapped[0]["recall@10"], swapped[1]["recall@10"] = 1.0, 0.0
    low, high = paired_interval(headline, base, swapped)
    assert low < 0.0 < high
    # the same seed, the same interval
    assert paired_interval(headline, base, better) == paired_interval(headline, base, better)


def test_paired_bootstrap_over_levels_a_question_may_lack() -> None:
    # the headline is the mean of two levels' means; question 2 has no turn level
    headline = ("session recall_all@10", "turn recall_all@10")
    both = {"session recall_all@10": 1.0, "turn recall_all@10": 0.0}
    base = [both] * 40 + [{"session recall_all@10": 0.0}] * 20
    up = [
        dict(r, **({"turn recall_all@10": 1.0} if "turn recall_all@10" in r else {})) for r in base
    ]
    low, high = paired_interval(headline, base, up)
    assert low == pytest.approx(0.5) and high == pytest.approx(0.5)  # turn mean 0 -> 1, halved
    with pytest.raises(ValidationError):
        paired_interval(headline, base, up[:2])  # not the same questions


def test_intervals_decide_better_and_worse_where_known() -> None:
    # On C, "no X" is 0.006 better: beyond the fixed margin, but its interval holds 0; on B it
    # is 0.01 worse and its interval lies below 0; A and D have no interval (margin rules).
    intervals = {"B": {NO_X: (-0.02, -0.001)}, "C": {NO_X: (-0.002, 0.014)}}
    deltas = {v.variant: v for v in leave_one_out(TABLE, intervals=intervals).variants}
    assert deltas[NO_X].better_on == ()
    assert deltas[NO_X].worse_on == ("B",)
    assert dict(deltas[NO_X].intervals) == {"B": (-0.02, -0.001), "C": (-0.002, 0.014)}
    assert deltas[WITH_Y].worse_on == ("D",)  # by the margin: 0.1 - 0.6


def test_ties_prefer_the_default_then_name_order() -> None:
    # 0.1 + 0.2 != 0.3 in floating point: still a tie with the default
    tied = {"default": 0.3, PLAIN: 0.1, "zeta": 0.1 + 0.2}
    result = leave_one_out({"A": tied, "B": tied})
    assert [r.choice for r in result.left_out] == ["default", "default"]
    better = {"default": 0.5, PLAIN: 0.5, "beta": 0.75, "alpha": 0.75}
    result = leave_one_out({"A": better, "B": better})
    assert [r.choice for r in result.left_out] == ["alpha", "alpha"]


def test_only_variants_measured_everywhere_compete() -> None:
    table = {"A": {"default": 0.5, PLAIN: 0.4, "new": 0.9}, "B": {"default": 0.5, PLAIN: 0.4}}
    result = leave_one_out(table)
    assert [r.choice for r in result.left_out] == ["default", "default"]
    assert [v.variant for v in result.variants] == [PLAIN]


def test_a_single_dataset_keeps_the_default_and_bad_tables_are_refused() -> None:
    (row,) = leave_one_out({"A": _row(0.6, 0.7, 0.8)}).left_out
    assert row.choice == "default" and row.gain_elsewhere is None and row.figure == 0.6
    with pytest.raises(ValidationError):
        leave_one_out({})
    with pytest.raises(ValidationError):
        leave_one_out({"A": {"default": 0.5}})
    with pytest.raises(ValidationError):
        leave_one_out(TABLE, noise=-0.1)
    with pytest.raises(ValidationError):
        MatrixLimits(locomo_conversations=0)


def test_variants_reuse_the_ablations() -> None:
    assert list(MATRIX_VARIANTS)[:3] == ["default", PLAIN, "BM25 only"]
    assert "dense only" not in MATRIX_VARIANTS
    for name, changes in MATRIX_VARIANTS.items():
        assert changes is (ABLATIONS[name] if name in ABLATIONS else PARAMETERS[name])
    assert {n for n in ABLATIONS if n.startswith(("no ", "with "))} <= set(MATRIX_VARIANTS)
    assert set(PARAMETERS) <= set(MATRIX_VARIANTS)


# -- a tiny data folder in the shared/data layout ------------------------------------------
def _locomo(path: Path) -> None:
    turns = [
        ("Ana", "My hamster Pip escaped yesterday"),
        ("Bo", "Oh no, did you find Pip?"),
        ("Ana", "Yes, Pip was hiding behind the fridge"),
        ("Bo", "I finally repaired the old sailboat"),
    ]
    conversation = {
        "speaker_a": "Ana",
        "speaker_b": "Bo",
        "session_1_date_time": "1:56 pm on 8 May, 2023",
        "session_1": [
            {"speaker": s, "dia_id": f"D1:{i}", "text": t} for i, (s, t) in enumerate(turns, 1)
        ],
    }
    qa = [
        {
            "question": "Where was Pip hiding?",
            "answer": "fridge",
            "evidence": ["D1:3"],
            "category": 4,
        },
        {"question": "What did Bo repair?", "answer": "boat", "evidence": ["D1:4"], "category": 1},
    ]
    _write(path, [{"sample_id": "conv-t", "conversation": conversation, "qa": qa}])


def _realmem(folder: Path) -> None:
    def turn(speaker: str, content: str, query: bool = False) -> dict[str, Any]:
        return {"speaker": speaker, "content": content, "is_query": query}

    sessions = [
        {
            "session_uuid": "s1",
            "current_time": "2025-01-05 (Sunday)",
            "dialogue_turns": [
                turn("User", "Plan my garden: tomatoes and basil"),
                turn("Assistant", "Plant the tomatoes in April, basil beside them"),
            ],
        },
        {
            "session_uuid": "s2",
            "current_time": "2025-02-01 (Saturday)",
            "dialogue_turns": [
                turn("User", "My trip to Lisbon is in May"),
                turn("User", "When should I plant the tomatoes?", query=True),
            ],
        },
    ]
    _write(folder / "dataset" / "Ana_dialogues_256k.json", {"dialogues": sessions})
    query = {
        "file": "Ana_dialogues_256k.json",
        "person": "Ana",
        "query_id": "Q-1",
        "query_session_uuid": "s2",
        "query_turn_index": 1,
        "question": "When should I plant the tomatoes?",
        "category": "planning",
        "gold_session_uuids": ["s1"],
        "gold_turns": [["s1", 1]],
    }
    _write(folder / "realmem_queries_derived.json", [query])


def _hipporag(folder: Path, name: str) -> None:
    facts = {
        "Alpha": "Alpha is a lighthouse on the northern cliff.",
        "Beta": "Beta is a bakery near the harbour.",
        "Gamma": "Gamma is a library with old maps.",
    }
    corpus = [{"title": t, "text": x, "idx": i} for i, (t, x) in enumerate(facts.items())]
    questions = [
        {
            "id": f"q{i}",
            "question": question,
            "answer": title,
            "paragraphs": [
                {"title": t, "text": x, "is_supporting": t == title} for t, x in facts.items()
            ],
        }
        for i, (title, question) in enumerate(
            [("Alpha", "Which lighthouse is on the cliff?"), ("Gamma", "Where are old maps?")]
        )
    ]
    _write(folder / f"{name}_train.json", questions)
    _write(folder / f"{name}_train_corpus.json", corpus)


def _write(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data), encoding="utf-8")


@pytest.fixture
def data(tmp_path: Path) -> Path:
    root = tmp_path / "data"
    _locomo(root / "locomo" / "locomo10.json")
    (root / "longmemeval").mkdir(parents=True)
    write_sample_longmemeval(
        root / "longmemeval" / "longmemeval_s_cleaned.json", n_questions=3, seed=0
    )
    _realmem(root / "realmem")
    for name in ("hotpotqa", "musique"):
        _hipporag(root / "hipporag", name)
    return root


@pytest.fixture
def kenning(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """``kenning ARGS...`` in-process with the hash embedder, no cache and a private HOME."""
    for name in list(os.environ):
        if name.startswith("KENNING_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("KENNING_EMBEDDER", "hash")
    monkeypatch.setenv("KENNING_EMBEDDING_CACHE_PATH", "")
    monkeypatch.setenv("COLUMNS", "250")

    def invoke(*args: str, code: int = 0) -> Result:
        result = CliRunner().invoke(app, ["eval", "matrix", *args])
        assert result.exit_code == code, (result.stdout, result.stderr, result.exception)
        return result

    return invoke


NAMES = ("locomo", "longmemeval_s", "realmem", "hotpotqa", "musique")


def test_the_datasets_found_and_the_ones_skipped(data: Path) -> None:
    assert tuple(d.name for d in development_datasets(data)) == NAMES
    assert tuple(d.name for d in select_datasets(data).datasets) == NAMES
    (data / "hipporag" / "musique_train.json").unlink()
    selection = select_datasets(data)
    assert tuple(d.name for d in selection.datasets) == NAMES[:-1]
    assert len(selection.notes) == 1 and "musique" in selection.notes[0]
    assert [d.name for d in select_datasets(data, only=["realmem", "locomo"]).datasets] == [
        "realmem",
        "locomo",
    ]
    with pytest.raises(ValidationError, match="musique"):
        select_datasets(data, only=["musique"])
    with pytest.raises(ValidationError, match="unknown dataset 'nope'"):
        select_datasets(data, only=["nope"])


def test_matrix_end_to_end_with_resume(data: Path, tmp_path: Path, kenning: Any) -> None:
    out, md = tmp_path / "matrix", tmp_path / "tables.md"
    args = [str(data), "--out", str(out), "--limit-hipporag", "1", "--markdown", str(md)]
    first = kenning(*args)
    assert f"kenning eval matrix {data} --out {out} --limit-hipporag 1" in first.stdout
    files = {name: out / f"{name}.json" for name in NAMES}
    for name, path in files.items():
        result = json.loads(path.read_text(encoding="utf-8"))
        assert result["matrix"]["dataset"] == name
        assert list(result["ablation"]) == list(MATRIX_VARIANTS)
        # every variant kept its headline metrics per question, for the paired bootstrap
        per_question = [v["per_question"] for v in result["ablation"].values()]
        assert len({len(rows) for rows in per_question}) == 1 and per_question[0]
    hotpotqa = json.loads(files["hotpotqa"].read_text(encoding="utf-8"))
    assert hotpotqa["matrix"]["limits"] == {"limit_questions": 1} and hotpotqa["questions"] == 1
    assert "left-out choice" in first.stdout and "no entity graph" in first.stdout
    assert "worse than default on" in first.stdout

    table = md.read_text(encoding="utf-8")
    assert table.startswith("Command: `kenning eval matrix")
    rows = [line for line in table.splitlines() if line.startswith("| ")]
    for name in NAMES:
        assert sum(line.startswith(f"| {name} |") for line in rows) == 1, name
    assert any(line.startswith("| mean |") for line in rows)
    assert any(line.startswith("| no entity graph |") for line in rows)

    # resumed: no dataset runs again; a changed limit reruns only the datasets it concerns
    stamps = {name: path.stat().st_mtime_ns for name, path in files.items()}
    second = kenning(*args, "--json")
    report = json.loads(second.stdout)
    assert all(d["resumed"] for d in report["datasets"].values())
    assert {name: path.stat().st_mtime_ns for name, path in files.items()} == stamps
    assert len(report["leave_one_out"]["left_out"]) == len(NAMES)

    kenning(str(data), "--out", str(out), "--limit-hipporag", "2")
    for name, path in files.items():
        rerun = name in ("hotpotqa", "musique")
        assert (path.stat().st_mtime_ns != stamps[name]) is rerun, name
    assert json.loads(files["musique"].read_text(encoding="utf-8"))["questions"] == 2

    # --no-resume runs a named dataset again
    kenning(str(data), "--out", str(out), "--only", "realmem", "--no-resume")
    assert files["realmem"].stat().st_mtime_ns != stamps["realmem"]


def test_missing_and_unknown_datasets(data: Path, tmp_path: Path, kenning: Any) -> None:
    (data / "locomo" / "locomo10.json").unlink()
    out = tmp_path / "m"
    named = kenning(str(data), "--out", str(out), "--only", "locomo", code=2)
    assert "locomo" in named.stderr and "not found" in named.stderr
    unknown = kenning(str(data), "--out", str(out), "--only", "lcomo", code=2)
    assert "unknown dataset 'lcomo'" in unknown.stderr
    skipped = kenning(str(data), "--out", str(out), "--only", "hotpotqa,musique")
    assert "skipped" not in skipped.stderr  # only the named ones are looked at
    assert not (out / "locomo.json").exists()
