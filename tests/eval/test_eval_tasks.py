"""Task memory evaluation (issue 17): the generator's rules, and a small run end to end.

The full figures come from ``kenning eval tasks``; here a few tasks on the hash embedder.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from kenning import Memory, Settings
from kenning.errors import ValidationError
from kenning.eval.tasks import (
    GeneratedTask,
    Op,
    QuestionType,
    generate_tasks,
    run_tasks,
    transitive_dependents,
)
from kenning.models import StepKind
from kenning.testing import HashEmbedder


@pytest.fixture(scope="module")
def tasks() -> list[GeneratedTask]:
    return generate_tasks(40, seed=3)


def test_generator_is_deterministic_per_seed() -> None:
    first = generate_tasks(5, seed=7)
    assert first == generate_tasks(5, seed=7)
    other = generate_tasks(5, seed=8)
    assert [t.goal for t in first] != [t.goal for t in other]
    assert {line.text for t in first for line in t.script} != {
        line.text for t in other for line in t.script
    }


def test_generator_rejects_bad_sizes() -> None:
    with pytest.raises(ValidationError):
        generate_tasks(0)
    with pytest.raises(ValidationError):
        generate_tasks(1, min_steps=80, max_steps=60)


def test_sizes_within_bounds_and_spread(tasks: list[GeneratedTask]) -> None:
    sizes = [t.steps for t in tasks]
    assert all(50 <= s <= 300 for s in sizes)
    assert min(sizes) < 120 and max(sizes) > 220
    assert len({t.task_id for t in tasks}) == len(tasks)


def test_subgoals_nest_up_to_three_deep_and_every_open_closes(tasks: list[GeneratedTask]) -> None:
    depths: Counter[int] = Counter()
    for task in tasks:
        opened = {line.index for line in task.script if line.op is Op.OPEN}
        closed = [line.target for line in task.script if line.op is Op.CLOSE]
        assert sorted(c for c in closed if c is not None) == sorted(opened)
        assert len(closed) == len(opened)
        for line in task.script:
            depths[line.depth] += 1
            if line.op in (Op.RECORD, Op.REVISE):
                assert line.parent is not None and task.script[line.parent].op is Op.OPEN
        for open_ in opened:  # a subgoal holds at least one step
            assert any(line.parent == open_ for line in task.script)
    assert max(depths) == 3 and depths[3] > 0 and depths[2] > 0


def test_steps_are_of_every_kind_and_tool_results_are_unique(
    tasks: list[GeneratedTask],
) -> None:
    kinds = Counter(line.kind for t in tasks for line in t.script if line.op is Op.RECORD)
    assert set(kinds) == {
        StepKind.ACTION,
        StepKind.TOOL_CALL,
        StepKind.OBSERVATION,
        StepKind.NOTE,
    }
    for task in tasks:
        results = [line.data["result"] for line in task.script if line.kind is StepKind.TOOL_CALL]
        assert len(results) == len(set(results))


def test_every_dependency_points_backwards_to_a_step(tasks: list[GeneratedTask]) -> None:
    dependencies = 0
    for task in tasks:
        for line in task.script:
            for target in line.depends_on:
                dependencies += 1
                assert target < line.index
                assert task.script[target].op in (Op.RECORD, Op.REVISE)
    assert dependencies > 1000


def test_revisions_have_dependents_and_nothing_new_reads_a_stale_step(
    tasks: list[GeneratedTask],
) -> None:
    revisions = 0
    for task in tasks:
        stale: set[int] = set()
        for line in task.script:
            assert not stale.intersection(line.depends_on)
            if line.op is Op.REVISE:
                revisions += 1
                assert line.target is not None and line.target < line.index
                assert task.script[line.target].data["config"] == line.data["config"]
                assert task.script[line.target].data["value"] != line.data["value"]
                dependents = transitive_dependents(task.script, line.target)
                assert dependents
                stale |= dependents | {line.target}
    assert revisions >= len(tasks)


def test_transitive_dependents_follows_chains(tasks: list[GeneratedTask]) -> None:
    chains = 0
    for task in tasks:
        for line in task.script:
            if line.op is Op.REVISE and line.target is not None:
                found = transitive_dependents(task.script, line.target)
                direct = {i for i in found if line.target in task.script[i].depends_on}
                chains += len(found) > len(direct)
                assert direct and direct <= found
    assert chains > 0


def test_checkpoints_ask_about_earlier_steps(tasks: list[GeneratedTask]) -> None:
    types: Counter[QuestionType] = Counter()
    for task in tasks:
        assert task.checkpoints[-1].final and task.checkpoints[-1].after == len(task.script) - 1
        assert len(task.checkpoints) >= task.steps // 10
        for checkpoint in task.checkpoints:
            for question in checkpoint.questions:
                types[question.type] += 1
                assert question.about <= checkpoint.after
                if question.type is QuestionType.TOOL_RESULT:
                    assert task.script[question.about].data["result"] == question.answer
                elif question.type is QuestionType.DEPENDENTS:
                    assert set(question.dependents) == transitive_dependents(
                        task.script, question.about
                    )
                else:
                    newest = [
                        line
                        for line in task.script[: checkpoint.after + 1]
                        if line.data.get("config") == question.key
                    ][-1]
                    assert newest.op is Op.REVISE and newest.data["value"] == question.answer
    assert all(types[t] > 50 for t in QuestionType)


# -- end to end ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def report() -> dict[str, Any]:
    settings = Settings(embedder="hash", embedding_cache_path="")
    with Memory(":memory:", settings=settings, embedder=HashEmbedder()) as memory:
        return run_tasks(memory, generate_tasks(3, seed=0), budget_tokens=1500)


def test_a_small_run_reports_every_figure(report: dict[str, Any]) -> None:
    assert report["dataset"] == "tasks" and report["tasks"] == 3
    per_type = report["per_type"]
    assert set(per_type) == {t.value for t in QuestionType}
    assert sum(row["questions"] for row in per_type.values()) == report["questions"] > 50
    overall = report["overall"]
    routes = ("context_share", "expand_share", "search_share", "missed_share")
    assert sum(overall[r] for r in routes) == pytest.approx(1.0, abs=1e-3)
    assert report["context"]["tokens_mean"] > 0 and report["transcript"]["tokens_mean"] > 0
    assert 0 < report["ratio"]["mean"] <= report["ratio"]["max"]
    assert report["target"]["min_transcript_tokens"] == 3000
    assert report["target"]["questions"] > 0
    assert report["config"]["budget_tokens"] == 1500 and "kenning_version" in report["config"]
    assert report["misplaced_steps"] == 0


def test_a_small_run_answers_and_flags(report: dict[str, Any]) -> None:
    assert report["overall"]["recall"] >= 0.9
    for row in report["per_type"].values():
        assert row["recall"] >= 0.9
    assert report["per_type"]["tool_result"]["expand_share"] > 0  # old results need expand
    assert report["expand"]["calls"] > 0
    stale = report["stale"]
    assert stale["revisions"] > 0 and stale["recall"] == 1.0 and stale["extra"] == 0
    assert stale["questions_flagged_in_text"] == 1.0
    assert report["context"]["engine_over_budget"] == 0
