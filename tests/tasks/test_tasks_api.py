"""Task memory through the Python API (issue 17), on every backend: subgoals nest and
collapse, steps are append-only, a revision flags every dependent stale, the working
context stays within its budget, lessons reach long-term memory."""

from __future__ import annotations

from pathlib import Path

import pytest

from kenning import (
    Memory,
    NotFound,
    Settings,
    StepKind,
    StepStatus,
    TaskMemory,
    TaskStatus,
    ValidationError,
)
from kenning.testing import HashEmbedder


@pytest.fixture
def memory(db_location: str | Path) -> Memory:
    m = Memory(
        db_location,
        settings=Settings(embedder="hash", embedding_cache_path=""),  # type: ignore[arg-type]
        embedder=HashEmbedder(),
    )
    yield m  # type: ignore[misc]
    m.close()


@pytest.fixture
def tm(memory: Memory) -> TaskMemory:
    return TaskMemory(memory)


def _trip(tm: TaskMemory) -> dict[str, str]:
    task = tm.start("Plan a trip to Lisbon", user_id="u", agent_id="planner")
    ids = {"task": task.id}
    ids["ferries"] = tm.open_subgoal(task.id, "Find ferries", user_id="u").id
    ids["search"] = tm.record(
        task.id,
        "search 'ferry timetables'",
        user_id="u",
        kind=StepKind.TOOL_CALL,
        data={"tool": "search", "result": "14 results, first Porto-Lisbon 08:15"},
    ).id
    tm.record(task.id, "the 08:15 ferry is cheapest", user_id="u", kind="observation")
    tm.close_subgoal(ids["ferries"], user_id="u")
    ids["hotel"] = tm.open_subgoal(task.id, "Book a hotel", user_id="u").id
    ids["budget"] = tm.record(task.id, "set budget=120", user_id="u").id
    ids["filter"] = tm.record(
        task.id, "filter hotels under 120", user_id="u", depends_on=[ids["budget"]]
    ).id
    ids["reviews"] = tm.open_subgoal(task.id, "Check reviews", user_id="u").id
    ids["read"] = tm.record(
        task.id, "read reviews of Hotel Sol", user_id="u", depends_on=[ids["filter"]]
    ).id
    return ids


def test_steps_are_numbered_and_nest_under_the_open_subgoal(tm: TaskMemory) -> None:
    ids = _trip(tm)
    steps = {s.id: s for s in tm.steps(ids["task"], user_id="u")}
    assert [s.number for s in sorted(steps.values(), key=lambda s: s.number)] == list(range(1, 9))
    assert steps[ids["search"]].parent_id == ids["ferries"]
    assert steps[ids["reviews"]].parent_id == ids["hotel"]  # nested in the open subgoal
    assert steps[ids["read"]].parent_id == ids["reviews"]
    assert steps[ids["ferries"]].status is StepStatus.DONE
    assert steps[ids["hotel"]].status is StepStatus.OPEN
    assert tm.get(ids["task"], user_id="u").steps == 8


def test_a_closed_subgoal_collapses_and_expands(tm: TaskMemory) -> None:
    ids = _trip(tm)
    closed = tm.steps(ids["task"], user_id="u")[0]
    assert closed.summary == "search 'ferry timetables' -> 14 results, first Porto-Lisbon 08:15"
    context = tm.context(ids["task"], user_id="u", budget_tokens=2000)
    assert "[done] #1 Find ferries — search 'ferry timetables' -> 14 results" in context.text
    assert "(steps #2-#3)" in context.text
    assert "#2 tool_call" not in context.text  # collapsed, not in full
    assert [s.number for s in tm.expand(ids["ferries"], user_id="u")] == [2, 3]
    found = tm.search(ids["task"], "ferry timetables 08:15", user_id="u", limit=2)
    assert found[0].id == ids["search"] or found[1].id == ids["search"]
    # An outcome given is the summary.
    sub = tm.open_subgoal(ids["task"], "Pay", user_id="u", parent_id=ids["hotel"])
    assert tm.close_subgoal(sub.id, user_id="u", outcome="paid 90 EUR").summary == "paid 90 EUR"


def test_a_revision_flags_every_dependent_stale_until_resolved(tm: TaskMemory) -> None:
    ids = _trip(tm)
    revision = tm.revise(ids["budget"], "set budget=90", user_id="u", reason="budget cut")
    assert revision.revised.status is StepStatus.REVISED
    assert revision.step.data["revises"] == ids["budget"]
    assert {s.id for s in revision.stale} == {ids["filter"], ids["read"]}  # transitively
    steps = {s.id: s for s in tm.steps(ids["task"], user_id="u")}
    assert steps[ids["budget"]].text == "set budget=120"  # kept verbatim
    assert "budget cut" in (steps[ids["read"]].stale_reason or "")
    context = tm.context(ids["task"], user_id="u", budget_tokens=2000)
    assert {s.id for s in context.stale} == {ids["filter"], ids["read"]}
    numbers = f"#{steps[ids['filter']].number}, #{steps[ids['read']].number}"
    assert f"{numbers} STALE: #5 was revised by #9: budget cut" in context.text  # one line
    assert "(revises #5)" in context.text and "set budget=120" not in context.text
    tm.resolve(ids["filter"], user_id="u")
    again = tm.context(ids["task"], user_id="u", budget_tokens=2000)
    assert {s.id for s in again.stale} == {ids["read"]}
    with pytest.raises(ValidationError, match="revised already"):
        tm.revise(ids["budget"], "x", user_id="u", reason="again")


def test_the_context_keeps_to_its_budget_newest_steps_first(tm: TaskMemory) -> None:
    task = tm.start("Migrate the database", user_id="u")
    tm.open_subgoal(task.id, "Copy tables", user_id="u")
    for n in range(60):
        tm.record(task.id, f"copied table t{n} with {n * 100} rows", user_id="u")
    for budget in (60, 200, 800):
        context = tm.context(task.id, user_id="u", budget_tokens=budget)
        assert context.tokens <= budget
        shown = [s.number for s in context.steps]
        assert shown == sorted(shown) and (not shown or shown[-1] == 61)  # newest kept
        assert context.omitted == 60 - len(shown)
    assert context.text.startswith("# Task: Migrate the database")


def test_finishing_writes_lessons_an_agent_recalls_next_time(
    tm: TaskMemory, memory: Memory
) -> None:
    task = tm.start("Deploy the web app", user_id="u", agent_id="ops")
    build = tm.open_subgoal(task.id, "Build the container image", user_id="u")
    tm.record(task.id, "docker build failed: missing libpq", user_id="u", kind="observation")
    tm.close_subgoal(build.id, user_id="u", outcome="libpq-dev missing from the image", failed=True)
    done = tm.finish(task.id, user_id="u", outcome="deployed after adding libpq-dev")
    assert done.status is TaskStatus.DONE and done.outcome == "deployed after adding libpq-dev"
    lessons = memory.get_all(user_id="u", agent_id="ops", kinds="turn", filters={"lesson": True})
    texts = " ".join(m.text for m in lessons)
    assert "libpq-dev missing from the image" in texts and "deployed after" in texts
    # A later task's context recalls them for its active subgoal.
    later = tm.start("Deploy the API service", user_id="u", agent_id="ops")
    tm.open_subgoal(later.id, "Build the container image for the API", user_id="u")
    context = tm.context(later.id, user_id="u", budget_tokens=1200)
    assert any("libpq" in m.text for m in context.memories)
    assert "## From long-term memory" in context.text
    with pytest.raises(ValidationError, match="done"):
        tm.record(task.id, "too late", user_id="u")


def test_scoping_and_validation(tm: TaskMemory) -> None:
    ids = _trip(tm)
    with pytest.raises(NotFound):
        tm.get(ids["task"], user_id="someone-else")
    with pytest.raises(NotFound):
        tm.expand(ids["ferries"], user_id="someone-else")
    assert tm.step(ids["task"], ids["search"], user_id="u").text == "search 'ferry timetables'"
    other = tm.start("another task", user_id="u")
    with pytest.raises(NotFound):
        tm.step(other.id, ids["search"], user_id="u")  # a step of another task
    with pytest.raises(NotFound):
        tm.step(ids["task"], ids["search"], user_id="someone-else")
    with pytest.raises(ValidationError) as kind:
        tm.record(ids["task"], "x", user_id="u", kind="dance")
    assert kind.value.field == "kind"
    with pytest.raises(ValidationError) as dep:
        tm.record(ids["task"], "x", user_id="u", depends_on=["nope"])
    assert dep.value.field == "depends_on"
    with pytest.raises(ValidationError) as closed:
        tm.record(ids["task"], "x", user_id="u", parent_id=ids["ferries"])
    assert closed.value.field == "parent_id"
    with pytest.raises(ValidationError) as failed:
        tm.close_subgoal(ids["hotel"], user_id="u", failed="yes")  # type: ignore[arg-type]
    assert failed.value.field == "failed"
    # Closing the outer subgoal closes the one open inside it.
    tm.close_subgoal(ids["hotel"], user_id="u")
    steps = {s.id: s for s in tm.steps(ids["task"], user_id="u")}
    assert steps[ids["reviews"]].status is StepStatus.DONE and steps[ids["reviews"]].summary


def test_deleting_the_user_erases_their_tasks(tm: TaskMemory, memory: Memory) -> None:
    ids = _trip(tm)
    memory.delete_user("u")
    with pytest.raises(NotFound):
        tm.get(ids["task"], user_id="u")
    assert memory.store.task_steps("u", ids["task"]) == []


def test_two_engines_on_one_store_number_steps_without_gaps_or_repeats(
    db_location: str | Path,
) -> None:
    import threading

    engines = [
        Memory(
            db_location,
            settings=Settings(embedder="hash", embedding_cache_path=""),  # type: ignore[arg-type]
            embedder=HashEmbedder(),
        )
        for _ in range(2)
    ]
    try:
        first, second = (TaskMemory(e) for e in engines)
        task = first.start("parallel work", user_id="u")

        def work(tm: TaskMemory, name: str) -> None:
            for n in range(25):
                tm.record(task.id, f"{name} step {n}", user_id="u")

        threads = [
            threading.Thread(target=work, args=(tm, n)) for tm, n in ((first, "a"), (second, "b"))
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        steps = second.steps(task.id, user_id="u")
        assert [s.number for s in steps] == list(range(1, 51))
        assert len({s.text for s in steps}) == 50
        assert first.get(task.id, user_id="u").steps == 50
    finally:
        for engine in engines:
            engine.close()


def test_older_finished_subgoals_keep_their_span_but_not_their_summary(tm: TaskMemory) -> None:
    from kenning.tasks.context import SUMMARIZED

    task = tm.start("Survey eight cities", user_id="u")
    for n in range(SUMMARIZED + 3):
        sub = tm.open_subgoal(task.id, f"survey city {n}", user_id="u")
        tm.record(task.id, f"city {n} has {n * 11} parks", user_id="u", kind="observation")
        tm.close_subgoal(sub.id, user_id="u")
    text = tm.context(task.id, user_id="u", budget_tokens=2000).text
    lines = [ln for ln in text.splitlines() if ln.startswith("[done]")]
    assert len(lines) == SUMMARIZED + 3 and all("(steps #" in ln for ln in lines)
    with_summary = [ln for ln in lines if " — city " in ln]
    assert len(with_summary) == SUMMARIZED
    assert lines[-SUMMARIZED:] == with_summary  # the latest ones


def test_stale_steps_of_older_revisions_share_one_line(tm: TaskMemory) -> None:
    from kenning.tasks.context import STALE_REASONS

    task = tm.start("Tune the service", user_id="u")
    users: list[str] = []
    for n in range(STALE_REASONS + 2):
        setting = tm.record(task.id, f"set knob{n}=1", user_id="u")
        users.append(
            tm.record(task.id, f"run with knob{n}", user_id="u", depends_on=[setting.id]).id
        )
        tm.revise(setting.id, f"set knob{n}=2", user_id="u", reason=f"knob{n} too low")
    context = tm.context(task.id, user_id="u", budget_tokens=2000)
    assert {s.id for s in context.stale} == set(users)
    flagged = [ln for ln in context.text.splitlines() if " STALE: " in ln]
    assert len(flagged) == STALE_REASONS + 1
    numbers = {s.id: s.number for s in context.stale}
    assert (
        flagged[0] == f"#{numbers[users[0]]}, #{numbers[users[1]]} STALE: after 2 earlier revisions"
    )
    assert all(f"knob{n} too low" in flagged[n - 1] for n in range(2, STALE_REASONS + 2))
