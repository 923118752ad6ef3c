"""Entities, links, history, LLM usage, statistics and API keys, written once for every
SQL backend."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from kenning.models import ApiKey, Entity, HistoryEntry, Link, LinkType, LLMCall, LLMUsage, Stats
from kenning.store._sql import rows as R
from kenning.store._sql.core import Row, SQLBase, chunks, marks
from kenning.store.base import HistoryRecord

# The owner of the memory a row belongs to (the contract's links, mentions and history name
# memories only): every table carries its user id (migration 7).
_OWNER = "(SELECT user_id FROM memories WHERE id = ?)"


class RecordQueries(SQLBase):
    # -- LLM usage -------------------------------------------------------------------
    def put_llm_calls(self, user_id: str | None, calls: Sequence[LLMCall]) -> None:
        with self._write():
            self._many(
                "INSERT INTO llm_calls (user_id, purpose, model, started_at, duration_ms, "
                "prompt_tokens, completion_tokens, cost, ok, attempts, error) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        user_id,
                        c.purpose,
                        c.model,
                        self._time(c.started_at),
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
            self._one(sql) if user_id is None else self._one(sql + " WHERE user_id = ?", (user_id,))
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

    # -- entities and links ------------------------------------------------------------
    def put_entities(self, entities: Sequence[Entity]) -> None:
        with self._write():
            self._ensure_scopes(e.user_id for e in entities)
            self._many(
                "INSERT INTO entities (id, user_id, name, aliases, kind) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET name = excluded.name, aliases = excluded.aliases, "
                "kind = excluded.kind",
                [(e.id, e.user_id, e.name, json.dumps(list(e.aliases)), e.kind) for e in entities],
            )

    def put_mentions(self, mentions: Iterable[tuple[str, str]]) -> None:
        with self._write():
            self._many(
                f"INSERT INTO mentions (user_id, memory_id, entity_id) VALUES ({_OWNER}, ?, ?) "
                "ON CONFLICT DO NOTHING",
                [(m, m, e) for m, e in sorted(set(mentions))],
            )

    def put_links(self, links: Sequence[Link]) -> None:
        with self._write():
            self._many(
                "INSERT INTO links (user_id, source_id, target_id, type, weight) "
                f"VALUES ({_OWNER}, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                [
                    (link.source_id, link.source_id, link.target_id, link.type.value, link.weight)
                    for link in links
                ],
            )

    def links_of(self, memory_id: str) -> list[Link]:
        rows = self._rows(
            "SELECT source_id, target_id, type, weight FROM links "
            "WHERE source_id = ? OR target_id = ?",
            (memory_id, memory_id),
        )
        return [
            Link(source_id=s, target_id=t, type=LinkType(k), weight=float(w)) for s, t, k, w in rows
        ]

    # -- history -----------------------------------------------------------------------
    def add_history(self, records: Sequence[HistoryRecord]) -> None:
        with self._write():
            self._many(
                "INSERT INTO history (user_id, memory_id, action, at, old_text, new_text, details) "
                f"VALUES ({_OWNER}, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        r.memory_id,
                        r.memory_id,
                        r.action.value,
                        self._time(r.at),
                        r.old_text,
                        r.new_text,
                        self.dialect.json(r.details),
                    )
                    for r in records
                ],
            )

    def get_history(self, memory_id: str) -> list[HistoryEntry]:
        return R.history(
            self._rows(
                f"SELECT {R.HISTORY_COLUMNS} FROM history WHERE memory_id = ? ORDER BY id",
                (memory_id,),
            )
        )

    def history_caused_by(self, user_id: str, memory_ids: Sequence[str]) -> list[HistoryEntry]:
        rows: list[Row] = []
        by = self.dialect.json_text("h.details", "by")
        columns = ", ".join(f"h.{c}" for c in R.HISTORY_COLUMNS.split(", "))
        for chunk in chunks(list(memory_ids)):
            rows += self._rows(
                f"SELECT {columns} FROM history h JOIN memories m ON m.id = h.memory_id "
                f"WHERE m.user_id = ? AND {by} IN ({marks(chunk)})",
                (user_id, *chunk),
            )
        return R.history(sorted(rows, key=lambda row: int(row[0])))

    def delete_history(self, entry_ids: Sequence[int]) -> None:
        with self._write():
            self._many("DELETE FROM history WHERE id = ?", [(i,) for i in entry_ids])

    # -- scopes and stats --------------------------------------------------------------
    def list_users(self) -> list[str]:
        return [row[0] for row in self._rows("SELECT user_id FROM scopes ORDER BY user_id")]

    def _count(self, sql: str, params: Sequence[Any] = ()) -> int:
        row = self._one(sql, params)
        return int(row[0]) if row else 0

    def stats(self, user_id: str | None = None) -> Stats:
        mine, params = ("", ()) if user_id is None else (" WHERE user_id = ?", (user_id,))
        kinds = {
            kind: int(n)
            for kind, n in self._rows(
                "SELECT kind, COUNT(*) FROM memories WHERE status != 'deleted'"
                + mine.replace(" WHERE", " AND")
                + " GROUP BY kind",
                params,
            )
        }
        return Stats(
            users=self._count("SELECT COUNT(*) FROM scopes" + mine, params),
            episodes=self._count("SELECT COUNT(*) FROM episodes" + mine, params),
            memories=kinds,
            entities=self._count("SELECT COUNT(*) FROM entities" + mine, params),
            links=self._count("SELECT COUNT(*) FROM links" + mine, params),
            history=self._count("SELECT COUNT(*) FROM history" + mine, params),
            llm=self._llm_usage(user_id),
        )

    # -- API keys ------------------------------------------------------------------------
    def put_api_key(self, key: ApiKey) -> None:
        with self._write():
            self._exec(
                f"INSERT INTO api_keys ({R.KEY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    key.id,
                    key.name,
                    key.hash,
                    json.dumps(list(key.users)),
                    int(key.admin),
                    self._time(key.created_at),
                    self._time(key.revoked_at),
                    self._time(key.last_used_at),
                ),
            )

    def find_api_key(self, key_hash: str) -> ApiKey | None:
        row = self._one(f"SELECT {R.KEY_COLUMNS} FROM api_keys WHERE hash = ?", (key_hash,))
        return R.api_key(row) if row else None

    def list_api_keys(self) -> list[ApiKey]:
        rows = self._rows(f"SELECT {R.KEY_COLUMNS} FROM api_keys ORDER BY created_at, rowid")
        return [R.api_key(row) for row in rows]

    def revoke_api_key(self, key_id: str, at: datetime) -> ApiKey | None:
        with self._write():
            self._exec(
                "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                (self._time(at), key_id),
            )
            row = self._one(f"SELECT {R.KEY_COLUMNS} FROM api_keys WHERE id = ?", (key_id,))
        return R.api_key(row) if row else None

    def touch_api_key(self, key_id: str, at: datetime) -> None:
        with self._write():
            self._exec(
                "UPDATE api_keys SET last_used_at = ? WHERE id = ?", (self._time(at), key_id)
            )
