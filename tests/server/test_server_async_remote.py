"""``AsyncRemoteMemory`` against the real server: ``RemoteMemory``'s calls, results and errors,
awaited, without blocking the event loop."""

from __future__ import annotations

import asyncio
import inspect
import threading
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from ranking import assert_same_ranking
from serving import Keys, Server, serve

from kenning import (
    AsyncMemory,
    AsyncRemoteMemory,
    ContextBlock,
    ForgetResult,
    KenningError,
    Memory,
    MemoryItem,
    MemoryStatus,
    NotFound,
    RemoteMemory,
    Settings,
    ValidationError,
)
from kenning.client import AccessDenied, RemoteError
from kenning.models import SkippedPart
from kenning.server import ApiKeys
from kenning.testing import HashEmbedder

T0 = datetime(2024, 1, 10, 9, 0, tzinfo=UTC)
T1 = datetime(2024, 6, 1, 9, 0, tzinfo=UTC)
NOW = datetime(2024, 7, 1, tzinfo=UTC)
GUARD = 30.0  # seconds: only ever reached when the behaviour under test is broken


def _public_methods(cls: type) -> dict[str, Any]:
    return {
        name: member
        for name, member in vars(cls).items()
        if not name.startswith("_") and inspect.isfunction(member)
    }


def test_every_method_of_remote_memory_has_a_coroutine_with_its_signature() -> None:
    sync = _public_methods(RemoteMemory)
    asynchronous = _public_methods(AsyncRemoteMemory)
    expected = {"aclose" if name == "close" else name for name in sync}
    assert set(asynchronous) == expected, set(asynchronous) ^ expected
    for name, method in sync.items():
        twin = asynchronous["aclose" if name == "close" else name]
        assert inspect.iscoroutinefunction(twin), name
        assert inspect.signature(twin) == inspect.signature(method), name
    sync_init = inspect.signature(RemoteMemory.__init__).parameters
    async_init = inspect.signature(AsyncRemoteMemory.__init__).parameters
    assert list(sync_init) == list(async_init)


async def _writes(m: AsyncRemoteMemory, user: str) -> list[Any]:
    out: list[Any] = []
    out.append(
        await m.add(
            "I adopted a border collie named Pixel", user_id=user, session_id="s1", timestamp=T0
        )
    )
    out.append(
        await m.add(
            [{"role": "user", "name": "Ana", "content": "Pixel loves the beach"}],
            user_id=user,
            agent_id="a1",
            session_id="s2",
            timestamp=T1,
        )
    )
    out.append(await m.add_fact("Ana lives in Paris", user_id=user, key="ana.city", valid_from=T0))
    out.append(
        await m.add_fact(
            "Ana lives in Berlin",
            user_id=user,
            key="ana.city",
            valid_from=T1,
            importance=0.9,
            metadata={"source": "chat"},
        )
    )
    turn = next(t for t in await m.get_all(user_id=user, kinds="turn") if "collie" in t.text)
    out.append(
        await m.update(turn.id, "I adopted a border collie named Pixel in April", user_id=user)
    )
    out.append(await m.undo(turn.id, user_id=user))
    out.append(await m.forget(out[3].id, user_id=user))
    out.append(await m.consolidate(user_id=user))
    return out


def _sync_writes(m: RemoteMemory, user: str) -> list[Any]:
    out: list[Any] = []
    out.append(
        m.add("I adopted a border collie named Pixel", user_id=user, session_id="s1", timestamp=T0)
    )
    out.append(
        m.add(
            [{"role": "user", "name": "Ana", "content": "Pixel loves the beach"}],
            user_id=user,
            agent_id="a1",
            session_id="s2",
            timestamp=T1,
        )
    )
    out.append(m.add_fact("Ana lives in Paris", user_id=user, key="ana.city", valid_from=T0))
    out.append(
        m.add_fact(
            "Ana lives in Berlin",
            user_id=user,
            key="ana.city",
            valid_from=T1,
            importance=0.9,
            metadata={"source": "chat"},
        )
    )
    turn = next(t for t in m.get_all(user_id=user, kinds="turn") if "collie" in t.text)
    out.append(m.update(turn.id, "I adopted a border collie named Pixel in April", user_id=user))
    out.append(m.undo(turn.id, user_id=user))
    out.append(m.forget(out[3].id, user_id=user))
    out.append(m.consolidate(user_id=user))
    return out


def _shape(value: Any) -> Any:
    """A result without what differs between two users given the same input: ids, the user
    and the clock's record times."""
    if isinstance(value, MemoryItem):
        return (
            value.kind,
            value.text,
            value.status,
            value.version,
            value.agent_id,
            value.session_id,
            value.event_time,
            value.valid_from,
            value.valid_to,
            value.importance,
            value.slot,
            value.speaker,
            value.metadata,
        )
    if isinstance(value, list | tuple):
        return [_shape(v) for v in value]
    if hasattr(value, "__dataclass_fields__"):
        dropped = {
            "id",
            "user_id",
            "created_at",
            "updated_at",
            "episode_ids",
            "idempotency_key",
            "archived",
        }
        return {
            k: _shape(getattr(value, k)) for k in value.__dataclass_fields__ if k not in dropped
        }
    return value


def test_same_calls_give_the_sync_clients_results(open_server: Server) -> None:
    with RemoteMemory(open_server.url) as sync:
        expected_writes = _sync_writes(sync, "bob")

    async def run() -> None:
        async with AsyncRemoteMemory(open_server.url) as m:
            written = await _writes(m, "ana")
            assert _shape(written) == _shape(expected_writes)
            assert written[6].archived == (written[3].id,)  # forget reached the right memory
            turn, paris = written[5], written[2]
            reads: list[Callable[[Any], Any]] = [
                lambda x: x.get(turn.id, user_id="ana"),
                lambda x: x.get_all(user_id="ana", statuses=None, limit=50),
                lambda x: x.get_all(user_id="ana", session_id="s2", kinds=["turn"]),
                lambda x: x.episodes(user_id="ana", limit=2, offset=1),
                lambda x: x.history(paris.id, user_id="ana"),
                lambda x: x.graph(turn.id, user_id="ana", limit=1),
                lambda x: x.stats(user_id="ana"),
                lambda x: x.export(user_id="ana"),
            ]
            searches: list[Callable[[Any], Any]] = [
                lambda x: x.search("where does Ana live?", user_id="ana", now=T1),
                lambda x: x.search("Pixel", user_id="ana", kinds="turn", limit=1, start=T0),
            ]
            with RemoteMemory(open_server.url) as sync:
                for read in reads:
                    assert await read(m) == read(sync)
                for search in searches:
                    assert_same_ranking(await search(m), search(sync))
            assert len(await m.get_all(user_id="ana", statuses=None)) > len(
                await m.get_all(user_id="ana")
            )
            deleted = await m.delete(turn.id, user_id="ana")
            assert deleted.status is MemoryStatus.DELETED
            assert open_server.memory.get(turn.id).status is MemoryStatus.DELETED

    asyncio.run(run())


def test_concurrent_calls_lose_nothing(open_server: Server) -> None:
    texts = [f"note number {i} about topic{i % 4}" for i in range(24)]

    async def run() -> tuple[list[Any], list[Any]]:
        async with AsyncRemoteMemory(open_server.url) as m:
            adds = [m.add(t, user_id="ana" if i % 2 else "bob") for i, t in enumerate(texts)]
            searches = [m.search(f"topic{i}", user_id="ana") for i in range(4)]
            done = await asyncio.gather(*adds, *searches)
            return done[: len(adds)], done[len(adds) :]

    added, searched = asyncio.run(run())
    assert all(len(a.episodes) == 1 for a in added)
    stored = [
        e.content
        for u in ("ana", "bob")
        for e in open_server.memory.episodes(user_id=u, limit=None)
    ]
    assert sorted(stored) == sorted(texts)
    assert all(h.memory.user_id == "ana" for s in searched for h in s.hits)


def test_errors_come_back_as_the_same_exceptions(keyed: tuple[Server, Keys]) -> None:
    server, keys = keyed
    calls: list[Callable[[Any], Any]] = [
        lambda x: x.get("no-such-id", user_id="ana"),
        lambda x: x.search("  ", user_id="ana"),
        lambda x: x.search("x", user_id="ana", limit=0),
        lambda x: x.search("anything", user_id="bob"),
        lambda x: x.search("x", user_id=""),
        lambda x: x.forget(user_id="ana"),
    ]
    with RemoteMemory(server.url, api_key=keys.ana) as sync:
        expected = [_sync_error(sync, call) for call in calls]

    async def run() -> tuple[list[KenningError], KenningError]:
        errors = []
        async with AsyncRemoteMemory(server.url, api_key=keys.ana) as ana:
            for call in calls:
                with pytest.raises(KenningError) as raised:
                    await call(ana)
                errors.append(raised.value)
        async with AsyncRemoteMemory(server.url, api_key="not-a-key") as stranger:
            with pytest.raises(AccessDenied) as denied:
                await stranger.stats(user_id="ana")
        return errors, denied.value

    got, denied = asyncio.run(run())
    assert [type(e) for e in got] == [type(e) for e in expected]
    assert [_detail(e) for e in got] == [_detail(e) for e in expected]
    assert isinstance(got[0], NotFound)
    assert isinstance(got[1], ValidationError) and got[1].field == "query"
    assert isinstance(got[3], AccessDenied) and got[3].status == 403
    assert isinstance(denied, AccessDenied) and denied.status == 401


def _sync_error(client: RemoteMemory, call: Callable[[RemoteMemory], Any]) -> KenningError:
    with pytest.raises(KenningError) as raised:
        call(client)
    return raised.value


def _detail(error: KenningError) -> Any:
    return getattr(error, "field", None), getattr(error, "status", None)


def test_an_unreachable_server_is_a_remote_error() -> None:
    async def run() -> RemoteError:
        # Port 9 on localhost (discard): nothing listens there, the connection is refused.
        async with AsyncRemoteMemory("http://127.0.0.1:9", timeout=GUARD) as m:
            with pytest.raises(RemoteError) as raised:
                await m.stats(user_id="ana")
            return raised.value

    assert asyncio.run(run()).status == 0


class GatedEmbedder(HashEmbedder):
    """Embeds the query ``wait`` only once the test opens the gate."""

    def __init__(self) -> None:
        super().__init__()
        self.entered = threading.Event()
        self.gate = threading.Event()
        self.opened_in_time: bool | None = None

    def embed(self, texts: Sequence[str]) -> Any:
        if list(texts) == ["wait"]:
            self.entered.set()
            self.opened_in_time = self.gate.wait(GUARD)
        return super().embed(texts)


@pytest.fixture
def gated_server(tmp_path: Path) -> Iterator[tuple[Server, GatedEmbedder]]:
    embedder = GatedEmbedder()
    settings = Settings(embedder="hash", embedding_cache_path="")
    with Memory(tmp_path / "gated.db", settings=settings, embedder=embedder) as memory:
        running = serve(memory, ApiKeys(memory.store))
        try:
            yield next(running), embedder
        finally:
            running.close()


def test_the_event_loop_runs_while_a_request_waits(
    gated_server: tuple[Server, GatedEmbedder],
) -> None:
    """The server holds the search until a task on the client's loop opens the gate: were the
    request blocking the loop, that task could never run and the server would give up."""
    server, embedder = gated_server

    async def run() -> Any:
        async with AsyncRemoteMemory(server.url, timeout=2 * GUARD) as m:
            await m.add("I wait for the bus", user_id="ana")
            searching = asyncio.create_task(m.search("wait", user_id="ana"))
            async with asyncio.timeout(GUARD):
                while not embedder.entered.is_set():
                    await asyncio.sleep(0.001)
            assert not searching.done()
            embedder.gate.set()
            return await searching

    result = asyncio.run(run())
    assert embedder.opened_in_time is True
    assert [h.memory.text for h in result.hits][:1] == ["I wait for the bus"]


def test_users_sessions_and_erasing_a_user_as_the_sync_client(keyed: tuple[Server, Keys]) -> None:
    server, keys = keyed
    for user in ("ana", "bob", "cy"):
        server.memory.add(f"{user} says hello", user_id=user, session_id=f"{user}-s")
    with RemoteMemory(server.url, api_key=keys.admin) as sync:
        expected = [sync.users(), sync.users(limit=2, offset=1), sync.sessions(user_id="bob")]

    async def run() -> tuple[list[Any], ForgetResult]:
        async with AsyncRemoteMemory(server.url, api_key=keys.admin) as m:
            reads = [
                await m.users(),
                await m.users(limit=2, offset=1),
                await m.sessions(user_id="bob"),
            ]
            return reads, await m.delete_user("cy")

    got, erased = asyncio.run(run())
    assert got == expected
    assert [[u.user_id for u in page] for page in got[:2]] == [["ana", "bob", "cy"], ["bob", "cy"]]
    assert erased.erased_episodes == 1
    with RemoteMemory(server.url, api_key=keys.admin) as sync:
        assert [u.user_id for u in sync.users()] == ["ana", "bob"]


def _block(block: ContextBlock) -> Any:
    """A context block but for its scores (the retention factor's clock, see ranking.py)."""
    assert isinstance(block, ContextBlock)
    items = [(i.section, i.memory, i.text, i.tokens, i.group) for i in block.items]
    return block.text, items, block.tokens, block.budget_tokens, block.omitted


TAGGED = [
    ("Ana flew to Lisbon in May", {"topic": "travel", "priority": 3}),
    ("Ana booked a hotel in Porto", {"topic": "travel", "priority": 1}),
    ("Ana sees the dentist in Lisbon on Friday", {"topic": "health", "priority": 3}),
]
FILTERS: list[dict[str, Any] | None] = [
    None,
    {"topic": "travel"},
    {"topic": "travel", "priority": {"gte": 2}},
    {"priority": {"in": [3]}},
]
WANTED = [  # the texts each of FILTERS keeps
    {text for text, _ in TAGGED},
    {TAGGED[0][0], TAGGED[1][0]},
    {TAGGED[0][0]},
    {TAGGED[0][0], TAGGED[2][0]},
]
QUERY = "Ana Lisbon Porto dentist"
FLAT: list[dict[str, Any]] = [
    {"type": "text", "text": "My flat"},
    {"type": "image_url", "image_url": {"url": "https://x/y.png"}},
]


def test_context_filters_and_skipped_parts_as_the_sync_client(open_server: Server) -> None:
    with RemoteMemory(open_server.url) as sync:
        sync.add("I love the old trams in Lisbon", user_id="ana", session_id="s1", timestamp=T0)
        for text, metadata in TAGGED:
            sync.add_fact(text, user_id="ana", metadata=metadata)
        expected_add = sync.add([{"role": "user", "content": FLAT}], user_id="bob")

    async def run() -> tuple[Any, list[Any], list[Any]]:
        async with AsyncRemoteMemory(open_server.url) as m:
            added = await m.add([{"role": "user", "content": FLAT}], user_id="cy")
            with RemoteMemory(open_server.url) as sync:
                blocks = []
                for filters in (None, {"topic": "travel"}):
                    for budget in (None, 20):
                        got = await m.context(
                            QUERY, user_id="ana", budget_tokens=budget, filters=filters, now=NOW
                        )
                        expected = sync.context(
                            QUERY, user_id="ana", budget_tokens=budget, filters=filters, now=NOW
                        )
                        assert _block(got) == _block(expected)
                        assert [i.score for i in got.items] == pytest.approx(
                            [i.score for i in expected.items], abs=1e-6
                        )
                        blocks.append(got)
                lists = []
                for filters in FILTERS:
                    found = await m.search(QUERY, user_id="ana", kinds="fact", filters=filters)
                    assert_same_ranking(
                        found, sync.search(QUERY, user_id="ana", kinds="fact", filters=filters)
                    )
                    listed = await m.get_all(user_id="ana", kinds="fact", filters=filters)
                    assert listed == sync.get_all(user_id="ana", kinds="fact", filters=filters)
                    lists.append(({h.memory.text for h in found}, {x.text for x in listed}))
            with pytest.raises(ValidationError) as bad:
                await m.get_all(user_id="ana", filters={"priority": {"approx": 2}})
            assert bad.value.field == "filters.priority.approx"
            return added, blocks, lists

    added, blocks, lists = asyncio.run(run())
    assert (
        added.skipped == expected_add.skipped == [SkippedPart(message=0, part=1, type="image_url")]
    )
    assert isinstance(added.skipped[0], SkippedPart)
    whole, tight, travel, _ = blocks
    assert tight.omitted > 0 and len(tight.items) < len(whole.items)
    assert {i.memory.text for i in travel.items} == WANTED[1]
    assert any("trams" in i.memory.text for i in whole.items)
    assert lists == [(wanted, wanted) for wanted in WANTED]


def test_async_memory_passes_filters_on(new_database: Callable[[], str]) -> None:
    """``AsyncMemory``'s ``filters`` reach the engine: its results are ``Memory``'s."""
    settings = Settings(embedder="hash", embedding_cache_path="")

    async def run() -> list[tuple[Any, Any]]:
        async with AsyncMemory(new_database(), settings=settings) as m:
            await m.add("I love the old trams in Lisbon", user_id="ana", timestamp=T0)
            for text, metadata in TAGGED:
                await m.add_fact(text, user_id="ana", metadata=metadata)
            engine = m.memory
            pairs: list[tuple[Any, Any]] = []
            for filters in FILTERS:
                got = [
                    {x.text for x in await m.get_all(user_id="ana", kinds="fact", filters=filters)},
                    {
                        h.memory.text
                        for h in await m.search(QUERY, user_id="ana", kinds="fact", filters=filters)
                    },
                    {
                        i.memory.text
                        for i in (
                            await m.context(QUERY, user_id="ana", kinds="fact", filters=filters)
                        ).items
                    },
                ]

                def sync_results(f: dict[str, Any] | None = filters) -> list[set[str]]:
                    return [
                        {x.text for x in engine.get_all(user_id="ana", kinds="fact", filters=f)},
                        {
                            h.memory.text
                            for h in engine.search(QUERY, user_id="ana", kinds="fact", filters=f)
                        },
                        {
                            i.memory.text
                            for i in engine.context(
                                QUERY, user_id="ana", kinds="fact", filters=f
                            ).items
                        },
                    ]

                expected = await asyncio.to_thread(sync_results)
                pairs.append((got, expected))
            return pairs

    pairs = asyncio.run(run())
    for (got, expected), wanted in zip(pairs, WANTED, strict=True):
        assert got == expected == [wanted, wanted, wanted]
