"""One user, one person: the user's own messages are one speaker, named or not.

A caller may send a user's messages without a ``name`` (the README's curl example, the CLI's
``add``, MCP ``remember``) and later with ``name: "Ana"``. Both are the same person unless the
caller says otherwise, that is, unless it names a *different* speaker. So:

* the user's **self name** is the name on the user's earliest named ``user``-role message
  (:meth:`Store.self_name <kenning.store.base.Store.self_name>`): stable, since episodes only
  grow, and read from the store, so every process agrees;
* an unnamed ``user``-role message is derived as if it carried that name (:func:`resolve`):
  its memories are keyed and attributed to Ana, its first-person facts are Ana's. The episode
  itself stays verbatim;
* facts derived before any name was known have the subject ``"user"``; their slots and the
  self name's slots are one slot (:func:`slot_alias`), so a later "I moved to Lisbon" from Ana
  supersedes an earlier unnamed "I live in Kreuzberg", and one profile holds both.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime

from kenning.models import Episode, MemoryItem
from kenning.store import Store

# The subject of a fact stated by an unnamed user, and the speaker of their messages.
SELF = "user"
USER_ROLE = "user"

VersionsOf = Callable[[str, datetime | None], list[MemoryItem]]


def resolve(episodes: Sequence[Episode], self_name: str | None) -> list[Episode]:
    """The episodes as derivation reads them: an unnamed user-role message is the user's own,
    named with ``self_name`` (unchanged when no name is known yet)."""
    if self_name is None:
        return list(episodes)
    return [
        replace(e, name=self_name) if e.role == USER_ROLE and e.name is None else e
        for e in episodes
    ]


def _key(subject: str) -> str:
    return " ".join(subject.casefold().split())


def subject_key(subject: str, self_name: str | None) -> str:
    """The person a fact's subject names: ``"user"`` is the self name once one is known."""
    key = _key(subject)
    return _key(self_name) if self_name is not None and key == SELF else key


def slot_alias(slot: str, self_name: str | None) -> str | None:
    """The other spelling of a slot of the user's own: ``"user.city"`` for ``"ana.city"``
    and back when the self name is Ana; ``None`` for anyone else's slot."""
    if self_name is None:
        return None
    subject, dot, attribute = slot.rpartition(".")
    if not dot:
        return None
    name = _key(self_name)
    if subject == SELF and name != SELF:
        return f"{name}.{attribute}"
    if subject == name and name != SELF:
        return f"{SELF}.{attribute}"
    return None


def slot_versions(store: Store, user_id: str, self_name: str | None) -> VersionsOf:
    """``Store.slot_versions`` over a slot and its :func:`slot_alias`: every version of a
    user's own attribute, whichever way it was spelled when it was stored."""

    def versions(slot: str, since: datetime | None = None) -> list[MemoryItem]:
        found = store.slot_versions(user_id, slot, since=since)
        alias = slot_alias(slot, self_name)
        if alias is not None:
            found += store.slot_versions(user_id, alias, since=since)
        return found

    return versions
