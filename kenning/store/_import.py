"""Applying an export's records to a store (see :mod:`kenning.store.export`).

Each batch runs in one transaction. A record whose id the store holds is skipped (the same
owner) or refused (another owner: :class:`ImportConflict`); the rest are added. An entity
whose name the user already has under another id is merged into it (its mentions follow).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import replace
from itertools import groupby
from typing import Any, TypeVar

from kenning.models import Entity, IndexKey, KeyKind, ModelMismatch, Step, Task
from kenning.store._sql.core import Row, chunks, marks, null_or_equal
from kenning.store._sql.store import SQLStore
from kenning.store.base import StoredMemory
from kenning.store.export_format import (
    EpisodeRecord,
    ExportFormatError,
    ImportConflict,
    LinkRecord,
    LLMCallRecord,
    MentionRecord,
    OwnedHistory,
    Record,
    RecordType,
    record_type,
)

Embed = Callable[[Sequence[str]], list[bytes]]  # texts to float32 vectors (an embedder)
_R = TypeVar("_R")
Numbered = list[tuple[int, _R]]
_MISSING = "is neither in the store nor earlier in the file"


class Importer:
    """Adds records to one store, remembering what a later batch needs (merged entities)."""

    def __init__(
        self,
        store: SQLStore,
        *,
        model_id: str | None,
        embed: Embed | None,
        model_mismatch: ModelMismatch,
    ) -> None:
        self.store = store
        self.model_id = model_id
        self.embed = embed
        self.model_mismatch = model_mismatch
        self.added: Counter[str] = Counter()
        self.skipped: Counter[str] = Counter()
        self.reembedded = 0
        self._entities: dict[str, str] = {}  # the file's entity id -> the store's
        self._offsets: dict[str, int] = {}  # per user: added to the file's episode seq
        self._history_ids = False  # whether history rows were inserted with their ids

    def apply(self, batch: list[tuple[int, Record]]) -> None:
        """One batch, in one transaction, in file order."""
        if not batch:
            return
        with self.store.atomic():
            for kind, run in groupby(batch, key=lambda numbered: record_type(numbered[1])):
                getattr(self, f"_{kind.value}")(list(run))

    def finish(self) -> None:
        """After the last batch: identity columns continue past ids inserted explicitly."""
        if not self._history_ids:
            return
        with self.store.atomic():
            for statement in self.store.dialect.after_copy:
                if "'history'" in statement:
                    self.store._rows(statement)

    def _count(self, kind: RecordType, added: int, total: int) -> None:
        self.added[kind.value] += added
        self.skipped[kind.value] += total - added

    def _select(self, sql: str, ids: Sequence[Any], *extra: Any) -> list[Row]:
        """``sql`` (with one ``IN ({marks})``) over ``ids`` in chunks."""
        rows: list[Row] = []
        for chunk in chunks(sorted(set(ids))):
            rows += self.store._rows(sql.format(marks=marks(chunk)), (*chunk, *extra))
        return rows

    def _owners(self, table: str, ids: Sequence[str]) -> dict[str, str]:
        sql = f"SELECT id, user_id FROM {table} WHERE id IN ({{marks}})"
        return {row[0]: row[1] for row in self._select(sql, ids)}

    def _new(self, run: Numbered[_R], ids: list[str], users: list[str], table: str) -> Numbered[_R]:
        """The records whose id the store lacks; one it holds for another user is refused."""
        owners = self._owners(table, ids)
        new = []
        for (line, record), id_, user in zip(run, ids, users, strict=True):
            if id_ not in owners:
                new.append((line, record))
            elif owners[id_] != user:
                raise ImportConflict(line, "id", f"{id_!r} belongs to another user in this store")
        return new

    # -- episodes ----------------------------------------------------------------------------
    def _episode(self, run: Numbered[EpisodeRecord]) -> None:
        episodes = [r.episode for _, r in run]
        new = self._new(run, [e.id for e in episodes], [e.user_id for e in episodes], "episodes")
        fresh = {r.episode.id for _, r in new}
        for episode in episodes:
            if episode.id not in fresh:  # the file's first episode is here: keep the numbers
                self._offsets.setdefault(episode.user_id, 0)
        users = sorted({r.episode.user_id for _, r in new})
        self.store._lock_scopes(users)
        rows = []
        for line, record in new:
            e = record.episode
            clash = self.store._one(
                "SELECT id FROM episodes WHERE user_id = ? AND idempotency_key = ?",
                (e.user_id, e.idempotency_key),
            )
            if clash is not None:
                raise ImportConflict(
                    line,
                    "idempotency_key",
                    f"user {e.user_id!r} already has this message as episode {clash[0]!r}",
                )
            seq = e.seq + self._offset(e.user_id)
            rows.append((*self._episode_values(record), seq))
        if rows:
            self.store._many(
                f"INSERT INTO episodes ({_EPISODE_INSERT}) VALUES ({marks(rows[0])})", rows
            )
        for user in users:
            top = max(row[-1] for row in rows if row[1] == user)
            self.store._exec(
                "UPDATE scopes SET next_seq = ? WHERE user_id = ? AND next_seq < ?",
                (top, user, top),
            )
        self._count(RecordType.EPISODE, len(new), len(run))

    def _offset(self, user: str) -> int:
        """0 to keep the file's numbers (an empty scope, or one holding the file's first
        episode); else the scope's last number: the file's episodes come after its own."""
        if user not in self._offsets:
            row = self.store._one(
                "SELECT s.next_seq, (SELECT COUNT(*) FROM episodes e WHERE e.user_id = s.user_id) "
                "FROM scopes s WHERE s.user_id = ?",
                (user,),
            )
            self._offsets[user] = int(row[0]) if row and int(row[1]) else 0
        return self._offsets[user]

    def _episode_values(self, record: EpisodeRecord) -> tuple[Any, ...]:
        e, time = record.episode, self.store._time
        return (
            e.id,
            e.user_id,
            e.agent_id,
            e.session_id,
            e.role,
            e.name,
            e.content,
            time(e.timestamp),
            time(e.created_at),
            e.idempotency_key,
            self.store.dialect.json(e.metadata),
            time(record.processed_at),
        )

    # -- memories ----------------------------------------------------------------------------
    def _memory(self, run: Numbered[StoredMemory]) -> None:
        items = [m.item for _, m in run]
        new = self._new(run, [i.id for i in items], [i.user_id for i in items], "memories")
        for user, group in groupby(sorted(new, key=lambda n: n[1].item.user_id), _memory_owner):
            numbered = list(group)
            wanted = [e for _, m in numbered for e in m.item.episode_ids]
            found = {e.id for e in self.store.get_episodes(user, wanted)}
            for line, memory in numbered:
                missing = [e for e in memory.item.episode_ids if e not in found]
                if missing:
                    raise ExportFormatError(line, "episode_ids", f"{missing[0]!r} {_MISSING}")
        self.store.put_memories(self._vectors(new))
        self._count(RecordType.MEMORY, len(new), len(run))

    def _vectors(self, new: Numbered[StoredMemory]) -> list[StoredMemory]:
        """The memories, text keys of another model's vectors embedded again (the reader
        refused them already if so asked)."""
        stale = [
            (line, m)
            for line, m in new
            if self.model_id is not None and m.model_id not in (None, self.model_id)
        ]
        if not stale or self.embed is None:
            return [m for _, m in new]
        texts = [k.text for _, m in stale for k in m.keys if k.kind is KeyKind.TEXT]
        vectors = iter(self.embed(texts))
        redone: dict[str, StoredMemory] = {}
        for _, memory in stale:
            keys = tuple(
                IndexKey(k.text, k.kind, next(vectors)) if k.kind is KeyKind.TEXT else k
                for k in memory.keys
            )
            redone[memory.item.id] = replace(memory, keys=keys, model_id=self.model_id)
        self.reembedded += len(redone)
        return [redone.get(m.item.id, m) for _, m in new]

    # -- entities and mentions ---------------------------------------------------------------
    def _entity(self, run: Numbered[Entity]) -> None:
        entities = [e for _, e in run]
        new = self._new(run, [e.id for e in entities], [e.user_id for e in entities], "entities")
        fresh = {e.id for _, e in new}
        self._entities.update({e.id: e.id for e in entities if e.id not in fresh})
        added = []
        for _, entity in new:
            same = self.store._one(
                "SELECT id FROM entities WHERE user_id = ? AND name = ?",
                (entity.user_id, entity.name),
            )
            self._entities[entity.id] = same[0] if same else entity.id
            if same is None:
                added.append(entity)
        self.store.put_entities(added)
        self._count(RecordType.ENTITY, len(added), len(run))

    def _mention(self, run: Numbered[MentionRecord]) -> None:
        memories = self._owners("memories", [m.memory_id for _, m in run])
        pairs = [(m.memory_id, self._entities.get(m.entity_id, m.entity_id)) for _, m in run]
        entities = self._owners("entities", [e for _, e in pairs])
        for (line, mention), (_, entity) in zip(run, pairs, strict=True):
            if memories.get(mention.memory_id) != mention.user_id:
                raise ExportFormatError(line, "memory_id", f"{mention.memory_id!r} {_MISSING}")
            if entities.get(entity) != mention.user_id:
                raise ExportFormatError(line, "entity_id", f"{mention.entity_id!r} {_MISSING}")
        sql = "SELECT memory_id, entity_id FROM mentions WHERE memory_id IN ({marks})"
        held = {(row[0], row[1]) for row in self._select(sql, [m for m, _ in pairs])}
        new = sorted(set(pairs) - held)
        self.store.put_mentions(new)
        self._count(RecordType.MENTION, len(new), len(run))

    # -- links, history, LLM calls -------------------------------------------------------------
    def _link(self, run: Numbered[LinkRecord]) -> None:
        ends = [i for _, r in run for i in (r.link.source_id, r.link.target_id)]
        memories = self._owners("memories", ends)
        for line, record in run:
            for name in ("source_id", "target_id"):
                memory_id = getattr(record.link, name)
                if memories.get(memory_id) != record.user_id:
                    raise ExportFormatError(line, name, f"{memory_id!r} {_MISSING}")
        sql = "SELECT source_id, target_id, type FROM links WHERE source_id IN ({marks})"
        held = {tuple(row) for row in self._select(sql, [r.link.source_id for _, r in run])}
        new, seen = [], set(held)
        for _, record in run:
            key = (record.link.source_id, record.link.target_id, record.link.type.value)
            if key not in seen:
                seen.add(key)
                new.append(record.link)
        self.store.put_links(new)
        self._count(RecordType.LINK, len(new), len(run))

    def _history(self, run: Numbered[OwnedHistory]) -> None:
        sql = "SELECT id, memory_id, action FROM history WHERE id IN ({marks})"
        ids = [h.entry.id for _, h in run]
        taken = {int(r[0]): (r[1], r[2]) for r in self._select(sql, ids)}
        added = 0
        for _, record in run:
            entry = record.entry
            holder = taken.get(entry.id)
            if holder == (entry.memory_id, entry.action.value):
                continue  # imported before
            if holder is not None and self._has(record):
                continue  # imported before under another id (its own was taken)
            given = self._insert_history(record, with_id=holder is None)
            taken[given] = (entry.memory_id, entry.action.value)  # a later id of the file
            added += 1
        self._count(RecordType.HISTORY, added, len(run))

    def _insert_history(self, record: OwnedHistory, *, with_id: bool) -> int:
        """Insert an entry with its id, or (another entry holds it) with a new one; returns
        the id it got."""
        entry = record.entry
        columns = "user_id, memory_id, action, at, old_text, new_text, details"
        values: tuple[Any, ...] = (
            record.user_id,
            entry.memory_id,
            entry.action.value,
            self.store._time(entry.at),
            entry.old_text,
            entry.new_text,
            self.store.dialect.json(entry.details),
        )
        if with_id:
            columns, values = f"id, {columns}", (entry.id, *values)
            self._history_ids = True
        inserted = self.store._rows(
            f"INSERT INTO history ({columns}) VALUES ({marks(values)}) RETURNING id", values
        )
        return int(inserted[0][0])

    def _has(self, record: OwnedHistory) -> bool:
        """Whether the memory has an entry with this action, time and texts (one imported
        under another id)."""
        entry = record.entry
        old, old_params = null_or_equal("old_text", entry.old_text)
        new, new_params = null_or_equal("new_text", entry.new_text)
        row = self.store._one(
            f"SELECT 1 FROM history WHERE memory_id = ? AND action = ? AND at = ? AND {old} "
            f"AND {new}",
            (
                entry.memory_id,
                entry.action.value,
                self.store._time(entry.at),
                *old_params,
                *new_params,
            ),
        )
        return row is not None

    def _llm_call(self, run: Numbered[LLMCallRecord]) -> None:
        added = 0
        for _, record in run:
            call = record.call
            user, user_params = null_or_equal("user_id", record.user_id)
            held = self.store._one(
                f"SELECT 1 FROM llm_calls WHERE {user} AND purpose = ? AND model = ? "
                "AND started_at = ? AND prompt_tokens = ? AND completion_tokens = ?",
                (
                    *user_params,
                    call.purpose,
                    call.model,
                    self.store._time(call.started_at),
                    call.prompt_tokens,
                    call.completion_tokens,
                ),
            )
            if held is None:
                self.store.put_llm_calls(record.user_id, [call])
                added += 1
        self._count(RecordType.LLM_CALL, added, len(run))

    # -- tasks -------------------------------------------------------------------------------
    def _task(self, run: Numbered[Task]) -> None:
        tasks = [t for _, t in run]
        new = self._new(run, [t.id for t in tasks], [t.user_id for t in tasks], "tasks")
        for _, task in new:
            self.store.put_task(task)
        self._count(RecordType.TASK, len(new), len(run))

    def _task_step(self, run: Numbered[Step]) -> None:
        steps = [s for _, s in run]
        tasks = self._owners("tasks", [s.task_id for s in steps])
        for line, step in run:
            if tasks.get(step.task_id) != step.user_id:
                raise ExportFormatError(line, "task_id", f"{step.task_id!r} {_MISSING}")
        new = self._new(run, [s.id for s in steps], [s.user_id for s in steps], "task_steps")
        self.store.restore_task_steps([s for _, s in new])
        self._count(RecordType.TASK_STEP, len(new), len(run))


_EPISODE_INSERT = (
    "id, user_id, agent_id, session_id, role, name, content, timestamp, created_at, "
    "idempotency_key, metadata, processed_at, seq"
)


def _memory_owner(numbered: tuple[int, StoredMemory]) -> str:
    return numbered[1].item.user_id
