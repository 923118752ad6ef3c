"""The SQL store: the contract's every operation, over a backend's four primitives."""

from __future__ import annotations

from kenning.store._sql.episodes import EpisodeQueries
from kenning.store._sql.memories import MemoryQueries
from kenning.store._sql.records import RecordQueries
from kenning.store._sql.tasks import TaskQueries
from kenning.store._sql.users import UserQueries


class SQLStore(EpisodeQueries, MemoryQueries, RecordQueries, TaskQueries, UserQueries):
    """:class:`~kenning.store.base.Store` in SQL; a backend subclasses it with a connection,
    transactions and a dialect (:class:`~kenning.store.sqlite.SQLiteStore`,
    :class:`~kenning.store.postgres.PostgresStore`)."""
