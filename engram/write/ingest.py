"""The write path: persist raw episodes first, then derive, embed and index.

Two transactions on purpose. The first stores the episodes verbatim (the caller's
input is safe from then on). The second stores everything derived from them and
marks them processed; if derivation or embedding fails, the episodes stay
pending and the next ``add`` (or ``Memory.process_pending``) derives them again.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from engram.embed.base import Embedder
from engram.index.registry import IndexRegistry, vectors_to_bytes
from engram.models import AddResult, Episode, HistoryAction, IndexKey, KeyKind, MemoryItem
from engram.store import HistoryRecord, Store, StoredMemory
from engram.write.derive import derive
from engram.write.messages import Message, build_episodes

log = logging.getLogger(__name__)


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
            messages, user_id=user_id, agent_id=agent_id, session_id=session_id, timestamp=timestamp, now=now
        )
        stored = self._store.put_episodes(episodes)
        new = [s for s, e in zip(stored, episodes, strict=True) if s.id == e.id]
        memories = self.process(self._store.pending_episodes(user_id), now=now)
        return AddResult(episodes=new, duplicates=len(episodes) - len(new), memories=memories)

    def process(self, pending: Sequence[Episode], *, now: datetime) -> list[MemoryItem]:
        """Derive, embed and store the memories of pending episodes (one user at a time)."""
        by_user: dict[str, list[Episode]] = {}
        for episode in pending:
            by_user.setdefault(episode.user_id, []).append(episode)
        created: list[MemoryItem] = []
        for user_id, episodes in by_user.items():
            created.extend(self._process_user(user_id, sorted(episodes, key=lambda e: e.seq), now))
        return created

    def _process_user(self, user_id: str, episodes: list[Episode], now: datetime) -> list[MemoryItem]:
        drafts = derive(self._store, episodes, now)
        texts = [text for draft in drafts for text in draft.key_texts]
        vectors = iter(vectors_to_bytes(self._embedder.embed(texts)))
        model_id = self._embedder.model_id
        inserts: list[StoredMemory] = []
        replacements: list[StoredMemory] = []
        history: list[HistoryRecord] = []
        for draft in drafts:
            keys = tuple(IndexKey(text=t, kind=KeyKind.TEXT, vector=next(vectors)) for t in draft.key_texts)
            memory = StoredMemory(item=draft.item, keys=keys, model_id=model_id)
            if draft.replaces is None:
                inserts.append(memory)
                history.append(HistoryRecord(draft.item.id, HistoryAction.ADD, now, new_text=draft.item.text))
            else:
                replacements.append(memory)
                history.append(
                    HistoryRecord(
                        draft.item.id,
                        HistoryAction.UPDATE,
                        now,
                        old_text=draft.replaces.item.text,
                        new_text=draft.item.text,
                        details={"reason": "session grew", "episodes": len(draft.item.episode_ids)},
                    )
                )
        with self._store.atomic():
            self._store.put_memories(inserts)
            for memory in replacements:
                self._store.replace_memory(memory)
            self._store.add_history(history)
            self._store.mark_processed([e.id for e in episodes], now)
        self._registry.apply(user_id, inserts + replacements)
        log.debug("user %s: %d episodes -> %d memories", user_id, len(episodes), len(drafts))
        return [m.item for m in inserts + replacements]
