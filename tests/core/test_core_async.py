"""``AsyncMemory`` on a real SQLite file: ``Memory``'s API as coroutines, off the event loop."""

from __future__ import annotations

import asyncio
import inspect
import json
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from ranking import assert_same_ranking

from kenning import (
    AsyncMemory,
    ConfigError,
    Conflict,
    KenningError,
    Memory,
    MemoryItem,
    NotFound,
    Settings,
    StoreError,
    ValidationError,
)
from kenning.read.stages import Stage, recording
from kenning.testing import HashEmbedder

T0 = datetime(2024, 1, 10, 9, 0, tzinfo=UTC)
T1 = datetime(2024, 6, 1, 9, 0, tzinfo=UTC)
NOW = datetime(2024, 7, 1, tzinfo=UTC)
GUARD = 30.0  # seconds: only ever reached when the behaviour under test is broken


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "memories.db"


class GatedEmbedder(HashEmbedder):
    """A hash embedder whose model load waits until the test opens the gate."""

    def __init__(self) -> None:
        super().__init__()
        self.entered = threading.Event()
        self.gate = threading.Event()
        self.opened_in_time: bool | None = None

    def load(self) -> None:
        self.entered.set()
        self.opened_in_time = self.gate.wait(GUARD)


async def _entered(embedder: GatedEmbedder) -> None:
    """Until a pool thread is inside ``embedder.load`` (polled from the loop, never blocking it)."""
    async with asyncio.timeout(GUARD):
        while not embedder.entered.is_set():
            await asyncio.sleep(0.001)


# -- the surface ----------------------------------------------------------------------------------
def _public_methods(cls: type) -> dict[str, Any]:
    return {
        name: member
        for name, member in vars(cls).items()
        if not name.startswith("_") and inspect.isfunction(member)
    }


def test_every_public_method_of_memory_has_a_coroutine_with_its_signature() -> None:
    """A method added to ``Memory`` fails here until ``AsyncMemory`` has it too (one short
    method: the signature copied, the body ``return await self._run(Memory.name, ...)``)."""
    sync = _public_methods(Memory)
    asynchronous = _public_methods(AsyncMemory)
    expected = {"aclose" if name == "close" else name for name in sync}
    assert set(asynchronous) == expected, set(asynchronous) ^ expected
    for name, method in sync.items():
        twin = asynchronous["aclose" if name == "close" else name]
        if name == "export_lines":  # an async iterator of the lines (iterating reads the store)
            assert inspect.isasyncgenfunction(twin)
            assert inspect.signature(twin).parameters == inspect.signature(method).parameters
            continue
        assert inspect.iscoroutinefunction(twin), name
        assert inspect.signature(twin) == inspect.signature(method), name
    for name, member in vars(Memory).items():
        if isinstance(member, property) and not name.startswith("_"):
            assert isinstance(vars(AsyncMemory)[name], property), name
    sync_init = list(inspect.signature(Memory.__init__).parameters.values())
    async_init = list(inspect.signature(AsyncMemory.__init__).parameters.values())
    assert async_init[: len(sync_init)] == sync_init
    assert [p.name for p in async_init[len(sync_init) :]] == ["max_workers"]


# -- same results -------------------------------------------------------------------------------
def _scripted_writes_sync(m: Memory) -> list[Any]:
    out: list[Any] = []
    out.append(
        m.add("I adopted a border collie named Pixel", user_id="ana", session_id="s1", timestamp=T0)
    )
    out.append(
        m.add(
            [{"role": "user", "name": "Ana", "content": "Pixel loves the beach"}],
            user_id="ana",
            agent_id="a1",
            session_id="s2",
            timestamp=T1,
        )
    )
    out.append(m.add_fact("Ana lives in Paris", user_id="ana", key="ana.city", valid_from=T0))
    out.append(
        m.add_fact(
            "Ana lives in Berlin", user_id="ana", key="ana.city", valid_from=T1, importance=0.9
        )
    )
    turn = m.get_all(user_id="ana", kinds="turn")[0]
    out.append(
        m.update(
            turn.id,
            "I adopted a border collie named Pixel in April",
            user_id="ana",
            metadata={"edited": True},
        )
    )
    out.append(m.pin(turn.id, user_id="ana"))
    out.append(m.undo(turn.id, user_id="ana"))
    return out


async def _scripted_writes_async(m: AsyncMemory) -> list[Any]:
    out: list[Any] = []
    out.append(
        await m.add(
            "I adopted a border collie named Pixel", user_id="ana", session_id="s1", timestamp=T0
        )
    )
    out.append(
        await m.add(
            [{"role": "user", "name": "Ana", "content": "Pixel loves the beach"}],
            user_id="ana",
            agent_id="a1",
            session_id="s2",
            timestamp=T1,
        )
    )
    out.append(await m.add_fact("Ana lives in Paris", user_id="ana", key="ana.city", valid_from=T0))
    out.append(
        await m.add_fact(
            "Ana lives in Berlin", user_id="ana", key="ana.city", valid_from=T1, importance=0.9
        )
    )
    turn = (await m.get_all(user_id="ana", kinds="turn"))[0]
    out.append(
        await m.update(
            turn.id,
            "I adopted a border collie named Pixel in April",
            user_id="ana",
            metadata={"edited": True},
        )
    )
    out.append(await m.pin(turn.id, user_id="ana"))
    out.append(await m.undo(turn.id, user_id="ana"))
    return out


def _shape(value: Any) -> Any:
    """A result without what differs between two stores given the same input: ids and the
    clock's record times."""
    if isinstance(value, MemoryItem):
        return (
            value.kind,
            value.text,
            value.status,
            value.version,
            value.user_id,
            value.agent_id,
            value.session_id,
            value.event_time,
            value.valid_from,
            value.valid_to,
            value.importance,
            value.pinned,
            value.slot,
            value.speaker,
            value.metadata,
        )
    if isinstance(value, list | tuple):
        return [_shape(v) for v in value]
    if hasattr(value, "__dataclass_fields__"):
        return {
            k: _shape(getattr(value, k))
            for k in value.__dataclass_fields__
            if k not in ("id", "created_at", "ingested_at", "episode_ids")
        }
    return value


def test_writes_give_what_the_sync_api_gives(tmp_path: Path) -> None:
    with Memory(tmp_path / "sync.db", embedder=HashEmbedder()) as m:
        expected = _scripted_writes_sync(m)
        expected_stats = m.stats(user_id="ana")

    async def run() -> tuple[list[Any], Any]:
        async with AsyncMemory(tmp_path / "async.db", embedder=HashEmbedder()) as m:
            return await _scripted_writes_async(m), await m.stats(user_id="ana")

    got, got_stats = asyncio.run(run())
    assert _shape(got) == _shape(expected)
    assert got[4].metadata == {"edited": True} and got[5].pinned  # the arguments reached Memory
    assert got_stats == expected_stats


def test_reads_equal_the_sync_apis_on_the_same_store(db: Path) -> None:
    def reads(turn: MemoryItem, paris: MemoryItem) -> list[Callable[[Any], Any]]:
        return [
            lambda x: x.get(turn.id, user_id="ana"),
            lambda x: x.get_all(user_id="ana", statuses=None, limit=50),
            lambda x: x.get_all(user_id="ana", session_id="s2", kinds="turn"),
            lambda x: x.episodes(user_id="ana", limit=2, offset=1),
            lambda x: x.history(paris.id, user_id="ana"),
            lambda x: x.graph(turn.id, user_id="ana", limit=1),
            lambda x: x.stats(),
            lambda x: x.describe(),
        ]

    # A search counts its hits' retrievals, which the next search of the scope sees: each
    # handle searches a scope once, the async one first (the sync one does not see its
    # buffered counts).
    searches: list[Callable[[Any], Any]] = [
        lambda x: x.search("where does Ana live?", user_id="ana", now=NOW),
        lambda x: x.search("tea", user_id="bob", kinds=["turn", "fact"], limit=1, start=T0),
    ]

    async def run() -> tuple[list[Any], list[Any]]:
        async with AsyncMemory(db, embedder=HashEmbedder()) as m:
            written = await _scripted_writes_async(m)
            await m.add(["I like green tea", "and black tea"], user_id="bob", timestamp=T1)
            calls = reads(turn=written[6], paris=written[2])
            with Memory(db, embedder=HashEmbedder()) as sync:
                expected = [call(sync) for call in calls]
                got = [await call(m) for call in calls]
                for search in searches:
                    got.append(await search(m))
                    expected.append(search(sync))
            return got, expected

    got, expected = asyncio.run(run())
    assert got[:-2] == expected[:-2]
    for mine, theirs in zip(got[-2:], expected[-2:], strict=True):
        assert_same_ranking(mine, theirs)
    assert len(got[1]) > len(got[2]) > 0
    assert any("Berlin" in h.memory.text for h in got[-2].hits)
    assert len(got[-1].hits) == 1 and "tea" in got[-1].hits[0].memory.text


def test_context_export_and_import_as_the_sync_api(tmp_path: Path) -> None:
    async def run() -> tuple[list[str], Any, Any, Any]:
        async with AsyncMemory(tmp_path / "a.db", embedder=HashEmbedder()) as m:
            await _scripted_writes_async(m)
            lines = [line async for line in m.export_lines(user_id="ana")]
            block = await m.context("where does Ana live?", user_id="ana", now=NOW)
            with Memory(tmp_path / "a.db", embedder=HashEmbedder()) as sync:
                expected = list(sync.export_lines(user_id="ana"))
                expected_block = sync.context("where does Ana live?", user_id="ana", now=NOW)
            assert lines[1:] == expected[1:]  # the header differs in its export time only
            assert json.loads(lines[0]).keys() == json.loads(expected[0]).keys()
            assert block.text == expected_block.text
            await m.export(tmp_path / "ana.jsonl", user_id="ana")
        async with AsyncMemory(tmp_path / "b.db", embedder=HashEmbedder()) as copy:
            report = await copy.import_(tmp_path / "ana.jsonl")
            again = await copy.import_(lines)
            return lines, report, again, await copy.stats(user_id="ana")

    lines, report, again, stats = asyncio.run(run())
    assert len(lines) > 3
    assert report != again  # the second import found everything there already
    with Memory(tmp_path / "a.db", embedder=HashEmbedder()) as original:
        assert stats == original.stats(user_id="ana")


# -- concurrency -------------------------------------------------------------------------------
def test_concurrent_adds_and_searches_lose_nothing(db: Path) -> None:
    users = ["ana", "bob", "cy"]
    texts = {u: [f"{u} note number {i} about topic{i % 5}" for i in range(12)] for u in users}

    async def run() -> tuple[list[Any], list[Any], dict[str, list[str]]]:
        async with AsyncMemory(db, embedder=HashEmbedder(), max_workers=6) as m:
            adds = [m.add(t, user_id=u, session_id=f"{u}-s") for u in users for t in texts[u]]
            searches = [m.search(f"topic{i}", user_id=u) for u in users for i in range(5)]
            done = await asyncio.gather(*adds, *searches)
            stored = {
                u: [e.content for e in await m.episodes(user_id=u, limit=None)] for u in users
            }
            return done[: len(adds)], done[len(adds) :], stored

    added, searched, stored = asyncio.run(run())
    assert all(len(a.episodes) == 1 and a.duplicates == 0 for a in added)
    for u in users:
        assert sorted(stored[u]) == sorted(texts[u])  # every add stored once
    for result, (u, _) in zip(searched, [(u, i) for u in users for i in range(5)], strict=True):
        assert all(h.memory.user_id == u for h in result.hits)  # never another user's
    with Memory(db, embedder=HashEmbedder()) as m:  # and it is all really in the file
        assert m.stats().episodes == 3 * 12
        assert len(m.search("topic3", user_id="bob", limit=20).hits) >= 2


def test_the_event_loop_keeps_running_while_a_call_blocks(db: Path) -> None:
    """``warm_up`` blocks in the model load until a task on the loop opens the gate: if the
    call blocked the loop, that task could never run and the load would give up."""
    embedder = GatedEmbedder()

    async def run() -> int:
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0)

        async with AsyncMemory(db, embedder=embedder) as m:
            ticking = asyncio.create_task(ticker())
            warming = asyncio.create_task(m.warm_up())
            await _entered(embedder)  # the loop runs while a pool thread is in the load
            during = ticks
            await asyncio.sleep(0)
            await asyncio.sleep(0)
            assert ticks > during and not warming.done()  # still loading, still ticking
            embedder.gate.set()
            await warming
            ticking.cancel()
            return ticks

    assert asyncio.run(run()) > 0
    assert embedder.opened_in_time is True


def test_context_variables_go_along_to_the_thread(db: Path) -> None:
    async def run() -> dict[Stage, float]:
        async with AsyncMemory(db, embedder=HashEmbedder()) as m:
            await m.add("I like green tea", user_id="ana")
            with recording() as stages:
                await m.search("tea", user_id="ana")
            return stages

    assert Stage.EMBED in asyncio.run(run())


# -- errors and lifetime ----------------------------------------------------------------------------
def _error(memory: Memory, call: Callable[[Memory], Any]) -> KenningError:
    with pytest.raises(KenningError) as raised:
        call(memory)
    return raised.value


def test_errors_are_the_sync_apis(db: Path) -> None:
    calls: list[Callable[[Any], Any]] = [
        lambda x: x.search("  ", user_id="ana"),
        lambda x: x.search("tea", user_id="ana", limit=0),
        lambda x: x.search("tea", user_id=""),
        lambda x: x.get_all(user_id="ana", statuses=["gone"]),
        lambda x: x.get("no-such-id"),
        lambda x: x.history("no-such-id", user_id="ana"),
        lambda x: x.forget(user_id="ana"),
        lambda x: x.add_fact("x", user_id="ana", importance=2),
        lambda x: x.configure(db_path="elsewhere.db"),
    ]

    async def run() -> tuple[list[KenningError], KenningError]:
        async with AsyncMemory(db, embedder=HashEmbedder()) as m:
            added = await m.add("I like green tea", user_id="ana")
            errors = []
            for call in calls:
                with pytest.raises(KenningError) as raised:
                    await call(m)
                errors.append(raised.value)
            with pytest.raises(Conflict) as conflict:
                await m.undo(added.memories[0].id, user_id="ana")
            return errors, conflict.value

    got, conflict = asyncio.run(run())
    with Memory(db, embedder=HashEmbedder()) as sync:
        expected = [_error(sync, call) for call in calls]
    assert [type(e) for e in got] == [type(e) for e in expected]
    assert [getattr(e, "field", None) for e in got] == [getattr(e, "field", None) for e in expected]
    assert isinstance(got[0], ValidationError) and got[0].field == "query"
    assert isinstance(got[4], NotFound) and conflict.field == "memory_id"


def test_opens_on_the_pool_and_closes_after_the_calls_in_flight(db: Path) -> None:
    embedder = GatedEmbedder()

    async def run() -> None:
        m = AsyncMemory(db, embedder=embedder)
        assert not db.exists()  # nothing opened on the loop
        with pytest.raises(StoreError, match="not open"):
            m.memory  # noqa: B018
        await m.add("I like green tea", user_id="ana")
        assert db.exists() and m.memory.embedder is embedder
        warming = asyncio.create_task(m.warm_up())
        await _entered(embedder)
        closing = asyncio.create_task(m.aclose())
        await asyncio.sleep(0)  # aclose has started
        with pytest.raises(StoreError, match="closed"):
            await m.stats()
        assert not closing.done()  # waiting for the call in flight
        embedder.gate.set()
        await warming
        await closing
        with pytest.raises(StoreError):  # the engine underneath was closed after it
            m.memory.stats()
        await m.aclose()  # twice is harmless

    asyncio.run(run())
    assert embedder.opened_in_time is True
    with Memory(db, embedder=HashEmbedder()) as m:
        assert m.stats(user_id="ana").episodes == 1


def test_an_error_opening_comes_from_the_first_call(db: Path) -> None:
    settings = Settings(embedder="hash", fact_extraction="llm")  # without llm_url
    with pytest.raises(ConfigError) as sync:
        Memory(db, settings=settings)

    async def run() -> ConfigError:
        m = AsyncMemory(db, settings=settings)
        try:
            with pytest.raises(ConfigError) as raised:
                await m.stats()
            return raised.value
        finally:
            await m.aclose()

    assert str(asyncio.run(run())) == str(sync.value)


@pytest.fixture(autouse=True)
def _no_threads_left_behind() -> Iterator[None]:
    before = {t.ident for t in threading.enumerate()}
    yield
    leftover = [
        t for t in threading.enumerate() if t.ident not in before and t.name.startswith("kenning")
    ]
    for thread in leftover:
        thread.join(GUARD)
    assert not [t for t in leftover if t.is_alive()]
