"""The write path: persist raw episodes first, then derive, embed and index.

Two transactions on purpose. The first stores the episodes verbatim (the caller's
input is safe from then on). The second stores everything derived from them and
marks them processed; if derivation or embedding fails, the episodes stay
pending and the next ``add`` (or ``Memory.process_pending``) derives them again.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from datetime import datetime

import numpy as np
import numpy.typing as npt

from engram.embed.base import Embedder, normalize_rows
from engram.extract.local import entity_key
from engram.index.registry import IndexRegistry, vectors_to_bytes
from engram.models import (
    AddResult,
    Entity,
    Episode,
    HistoryAction,
    IndexKey,
    KeyKind,
    MemoryItem,
)
from engram.store import HistoryRecord, Store, StoredMemory
from engram.write.derive import Draft, derive
from engram.write.messages import Message, build_episodes

log = logging.getLogger(__name__)

Vector = npt.NDArray[np.float32]


class Ingestor:
    """Runs ``add`` against a store, an embedder and the in-memory indexes."""

    def __init__(self, store: Store, embedder: Embedder, registry: IndexRegistry) -> None:
        self._store = store
        self._embedder = embedder
        self._registry = registry

    def add(
        self,
        messages: Sequence[Message],
        *,
        user_id: str,
        agent_id: str | None,
        session_id: str | None,
        timestamp: datetime | None,
        now: datetime,
    ) -> AddResult:
        episodes = build_episodes(
            messages,
            user_id=user_id,
            agent_id=agent_id,
            session_id=session_id,
            timestamp=timestamp,
            now=now,
        )
        stored = self._resent_tail(messages, episodes) or self._store.put_episodes(episodes)
        new = [s for s, e in zip(stored, episodes, strict=True) if s.id == e.id]
        memories = self.process(self._store.pending_episodes(user_id), now=now)
        return AddResult(episodes=new, duplicates=len(episodes) - len(new), memories=memories)

    def _resent_tail(
        self, messages: Sequence[Message], episodes: Sequence[Episode]
    ) -> list[Episode]:
        """The stored episodes a time-less, id-less batch repeats, if it is a resend.

        Such messages have no idempotency key (see ``build_episodes``), so a retry is
        recognised another way: a batch identical to the session's most recent messages.
        """
        if any(
            m.client_id is not None or e.timestamp is not None
            for m, e in zip(messages, episodes, strict=True)
        ):
            return []
        first = episodes[0]
        tail = self._store.recent_episodes(first.user_id, first.session_id, len(episodes))
        same = len(tail) == len(episodes) and all(
            (t.role, t.name, t.content, t.agent_id, t.timestamp)
            == (e.role, e.name, e.content, e.agent_id, None)
            for t, e in zip(tail, episodes, strict=True)
        )
        return tail if same else []

    def process(self, pending: Sequence[Episode], *, now: datetime) -> list[MemoryItem]:
        """Derive, embed and store the memories of pending episodes (one user at a time)."""
        by_user: dict[str, list[Episode]] = {}
        for episode in pending:
            by_user.setdefault(episode.user_id, []).append(episode)
        created: list[MemoryItem] = []
        for user_id, episodes in by_user.items():
            created.extend(self._process_user(user_id, sorted(episodes, key=lambda e: e.seq), now))
        return created

    def _key_vectors(self, user_id: str, drafts: list[Draft]) -> list[list[bytes]]:
        """One vector per key of every draft: embedded, or the centroid of its parts' turns."""
        model_id = self._embedder.model_id
        direct = [d for d in drafts if d.parts is None]
        texts = [text for draft in direct for text in draft.key_texts]
        embedded = iter(self._embedder.embed(texts))
        by_draft: dict[int, list[Vector]] = {
            id(d): [next(embedded) for _ in d.key_texts] for d in direct
        }
        turn_vectors: dict[str, Vector] = {
            d.item.episode_ids[0]: by_draft[id(d)][0]
            for d in direct
            if len(d.item.episode_ids) == 1
        }
        wanted = {e for d in drafts if d.parts for e in d.parts if e not in turn_vectors}
        if wanted:
            stored = self._store.episode_vectors(user_id, sorted(wanted), model_id)
            turn_vectors.update({e: np.frombuffer(v, dtype="<f4") for e, v in stored.items()})
        fallback = [
            d for d in drafts if d.parts is not None and not any(p in turn_vectors for p in d.parts)
        ]
        extra = iter(self._embedder.embed([t for d in fallback for t in d.key_texts]))
        for draft in fallback:
            by_draft[id(draft)] = [next(extra) for _ in draft.key_texts]
        out = []
        for draft in drafts:
            if id(draft) not in by_draft:
                parts = np.vstack([turn_vectors[p] for p in draft.parts or () if p in turn_vectors])
                centroid = normalize_rows(parts.mean(axis=0, keepdims=True))[0]
                by_draft[id(draft)] = [centroid for _ in draft.key_texts]
            out.append(vectors_to_bytes(np.vstack(by_draft[id(draft)])))
        return out

    def _process_user(
        self, user_id: str, episodes: list[Episode], now: datetime
    ) -> list[MemoryItem]:
        drafts = derive(self._store, episodes, now)
        vectors = self._key_vectors(user_id, drafts)
        model_id = self._embedder.model_id
        inserts: list[StoredMemory] = []
        replacements: list[StoredMemory] = []
        history: list[HistoryRecord] = []
        for draft, draft_vectors in zip(drafts, vectors, strict=True):
            keys = tuple(
                IndexKey(text=t, kind=KeyKind.TEXT, vector=v)
                for t, v in zip(draft.key_texts, draft_vectors, strict=True)
            ) + tuple(IndexKey(text=t, kind=k) for k, t in (draft.expansions or {}).items())
            memory = StoredMemory(item=draft.item, keys=keys, model_id=model_id)
            if draft.replaces is None:
                inserts.append(memory)
                history.append(
                    HistoryRecord(draft.item.id, HistoryAction.ADD, now, new_text=draft.item.text)
                )
            else:
                replacements.append(memory)
                # A growing session is recorded without its texts: every version can be
                # rebuilt from the episodes, and copying the whole session into history on
                # each add would make one-message-at-a-time ingest quadratic in size.
                history.append(
                    HistoryRecord(
                        draft.item.id,
                        HistoryAction.UPDATE,
                        now,
                        details={
                            "reason": "session grew",
                            "episodes_added": len(draft.item.episode_ids)
                            - len(draft.replaces.item.episode_ids),
                            "episodes": len(draft.item.episode_ids),
                        },
                    )
                )
        entities, mentions = _entities_of(user_id, inserts)
        with self._store.atomic():
            self._store.put_memories(inserts)
            for memory in replacements:
                self._store.replace_memory(memory)
            self._store.put_entities(entities)
            self._store.put_mentions(mentions)
            self._store.add_history(history)
            self._store.mark_processed([e.id for e in episodes], now)
        self._registry.apply(user_id, inserts + replacements)
        log.debug("user %s: %d episodes -> %d memories", user_id, len(episodes), len(drafts))
        return [m.item for m in inserts + replacements]


def _entities_of(
    user_id: str, memories: Sequence[StoredMemory]
) -> tuple[list[Entity], list[tuple[str, str]]]:
    """The entities named by memories' entity keys, and the (memory, entity) mentions.

    An entity's id is derived from the user and its canonical key, so every mention of
    "Grand Canyon" (or "the grand canyon") in a scope points at one entity.
    """
    entities: dict[str, Entity] = {}
    mentions: list[tuple[str, str]] = []
    for memory in memories:
        for key in memory.keys:
            if key.kind is not KeyKind.ENTITY:
                continue
            for name in key.text.split("\n"):
                canonical = entity_key(name)
                if not canonical:
                    continue
                entity_id = hashlib.sha256(f"{user_id}\x00{canonical}".encode()).hexdigest()[:32]
                entities.setdefault(entity_id, Entity(id=entity_id, user_id=user_id, name=name))
                mentions.append((memory.item.id, entity_id))
    return list(entities.values()), mentions
