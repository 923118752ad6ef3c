"""Users and sessions as a whole: their summaries and the erasure of a user, written once
for every SQL backend."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kenning.models import ForgetResult, MemoryStatus, SessionSummary, UserSummary
from kenning.store._codec import decode_time
from kenning.store._sql.core import SQLBase

# When a message or a memory happened: its event time, else when it was stored.
_EPISODE_AT = "coalesce(e.timestamp, e.created_at)"
_MEMORY_AT = "coalesce(m.event_time, m.created_at)"
_LIVE = f"m.status != '{MemoryStatus.DELETED.value}'"

# The tables of a user's rows, erased in this order: the rows naming a memory or an episode
# before the memories and episodes, those before the entities and the scope they reference.
_USER_TABLES = (
    "history",
    "links",
    "mentions",
    "memory_keys",
    "memory_episodes",
    "memories",
    "entities",
    "episodes",
    "llm_calls",
    "task_dependencies",
    "task_steps",
    "tasks",
    "changes",
    "scopes",
)


def _span(*pairs: tuple[Any, Any]) -> tuple[datetime | None, datetime | None]:
    """The first (first, last) pair that has a value, decoded."""
    for first, last in pairs:
        if first is not None:
            return decode_time(first), decode_time(last)
    return None, None


class UserQueries(SQLBase):
    def user_summaries(self, *, limit: int | None = None, offset: int = 0) -> list[UserSummary]:
        # One row per scope; each subquery is a range of a (user_id, ...) index.
        rows = self._rows(
            "SELECT s.user_id, "
            "(SELECT COUNT(*) FROM episodes e WHERE e.user_id = s.user_id), "
            f"(SELECT MIN({_EPISODE_AT}) FROM episodes e WHERE e.user_id = s.user_id), "
            f"(SELECT MAX({_EPISODE_AT}) FROM episodes e WHERE e.user_id = s.user_id), "
            f"(SELECT COUNT(*) FROM memories m WHERE m.user_id = s.user_id AND {_LIVE}), "
            f"(SELECT MIN({_MEMORY_AT}) FROM memories m WHERE m.user_id = s.user_id), "
            f"(SELECT MAX({_MEMORY_AT}) FROM memories m WHERE m.user_id = s.user_id) "
            "FROM scopes s ORDER BY s.user_id LIMIT ? OFFSET ?",
            (self.dialect.no_limit if limit is None else limit, offset),
        )
        summaries = []
        for user_id, episodes, e_first, e_last, memories, m_first, m_last in rows:
            first, last = _span((e_first, e_last), (m_first, m_last))
            summaries.append(
                UserSummary(
                    user_id=user_id,
                    episodes=int(episodes),
                    memories=int(memories),
                    first_at=first,
                    last_at=last,
                )
            )
        return summaries

    def session_summaries(self, user_id: str) -> list[SessionSummary]:
        episodes = {
            row[0]: row[1:]
            for row in self._rows(
                f"SELECT e.session_id, COUNT(*), MIN({_EPISODE_AT}), MAX({_EPISODE_AT}) "
                "FROM episodes e WHERE e.user_id = ? GROUP BY e.session_id",
                (user_id,),
            )
        }
        memories = {
            row[0]: row[1:]
            for row in self._rows(
                f"SELECT m.session_id, SUM(CASE WHEN {_LIVE} THEN 1 ELSE 0 END), "
                f"MIN({_MEMORY_AT}), MAX({_MEMORY_AT}) "
                "FROM memories m WHERE m.user_id = ? GROUP BY m.session_id",
                (user_id,),
            )
        }
        summaries = []
        for session_id in set(episodes) | set(memories):
            e_count, e_first, e_last = episodes.get(session_id, (0, None, None))
            m_count, m_first, m_last = memories.get(session_id, (0, None, None))
            first, last = _span((e_first, e_last), (m_first, m_last))
            summaries.append(
                SessionSummary(
                    session_id=session_id,
                    episodes=int(e_count),
                    memories=int(m_count or 0),
                    first_at=first,
                    last_at=last,
                )
            )
        # Latest activity first; sessions without a time last; ties by id.
        summaries.sort(key=lambda s: s.session_id or "")
        summaries.sort(key=lambda s: s.last_at.timestamp() if s.last_at else float("-inf"))
        summaries.reverse()
        return summaries

    def delete_user(self, user_id: str) -> ForgetResult | None:
        with self._write():
            self._lock_scopes([user_id])
            counts = self._one(
                "SELECT (SELECT COUNT(*) FROM memories WHERE user_id = ?), "
                "(SELECT COUNT(*) FROM episodes WHERE user_id = ?)",
                (user_id, user_id),
            )
            # History rows of the user's memories that carry no owner (written before
            # migration 7 filled the column) go too.
            self._exec(
                "DELETE FROM history WHERE memory_id IN (SELECT id FROM memories WHERE user_id = ?)",
                (user_id,),
            )
            erased = {
                table: self._exec(f"DELETE FROM {table} WHERE user_id = ?", (user_id,))
                for table in _USER_TABLES
            }
            if not any(erased.values()):
                return None
            self._after_erase()
        memories, episodes = (int(counts[0]), int(counts[1])) if counts else (0, 0)
        return ForgetResult(erased_memories=memories, erased_episodes=episodes)
