"""Several processes on one SQLite file: nothing lost, nothing derived twice, every index
follows the store, and a process killed at any point loses nothing it acknowledged.

Every test runs real processes (``python -c``) against a real file; the assertions read the
store afterwards, so they hold whatever the interleaving was.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from collections import Counter
from pathlib import Path

import pytest

from concurrency.cli_process import run_cli
from kenning import Memory, MemoryKind, MemoryStatus
from kenning.store import MemoryFilter
from kenning.testing import HashEmbedder

pytestmark = pytest.mark.slow

WRITERS = 8
MESSAGES = 250  # per writer: half into a session all writers share, half into their own
BATCH = 5  # messages per add: 50 adds per writer, interleaving with the others'

WRITER = """
import sys
from kenning import Memory
from kenning.testing import HashEmbedder
db, writer, count, batch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
def text(i):
    return f"writer {writer} says message {i} about garden {i % 7}"
with Memory(db, embedder=HashEmbedder()) as m:
    for first in range(0, count, 2 * batch):
        shared = range(first, min(first + 2 * batch, count), 2)
        own = range(first + 1, min(first + 2 * batch, count), 2)
        m.add([text(i) for i in shared], user_id="ana", session_id="shared")
        m.add([text(i) for i in own], user_id="ana", session_id=f"own-{writer}")
"""

READER = """
import os, sys, time
from kenning import Memory
from kenning.testing import HashEmbedder
db, stop = sys.argv[1], sys.argv[2]
parent, deadline = os.getppid(), time.monotonic() + 900
searches = 0
with Memory(db, embedder=HashEmbedder()) as m:
    # Until told to stop; bounded in time, and never outliving the test process.
    while not os.path.exists(stop) and os.getppid() == parent and time.monotonic() < deadline:
        m.search("message about garden 3", user_id="ana", limit=5)
        searches += 1
print(searches)
"""


def python(code: str, *args: object) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code), *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def assert_derived_once(memory: Memory, user: str) -> None:
    """Every episode is processed, has exactly one turn memory, and sits in exactly one
    active session memory, which holds exactly its session's messages."""
    store = memory.store
    episodes = store.list_episodes(user)
    assert store.pending_episodes(user) == []
    memories = store.list_memories(MemoryFilter(user, statuses=None))
    turns = Counter(e for m in memories if m.kind is MemoryKind.TURN for e in m.episode_ids)
    assert set(turns) == {e.id for e in episodes}
    assert max(turns.values()) == 1, "a message was derived twice"
    sessions = [
        m for m in memories if m.kind is MemoryKind.SESSION and m.status is MemoryStatus.ACTIVE
    ]
    by_session: dict[str | None, set[str]] = {}
    for episode in episodes:
        by_session.setdefault(episode.session_id, set()).add(episode.id)
    assert sorted(s.session_id or "" for s in sessions) == sorted(s or "" for s in by_session), (
        "a session has several session memories"
    )
    for session in sessions:
        assert len(session.episode_ids) == len(set(session.episode_ids))
        assert set(session.episode_ids) == by_session[session.session_id]
        assert len(session.text.splitlines()) == len(session.episode_ids)


def test_eight_writers_and_two_readers_lose_and_duplicate_nothing(tmp_path: Path) -> None:
    db = tmp_path / "shared.db"
    Memory(db, embedder=HashEmbedder()).close()  # create the schema once
    stop = tmp_path / "stop"
    readers = [python(READER, db, stop) for _ in range(2)]
    writers = [python(WRITER, db, w, MESSAGES, BATCH) for w in range(WRITERS)]
    try:
        for process in writers:
            _, err = process.communicate(timeout=600)
            assert process.returncode == 0, err
        stop.touch()
        for process in readers:
            out, err = process.communicate(timeout=120)
            assert process.returncode == 0, err
            assert int(out) > 0  # it searched, without an error, while the writers wrote
    finally:
        stop.touch()
        for process in readers + writers:
            if process.poll() is None:
                process.kill()
                process.communicate()
    with Memory(db, embedder=HashEmbedder()) as memory:
        episodes = memory.store.list_episodes("ana")
        assert len(episodes) == WRITERS * MESSAGES
        expected = {
            f"writer {w} says message {i} about garden {i % 7}"
            for w in range(WRITERS)
            for i in range(MESSAGES)
        }
        assert Counter(e.content for e in episodes) == Counter(expected)
        assert_derived_once(memory, "ana")
        # The index of a fresh process sees every message.
        hits = memory.search("writer 5 says message 17 about garden 3", user_id="ana", limit=3)
        assert hits[0].memory.text == "writer 5 says message 17 about garden 3"


KILLED = """
import sys
from kenning import Memory
from kenning.testing import HashEmbedder
db, start, acks = sys.argv[1], int(sys.argv[2]), sys.argv[3]
with Memory(db, embedder=HashEmbedder()) as m, open(acks, "a") as out:
    i = start
    while True:
        m.add(f"note number {i}", user_id="ana", session_id=f"s{i // 10}")
        out.write(f"{i}\\n")  # acknowledged: add returned
        out.flush()
        i += 1
"""


def test_a_writer_killed_at_random_points_loses_nothing_acknowledged(tmp_path: Path) -> None:
    db = tmp_path / "killed.db"
    Memory(db, embedder=HashEmbedder()).close()
    rng = random.Random(20261207)
    acks = tmp_path / "acks.txt"
    acks.touch()
    start = 0
    for _ in range(20):
        before = len(acks.read_text().split())
        writer = python(KILLED, db, start, acks)
        # Once it has acknowledged a message, let it go on a random while, then kill it
        # wherever it is.
        deadline = time.monotonic() + 60
        while len(acks.read_text().split()) == before:
            assert writer.poll() is None, writer.communicate()[1]
            assert time.monotonic() < deadline, "the writer acknowledged nothing in 60 s"
            time.sleep(0.01)
        time.sleep(rng.uniform(0.0, 0.25))
        os.kill(writer.pid, signal.SIGKILL)
        writer.communicate(timeout=30)
        # A gap: the message in flight at the kill may or may not have been stored.
        start = max(int(line) for line in acks.read_text().split()) + 2
    acknowledged = {int(line) for line in acks.read_text().split()}
    recovery = python(
        """
        import sys
        from kenning import Memory
        from kenning.testing import HashEmbedder
        with Memory(sys.argv[1], embedder=HashEmbedder()) as m:
            print(len(m.process_pending()))
        """,
        db,
    )
    _, err = recovery.communicate(timeout=120)
    assert recovery.returncode == 0, err
    with Memory(db, embedder=HashEmbedder()) as memory:
        stored = Counter(e.content for e in memory.store.list_episodes("ana"))
        assert max(stored.values()) == 1
        for i in acknowledged:
            assert stored[f"note number {i}"] == 1, f"acknowledged message {i} is missing"
        numbers = sorted(int(content.rsplit(" ", 1)[1]) for content in stored)
        unacknowledged = [i for i in numbers if i not in acknowledged]
        assert len(unacknowledged) <= 20, unacknowledged  # at most the one in flight per kill
        assert_derived_once(memory, "ana")


def test_kenning_recover_derives_what_a_failed_add_left_pending(tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    with Memory(db, embedder=HashEmbedder()) as memory:
        # As a crashed add leaves them: stored, claimed by a process that no longer runs.
        from kenning.models import Episode
        from kenning.store import Claim

        dead = subprocess.run(
            [sys.executable, "-c", "import os; print(os.getpid())"],
            capture_output=True,
            text=True,
            check=True,
        )
        owner = f"{__import__('socket').gethostname()}:{int(dead.stdout)}:gone"
        from datetime import UTC, datetime, timedelta

        now = datetime.now(UTC)
        memory.store.put_episodes(
            [
                Episode(
                    id=f"e{i}",
                    user_id="ana",
                    role="user",
                    content=f"pending {i}",
                    created_at=now,
                    idempotency_key=f"k{i}",
                    session_id="s",
                )
                for i in range(3)
            ],
            claim=Claim(owner, now + timedelta(minutes=10)),
        )
    recovered = run_cli(db, "recover", "--json")
    assert {m["kind"] for m in recovered} == {"turn", "session"}
    with Memory(db, embedder=HashEmbedder()) as memory:
        assert_derived_once(memory, "ana")
