"""Every table of a user's data carries the user's id (distribution by user, docs/scaling.md),
on every backend, filled by every write path."""

from __future__ import annotations

from rawdb import raw_sql

from kenning import Memory

USER_TABLES = (
    "scopes",
    "episodes",
    "memories",
    "memory_episodes",
    "memory_keys",
    "entities",
    "mentions",
    "links",
    "history",
    "changes",
)


def test_every_row_of_a_user_carries_the_user_id(memory: Memory, db_location: str) -> None:
    memory.add(
        [
            "I moved to Lisbon with my sister Eva.",
            "Eva and I go to the beach in Lisbon every weekend.",
            "My dog Rex loves the beach in Lisbon.",
        ],
        user_id="ana",
    )
    memory.add_fact("Ana lives in Lisbon", user_id="ana", key="user.city")
    moved = memory.add_fact("Ana lives in Porto", user_id="ana", key="user.city")
    memory.update(moved.id, "Ana lives in Porto, near the river", user_id="ana")
    memory.add("Bo likes tea.", user_id="bo")
    memory.flush()
    for table in USER_TABLES:
        users = dict(raw_sql(db_location, f"SELECT user_id, COUNT(*) FROM {table} GROUP BY 1"))
        assert None not in users, f"{table} has rows without a user id"
        assert users.get("ana", 0) > 0, f"no row of ana in {table}"
        assert set(users) <= {"ana", "bo"}
