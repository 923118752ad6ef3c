"""Episodes and the claims on deriving them, written once for every SQL backend."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from kenning.errors import ClaimLost
from kenning.models import Episode
from kenning.store._codec import decode_time
from kenning.store._sql import rows as R
from kenning.store._sql.core import SQLBase, chunks, marks, null_or_equal
from kenning.store.base import Claim


class EpisodeQueries(SQLBase):
    def put_episodes(
        self, episodes: Sequence[Episode], *, claim: Claim | None = None
    ) -> list[Episode]:
        if not episodes:
            return []
        owner, until = (claim.owner, self._time(claim.until)) if claim else (None, None)
        stored: list[Episode] = []
        with self._write():
            users = [e.user_id for e in episodes]
            self._ensure_scopes(users)
            self._lock_scopes(users)
            for episode in episodes:
                row = self._one(
                    f"SELECT {R.EPISODE_COLUMNS} FROM episodes "
                    "WHERE user_id = ? AND idempotency_key = ?",
                    (episode.user_id, episode.idempotency_key),
                )
                if row is not None:
                    stored.append(R.episode(row))
                    continue
                seq_row = self._one(
                    "UPDATE scopes SET next_seq = next_seq + 1 WHERE user_id = ? RETURNING next_seq",
                    (episode.user_id,),
                )
                assert seq_row is not None  # the scope was ensured above
                seq = int(seq_row[0])
                self._exec(
                    f"INSERT INTO episodes ({R.EPISODE_COLUMNS}, claimed_by, claim_expires) "
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
                        self._time(episode.timestamp),
                        self._time(episode.created_at),
                        episode.idempotency_key,
                        self.dialect.json(episode.metadata),
                        owner,
                        until,
                    ),
                )
                stored.append(replace(episode, seq=seq))
        return stored

    def get_episodes(self, user_id: str, episode_ids: Sequence[str]) -> list[Episode]:
        found: dict[str, Episode] = {}
        for chunk in chunks(list(episode_ids)):
            # By id alone, the owner checked here: with a user condition beside a long IN
            # list SQLite's planner walks the user's whole index instead.
            for row in self._rows(
                f"SELECT {R.EPISODE_COLUMNS} FROM episodes WHERE id IN ({marks(chunk)})", chunk
            ):
                if row[R.EPISODE_USER] == user_id:
                    found[row[0]] = R.episode(row)
        return [found[i] for i in episode_ids if i in found]

    def list_episodes(
        self,
        user_id: str,
        *,
        session_id: str | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[Episode]:
        sql = f"SELECT {R.EPISODE_COLUMNS} FROM episodes WHERE user_id = ?"
        params: list[Any] = [user_id]
        if session_id is not None:
            sql += " AND session_id = ?"
            params.append(session_id)
        sql += " ORDER BY seq LIMIT ? OFFSET ?"
        params += [self.dialect.no_limit if limit is None else limit, offset]
        return [R.episode(row) for row in self._rows(sql, params)]

    def last_episode(self, user_id: str, session_id: str | None, before_seq: int) -> Episode | None:
        session, params = null_or_equal("session_id", session_id)
        row = self._one(
            f"SELECT {R.EPISODE_COLUMNS} FROM episodes WHERE user_id = ? AND {session} "
            "AND seq < ? ORDER BY seq DESC LIMIT 1",
            (user_id, *params, before_seq),
        )
        return R.episode(row) if row else None

    def self_name(self, user_id: str) -> str | None:
        row = self._one(
            "SELECT name FROM episodes WHERE user_id = ? AND role = 'user' "
            "AND name IS NOT NULL ORDER BY seq LIMIT 1",
            (user_id,),
        )
        return str(row[0]) if row else None

    def recent_episodes(self, user_id: str, session_id: str | None, limit: int) -> list[Episode]:
        session, params = null_or_equal("session_id", session_id)
        rows = self._rows(
            f"SELECT {R.EPISODE_COLUMNS} FROM episodes WHERE user_id = ? AND {session} "
            "ORDER BY seq DESC LIMIT ?",
            (user_id, *params, limit),
        )
        return [R.episode(row) for row in reversed(rows)]

    def pending_episodes(self, user_id: str | None = None) -> list[Episode]:
        sql = f"SELECT {R.EPISODE_COLUMNS} FROM episodes WHERE processed_at IS NULL"
        params: tuple[Any, ...] = ()
        if user_id is not None:
            sql += " AND user_id = ?"
            params = (user_id,)
        return [R.episode(row) for row in self._rows(sql + " ORDER BY user_id, seq", params)]

    def pending_claims(
        self, user_id: str | None = None
    ) -> list[tuple[str | None, datetime | None]]:
        sql = "SELECT DISTINCT claimed_by, claim_expires FROM episodes WHERE processed_at IS NULL"
        params: tuple[Any, ...] = ()
        if user_id is not None:
            sql += " AND user_id = ?"
            params = (user_id,)
        return sorted(
            ((row[0], decode_time(row[1])) for row in self._rows(sql, params)),
            key=lambda claim: (claim[0] or "", claim[1] or datetime.min.replace(tzinfo=UTC)),
        )

    def release_claims(self, episode_ids: Sequence[str], owner: str) -> None:
        with self._write():
            for chunk in chunks(list(episode_ids)):
                self._exec(
                    "UPDATE episodes SET claimed_by = NULL, claim_expires = NULL "
                    f"WHERE id IN ({marks(chunk)}) AND claimed_by = ? AND processed_at IS NULL",
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
            free += f" OR claimed_by IN ({marks(dead)})"
        sql = (
            "UPDATE episodes SET claimed_by = ?, claim_expires = ? "
            f"WHERE processed_at IS NULL AND ({free})"
        )
        params: list[Any] = [claim.owner, self._time(claim.until), self._time(now), *dead]
        if user_id is not None:
            sql += " AND user_id = ?"
            params.append(user_id)
        # One statement: SQLite runs it under BEGIN IMMEDIATE; PostgreSQL re-checks the
        # condition on a row another transaction changed meanwhile, so no episode is
        # claimed twice.
        with self._write():
            if user_id is not None:
                self._lock_scopes([user_id])
            rows = self._rows(sql + f" RETURNING {R.EPISODE_COLUMNS}", params)
        return sorted((R.episode(row) for row in rows), key=lambda e: (e.user_id, e.seq))

    def mark_processed(
        self, episode_ids: Sequence[str], at: datetime, *, owner: str | None = None
    ) -> None:
        stamp = self._time(at)
        with self._write():
            for chunk in chunks(list(episode_ids)):
                if owner is None:
                    self._exec(
                        f"UPDATE episodes SET processed_at = ? WHERE id IN ({marks(chunk)})",
                        (stamp, *chunk),
                    )
                    continue
                changed = self._exec(
                    f"UPDATE episodes SET processed_at = ? WHERE id IN ({marks(chunk)}) "
                    "AND processed_at IS NULL AND claimed_by = ?",
                    (stamp, *chunk, owner),
                )
                if changed != len(chunk):
                    raise ClaimLost(
                        f"{len(chunk) - changed} of {len(chunk)} episodes are no "
                        f"longer claimed by {owner} (another process derived them)"
                    )
