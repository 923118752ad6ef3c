"""``Memory.export`` / ``Memory.import_``: a store exported and imported into an empty one
(SQLite, PostgreSQL) answers exactly as the original; a second import changes nothing; bad
files are refused by line and field.

Real SQLite files and a real PostgreSQL; the copy is judged by the engine's answers
(every memory of every status, every history, episodes, graphs, stats and searches).
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from rawdb import raw_sql

from kenning import Memory, MemoryKind, MemoryStatus, TaskMemory
from kenning.errors import NotFound
from kenning.store.export_format import ExportFormatError, ImportConflict
from kenning.testing import HashEmbedder
from kenning.testing.postgres import LocalPostgres

CHAT = [
    {"role": "user", "content": "I moved to Lisbon in March 2023.", "timestamp": "2023-03-02"},
    {"role": "assistant", "content": "How do you like Lisbon?", "timestamp": "2023-03-02"},
    {"role": "user", "content": "My sister Eva got married in Porto.", "timestamp": "2023-04-10"},
    {"role": "user", "content": "I moved to Berlin last week.", "timestamp": "2024-01-20"},
    {"role": "user", "content": "My dog Rex loves the beach.", "timestamp": "2024-02-01"},
    {"role": "user", "content": "Eva and I went hiking near Porto.", "timestamp": "2024-02-03"},
]
QUERIES = ["where does she live?", "who got married?", "dog", "Lisbon", "peanuts", "hiking"]
NOW = "2024-03-01T12:00:00Z"
USERS = ("ana", "bo")
TABLES = (
    "episodes",
    "memories",
    "memory_keys",
    "entities",
    "mentions",
    "links",
    "history",
    "tasks",
    "task_steps",
    "task_dependencies",
)


@pytest.fixture
def pg_url(local_postgres: LocalPostgres, request: pytest.FixtureRequest) -> str:
    url = local_postgres.create_database()
    request.addfinalizer(lambda: local_postgres.drop_database(url))
    return url


def fill(m: Memory) -> None:
    """Messages, facts superseding each other, an update undone, a pin, TTLs, a soft and a
    hard forget, a delete, a consolidation, retrievals, and a second user."""
    m.add(CHAT[:3], user_id="ana", session_id="s1")
    m.add(CHAT[3:], user_id="ana", session_id="s2")
    m.add("Bo works at a bakery in Porto.", user_id="bo", session_id="b1")
    m.add_fact("Ana lives in Lisbon", user_id="ana", key="user.city", valid_from="2023-03-01")
    m.add_fact("Ana lives in Berlin", user_id="ana", key="user.city", valid_from="2024-01-13")
    colour = m.add_fact("Ana's favourite colour is green", user_id="ana")
    m.update(colour.id, "Ana's favourite colour is blue", user_id="ana")
    m.undo(colour.id, user_id="ana")
    allergy = m.add_fact("Ana is allergic to peanuts", user_id="ana")
    m.pin(allergy.id, user_id="ana")
    trip = m.add_fact("Ana is in Paris this weekend", user_id="ana")
    m.set_ttl(trip.id, 3600, user_id="ana")
    cold = m.add_fact("Ana has a cold", user_id="ana")
    m.set_ttl(cold.id, 1e-6, user_id="ana")  # expired by the consolidation below
    secret = m.add("My bank PIN is 4711.", user_id="ana", session_id="s3")
    m.forget(episode_id=secret.episodes[0].id, user_id="ana", hard=True)
    turns = {t.text: t for t in m.get_all(user_id="ana", kinds="turn", limit=None)}
    m.forget(turns["How do you like Lisbon?"].id, user_id="ana")
    m.delete(turns["My dog Rex loves the beach."].id, user_id="ana")
    m.consolidate(user_id="ana")
    for query in QUERIES[:3]:
        m.search(query, user_id="ana", now=NOW)
    tasks = TaskMemory(m)
    task = tasks.start("Plan the move to Berlin", user_id="ana", agent_id="planner")
    flats = tasks.open_subgoal(task.id, "Find a flat", user_id="ana")
    budget = tasks.record(task.id, "set rent limit to 1200", user_id="ana")
    tasks.record(
        task.id, "search flats", user_id="ana", kind="tool_call", data={"result": "12 flats"}
    )
    tasks.record(task.id, "shortlist 3 flats", user_id="ana", depends_on=[budget.id])
    tasks.revise(budget.id, "set rent limit to 1000", user_id="ana", reason="budget cut")
    tasks.close_subgoal(flats.id, user_id="ana")


@pytest.fixture
def source(tmp_path: Path) -> Iterator[str]:
    path = str(tmp_path / "source.db")
    with Memory(path, embedder=HashEmbedder()) as m:
        fill(m)
    yield path


def state(location: str) -> list[Any]:
    """Everything the engine says about the store, searches aside."""
    with Memory(location, embedder=HashEmbedder()) as m:
        out: list[Any] = [m.stats()]
        for user in USERS:
            items = m.get_all(user_id=user, statuses=None, limit=None)
            out += [items, m.episodes(user_id=user, limit=None)]
            for task in TaskMemory(m).tasks(user_id=user):
                out += [task, TaskMemory(m).steps(task.id, user_id=user)]
            for item in items:
                out.append(m.history(item.id, user_id=user))
                graph = m.graph(item.id, user_id=user)
                # Store.links_of names no order: each backend returns its own.
                links = sorted(graph.links, key=lambda k: (k.source_id, k.target_id, k.type))
                out.append(replace(graph, links=links))
        return out


def searches(location: str) -> tuple[list[list[str]], list[float]]:
    """Ranked ids, and apart their scores (they move with the clock: strength decays)."""
    ids: list[list[str]] = []
    scores: list[float] = []
    with Memory(location, embedder=HashEmbedder()) as m:
        for user in USERS:
            for query in QUERIES:
                hits = m.search(query, user_id=user, now=NOW, limit=20)
                ids.append([h.memory.id for h in hits])
                scores += [h.score for h in hits]
    return ids, scores


def export(location: str, path: Path, **options: Any) -> Path:
    with Memory(location, embedder=HashEmbedder()) as m:
        m.export(path, **options)
    return path


def lines_of(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def write_lines(path: Path, objects: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(o) + "\n" for o in objects), encoding="utf-8")
    return path


def rows(location: str) -> dict[str, int]:
    return {t: raw_sql(location, f"SELECT COUNT(*) FROM {t}")[0][0] for t in TABLES}


def test_the_source_store_holds_every_kind_of_record(source: str) -> None:
    """What the round trips below must carry (so that they prove something)."""
    with Memory(source, embedder=HashEmbedder()) as m:
        items = m.get_all(user_id="ana", statuses=None, limit=None)
    statuses = {item.status for item in items}
    assert statuses >= {
        MemoryStatus.ACTIVE,
        MemoryStatus.SUPERSEDED,
        MemoryStatus.ARCHIVED,
        MemoryStatus.DELETED,
    }
    assert any(item.pinned for item in items) and any(item.expires_at for item in items)
    assert any(item.kind is MemoryKind.SUMMARY for item in items)
    assert any(item.access_count for item in items)
    assert all(n > 0 for n in rows(source).values()), rows(source)
    assert not any("4711" in item.text for item in items)


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_export_then_import_into_an_empty_store_answers_the_same(
    source: str, tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    target = str(tmp_path / "copy.db") if backend == "sqlite" else request.getfixturevalue("pg_url")
    file = export(source, tmp_path / "out.jsonl")
    with Memory(target, embedder=HashEmbedder()) as m:
        report = m.import_(file)
    assert report.users == USERS and report.reembedded == 0
    assert report.added == lines_of(file)[-1]["counts"]
    assert not any(report.skipped.values())
    assert rows(target) == rows(source)
    assert state(target) == state(source)
    expected_ids, expected_scores = searches(source)
    found_ids, found_scores = searches(target)
    assert found_ids == expected_ids
    assert found_scores == pytest.approx(expected_scores, abs=1e-6)
    # The copy is a live store: new messages and new history continue after the imported ones.
    with Memory(target, embedder=HashEmbedder()) as m:
        added = m.add("Ana started learning the piano.", user_id="ana", session_id="s9")
        assert added.episodes[0].seq > max(
            e.seq for e in m.episodes(user_id="ana", limit=None)[:-1]
        )
        assert m.search("piano", user_id="ana")[0].memory.text.startswith("Ana started")
        fact = m.add_fact("Ana likes tea", user_id="ana")
        entry = m.history(fact.id, user_id="ana")[-1]
        assert entry.id > max(h[0] for h in raw_sql(source, "SELECT id FROM history"))


def test_importing_the_same_file_twice_changes_nothing(source: str, tmp_path: Path) -> None:
    target = str(tmp_path / "copy.db")
    file = export(source, tmp_path / "out.jsonl")
    with Memory(target, embedder=HashEmbedder()) as m:
        first = m.import_(file)
    before, heads = state(target), raw_sql(target, "SELECT user_id, feed_head FROM scopes")
    with Memory(target, embedder=HashEmbedder()) as m:
        second = m.import_(file)
    assert first.changed and not second.changed
    assert second.skipped == first.added
    assert state(target) == before
    assert raw_sql(target, "SELECT user_id, feed_head FROM scopes") == heads  # nothing written
    assert rows(target) == rows(source)


def test_an_open_engine_sees_what_another_imported(source: str, tmp_path: Path) -> None:
    """The import writes through the store: the change feed brings every index up to date."""
    target = str(tmp_path / "copy.db")
    file = export(source, tmp_path / "out.jsonl")
    with Memory(target, embedder=HashEmbedder()) as reader:
        reader.add("Zed likes chess.", user_id="ana", session_id="z")
        assert all("Porto" not in h.memory.text for h in reader.search("Porto", user_id="ana"))
        with Memory(target, embedder=HashEmbedder()) as writer:
            report = writer.import_(file)
        assert report.added["memory"] > 0
        texts = [h.memory.text for h in reader.search("who got married in Porto", user_id="ana")]
        assert any("Eva got married" in text for text in texts)


def test_a_user_export_holds_that_user_only(source: str, tmp_path: Path) -> None:
    file = export(source, tmp_path / "bo.jsonl", user_id="bo")
    objects = lines_of(file)
    assert objects[0]["users"] == ["bo"] and objects[0]["user_id"] == "bo"
    assert {o["user_id"] for o in objects[1:-1]} == {"bo"}
    assert {o["type"] for o in objects[1:-1]} >= {"episode", "memory", "history"}
    target = str(tmp_path / "copy.db")
    with Memory(target, embedder=HashEmbedder()) as m:
        m.import_(file)
        assert m.store.list_users() == ["bo"]
        copied = m.get_all(user_id="bo", statuses=None, limit=None)
    with Memory(source, embedder=HashEmbedder()) as m:
        assert copied == m.get_all(user_id="bo", statuses=None, limit=None)
        with pytest.raises(NotFound):
            m.export(tmp_path / "nobody.jsonl", user_id="nobody")
    assert not (tmp_path / "nobody.jsonl").exists()


def test_import_of_one_user_from_a_whole_store_file(source: str, tmp_path: Path) -> None:
    file = export(source, tmp_path / "all.jsonl")
    target = str(tmp_path / "copy.db")
    with Memory(target, embedder=HashEmbedder()) as m:
        report = m.import_(file, user_id="bo")
        assert report.users == ("bo",)
        assert m.store.list_users() == ["bo"]


def test_a_user_moves_into_a_store_with_other_users(source: str, tmp_path: Path) -> None:
    target = str(tmp_path / "copy.db")
    with Memory(target, embedder=HashEmbedder()) as m:
        m.add("Zed plays chess on Sundays.", user_id="zed")
        m.import_(export(source, tmp_path / "ana.jsonl", user_id="ana"))
        assert m.store.list_users() == ["ana", "zed"]
        assert m.search("chess", user_id="zed")[0].memory.text.startswith("Zed plays")
        copied = m.get_all(user_id="ana", statuses=None, limit=None)
    with Memory(source, embedder=HashEmbedder()) as m:
        assert copied == m.get_all(user_id="ana", statuses=None, limit=None)


def test_the_file_is_read_from_a_text_stream_too(source: str, tmp_path: Path) -> None:
    buffer = io.StringIO()
    with Memory(source, embedder=HashEmbedder()) as m:
        report = m.export(buffer)
    assert report.records == len(buffer.getvalue().splitlines()) - 2
    buffer.seek(0)
    with Memory(str(tmp_path / "copy.db"), embedder=HashEmbedder()) as m:
        assert m.import_(buffer).added == report.counts


Corrupt = Callable[[list[dict[str, Any]]], None]


def _set(index: int, field: str, value: Any) -> Corrupt:
    def corrupt(objects: list[dict[str, Any]]) -> None:
        objects[index][field] = value

    return corrupt


def _memory_line(objects: list[dict[str, Any]]) -> int:
    return next(i for i, o in enumerate(objects) if o.get("type") == "memory")


Line = Callable[[list[dict[str, Any]]], int]  # the expected line number, from the good file
FIRST: Line = lambda objects: 1  # noqa: E731
LAST: Line = len
AFTER_LAST: Line = len  # the file lost its last line: the line after the new last one
MEMORY: Line = lambda objects: _memory_line(objects) + 1  # noqa: E731


@pytest.mark.parametrize(
    ("corrupt", "line", "message"),
    [
        (_set(0, "version", 2), FIRST, "format version 2 is newer"),
        (_set(0, "format", "something-else"), FIRST, "not a Kenning export"),
        (lambda o: o.pop(), AFTER_LAST, "truncated"),
        (lambda o: o[-1]["counts"].update(memory=1), LAST, "says it holds"),
        (lambda o: o[_memory_line(o)].update(created_at="yesterday"), MEMORY, "created_at"),
        (lambda o: o[_memory_line(o)].update(status="lost"), MEMORY, "must be one of"),
        (lambda o: o[_memory_line(o)].update(episode_ids="e1"), MEMORY, "episode_ids"),
        (lambda o: o[_memory_line(o)]["keys"][0].update(vector="%%%"), MEMORY, "keys.0."),
        (lambda o: o[_memory_line(o)].update(type="mystery"), MEMORY, "type"),
        (lambda o: o[_memory_line(o)].update(user_id="eve"), MEMORY, "not in the header"),
    ],
)
def test_a_bad_file_is_refused_by_line_and_field_and_nothing_is_written(
    source: str, tmp_path: Path, corrupt: Corrupt, line: Line, message: str
) -> None:
    objects = lines_of(export(source, tmp_path / "out.jsonl"))
    number = line(objects)
    corrupt(objects)
    bad = write_lines(tmp_path / "bad.jsonl", objects)
    target = str(tmp_path / "copy.db")
    with Memory(target, embedder=HashEmbedder()) as m:
        with pytest.raises(ExportFormatError, match=message) as raised:
            m.import_(bad)
        assert raised.value.line == number
        assert str(raised.value).startswith(f"line {number}, field ")
        assert m.store.list_users() == []
    assert rows(target) == dict.fromkeys(TABLES, 0)


def test_a_line_that_is_not_json_is_named(source: str, tmp_path: Path) -> None:
    file = export(source, tmp_path / "out.jsonl")
    text = file.read_text(encoding="utf-8").splitlines()
    text[3] = text[3][:-5]
    file.write_text("\n".join(text) + "\n", encoding="utf-8")
    message = "line 4, field 'line': not valid JSON"
    with (
        Memory(str(tmp_path / "copy.db"), embedder=HashEmbedder()) as m,
        pytest.raises(ExportFormatError, match=message),
    ):
        m.import_(file)


def test_an_id_held_by_another_user_is_a_conflict(source: str, tmp_path: Path) -> None:
    objects = lines_of(export(source, tmp_path / "out.jsonl"))
    with Memory(source, embedder=HashEmbedder()) as m:
        bo_memory = m.get_all(user_id="bo", limit=1)[0].id
    index = next(i for i, o in enumerate(objects) if o.get("id") == bo_memory)
    objects[index]["user_id"] = "ana"
    objects[index]["episode_ids"] = []
    with (
        Memory(source, embedder=HashEmbedder()) as m,
        pytest.raises(ImportConflict, match="belongs to another user") as raised,
    ):
        m.import_(write_lines(tmp_path / "bad.jsonl", objects))
    assert raised.value.line == index + 1


def test_vectors_of_another_model_are_embedded_again_or_refused(
    source: str, tmp_path: Path
) -> None:
    file = export(source, tmp_path / "out.jsonl")
    other = HashEmbedder(dim=64)
    with Memory(str(tmp_path / "refused.db"), embedder=other) as m:
        with pytest.raises(ImportConflict, match="hash:256"):
            m.import_(file, model_mismatch="refuse")
        assert m.store.list_users() == []
    with Memory(str(tmp_path / "copy.db"), embedder=other) as m:
        report = m.import_(file)
        stored = list(m.store.iter_indexable("ana"))
    with_vectors = sum(1 for o in lines_of(file)[1:] if o.get("model_id") == "hash:256")
    assert report.reembedded == with_vectors > 0
    memory = next(s for s in stored if s.keys and s.keys[0].vector is not None)
    assert memory.model_id == "hash:64"
    expected = other.embed([memory.keys[0].text])[0]
    assert memory.keys[0].vector is not None
    assert np.frombuffer(memory.keys[0].vector, dtype="<f4") == pytest.approx(expected)
