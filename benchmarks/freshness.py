"""What following the store costs: the change-feed check, applying a foreign change, and one
user's searches while another user ingests in the same process.

* ``check, nothing changed``: ``IndexRegistry.get`` on a loaded scope of the first LoCoMo
  conversations (one feed query that finds nothing), against a plain search of that scope
  (query embedding excluded: the hash embedder);
* ``apply one foreign change``: another ``Memory`` on the same file (its own connection and
  index, as another process has) updates one memory; then the timed ``get`` reads the change
  and re-indexes that memory;
* ``B's search while A ingests``: in one process with the default ONNX embedder, user B
  searches in a loop alone, then while a thread adds LoCoMo sessions for user A (p50 of each,
  query embedding included).

Run::

    .venv/bin/python benchmarks/freshness.py
    .venv/bin/python benchmarks/freshness.py --json out.json

Wall clock (``time.perf_counter``); medians of many calls, both sides of each pair in one run.
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from _bench import DEFAULT_LOCOMO, environment, print_table, quantiles_ms, write_json

from kenning import Memory, Settings
from kenning.eval.locomo import LocomoConversation, load_locomo, session_messages
from kenning.testing import HashEmbedder


def ingest(memory: Memory, chat: LocomoConversation, user: str) -> None:
    for session in chat.sessions:
        messages = session_messages(session)
        if messages:
            memory.add(
                messages, user_id=user, session_id=session.session_id, timestamp=session.date
            )


def timed(action: Callable[[], object], repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        out.append(time.perf_counter() - started)
    return out


def feed_costs(chats: Sequence[LocomoConversation], directory: Path, repeat: int) -> dict[str, Any]:
    db = directory / "feed.db"
    with Memory(db, embedder=HashEmbedder()) as mine, Memory(db, embedder=HashEmbedder()) as other:
        for chat in chats:
            ingest(mine, chat, "ana")
        registry = mine._registry
        registry.get("ana")
        size = len(registry.get("ana"))
        question = chats[0].questions[0].question
        search = timed(lambda: mine.search(question, user_id="ana"), repeat)
        check = timed(lambda: registry.get("ana"), repeat)
        target = other.get_all(user_id="ana", limit=1)[0]
        applied = []
        for n in range(repeat // 4):
            other.update(target.id, f"{target.text} (edited {n})", user_id="ana")
            started = time.perf_counter()
            registry.get("ana")
            applied.append(time.perf_counter() - started)
        # The index holds the last edit's words (it keeps no texts, only their terms).
        index = registry.get("ana")
        assert str(repeat // 4 - 1) in index.lexical_terms(index.position[target.id])
    return {
        "memories": size,
        "search_ms": quantiles_ms(search),
        "check_ms": quantiles_ms(check),
        "apply_one_change_ms": quantiles_ms(applied),
    }


def searching_while_ingesting(
    chats: Sequence[LocomoConversation], directory: Path, seconds: float
) -> dict[str, Any]:
    settings = Settings(db_path=directory / "two-users.db", embedding_cache_path="")
    with Memory(settings=settings) as memory:
        memory.warm_up()
        ingest(memory, chats[1], "bob")
        questions = [q.question for q in chats[1].questions]

        def searches(stop: Callable[[], bool]) -> list[float]:
            out = []
            i = 0
            while not stop():
                started = time.perf_counter()
                memory.search(questions[i % len(questions)], user_id="bob")
                out.append(time.perf_counter() - started)
                i += 1
            return out

        until = time.monotonic() + seconds
        alone = searches(lambda: time.monotonic() > until)
        done = threading.Event()

        def writer() -> None:
            try:
                ingest(memory, chats[0], "ana")
            finally:
                done.set()

        thread = threading.Thread(target=writer)
        thread.start()
        during = searches(done.is_set)
        thread.join()
    return {
        "alone_ms": quantiles_ms(alone),
        "while_ingesting_ms": quantiles_ms(during),
        "searches": [len(alone), len(during)],
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--data", type=Path, default=DEFAULT_LOCOMO, help="locomo10.json")
    parser.add_argument("--conversations", type=int, default=2, help="scope of the feed figures")
    parser.add_argument("--repeat", type=int, default=2000)
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args(argv)
    env = environment()
    chats = list(load_locomo(args.data))
    with tempfile.TemporaryDirectory(prefix="kenning-bench-") as tmp:
        feed = feed_costs(chats[: args.conversations], Path(tmp), args.repeat)
        users = searching_while_ingesting(chats, Path(tmp), seconds=20.0)
    rows = [
        [
            "search (hash embedder), one scope",
            feed["search_ms"]["p50"],
            f"{feed['memories']} memories",
        ],
        ["feed check, nothing changed", feed["check_ms"]["p50"], "IndexRegistry.get"],
        [
            "apply one foreign change",
            feed["apply_one_change_ms"]["p50"],
            "update by another Memory",
        ],
        ["B's search alone (ONNX)", users["alone_ms"]["p50"], f"{users['searches'][0]} searches"],
        [
            "B's search while A ingests",
            users["while_ingesting_ms"]["p50"],
            f"{users['searches'][1]} searches",
        ],
    ]
    print_table(["figure", "p50 ms", "note"], rows)
    if args.json is not None:
        write_json(args.json, {"benchmark": "freshness", "environment": env, **feed, **users})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
