"""Two users with overlapping content never see, or change, each other's data."""

from __future__ import annotations

import pytest

from kenning import Memory, MemoryItem, NotFound

SHARED = [
    {"role": "user", "content": "My dog is called Rex"},
    {"role": "assistant", "content": "Rex is a lovely name for a dog"},
    {"role": "user", "content": "We live in Berlin"},
]


@pytest.fixture
def two_users(memory: Memory) -> Memory:
    # Identical messages, same session id, for both users; plus one private message each.
    for user in ("ana", "bob"):
        memory.add(SHARED, user_id=user, session_id="s1")
        memory.add(f"{user}'s private secret about Rex", user_id=user, session_id="s1")
    return memory


def owned(items: list[MemoryItem], user: str) -> bool:
    return bool(items) and all(item.user_id == user for item in items)


@pytest.mark.parametrize(("user", "other"), [("ana", "bob"), ("bob", "ana")])
def test_reads_never_cross_users(two_users: Memory, user: str, other: str) -> None:
    m = two_users
    for query in ("dog Rex", "Berlin", "private secret", f"{other}'s private secret"):
        hits = m.search(query, user_id=user, limit=1000)
        assert owned([h.memory for h in hits], user)
        assert all(other not in h.memory.text for h in hits)
    for kinds in (None, "session", "round"):
        assert owned(m.get_all(user_id=user, kinds=kinds, statuses=None, limit=None), user)
    episodes = m.episodes(user_id=user, limit=None)
    assert len(episodes) == len(SHARED) + 1
    assert all(e.user_id == user for e in episodes)
    assert {e.id for e in episodes}.isdisjoint({e.id for e in m.episodes(user_id=other)})


def test_stats_are_per_user(two_users: Memory) -> None:
    ana, bob, total = (
        two_users.stats(user_id="ana"),
        two_users.stats(user_id="bob"),
        two_users.stats(),
    )
    assert ana == bob  # the same content gives the same counts, and nothing is shared
    assert ana.users == 1 and total.users == 2
    assert total.episodes == ana.episodes + bob.episodes == 2 * (len(SHARED) + 1)
    assert total.history == ana.history + bob.history
    assert {k: 2 * v for k, v in ana.memories.items()} == total.memories


def test_stats_of_an_unknown_user_are_empty(two_users: Memory) -> None:
    nobody = two_users.stats(user_id="carol")
    assert (nobody.users, nobody.episodes, nobody.memories, nobody.history) == (0, 0, {}, 0)


def test_same_client_id_for_two_users_is_two_messages(memory: Memory) -> None:
    memory.add({"id": "m1", "content": "for ana"}, user_id="ana")
    result = memory.add({"id": "m1", "content": "for bob"}, user_id="bob")
    assert result.duplicates == 0
    assert [e.content for e in memory.episodes(user_id="bob")] == ["for bob"]


def test_wrong_user_cannot_get_update_delete_or_read_history(two_users: Memory) -> None:
    m = two_users
    target = m.search("private secret", user_id="ana")[0].memory
    assert target.user_id == "ana"
    before_item, before_history = m.get(target.id), m.history(target.id)
    bob_stats = m.stats(user_id="bob")
    with pytest.raises(NotFound):
        m.get(target.id, user_id="bob")
    with pytest.raises(NotFound):
        m.update(target.id, "bob was here", user_id="bob")
    with pytest.raises(NotFound):
        m.delete(target.id, user_id="bob")
    with pytest.raises(NotFound):
        m.history(target.id, user_id="bob")
    assert m.get(target.id, user_id="ana") == before_item
    assert m.history(target.id, user_id="ana") == before_history
    assert m.stats(user_id="bob") == bob_stats
    hits = m.search("private secret", user_id="ana")
    assert hits[0].memory.id == target.id and hits[0].memory.text == target.text


def test_updates_and_deletes_stay_in_their_scope(two_users: Memory) -> None:
    m = two_users
    ana_turn = m.search("We live in Berlin", user_id="ana", kinds="turn")[0].memory
    bob_turn = m.search("We live in Berlin", user_id="bob", kinds="turn")[0].memory
    assert ana_turn.id != bob_turn.id and ana_turn.text == bob_turn.text
    m.update(ana_turn.id, "We moved to Hamburg", user_id="ana")
    m.delete(bob_turn.id, user_id="bob")
    assert m.search("Hamburg", user_id="ana", kinds="turn")[0].memory.id == ana_turn.id
    assert all("Hamburg" not in h.memory.text for h in m.search("Hamburg", user_id="bob"))
    assert m.get(bob_turn.id).text == "We live in Berlin"
    assert ana_turn.id in {
        h.memory.id for h in m.search("Hamburg", user_id="ana", limit=100, kinds="turn")
    }
    assert bob_turn.id not in {h.memory.id for h in m.search("Berlin", user_id="bob", limit=100)}
