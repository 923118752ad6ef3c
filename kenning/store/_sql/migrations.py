"""Named, ordered schema migrations: one list for every SQL backend.

Each is applied in one transaction and recorded in ``schema_migrations``. Statements name
column types as ``{time}``, ``{json}``, ``{blob}``, ``{real}``, ``{int}``, ``{autoid}`` and
``{rowid}``, which each dialect fills in (:mod:`kenning.store._sql.dialect`); a literal brace
is doubled. A new migration is appended, never edited: stores in use have applied the old ones.
"""

from __future__ import annotations

from typing import NamedTuple


class Migration(NamedTuple):
    version: int
    name: str
    statements: tuple[str, ...]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "initial",
        (
            """CREATE TABLE scopes (
                user_id TEXT PRIMARY KEY,
                created_at {time} NOT NULL,
                next_seq {int} NOT NULL DEFAULT 0
            )""",
            """CREATE TABLE episodes (
                id TEXT PRIMARY KEY,
                user_id TEXT NOT NULL REFERENCES scopes(user_id),
                agent_id TEXT,
                session_id TEXT,
                seq {int} NOT NULL,
                role TEXT NOT NULL,
                name TEXT,
                content TEXT NOT NULL,
                timestamp {time},
                created_at {time} NOT NULL,
                idempotency_key TEXT NOT NULL,
                metadata {json} NOT NULL DEFAULT '{{}}',
                processed_at {time},
                UNIQUE (user_id, idempotency_key)
            )""",
            "CREATE INDEX episodes_by_session ON episodes (user_id, session_id, seq)",
            "CREATE INDEX episodes_pending ON episodes (processed_at) WHERE processed_at IS NULL",
            """CREATE TABLE memories (
                {rowid}
                id TEXT PRIMARY KEY,
                user_id TEXT NOT NULL REFERENCES scopes(user_id),
                agent_id TEXT,
                session_id TEXT,
                kind TEXT NOT NULL,
                text TEXT NOT NULL,
                event_time {time},
                valid_from {time},
                valid_to {time},
                created_at {time} NOT NULL,
                updated_at {time} NOT NULL,
                expired_at {time},
                status TEXT NOT NULL,
                importance {real} NOT NULL,
                strength {real} NOT NULL,
                last_accessed {time},
                access_count INTEGER NOT NULL DEFAULT 0,
                version INTEGER NOT NULL DEFAULT 1,
                metadata {json} NOT NULL DEFAULT '{{}}'
            )""",
            "CREATE INDEX memories_by_scope ON memories (user_id, kind, status, event_time)",
            "CREATE INDEX memories_by_session ON memories (user_id, session_id, kind)",
            """CREATE TABLE memory_episodes (
                memory_id TEXT NOT NULL REFERENCES memories(id) ON DELETE CASCADE,
                episode_id TEXT NOT NULL REFERENCES episodes(id),
                position INTEGER NOT NULL,
                PRIMARY KEY (memory_id, episode_id)
            )""",
            "CREATE INDEX memory_episodes_by_episode ON memory_episodes (episode_id)",
            """CREATE TABLE memory_keys (
                memory_id TEXT NOT NULL REFERENCES memories(id) ON DELETE CASCADE,
                position INTEGER NOT NULL,
                kind TEXT NOT NULL,
                text TEXT NOT NULL,
                model_id TEXT,
                vector {blob},
                PRIMARY KEY (memory_id, position)
            )""",
            """CREATE TABLE entities (
                id TEXT PRIMARY KEY,
                user_id TEXT NOT NULL REFERENCES scopes(user_id),
                name TEXT NOT NULL,
                aliases TEXT NOT NULL DEFAULT '[]',
                kind TEXT,
                UNIQUE (user_id, name)
            )""",
            """CREATE TABLE mentions (
                memory_id TEXT NOT NULL REFERENCES memories(id) ON DELETE CASCADE,
                entity_id TEXT NOT NULL REFERENCES entities(id) ON DELETE CASCADE,
                PRIMARY KEY (memory_id, entity_id)
            )""",
            "CREATE INDEX mentions_by_entity ON mentions (entity_id)",
            """CREATE TABLE links (
                source_id TEXT NOT NULL REFERENCES memories(id) ON DELETE CASCADE,
                target_id TEXT NOT NULL REFERENCES memories(id) ON DELETE CASCADE,
                type TEXT NOT NULL,
                weight {real} NOT NULL DEFAULT 1.0,
                PRIMARY KEY (source_id, target_id, type)
            )""",
            "CREATE INDEX links_by_target ON links (target_id)",
            """CREATE TABLE history (
                id {autoid},
                memory_id TEXT NOT NULL,
                action TEXT NOT NULL,
                at {time} NOT NULL,
                old_text TEXT,
                new_text TEXT,
                details {json} NOT NULL DEFAULT '{{}}'
            )""",
            "CREATE INDEX history_by_memory ON history (memory_id, id)",
        ),
    ),
    Migration(
        2,
        "memory speaker",
        (
            "ALTER TABLE memories ADD COLUMN speaker TEXT",
            # Memories of one message take its speaker: the name, else the role.
            """UPDATE memories SET speaker = (
                SELECT COALESCE(e.name, e.role) FROM memory_episodes me
                JOIN episodes e ON e.id = me.episode_id
                WHERE me.memory_id = memories.id AND me.position = 0
            ) WHERE kind = 'turn'""",
        ),
    ),
    Migration(
        3,
        "lifecycle",
        (
            "ALTER TABLE memories ADD COLUMN subject TEXT",
            "ALTER TABLE memories ADD COLUMN predicate TEXT",
            "ALTER TABLE memories ADD COLUMN object TEXT",
            "ALTER TABLE memories ADD COLUMN slot TEXT",
            "ALTER TABLE memories ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0",
            "ALTER TABLE memories ADD COLUMN expires_at {time}",
            "CREATE INDEX memories_by_slot ON memories (user_id, slot) WHERE slot IS NOT NULL",
            """CREATE TABLE llm_calls (
                id {autoid},
                user_id TEXT,
                purpose TEXT NOT NULL,
                model TEXT NOT NULL,
                started_at {time} NOT NULL,
                duration_ms {real} NOT NULL,
                prompt_tokens INTEGER NOT NULL,
                completion_tokens INTEGER NOT NULL,
                cost {real} NOT NULL,
                ok INTEGER NOT NULL,
                attempts INTEGER NOT NULL,
                error TEXT
            )""",
            "CREATE INDEX llm_calls_by_user ON llm_calls (user_id)",
        ),
    ),
    Migration(
        4,
        "api keys",
        (
            # Keys of the REST server: only the SHA-256 of each secret is stored.
            """CREATE TABLE api_keys (
                {rowid}
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                hash TEXT NOT NULL UNIQUE,
                users TEXT NOT NULL DEFAULT '[]',
                admin INTEGER NOT NULL DEFAULT 0,
                created_at {time} NOT NULL,
                revoked_at {time},
                last_used_at {time}
            )""",
        ),
    ),
    Migration(
        5,
        "change feed and claims",
        (
            # The change feed: per user, a head that every write transaction touching the
            # user's memories advances, and per memory the head value of its last change
            # (erased: its row is gone). Processes bring their in-memory indexes up to date
            # from it (kenning.index.registry).
            "ALTER TABLE scopes ADD COLUMN feed_head {int} NOT NULL DEFAULT 0",
            # keys_seq: the head of the memory's last change of keys (text, vectors,
            # expansions); a later change of fields alone (status, access statistics) needs
            # no re-indexing of its keys.
            """CREATE TABLE changes (
                user_id TEXT NOT NULL,
                memory_id TEXT NOT NULL,
                seq {int} NOT NULL,
                keys_seq {int} NOT NULL DEFAULT 0,
                erased INTEGER NOT NULL DEFAULT 0,
                PRIMARY KEY (user_id, memory_id)
            )""",
            "CREATE INDEX changes_by_seq ON changes (user_id, seq)",
            # Who derives an episode: the add that stored it, or, after its lease ran out
            # (or its process died), whoever claims it.
            "ALTER TABLE episodes ADD COLUMN claimed_by TEXT",
            "ALTER TABLE episodes ADD COLUMN claim_expires {time}",
            "DROP INDEX episodes_pending",
            "CREATE INDEX episodes_pending ON episodes (user_id, seq) WHERE processed_at IS NULL",
        ),
    ),
    Migration(
        6,
        "slot history by start",
        (
            # A slot's versions by when each starts (validity start, else event time, else
            # record time; ISO text sorts in time order), so that the version in effect at a
            # time and those after it are a range, however long the slot's history.
            "CREATE INDEX memories_by_slot_start ON memories "
            "(user_id, slot, coalesce(valid_from, event_time, created_at)) WHERE slot IS NOT NULL",
            "DROP INDEX memories_by_slot",
        ),
    ),
    Migration(
        7,
        "user keys and transfers",
        (
            # Every table of a user's data carries its user id, so that the store can be
            # distributed by user (Citus: co-located tables, one shard per user's rows; see
            # docs/scaling.md). Rows of a memory take its owner.
            *(
                statement
                for table in ("memory_episodes", "memory_keys", "mentions", "links", "history")
                for statement in (
                    f"ALTER TABLE {table} ADD COLUMN user_id TEXT",
                    f"UPDATE {table} SET user_id = (SELECT m.user_id FROM memories m WHERE "
                    f"m.id = {table}.{'source_id' if table == 'links' else 'memory_id'})",
                    f"CREATE INDEX {table}_by_user ON {table} (user_id)",
                )
            ),
            # Copies made by `kenning migrate`: which source, and whether the copy finished
            # (an unfinished one resumes).
            """CREATE TABLE transfers (
                source TEXT PRIMARY KEY,
                started_at {time} NOT NULL,
                finished_at {time}
            )""",
        ),
    ),
    Migration(
        8,
        "the user's name",
        (
            # Store.self_name: the user's earliest named user-role message, one index seek
            # however many unnamed messages the user sent.
            "CREATE INDEX episodes_named ON episodes (user_id, seq) "
            "WHERE role = 'user' AND name IS NOT NULL",
        ),
    ),
    Migration(
        9,
        "task memory",
        (
            # kenning.tasks: long agent tasks, their steps (append-only; a revision is a new
            # step) and the dependencies between steps. ``steps`` numbers a task's steps.
            """CREATE TABLE tasks (
                id TEXT PRIMARY KEY,
                user_id TEXT NOT NULL,
                agent_id TEXT,
                goal TEXT NOT NULL,
                status TEXT NOT NULL,
                outcome TEXT,
                steps {int} NOT NULL DEFAULT 0,
                metadata {json} NOT NULL DEFAULT '{{}}',
                created_at {time} NOT NULL,
                updated_at {time} NOT NULL
            )""",
            "CREATE INDEX tasks_by_user ON tasks (user_id, created_at)",
            """CREATE TABLE task_steps (
                id TEXT PRIMARY KEY,
                task_id TEXT NOT NULL,
                user_id TEXT NOT NULL,
                number {int} NOT NULL,
                parent_id TEXT,
                kind TEXT NOT NULL,
                text TEXT NOT NULL,
                status TEXT NOT NULL,
                outcome TEXT,
                summary TEXT,
                stale_reason TEXT,
                data {json} NOT NULL DEFAULT '{{}}',
                created_at {time} NOT NULL,
                updated_at {time} NOT NULL,
                UNIQUE (task_id, number)
            )""",
            "CREATE INDEX task_steps_by_user ON task_steps (user_id)",
            """CREATE TABLE task_dependencies (
                step_id TEXT NOT NULL,
                depends_on TEXT NOT NULL,
                task_id TEXT NOT NULL,
                user_id TEXT NOT NULL,
                PRIMARY KEY (step_id, depends_on)
            )""",
            "CREATE INDEX task_dependencies_by_task ON task_dependencies (task_id)",
        ),
    ),
)
