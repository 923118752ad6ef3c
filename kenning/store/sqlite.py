"""The embedded backend: one SQLite file in WAL mode.

Every public write runs in a transaction (``BEGIN IMMEDIATE``; nested ``atomic``
blocks become savepoints). ``synchronous=FULL`` so an acknowledged write survives
a power cut, not just a process crash.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

from kenning.errors import ClaimLost, StaleWrite, StoreError
from kenning.models import (
    ApiKey,
    Entity,
    Episode,
    HistoryAction,
    HistoryEntry,
    IndexKey,
    KeyKind,
    Link,
    LinkType,
    LLMCall,
    LLMUsage,
    MemoryItem,
    MemoryKind,
    MemoryStatus,
    Stats,
)
from kenning.store._codec import decode_json, decode_time, encode_json, encode_time
from kenning.store._migrations import MIGRATIONS
from kenning.store.base import (
    Claim,
    FeedChanges,
    HistoryRecord,
    MemoryFilter,
    Store,
    StoredMemory,
)

log = logging.getLogger(__name__)

_MEMORY_COLUMNS = (
    "id, user_id, agent_id, session_id, kind, text, event_time, valid_from, valid_to, "
    "created_at, updated_at, expired_at, status, importance, strength, last_accessed, "
    "access_count, version, metadata, speaker, subject, predicate, object, slot, pinned, "
    "expires_at"
)
_EPISODE_COLUMNS = (
    "id, user_id, agent_id, session_id, seq, role, name, content, timestamp, created_at, "
    "idempotency_key, metadata"
)
# Where the owner and the status sit in a row of _MEMORY_COLUMNS / _EPISODE_COLUMNS.
_MEMORY_USER = _MEMORY_COLUMNS.split(", ").index("user_id")
_MEMORY_STATUS = _MEMORY_COLUMNS.split(", ").index("status")
_EPISODE_USER = _EPISODE_COLUMNS.split(", ").index("user_id")
_MEMORY_ASSIGNMENTS = ", ".join(f"{c.strip()} = ?" for c in _MEMORY_COLUMNS.split(",")[1:])
_KEY_COLUMNS = "id, name, hash, users, admin, created_at, revoked_at, last_used_at"
# When a memory starts (see Store.slot_versions), as indexed by memories_by_slot_start.
_START = "coalesce(valid_from, event_time, created_at)"
# SQLite's default limit on bound parameters is 32766; stay far below it.
_CHUNK = 500


def _chunks(values: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


class _WriterQueue:
    """Processes that write one SQLite file take turns on an advisory file lock first.

    SQLite's own busy handler polls with growing sleeps, so under many writers one can
    starve past any timeout (8 writer processes on 2 cores: "database is locked" after 10 s).
    A blocking ``flock`` wakes a waiter as soon as the lock is free. The lock file sits
    beside the database; without ``fcntl`` (Windows) SQLite's busy handler alone decides.
    """

    def __init__(self, path: str | None) -> None:
        self._fd: int | None = None
        if path is not None and fcntl is not None:
            self._fd = os.open(Path(path).expanduser(), os.O_RDWR | os.O_CREAT, 0o600)

    @contextmanager
    def turn(self) -> Iterator[None]:
        if self._fd is None or fcntl is None:
            yield
            return
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


class SQLiteStore(Store):
    """:class:`Store` on a single SQLite file (``":memory:"`` for a private in-memory one)."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).expanduser().parent.mkdir(parents=True, exist_ok=True)
        try:
            self._conn = sqlite3.connect(
                Path(self.path).expanduser() if self.path != ":memory:" else ":memory:",
                isolation_level=None,
                check_same_thread=False,
            )
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open SQLite database {self.path!r}: {exc}") from exc
        self._lock = threading.RLock()
        self._depth = 0
        # Set by an erase; the outermost commit then checkpoints the write-ahead log.
        self._checkpoint_due = False
        self._writers = _WriterQueue(None if self.path == ":memory:" else self.path + "-writers")
        self._conn.execute("PRAGMA foreign_keys = ON")
        self._conn.execute("PRAGMA busy_timeout = 60000")
        if self.path != ":memory:":
            self._conn.execute("PRAGMA journal_mode = WAL")
        self._conn.execute("PRAGMA synchronous = FULL")
        self._conn.execute("PRAGMA cache_size = -65536")
        # Erased rows are overwritten with zeros, so a hard forget leaves no readable text.
        self._conn.execute("PRAGMA secure_delete = ON")
        self._migrate()

    # -- plumbing ------------------------------------------------------------------
    def _migrate(self) -> None:
        with self.atomic():
            self._conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
            )
            done = {row[0] for row in self._conn.execute("SELECT version FROM schema_migrations")}
        for migration in MIGRATIONS:
            if migration.version in done:
                continue
            with self.atomic():
                for statement in migration.statements:
                    self._conn.execute(statement)
                self._conn.execute(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                    (migration.version, migration.name, encode_time(datetime.now(UTC))),
                )
            log.info("applied migration %s_%s to %s", migration.version, migration.name, self.path)

    @property
    def schema_version(self) -> int:
        row = self._query_one("SELECT MAX(version) FROM schema_migrations")
        return int(row[0]) if row and row[0] is not None else 0

    @contextmanager
    def atomic(self) -> Iterator[None]:
        with self._lock:
            if self._depth == 0:
                with self._writers.turn():
                    yield from self._transaction()
            else:
                yield from self._transaction()

    def _transaction(self) -> Iterator[None]:
        depth = self._depth
        name = f"sp_{depth}"
        try:
            self._conn.execute("BEGIN IMMEDIATE" if depth == 0 else f"SAVEPOINT {name}")
        except sqlite3.Error as exc:
            raise StoreError(f"cannot start a transaction on {self.path!r}: {exc}") from exc
        self._depth += 1
        try:
            yield
        except BaseException:
            self._depth -= 1
            if depth == 0:
                self._checkpoint_due = False
                self._conn.execute("ROLLBACK")
            else:
                self._conn.execute(f"ROLLBACK TO {name}")
                self._conn.execute(f"RELEASE {name}")
            raise
        self._depth -= 1
        try:
            self._conn.execute("COMMIT" if depth == 0 else f"RELEASE {name}")
        except sqlite3.Error as exc:
            if depth == 0:
                self._checkpoint_due = False
                self._conn.execute("ROLLBACK")
            raise StoreError(f"commit failed on {self.path!r}: {exc}") from exc
        if depth == 0 and self._checkpoint_due:
            self._checkpoint_due = False
            # The write-ahead log still holds the erased pages until it is checkpointed.
            self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def _execute(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        try:
            return self._conn.execute(sql, params)
        except sqlite3.Error as exc:
            raise StoreError(f"{exc} (in: {sql.split('(')[0].strip()[:60]})") from exc

    def _executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        try:
            self._conn.executemany(sql, rows)
        except sqlite3.Error as exc:
            raise StoreError(f"{exc} (in: {sql.split('(')[0].strip()[:60]})") from exc

    def _query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._execute(sql, params).fetchall()

    def _query_one(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        with self._lock:
            row: tuple[Any, ...] | None = self._execute(sql, params).fetchone()
            return row

    def close(self) -> None:
        with self._lock:
            self._conn.close()
            self._writers.close()

    # -- episodes ------------------------------------------------------------------
    def _ensure_scopes(self, user_ids: Iterable[str], now: str) -> None:
        self._executemany(
            "INSERT OR IGNORE INTO scopes (user_id, created_at) VALUES (?, ?)",
            [(user_id, now) for user_id in set(user_ids)],
        )

    def put_episodes(
        self, episodes: Sequence[Episode], *, claim: Claim | None = None
    ) -> list[Episode]:
        if not episodes:
            return []
        now = encode_time(datetime.now(UTC))
        owner, until = (claim.owner, encode_time(claim.until)) if claim else (None, None)
        stored: list[Episode] = []
        with self.atomic():
            self._ensure_scopes((e.user_id for e in episodes), now or "")
            for episode in episodes:
                row = self._execute(
                    f"SELECT {_EPISODE_COLUMNS} FROM episodes WHERE user_id = ? AND idempotency_key = ?",
                    (episode.user_id, episode.idempotency_key),
                ).fetchone()
                if row is not None:
                    stored.append(_episode(row))
                    continue
                seq_row = self._execute(
                    "UPDATE scopes SET next_seq = next_seq + 1 WHERE user_id = ? RETURNING next_seq",
                    (episode.user_id,),
                ).fetchone()
                seq = int(seq_row[0])
                self._execute(
                    f"INSERT INTO episodes ({_EPISODE_COLUMNS}, claimed_by, claim_expires) "
                    "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (
                        episode.id,
                        episode.user_id,
                        episode.agent_id,
                        episode.session_id,
                        seq,
                        episode.role,
                        episode.name,
                        episode.content,
                        encode_time(episode.timestamp),
                        encode_time(episode.created_at),
                        episode.idempotency_key,
                        encode_json(episode.metadata),
                        owner,
                        until,
                    ),
                )
                stored.append(replace(episode, seq=seq))
        return stored

    def get_episodes(self, user_id: str, episode_ids: Sequence[str]) -> list[Episode]:
        found: dict[str, Episode] = {}
        for chunk in _chunks(list(episode_ids)):
            marks = ",".join("?" * len(chunk))
            # By id alone, the owner checked here: with a user condition beside a long IN
            # list SQLite's planner walks the user's whole index instead.
            for row in self._query(
                f"SELECT {_EPISODE_COLUMNS} FROM episodes WHERE id IN ({marks})", chunk
            ):
                if row[_EPISODE_USER] == user_id:
                    found[row[0]] = _episode(row)
        return [found[i] for i in episode_ids if i in found]

    def list_episodes(
        self,
        user_id: str,
        *,
        session_id: str | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[Episode]:
        sql = f"SELECT {_EPISODE_COLUMNS} FROM episodes WHERE user_id = ?"
        params: list[Any] = [user_id]
        if session_id is not None:
            sql += " AND session_id = ?"
            params.append(session_id)
        sql += " ORDER BY seq LIMIT ? OFFSET ?"
        params += [-1 if limit is None else limit, offset]
        return [_episode(row) for row in self._query(sql, params)]

    def last_episode(self, user_id: str, session_id: str | None, before_seq: int) -> Episode | None:
        row = self._query_one(
            f"SELECT {_EPISODE_COLUMNS} FROM episodes WHERE user_id = ? AND session_id IS ? "
            "AND seq < ? ORDER BY seq DESC LIMIT 1",
            (user_id, session_id, before_seq),
        )
        return _episode(row) if row else None

    def recent_episodes(self, user_id: str, session_id: str | None, limit: int) -> list[Episode]:
        rows = self._query(
            f"SELECT {_EPISODE_COLUMNS} FROM episodes WHERE user_id = ? AND session_id IS ? "
            "ORDER BY seq DESC LIMIT ?",
            (user_id, session_id, limit),
        )
        return [_episode(row) for row in reversed(rows)]

    def pending_episodes(self, user_id: str | None = None) -> list[Episode]:
        sql = f"SELECT {_EPISODE_COLUMNS} FROM episodes WHERE processed_at IS NULL"
        params: tuple[Any, ...] = ()
        if user_id is not None:
            sql += " AND user_id = ?"
            params = (user_id,)
        return [_episode(row) for row in self._query(sql + " ORDER BY user_id, seq", params)]

    def pending_claims(
        self, user_id: str | None = None
    ) -> list[tuple[str | None, datetime | None]]:
        sql = "SELECT DISTINCT claimed_by, claim_expires FROM episodes WHERE processed_at IS NULL"
        params: tuple[Any, ...] = ()
        if user_id is not None:
            sql += " AND user_id = ?"
            params = (user_id,)
        return sorted(
            ((row[0], decode_time(row[1])) for row in self._query(sql, params)),
            key=lambda claim: (claim[0] or "", claim[1] or datetime.min.replace(tzinfo=UTC)),
        )

    def release_claims(self, episode_ids: Sequence[str], owner: str) -> None:
        with self.atomic():
            for chunk in _chunks(list(episode_ids)):
                marks = ",".join("?" * len(chunk))
                self._execute(
                    "UPDATE episodes SET claimed_by = NULL, claim_expires = NULL "
                    f"WHERE id IN ({marks}) AND claimed_by = ? AND processed_at IS NULL",
                    (*chunk, owner),
                )

    def claim_pending(
        self,
        claim: Claim,
        now: datetime,
        *,
        user_id: str | None = None,
        dead_owners: Sequence[str] = (),
    ) -> list[Episode]:
        dead = list(dead_owners)
        free = "claimed_by IS NULL OR claim_expires < ?"
        if dead:
            free += f" OR claimed_by IN ({','.join('?' * len(dead))})"
        sql = (
            "UPDATE episodes SET claimed_by = ?, claim_expires = ? "
            f"WHERE processed_at IS NULL AND ({free})"
        )
        params: list[Any] = [claim.owner, encode_time(claim.until), encode_time(now), *dead]
        if user_id is not None:
            sql += " AND user_id = ?"
            params.append(user_id)
        with self.atomic():  # BEGIN IMMEDIATE: no other writer between the check and the set
            rows = self._execute(sql + f" RETURNING {_EPISODE_COLUMNS}", params).fetchall()
        return sorted((_episode(row) for row in rows), key=lambda e: (e.user_id, e.seq))

    def mark_processed(
        self, episode_ids: Sequence[str], at: datetime, *, owner: str | None = None
    ) -> None:
        stamp = encode_time(at)
        with self.atomic():
            for chunk in _chunks(list(episode_ids)):
                marks = ",".join("?" * len(chunk))
                if owner is None:
                    self._execute(
                        f"UPDATE episodes SET processed_at = ? WHERE id IN ({marks})",
                        (stamp, *chunk),
                    )
                    continue
                cursor = self._execute(
                    f"UPDATE episodes SET processed_at = ? WHERE id IN ({marks}) "
                    "AND processed_at IS NULL AND claimed_by = ?",
                    (stamp, *chunk, owner),
                )
                if cursor.rowcount != len(chunk):
                    raise ClaimLost(
                        f"{len(chunk) - cursor.rowcount} of {len(chunk)} episodes are no "
                        f"longer claimed by {owner} (another process derived them)"
                    )

    # -- memories ------------------------------------------------------------------
    @staticmethod
    def _memory_values(item: MemoryItem) -> tuple[Any, ...]:
        return (
            item.id,
            item.user_id,
            item.agent_id,
            item.session_id,
            item.kind.value,
            item.text,
            encode_time(item.event_time),
            encode_time(item.valid_from),
            encode_time(item.valid_to),
            encode_time(item.created_at),
            encode_time(item.updated_at),
            encode_time(item.expired_at),
            item.status.value,
            item.importance,
            item.strength,
            encode_time(item.last_accessed),
            item.access_count,
            item.version,
            encode_json(item.metadata),
            item.speaker,
            item.subject,
            item.predicate,
            item.object,
            item.slot,
            int(item.pinned),
            encode_time(item.expires_at),
        )

    def _update_fields(self, item: MemoryItem) -> None:
        """Overwrite a row with ``item``, which must be the version after the stored one."""
        values = self._memory_values(item)
        cursor = self._execute(
            f"UPDATE memories SET {_MEMORY_ASSIGNMENTS} WHERE id = ? AND version = ?",
            (*values[1:], item.id, item.version - 1),
        )
        if cursor.rowcount == 1:
            return
        row = self._execute("SELECT version FROM memories WHERE id = ?", (item.id,)).fetchone()
        if row is None:
            raise StoreError(f"memory {item.id!r} does not exist")
        raise StaleWrite(
            f"memory {item.id!r} is at version {row[0]}, not {item.version - 1}: "
            "it changed since it was read"
        )

    def _note_changes(
        self, changed: Iterable[tuple[str, str]], *, keys: bool = False, erased: bool = False
    ) -> None:
        """Advance the feed of each user once and record their (user, memory) changes;
        ``keys``: the memories' keys changed too (see the ``changes`` table)."""
        by_user: dict[str, dict[str, None]] = {}
        for user_id, memory_id in changed:
            by_user.setdefault(user_id, {})[memory_id] = None
        for user_id, memory_ids in by_user.items():
            row = self._execute(
                "UPDATE scopes SET feed_head = feed_head + 1 WHERE user_id = ? RETURNING feed_head",
                (user_id,),
            ).fetchone()
            if row is None:
                raise StoreError(f"no scope for user {user_id!r}")
            seq = row[0]
            keys_seq = seq if keys or erased else 0
            self._executemany(
                "INSERT INTO changes (user_id, memory_id, seq, keys_seq, erased) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (user_id, memory_id) DO UPDATE SET "
                "seq = excluded.seq, keys_seq = MAX(keys_seq, excluded.keys_seq), "
                "erased = excluded.erased",
                [(user_id, memory_id, seq, keys_seq, int(erased)) for memory_id in memory_ids],
            )

    def _write_memory_rows(self, memory: StoredMemory, *, existing: bool) -> None:
        item = memory.item
        if existing:
            self._update_fields(item)
            self._execute("DELETE FROM memory_keys WHERE memory_id = ?", (item.id,))
            self._execute("DELETE FROM memory_episodes WHERE memory_id = ?", (item.id,))
        else:
            values = self._memory_values(item)
            self._execute(
                f"INSERT INTO memories ({_MEMORY_COLUMNS}) VALUES ({','.join('?' * len(values))})",
                values,
            )
        self._executemany(
            "INSERT INTO memory_episodes (memory_id, episode_id, position) VALUES (?, ?, ?)",
            [(item.id, episode_id, pos) for pos, episode_id in enumerate(item.episode_ids)],
        )
        self._executemany(
            "INSERT INTO memory_keys (memory_id, position, kind, text, model_id, vector) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [
                (item.id, pos, key.kind.value, key.text, memory.model_id, key.vector)
                for pos, key in enumerate(memory.keys)
            ],
        )

    def put_memories(self, memories: Sequence[StoredMemory]) -> None:
        if not memories:
            return
        now = encode_time(datetime.now(UTC)) or ""
        with self.atomic():
            self._ensure_scopes((m.item.user_id for m in memories), now)
            for memory in memories:
                self._write_memory_rows(memory, existing=False)
            self._note_changes(((m.item.user_id, m.item.id) for m in memories), keys=True)

    def replace_memory(self, memory: StoredMemory) -> None:
        with self.atomic():
            self._write_memory_rows(memory, existing=True)
            self._note_changes([(memory.item.user_id, memory.item.id)], keys=True)

    def _load_items(self, rows: list[tuple[Any, ...]]) -> list[MemoryItem]:
        if not rows:
            return []
        ids = [row[0] for row in rows]
        episodes: dict[str, list[str]] = {i: [] for i in ids}
        for chunk in _chunks(ids):
            marks = ",".join("?" * len(chunk))
            for memory_id, episode_id in self._query(
                f"SELECT memory_id, episode_id FROM memory_episodes WHERE memory_id IN ({marks}) "
                "ORDER BY memory_id, position",
                chunk,
            ):
                episodes[memory_id].append(episode_id)
        return [_memory(row, tuple(episodes[row[0]])) for row in rows]

    def get_memories(self, memory_ids: Sequence[str]) -> list[MemoryItem]:
        rows: dict[str, tuple[Any, ...]] = {}
        for chunk in _chunks(list(memory_ids)):
            marks = ",".join("?" * len(chunk))
            for row in self._query(
                f"SELECT {_MEMORY_COLUMNS} FROM memories WHERE id IN ({marks})", chunk
            ):
                rows[row[0]] = row
        ordered = [rows[i] for i in memory_ids if i in rows]
        return self._load_items(ordered)

    @staticmethod
    def _where(where: MemoryFilter) -> tuple[str, list[Any]]:
        clauses = ["user_id = ?"]
        params: list[Any] = [where.user_id]
        if where.kinds is not None:
            clauses.append(f"kind IN ({','.join('?' * len(where.kinds))})")
            params += [k.value for k in where.kinds]
        if where.statuses is not None:
            clauses.append(f"status IN ({','.join('?' * len(where.statuses))})")
            params += [s.value for s in where.statuses]
        if where.session_id is not None:
            clauses.append("session_id = ?")
            params.append(where.session_id)
        if where.agent_id is not None:
            clauses.append("agent_id = ?")
            params.append(where.agent_id)
        if where.start is not None:
            clauses.append("event_time >= ?")
            params.append(encode_time(where.start))
        if where.end is not None:
            clauses.append("event_time < ?")
            params.append(encode_time(where.end))
        return " AND ".join(clauses), params

    def list_memories(
        self, where: MemoryFilter, *, limit: int | None = None, offset: int = 0
    ) -> list[MemoryItem]:
        clause, params = self._where(where)
        rows = self._query(
            f"SELECT {_MEMORY_COLUMNS} FROM memories WHERE {clause} "
            "ORDER BY event_time IS NULL, event_time, created_at, rowid LIMIT ? OFFSET ?",
            [*params, -1 if limit is None else limit, offset],
        )
        return self._load_items(rows)

    def count_memories(self, where: MemoryFilter) -> int:
        clause, params = self._where(where)
        row = self._query_one(f"SELECT COUNT(*) FROM memories WHERE {clause}", params)
        return int(row[0]) if row else 0

    def _keys_of(self, memory_ids: Sequence[str]) -> dict[str, tuple[list[IndexKey], str | None]]:
        keys: dict[str, tuple[list[IndexKey], str | None]] = {}
        for chunk in _chunks(list(memory_ids)):
            marks = ",".join("?" * len(chunk))
            for memory_id, kind, text, model_id, vector in self._query(
                "SELECT memory_id, kind, text, model_id, vector FROM memory_keys "
                f"WHERE memory_id IN ({marks}) ORDER BY memory_id, position",
                chunk,
            ):
                entry = keys.setdefault(memory_id, ([], model_id))
                entry[0].append(IndexKey(text=text, kind=KeyKind(kind), vector=vector))
        return keys

    def find_session_memory(self, user_id: str, session_id: str | None) -> StoredMemory | None:
        row = self._query_one(
            f"SELECT {_MEMORY_COLUMNS} FROM memories WHERE user_id = ? AND session_id IS ? "
            "AND kind = ? AND status = ? LIMIT 1",
            (user_id, session_id, MemoryKind.SESSION.value, MemoryStatus.ACTIVE.value),
        )
        if row is None:
            return None
        item = self._load_items([row])[0]
        keys, model_id = self._keys_of([item.id]).get(item.id, ([], None))
        return StoredMemory(item=item, keys=tuple(keys), model_id=model_id)

    def iter_indexable(self, user_id: str) -> Iterator[StoredMemory]:
        rows = self._query(
            f"SELECT {_MEMORY_COLUMNS} FROM memories WHERE user_id = ? AND status != ? "
            "ORDER BY rowid",
            (user_id, MemoryStatus.DELETED.value),
        )
        for start in range(0, len(rows), _CHUNK):
            yield from self._with_keys(rows[start : start + _CHUNK])

    def _with_keys(self, rows: list[tuple[Any, ...]]) -> list[StoredMemory]:
        items = self._load_items(rows)
        keys = self._keys_of([item.id for item in items])
        out = []
        for item in items:
            item_keys, model_id = keys.get(item.id, ([], None))
            out.append(StoredMemory(item=item, keys=tuple(item_keys), model_id=model_id))
        return out

    def indexable_memories(self, user_id: str, memory_ids: Sequence[str]) -> list[StoredMemory]:
        out: list[StoredMemory] = []
        for chunk in _chunks(list(memory_ids)):
            marks = ",".join("?" * len(chunk))
            # By id alone, owner and status checked here (see get_episodes).
            rows = self._query(
                f"SELECT {_MEMORY_COLUMNS} FROM memories WHERE id IN ({marks}) ORDER BY rowid",
                chunk,
            )
            out += self._with_keys(
                [
                    r
                    for r in rows
                    if r[_MEMORY_USER] == user_id
                    and r[_MEMORY_STATUS] != MemoryStatus.DELETED.value
                ]
            )
        return out

    # -- the change feed -------------------------------------------------------------
    def feed_head(self, user_id: str) -> int:
        row = self._query_one("SELECT feed_head FROM scopes WHERE user_id = ?", (user_id,))
        return int(row[0]) if row else 0

    def changes_since(self, user_id: str, after: int) -> FeedChanges:
        # One statement, so the head and the changes come from one snapshot.
        rows = self._query(
            "SELECT s.feed_head, c.memory_id, c.keys_seq > ?, c.erased FROM scopes s "
            "LEFT JOIN changes c ON c.user_id = s.user_id AND c.seq > ? WHERE s.user_id = ?",
            (after, after, user_id),
        )
        if not rows:
            return FeedChanges(head=0)
        found = [r for r in rows if r[1] is not None]
        return FeedChanges(
            head=int(rows[0][0]),
            changed=tuple(r[1] for r in found if r[2] and not r[3]),
            touched=tuple(r[1] for r in found if not r[2] and not r[3]),
            erased=tuple(r[1] for r in found if r[3]),
        )

    def episode_vectors(
        self, user_id: str, episode_ids: Sequence[str], model_id: str
    ) -> dict[str, bytes]:
        found: dict[str, bytes] = {}
        for chunk in _chunks(list(episode_ids)):
            marks = ",".join("?" * len(chunk))
            for episode_id, vector in self._query(
                # CROSS JOIN fixes the join order (episodes first, by their index): left to
                # itself SQLite's planner scans the user's every turn, which grows with the scope.
                "SELECT me.episode_id, k.vector FROM memory_episodes me "
                "CROSS JOIN memories m CROSS JOIN memory_keys k "
                f"WHERE me.episode_id IN ({marks}) AND m.id = me.memory_id "
                "AND k.memory_id = m.id AND k.position = 0 AND m.user_id = ? AND m.kind IN (?, ?) "
                "AND k.model_id = ? AND k.vector IS NOT NULL",
                (*chunk, user_id, MemoryKind.TURN.value, MemoryKind.DOCUMENT.value, model_id),
            ):
                found[episode_id] = vector
        return found

    def update_items(self, items: Sequence[MemoryItem]) -> None:
        if not items:
            return
        with self.atomic():
            for item in items:
                self._update_fields(item)
            self._note_changes((item.user_id, item.id) for item in items)

    def slot_versions(
        self, user_id: str, slot: str, *, since: datetime | None = None
    ) -> list[MemoryItem]:
        where = "WHERE user_id = ? AND slot = ? AND status != ?"
        params: tuple[Any, ...] = (user_id, slot, MemoryStatus.DELETED.value)
        if since is not None:
            # A slot's history grows for years: only the versions from the one in effect at
            # ``since`` on are read, a range of the memories_by_slot_start index.
            anchor = self._query_one(
                f"SELECT {_START} FROM memories {where} AND {_START} <= ? "
                f"ORDER BY {_START} DESC LIMIT 1",
                (*params, encode_time(since)),
            )
            if anchor is not None:
                where += f" AND {_START} >= ?"
                params += (anchor[0],)
        rows = self._query(
            f"SELECT {_MEMORY_COLUMNS} FROM memories {where} "
            "ORDER BY valid_from IS NOT NULL, valid_from, created_at, rowid",
            params,
        )
        return self._load_items(rows)

    def memories_of_episodes(self, user_id: str, episode_ids: Sequence[str]) -> list[MemoryItem]:
        rows: dict[str, tuple[Any, ...]] = {}
        for chunk in _chunks(list(episode_ids)):
            marks = ",".join("?" * len(chunk))
            for row in self._query(
                f"SELECT {_MEMORY_COLUMNS} FROM memories WHERE user_id = ? AND id IN ("
                f"SELECT memory_id FROM memory_episodes WHERE episode_id IN ({marks})) "
                "ORDER BY rowid",
                (user_id, *chunk),
            ):
                rows[row[0]] = row
        return self._load_items(list(rows.values()))

    def delete_episodes(self, user_id: str, episode_ids: Sequence[str]) -> int:
        with self.atomic():
            doomed = [m.id for m in self.memories_of_episodes(user_id, episode_ids)]
            for chunk in _chunks(doomed):
                marks = ",".join("?" * len(chunk))
                self._execute(f"DELETE FROM history WHERE memory_id IN ({marks})", chunk)
                # Keys, provenance rows, mentions and links go with the memory (ON DELETE CASCADE).
                self._execute(f"DELETE FROM memories WHERE id IN ({marks})", chunk)
            for chunk in _chunks(list(episode_ids)):
                marks = ",".join("?" * len(chunk))
                self._execute(
                    f"DELETE FROM episodes WHERE user_id = ? AND id IN ({marks})", (user_id, *chunk)
                )
            self._execute(
                "DELETE FROM entities WHERE user_id = ? AND NOT EXISTS "
                "(SELECT 1 FROM mentions WHERE mentions.entity_id = entities.id)",
                (user_id,),
            )
            self._note_changes(((user_id, memory_id) for memory_id in doomed), erased=True)
            self._checkpoint_due = self.path != ":memory:"
        return len(doomed)

    def record_access(
        self, counts: Mapping[str, int], at: datetime, *, strength_gain: float = 0.0
    ) -> None:
        stamp = encode_time(at)
        with self.atomic():
            self._executemany(
                "UPDATE memories SET access_count = access_count + ?, last_accessed = ?, "
                "strength = strength + ? WHERE id = ?",
                [(n, stamp, n * strength_gain, memory_id) for memory_id, n in counts.items()],
            )
            owners: list[tuple[str, str]] = []
            for chunk in _chunks(list(counts)):
                marks = ",".join("?" * len(chunk))
                owners += self._execute(
                    f"SELECT user_id, id FROM memories WHERE id IN ({marks})", chunk
                ).fetchall()
            self._note_changes(owners)

    # -- LLM usage -----------------------------------------------------------------
    def put_llm_calls(self, user_id: str | None, calls: Sequence[LLMCall]) -> None:
        with self.atomic():
            self._executemany(
                "INSERT INTO llm_calls (user_id, purpose, model, started_at, duration_ms, "
                "prompt_tokens, completion_tokens, cost, ok, attempts, error) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        user_id,
                        c.purpose,
                        c.model,
                        encode_time(c.started_at),
                        c.duration_ms,
                        c.prompt_tokens,
                        c.completion_tokens,
                        c.cost,
                        int(c.ok),
                        c.attempts,
                        c.error,
                    )
                    for c in calls
                ],
            )

    def _llm_usage(self, user_id: str | None) -> LLMUsage:
        sql = (
            "SELECT COUNT(*), COALESCE(SUM(1 - ok), 0), COALESCE(SUM(prompt_tokens), 0), "
            "COALESCE(SUM(completion_tokens), 0), COALESCE(SUM(cost), 0.0) FROM llm_calls"
        )
        row = (
            self._query_one(sql)
            if user_id is None
            else self._query_one(sql + " WHERE user_id = ?", (user_id,))
        )
        if row is None:
            return LLMUsage()
        return LLMUsage(
            calls=int(row[0]),
            failed=int(row[1]),
            prompt_tokens=int(row[2]),
            completion_tokens=int(row[3]),
            cost=float(row[4]),
        )

    # -- entities and links --------------------------------------------------------
    def put_entities(self, entities: Sequence[Entity]) -> None:
        now = encode_time(datetime.now(UTC)) or ""
        with self.atomic():
            self._ensure_scopes((e.user_id for e in entities), now)
            self._executemany(
                "INSERT INTO entities (id, user_id, name, aliases, kind) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET name = excluded.name, aliases = excluded.aliases, "
                "kind = excluded.kind",
                [(e.id, e.user_id, e.name, json.dumps(list(e.aliases)), e.kind) for e in entities],
            )

    def put_mentions(self, mentions: Iterable[tuple[str, str]]) -> None:
        with self.atomic():
            self._executemany(
                "INSERT OR IGNORE INTO mentions (memory_id, entity_id) VALUES (?, ?)",
                list(mentions),
            )

    def put_links(self, links: Sequence[Link]) -> None:
        with self.atomic():
            self._executemany(
                "INSERT OR IGNORE INTO links (source_id, target_id, type, weight) VALUES (?, ?, ?, ?)",
                [(link.source_id, link.target_id, link.type.value, link.weight) for link in links],
            )

    def links_of(self, memory_id: str) -> list[Link]:
        rows = self._query(
            "SELECT source_id, target_id, type, weight FROM links WHERE source_id = ? OR target_id = ?",
            (memory_id, memory_id),
        )
        return [Link(source_id=s, target_id=t, type=LinkType(k), weight=w) for s, t, k, w in rows]

    # -- history -------------------------------------------------------------------
    def add_history(self, records: Sequence[HistoryRecord]) -> None:
        with self.atomic():
            self._executemany(
                "INSERT INTO history (memory_id, action, at, old_text, new_text, details) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (
                        r.memory_id,
                        r.action.value,
                        encode_time(r.at),
                        r.old_text,
                        r.new_text,
                        encode_json(r.details),
                    )
                    for r in records
                ],
            )

    def get_history(self, memory_id: str) -> list[HistoryEntry]:
        rows = self._query(
            "SELECT id, memory_id, action, at, old_text, new_text, details FROM history "
            "WHERE memory_id = ? ORDER BY id",
            (memory_id,),
        )
        return _history(rows)

    def history_caused_by(self, user_id: str, memory_ids: Sequence[str]) -> list[HistoryEntry]:
        rows: list[tuple[Any, ...]] = []
        for chunk in _chunks(list(memory_ids)):
            marks = ",".join("?" * len(chunk))
            rows += self._query(
                "SELECT h.id, h.memory_id, h.action, h.at, h.old_text, h.new_text, h.details "
                "FROM history h JOIN memories m ON m.id = h.memory_id WHERE m.user_id = ? "
                f"AND json_extract(h.details, '$.by') IN ({marks})",
                (user_id, *chunk),
            )
        return _history(sorted(rows, key=lambda row: int(row[0])))

    def delete_history(self, entry_ids: Sequence[int]) -> None:
        with self.atomic():
            self._executemany("DELETE FROM history WHERE id = ?", [(i,) for i in entry_ids])

    # -- scopes and stats ----------------------------------------------------------
    def list_users(self) -> list[str]:
        return [row[0] for row in self._query("SELECT user_id FROM scopes ORDER BY user_id")]

    def stats(self, user_id: str | None = None) -> Stats:
        def count(table: str, column: str = "user_id") -> int:
            if user_id is None:
                row = self._query_one(f"SELECT COUNT(*) FROM {table}")
            else:
                row = self._query_one(
                    f"SELECT COUNT(*) FROM {table} WHERE {column} = ?", (user_id,)
                )
            return int(row[0]) if row else 0

        memory_sql = "SELECT kind, COUNT(*) FROM memories WHERE status != 'deleted'"
        params: tuple[Any, ...] = ()
        if user_id is not None:
            memory_sql += " AND user_id = ?"
            params = (user_id,)
        kinds = {kind: int(n) for kind, n in self._query(memory_sql + " GROUP BY kind", params)}
        if user_id is None:
            links_row = self._query_one("SELECT COUNT(*) FROM links")
            history_row = self._query_one("SELECT COUNT(*) FROM history")
        else:
            links_row = self._query_one(
                "SELECT COUNT(*) FROM links JOIN memories ON memories.id = links.source_id "
                "WHERE memories.user_id = ?",
                (user_id,),
            )
            history_row = self._query_one(
                "SELECT COUNT(*) FROM history JOIN memories ON memories.id = history.memory_id "
                "WHERE memories.user_id = ?",
                (user_id,),
            )
        return Stats(
            users=count("scopes"),
            episodes=count("episodes"),
            memories=kinds,
            entities=count("entities"),
            links=int(links_row[0]) if links_row else 0,
            history=int(history_row[0]) if history_row else 0,
            llm=self._llm_usage(user_id),
        )

    # -- API keys ------------------------------------------------------------------
    def put_api_key(self, key: ApiKey) -> None:
        with self.atomic():
            self._execute(
                f"INSERT INTO api_keys ({_KEY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    key.id,
                    key.name,
                    key.hash,
                    json.dumps(list(key.users)),
                    int(key.admin),
                    encode_time(key.created_at),
                    encode_time(key.revoked_at),
                    encode_time(key.last_used_at),
                ),
            )

    def find_api_key(self, key_hash: str) -> ApiKey | None:
        row = self._query_one(f"SELECT {_KEY_COLUMNS} FROM api_keys WHERE hash = ?", (key_hash,))
        return _api_key(row) if row else None

    def list_api_keys(self) -> list[ApiKey]:
        rows = self._query(f"SELECT {_KEY_COLUMNS} FROM api_keys ORDER BY created_at, rowid")
        return [_api_key(row) for row in rows]

    def revoke_api_key(self, key_id: str, at: datetime) -> ApiKey | None:
        with self.atomic():
            self._execute(
                "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                (encode_time(at), key_id),
            )
            row = self._query_one(f"SELECT {_KEY_COLUMNS} FROM api_keys WHERE id = ?", (key_id,))
        return _api_key(row) if row else None

    def touch_api_key(self, key_id: str, at: datetime) -> None:
        with self.atomic():
            self._execute(
                "UPDATE api_keys SET last_used_at = ? WHERE id = ?", (encode_time(at), key_id)
            )


def _api_key(row: Sequence[Any]) -> ApiKey:
    return ApiKey(
        id=row[0],
        name=row[1],
        hash=row[2],
        users=tuple(json.loads(row[3])),
        admin=bool(row[4]),
        created_at=_time(row[5]),
        revoked_at=decode_time(row[6]),
        last_used_at=decode_time(row[7]),
    )


def _history(rows: list[tuple[Any, ...]]) -> list[HistoryEntry]:
    return [
        HistoryEntry(
            id=row[0],
            memory_id=row[1],
            action=HistoryAction(row[2]),
            at=_time(row[3]),
            old_text=row[4],
            new_text=row[5],
            details=decode_json(row[6]),
        )
        for row in rows
    ]


def _time(value: str) -> datetime:
    decoded = decode_time(value)
    if decoded is None:
        raise StoreError("a required time column is NULL")
    return decoded


def _episode(row: Sequence[Any]) -> Episode:
    return Episode(
        id=row[0],
        user_id=row[1],
        agent_id=row[2],
        session_id=row[3],
        seq=row[4],
        role=row[5],
        name=row[6],
        content=row[7],
        timestamp=decode_time(row[8]),
        created_at=_time(row[9]),
        idempotency_key=row[10],
        metadata=decode_json(row[11]),
    )


def _memory(row: Sequence[Any], episode_ids: tuple[str, ...]) -> MemoryItem:
    return MemoryItem(
        id=row[0],
        user_id=row[1],
        agent_id=row[2],
        session_id=row[3],
        kind=MemoryKind(row[4]),
        text=row[5],
        event_time=decode_time(row[6]),
        valid_from=decode_time(row[7]),
        valid_to=decode_time(row[8]),
        created_at=_time(row[9]),
        updated_at=_time(row[10]),
        expired_at=decode_time(row[11]),
        status=MemoryStatus(row[12]),
        importance=row[13],
        strength=row[14],
        last_accessed=decode_time(row[15]),
        access_count=row[16],
        version=row[17],
        episode_ids=episode_ids,
        metadata=decode_json(row[18]),
        speaker=row[19],
        subject=row[20],
        predicate=row[21],
        object=row[22],
        slot=row[23],
        pinned=bool(row[24]),
        expires_at=decode_time(row[25]),
    )
