"""Memories, their keys, the change feed and erasure, written once for every SQL backend."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from kenning.errors import StaleWrite, StoreError
from kenning.models import IndexKey, KeyKind, MemoryItem, MemoryKind, MemoryStatus
from kenning.store._codec import decode_time
from kenning.store._sql import rows as R
from kenning.store._sql.core import CHUNK, Row, SQLBase, chunks, marks, null_or_equal
from kenning.store.base import FeedChanges, MemoryFilter, StoredMemory
from kenning.store.filters import COMPARISONS, Condition, FilterOp, value_type


class MemoryQueries(SQLBase):
    # -- writing ---------------------------------------------------------------------
    def _values(self, item: MemoryItem) -> tuple[Any, ...]:
        return R.memory_values(item, self.dialect.time, self.dialect.json)

    def _update_fields(self, item: MemoryItem) -> None:
        """Overwrite a row with ``item``, which must be the version after the stored one."""
        values = self._values(item)
        changed = self._exec(
            f"UPDATE memories SET {R.MEMORY_ASSIGNMENTS} WHERE id = ? AND version = ?",
            (*values[1:], item.id, item.version - 1),
        )
        if changed == 1:
            return
        row = self._one("SELECT version FROM memories WHERE id = ?", (item.id,))
        if row is None:
            raise StoreError(f"memory {item.id!r} does not exist")
        raise StaleWrite(
            f"memory {item.id!r} is at version {row[0]}, not {item.version - 1}: "
            "it changed since it was read"
        )

    def _write_memory_rows(self, memory: StoredMemory, *, existing: bool) -> None:
        item = memory.item
        if existing:
            self._update_fields(item)
            self._exec("DELETE FROM memory_keys WHERE memory_id = ?", (item.id,))
            self._exec("DELETE FROM memory_episodes WHERE memory_id = ?", (item.id,))
        else:
            values = self._values(item)
            self._exec(
                f"INSERT INTO memories ({R.MEMORY_COLUMNS}) VALUES ({marks(values)})", values
            )
        self._many(
            "INSERT INTO memory_episodes (user_id, memory_id, episode_id, position) "
            "VALUES (?, ?, ?, ?)",
            [
                (item.user_id, item.id, episode_id, pos)
                for pos, episode_id in enumerate(item.episode_ids)
            ],
        )
        self._many(
            "INSERT INTO memory_keys (user_id, memory_id, position, kind, text, model_id, vector) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (item.user_id, item.id, pos, key.kind.value, key.text, memory.model_id, key.vector)
                for pos, key in enumerate(memory.keys)
            ],
        )

    def put_memories(self, memories: Sequence[StoredMemory]) -> None:
        if not memories:
            return
        with self._write():
            users = [m.item.user_id for m in memories]
            self._ensure_scopes(users)
            self._lock_scopes(users)
            for memory in memories:
                self._write_memory_rows(memory, existing=False)
            self._note_changes(((m.item.user_id, m.item.id) for m in memories), keys=True)

    def replace_memory(self, memory: StoredMemory) -> None:
        with self._write():
            self._lock_scopes([memory.item.user_id])
            self._write_memory_rows(memory, existing=True)
            self._note_changes([(memory.item.user_id, memory.item.id)], keys=True)

    def update_items(self, items: Sequence[MemoryItem]) -> None:
        if not items:
            return
        with self._write():
            self._lock_scopes(item.user_id for item in items)
            for item in items:
                self._update_fields(item)
            self._note_changes((item.user_id, item.id) for item in items)

    def record_access(
        self, counts: Mapping[str, int], at: datetime, *, strength_gain: float = 0.0
    ) -> None:
        stamp = self._time(at)
        with self._write():
            owners: list[tuple[str, str]] = []
            for chunk in chunks(sorted(counts)):
                owners += [
                    (row[0], row[1])
                    for row in self._rows(
                        f"SELECT user_id, id FROM memories WHERE id IN ({marks(chunk)})", chunk
                    )
                ]
            self._lock_scopes(user for user, _ in owners)
            self._many(
                "UPDATE memories SET access_count = access_count + ?, last_accessed = ?, "
                "strength = strength + ? WHERE id = ?",
                [(counts[m], stamp, counts[m] * strength_gain, m) for _, m in sorted(owners)],
            )
            self._note_changes(owners)

    # -- reading ---------------------------------------------------------------------
    def _load_items(self, rows: list[Row]) -> list[MemoryItem]:
        if not rows:
            return []
        ids = [row[0] for row in rows]
        episodes: dict[str, list[str]] = {i: [] for i in ids}
        for chunk in chunks(ids):
            for memory_id, episode_id in self._rows(
                "SELECT memory_id, episode_id FROM memory_episodes "
                f"WHERE memory_id IN ({marks(chunk)}) ORDER BY memory_id, position",
                chunk,
            ):
                episodes[memory_id].append(episode_id)
        return [R.memory(row, tuple(episodes[row[0]])) for row in rows]

    def get_memories(self, memory_ids: Sequence[str]) -> list[MemoryItem]:
        rows: dict[str, Row] = {}
        for chunk in chunks(list(memory_ids)):
            for row in self._rows(
                f"SELECT {R.MEMORY_COLUMNS} FROM memories WHERE id IN ({marks(chunk)})", chunk
            ):
                rows[row[0]] = row
        return self._load_items([rows[i] for i in memory_ids if i in rows])

    def _where(self, where: MemoryFilter) -> tuple[str, list[Any]]:
        clauses = ["user_id = ?"]
        params: list[Any] = [where.user_id]
        if where.kinds is not None:
            clauses.append(f"kind IN ({marks(where.kinds)})")
            params += [k.value for k in where.kinds]
        if where.statuses is not None:
            clauses.append(f"status IN ({marks(where.statuses)})")
            params += [s.value for s in where.statuses]
        if where.session_id is not None:
            clauses.append("session_id = ?")
            params.append(where.session_id)
        if where.agent_id is not None:
            clauses.append("agent_id = ?")
            params.append(where.agent_id)
        if where.start is not None:
            clauses.append("event_time >= ?")
            params.append(self._time(where.start))
        if where.end is not None:
            clauses.append("event_time < ?")
            params.append(self._time(where.end))
        for condition in where.metadata:
            clause, values = self._metadata_clause(condition)
            clauses.append(clause)
            params += values
        return " AND ".join(clauses), params

    def _metadata_clause(self, condition: Condition) -> tuple[str, list[Any]]:
        """One metadata condition as SQL: comparisons of the key's value, each only with
        values of its own JSON type; ``ne``/``nin`` are the negation of ``eq``/``in`` (so
        a memory without the key matches them)."""
        d = self.dialect
        key = d.json_key(condition.key)
        operator = COMPARISONS.get(condition.op, "=")
        tests = [d.json_test("metadata", value_type(v), operator) for v in condition.values]
        params: list[Any] = []
        for value in condition.values:
            params += [key, key, d.json_value(value)]
        # A missing key makes the tests NULL, not false: coalesced, so that "not" holds.
        clause = "COALESCE(" + " OR ".join(tests) + ", FALSE)"
        if condition.op in (FilterOp.NE, FilterOp.NIN):
            clause = f"NOT {clause}"
        return clause, params

    def memory_ids(self, where: MemoryFilter) -> set[str]:
        clause, params = self._where(where)
        return {
            str(row[0]) for row in self._rows(f"SELECT id FROM memories WHERE {clause}", params)
        }

    def list_memories(
        self, where: MemoryFilter, *, limit: int | None = None, offset: int = 0
    ) -> list[MemoryItem]:
        clause, params = self._where(where)
        sql = (
            f"SELECT {R.MEMORY_COLUMNS} FROM memories WHERE {clause} "
            "ORDER BY event_time IS NULL, event_time, created_at, rowid LIMIT ? OFFSET ?"
        )
        limit_value = self.dialect.no_limit if limit is None else limit
        return self._load_items(self._rows(sql, [*params, limit_value, offset]))

    def count_memories(self, where: MemoryFilter) -> int:
        clause, params = self._where(where)
        row = self._one(f"SELECT COUNT(*) FROM memories WHERE {clause}", params)
        return int(row[0]) if row else 0

    def _keys_of(self, memory_ids: Sequence[str]) -> dict[str, tuple[list[IndexKey], str | None]]:
        keys: dict[str, tuple[list[IndexKey], str | None]] = {}
        for chunk in chunks(list(memory_ids)):
            for memory_id, kind, text, model_id, vector in self._rows(
                "SELECT memory_id, kind, text, model_id, vector FROM memory_keys "
                f"WHERE memory_id IN ({marks(chunk)}) ORDER BY memory_id, position",
                chunk,
            ):
                entry = keys.setdefault(memory_id, ([], model_id))
                blob = bytes(vector) if vector is not None else None
                entry[0].append(IndexKey(text=text, kind=KeyKind(kind), vector=blob))
        return keys

    def _with_keys(self, rows: list[Row]) -> list[StoredMemory]:
        items = self._load_items(rows)
        keys = self._keys_of([item.id for item in items])
        out = []
        for item in items:
            item_keys, model_id = keys.get(item.id, ([], None))
            out.append(StoredMemory(item=item, keys=tuple(item_keys), model_id=model_id))
        return out

    def find_session_memory(self, user_id: str, session_id: str | None) -> StoredMemory | None:
        session, params = null_or_equal("session_id", session_id)
        row = self._one(
            f"SELECT {R.MEMORY_COLUMNS} FROM memories WHERE user_id = ? AND {session} "
            "AND kind = ? AND status = ? LIMIT 1",
            (user_id, *params, MemoryKind.SESSION.value, MemoryStatus.ACTIVE.value),
        )
        return self._with_keys([row])[0] if row else None

    def iter_indexable(self, user_id: str) -> Iterator[StoredMemory]:
        rows = self._rows(
            f"SELECT {R.MEMORY_COLUMNS} FROM memories WHERE user_id = ? AND status != ? "
            "ORDER BY rowid",
            (user_id, MemoryStatus.DELETED.value),
        )
        for start in range(0, len(rows), CHUNK):
            yield from self._with_keys(rows[start : start + CHUNK])

    def indexable_memories(self, user_id: str, memory_ids: Sequence[str]) -> list[StoredMemory]:
        out: list[StoredMemory] = []
        for chunk in chunks(list(memory_ids)):
            # By id alone, owner and status checked here (see get_episodes).
            rows = self._rows(
                f"SELECT {R.MEMORY_COLUMNS} FROM memories WHERE id IN ({marks(chunk)}) "
                "ORDER BY rowid",
                chunk,
            )
            out += self._with_keys(
                [
                    r
                    for r in rows
                    if r[R.MEMORY_USER] == user_id
                    and r[R.MEMORY_STATUS] != MemoryStatus.DELETED.value
                ]
            )
        return out

    def slot_versions(
        self, user_id: str, slot: str, *, since: datetime | None = None
    ) -> list[MemoryItem]:
        where = "WHERE user_id = ? AND slot = ? AND status != ?"
        params: tuple[Any, ...] = (user_id, slot, MemoryStatus.DELETED.value)
        if since is not None:
            # A slot's history grows for years: only the versions from the one in effect at
            # ``since`` on are read, a range of the memories_by_slot_start index.
            anchor = self._one(
                f"SELECT {R.START} FROM memories {where} AND {R.START} <= ? "
                f"ORDER BY {R.START} DESC LIMIT 1",
                (*params, self._time(since)),
            )
            if anchor is not None:
                where += f" AND {R.START} >= ?"
                params += (anchor[0],)
        rows = self._rows(
            f"SELECT {R.MEMORY_COLUMNS} FROM memories {where} "
            "ORDER BY valid_from IS NOT NULL, valid_from, created_at, rowid",
            params,
        )
        return self._load_items(rows)

    def memories_of_episodes(self, user_id: str, episode_ids: Sequence[str]) -> list[MemoryItem]:
        rows: dict[str, Row] = {}
        for chunk in chunks(list(episode_ids)):
            for row in self._rows(
                f"SELECT {R.MEMORY_COLUMNS} FROM memories WHERE user_id = ? AND id IN ("
                f"SELECT memory_id FROM memory_episodes WHERE episode_id IN ({marks(chunk)})) "
                "ORDER BY rowid",
                (user_id, *chunk),
            ):
                rows[row[0]] = row
        return self._load_items(list(rows.values()))

    def episode_vectors(
        self, user_id: str, episode_ids: Sequence[str], model_id: str
    ) -> dict[str, bytes]:
        found: dict[str, bytes] = {}
        for chunk in chunks(list(episode_ids)):
            for episode_id, vector in self._rows(
                # CROSS JOIN fixes SQLite's join order (episodes first, by their index): left
                # to itself its planner scans the user's every turn, which grows with the scope.
                "SELECT me.episode_id, k.vector FROM memory_episodes me "
                "CROSS JOIN memories m CROSS JOIN memory_keys k "
                f"WHERE me.episode_id IN ({marks(chunk)}) AND m.id = me.memory_id "
                "AND k.memory_id = m.id AND k.position = 0 AND m.user_id = ? AND m.kind IN (?, ?) "
                "AND k.model_id = ? AND k.vector IS NOT NULL",
                (*chunk, user_id, MemoryKind.TURN.value, MemoryKind.DOCUMENT.value, model_id),
            ):
                found[episode_id] = bytes(vector)
        return found

    # -- the change feed ---------------------------------------------------------------
    def feed_head(self, user_id: str) -> int:
        row = self._one("SELECT feed_head FROM scopes WHERE user_id = ?", (user_id,))
        return int(row[0]) if row else 0

    def changes_since(self, user_id: str, after: int) -> FeedChanges:
        # One statement, so the head and the changes come from one snapshot.
        rows = self._rows(
            "SELECT s.feed_head, c.memory_id, c.keys_seq > ?, c.erased, s.created_at FROM scopes s "
            "LEFT JOIN changes c ON c.user_id = s.user_id AND c.seq > ? WHERE s.user_id = ?",
            (after, after, user_id),
        )
        if not rows:
            return FeedChanges(head=0)
        found = [r for r in rows if r[1] is not None]
        return FeedChanges(
            head=int(rows[0][0]),
            scope_created=decode_time(rows[0][4]),
            changed=tuple(r[1] for r in found if r[2] and not r[3]),
            touched=tuple(r[1] for r in found if not r[2] and not r[3]),
            erased=tuple(r[1] for r in found if r[3]),
        )

    # -- erasure -----------------------------------------------------------------------
    def delete_episodes(self, user_id: str, episode_ids: Sequence[str]) -> int:
        with self._write():
            self._lock_scopes([user_id])
            doomed = [m.id for m in self.memories_of_episodes(user_id, episode_ids)]
            for chunk in chunks(doomed):
                self._exec(f"DELETE FROM history WHERE memory_id IN ({marks(chunk)})", chunk)
                # Keys, provenance rows, mentions and links go with the memory (ON DELETE CASCADE).
                self._exec(f"DELETE FROM memories WHERE id IN ({marks(chunk)})", chunk)
            for chunk in chunks(list(episode_ids)):
                self._exec(
                    f"DELETE FROM episodes WHERE user_id = ? AND id IN ({marks(chunk)})",
                    (user_id, *chunk),
                )
            self._exec(
                "DELETE FROM entities WHERE user_id = ? AND NOT EXISTS "
                "(SELECT 1 FROM mentions WHERE mentions.entity_id = entities.id)",
                (user_id,),
            )
            self._note_changes(((user_id, memory_id) for memory_id in doomed), erased=True)
            self._after_erase()
        return len(doomed)
