"""The write path: persist raw episodes first, then derive, embed and index.

Two transactions on purpose. The first stores the episodes verbatim (the caller's
input is safe from then on). The second stores everything derived from them and
marks them processed; if derivation or embedding fails, the episodes stay
pending and the next ``add`` (or ``Memory.process_pending``) derives them again.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt

from kenning.config import FactExtraction
from kenning.embed.base import Embedder, normalize_rows
from kenning.errors import ClaimLost
from kenning.extract.local import entity_key
from kenning.index.registry import IndexRegistry, vectors_to_bytes
from kenning.models import (
    AddResult,
    Entity,
    Episode,
    HistoryAction,
    IndexKey,
    KeyKind,
    Link,
    LinkType,
    MemoryItem,
    MemoryKind,
    MemoryStatus,
)
from kenning.store import Claim, HistoryRecord, Store, StoredMemory
from kenning.write.changes import Changes, retry_stale
from kenning.write.chunks import DEFAULT_CHUNKING, Chunking
from kenning.write.claims import LEASE, claimable, new_owner
from kenning.write.derive import Draft, derive, session_draft, speaker_line
from kenning.write.facts import Extracted, FactExtractor, with_note
from kenning.write.identity import resolve, slot_versions
from kenning.write.links import evolve, evolved_keywords, keyphrases_of, related
from kenning.write.messages import DOCUMENT_ROLE, FACT_ROLE, Message, build_episodes
from kenning.write.settle import near_facts, settle_contradictions, settle_slots
from kenning.write.versions import LIVE

log = logging.getLogger(__name__)

Vector = npt.NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class IngestOptions:
    """How ``add`` derives memories: A-MEM linking of new memories (see
    :mod:`kenning.write.links`) and the passages of long messages
    (:func:`kenning.write.derive.passages`), the chunks of long documents
    (:mod:`kenning.write.chunks`)."""

    links: bool = True
    link_threshold: float = 0.7
    link_neighbours: int = 3
    passage_words: int = 0
    chunking: Chunking = DEFAULT_CHUNKING


@dataclass(frozen=True, slots=True)
class _Batch:
    """One user's claimed episodes on their way to the store, with their message drafts."""

    user_id: str
    self_name: str | None  # the user's name (kenning.write.identity)
    episodes: list[Episode]
    drafts: list[Draft]
    sessions: list[Draft]
    now: datetime
    owner: str


class Ingestor:
    """Runs ``add`` against a store, an embedder and the in-memory indexes."""

    def __init__(
        self,
        store: Store,
        embedder: Embedder,
        registry: IndexRegistry,
        *,
        facts: FactExtractor | None = None,
        options: IngestOptions | None = None,
    ) -> None:
        self._store = store
        self._embedder = embedder
        self._registry = registry
        self._facts = facts or FactExtractor(FactExtraction.LOCAL)
        self._options = options or IngestOptions()
        # Embeds a batch's keys while the calling thread extracts facts from its messages.
        self._embedding = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kenning-embed")

    def close(self) -> None:
        """Stop the embedding thread (after any embedding in progress)."""
        self._embedding.shutdown(wait=True)

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
        """Store the messages' episodes (claimed by this call), derive exactly those, then
        derive whatever of the user's was left pending by a failed or crashed call."""
        episodes = build_episodes(
            messages,
            user_id=user_id,
            agent_id=agent_id,
            session_id=session_id,
            timestamp=timestamp,
            now=now,
        )
        owner = new_owner()
        stored = self._resent_tail(messages, episodes) or self._store.put_episodes(
            episodes, claim=Claim(owner, now + LEASE)
        )
        new = [s for s, e in zip(stored, episodes, strict=True) if s.id == e.id]
        memories = self._derive_claimed(user_id, new, now, owner) if new else []
        memories += self.recover(user_id, now=now)
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

    def recover(self, user_id: str | None = None, *, now: datetime) -> list[MemoryItem]:
        """Claim and derive pending episodes nobody is deriving: unclaimed (their call failed),
        past their lease, or claimed by a process of this host that no longer runs."""
        free, dead = claimable(self._store.pending_claims(user_id), now)
        if not free:
            return []
        owner = new_owner()
        claimed = self._store.claim_pending(
            Claim(owner, now + LEASE), now, user_id=user_id, dead_owners=dead
        )
        by_user: dict[str, list[Episode]] = {}
        for episode in claimed:
            by_user.setdefault(episode.user_id, []).append(episode)
        created: list[MemoryItem] = []
        for user, episodes in by_user.items():
            created += self._derive_claimed(user, episodes, now, owner)
        return created

    def _derive_claimed(
        self, user_id: str, episodes: list[Episode], now: datetime, owner: str
    ) -> list[MemoryItem]:
        """Derive episodes this call claimed; on failure give the claims up for a retry."""
        try:
            return self._process_user(user_id, episodes, now, owner)
        except ClaimLost as exc:  # the lease ran out and another process derived them
            log.warning("user %s: %s", user_id, exc)
            return []
        except BaseException:
            self._store.release_claims([e.id for e in episodes], owner)
            raise

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
                parts = [turn_vectors[p] for p in draft.parts or () if p in turn_vectors]
                centroid = _centroid(parts)[0]
                by_draft[id(draft)] = [centroid for _ in draft.key_texts]
            out.append(vectors_to_bytes(np.vstack(by_draft[id(draft)])))
        return out

    def _process_user(
        self, user_id: str, episodes: list[Episode], now: datetime, owner: str
    ) -> list[MemoryItem]:
        """Derive, embed and commit the memories of one user's claimed episodes.

        Embedding runs on the embedding thread while the local extractor reads the messages;
        neither holds a lock. Only reading the user's index takes the user's lock, and no
        model or network call is made under it. A commit that finds a row changed by someone
        else (:class:`StaleWrite`) is redone from a fresh read, with the same vectors.
        """
        self_name = self._store.self_name(user_id)
        episodes = resolve(episodes, self_name)
        derived = derive(
            self._store,
            episodes,
            now,
            passage_words=self._options.passage_words,
            self_name=self_name,
            chunking=self._options.chunking,
        )
        sessions = [d for d in derived if d.item.kind is MemoryKind.SESSION]
        drafts = [d for d in derived if d.item.kind is not MemoryKind.SESSION]
        pending_vectors = self._embedding.submit(self._key_vectors, user_id, drafts)
        try:
            local = self._extract_locally(user_id, drafts, now, self_name)
            # The facts found queue behind the messages on the embedding thread.
            pending_facts = self._embedding.submit(
                self._key_vectors, user_id, local.facts if local else []
            )
        finally:
            vectors = pending_vectors.result()
        fact_vectors = pending_facts.result()
        return retry_stale(
            lambda: self._settle_and_commit(
                _Batch(user_id, self_name, episodes, drafts, sessions, now, owner),
                vectors,
                local,
                fact_vectors,
            )
        )

    def _extract_locally(
        self, user_id: str, drafts: list[Draft], now: datetime, self_name: str | None
    ) -> Extracted | None:
        """Rule-based facts of the new messages (None when the LLM or nobody extracts)."""
        if self._facts.mode is FactExtraction.OFF or self._facts.uses_llm:
            return None
        with self._registry.user_lock(user_id):
            index = self._registry.get(user_id)
            return self._facts.extract(
                [d.item for d in drafts], {}, now, known=index.current_facts, self_name=self_name
            )

    def _extract_with_neighbours(
        self, batch: _Batch, fresh: list[tuple[MemoryItem, Vector]], local: Extracted | None
    ) -> tuple[Extracted, dict[str, list[tuple[MemoryItem, float]]]]:
        """The batch's facts (``local`` if the rules already ran, else the LLM's) and each
        new message's related memories (for links)."""
        options, user_id = self._options, batch.user_id
        known: list[MemoryItem] = []
        neighbours: dict[str, list[tuple[MemoryItem, float]]] = {}
        llm = self._facts.uses_llm
        if options.links or llm:
            with self._registry.user_lock(user_id):
                index = self._registry.get(user_id)
                if options.links:
                    neighbours = related(
                        index, fresh, threshold=options.link_threshold, k=options.link_neighbours
                    )
                if llm:
                    known = index.current_facts()
        extracted = local or self._facts.extract(
            [d.item for d in batch.drafts],
            {i: [m for m, _ in found] for i, found in neighbours.items()},
            batch.now,
            known=lambda: known,
            self_name=batch.self_name,
        )
        return extracted, neighbours

    def _settle_and_commit(
        self,
        batch: _Batch,
        vectors: list[list[bytes]],
        local: Extracted | None,
        local_fact_vectors: list[list[bytes]],
    ) -> list[MemoryItem]:
        user_id, now = batch.user_id, batch.now
        fresh = [
            (d.item, np.frombuffer(v[0], dtype="<f4"))
            for d, v in zip(batch.drafts, vectors, strict=True)
            if v
        ]
        extracted, neighbours = self._extract_with_neighbours(batch, fresh, local)
        drafts = [
            with_note(d, extracted.notes[d.item.id]) if d.item.id in extracted.notes else d
            for d in batch.drafts
        ] + extracted.facts
        vectors = vectors + (
            local_fact_vectors if local is not None else self._key_vectors(user_id, extracted.facts)
        )
        changes = Changes(now=now)
        changes.calls.extend(extracted.calls)
        stored: dict[str, StoredMemory] = {}
        for draft, draft_vectors in zip(drafts, vectors, strict=True):
            stored[draft.item.id] = self._stored(draft, draft_vectors)
            changes.new[draft.item.id] = draft.item
        source_of = {
            e: d.item.id
            for d in drafts
            if d.item.kind is MemoryKind.TURN
            for e in d.item.episode_ids
        }
        for draft in extracted.facts:
            source = source_of.get(draft.item.episode_ids[0])
            if source is not None:
                changes.links.append(Link(draft.item.id, source, LinkType.DERIVED_FROM))
        new_facts = [d.item for d in drafts if d.item.kind is MemoryKind.FACT]
        settle_slots(changes, new_facts, slot_versions(self._store, user_id, batch.self_name))
        if self._facts.client is not None:
            fact_vectors = {
                d.item.id: np.frombuffer(v[0], dtype="<f4")
                for d, v in zip(drafts, vectors, strict=True)
                if d.item.kind is MemoryKind.FACT and v
            }
            facts = [(f, fact_vectors[f.id]) for f in new_facts if f.id not in changes.dropped]
            with self._registry.user_lock(user_id):
                near = near_facts(self._registry.get(user_id), facts)
            settle_contradictions(changes, self._facts.client, near, facts)
        self._link_and_evolve(changes, neighbours, drafts, extracted.neighbour_updates)
        inserts = self._commit(
            user_id,
            changes,
            stored,
            sessions=[(d, _of_session(d, batch.episodes)) for d in batch.sessions],
            processed=[e.id for e in batch.episodes],
            owner=batch.owner,
        )
        log.debug("user %s: %d episodes -> %d memories", user_id, len(batch.episodes), len(inserts))
        return [m.item for m in inserts]

    def refresh_facts(self, source: MemoryItem, now: datetime) -> None:
        """Re-derive the facts of a message whose text changed: the old ones are archived
        (history says why), the new ones settle into their slots like any new fact."""
        user_id = source.user_id
        changes = Changes(now=now)
        for old in self._store.memories_of_episodes(user_id, source.episode_ids):
            extracted_before = old.metadata.get("extractor") in ("local", "llm")
            if old.kind is MemoryKind.FACT and extracted_before and old.status in LIVE:
                archived = replace(old, status=MemoryStatus.ARCHIVED, updated_at=now)
                changes.change(old, archived, HistoryAction.ARCHIVE, {"reason": "source updated"})
        self_name = self._store.self_name(user_id)
        extracted = self._facts.extract([source], {}, now, self_name=self_name)
        changes.calls.extend(extracted.calls)
        vectors = self._key_vectors(user_id, extracted.facts)
        stored = {
            d.item.id: self._stored(d, v) for d, v in zip(extracted.facts, vectors, strict=True)
        }
        for fact_id, memory in stored.items():
            changes.new[fact_id] = memory.item
            changes.links.append(Link(fact_id, source.id, LinkType.DERIVED_FROM))
        settle_slots(
            changes,
            [m.item for m in stored.values()],
            slot_versions(self._store, user_id, self_name),
        )
        self._commit(user_id, changes, stored)

    def rebuild_session(self, user_id: str, session_id: str | None, now: datetime) -> None:
        """Write a fresh session memory from the session's remaining messages (after an erase)."""
        remaining = resolve(
            [
                e
                for e in self._store.list_episodes(user_id)
                if e.session_id == session_id and e.role not in (DOCUMENT_ROLE, FACT_ROLE)
            ],
            self._store.self_name(user_id),
        )
        if not remaining:
            return
        draft = session_draft(remaining, now)
        memory = self._stored(draft, self._key_vectors(user_id, [draft])[0])
        with self._store.atomic():
            self._store.put_memories([memory])
            self._store.add_history(
                [
                    HistoryRecord(
                        draft.item.id,
                        HistoryAction.ADD,
                        now,
                        details={"reason": "session rebuilt after an erase"},
                    )
                ]
            )

    def _stored(self, draft: Draft, vectors: Sequence[bytes]) -> StoredMemory:
        """A draft with its index keys: its embedded key texts, then its expansions."""
        keys = tuple(
            IndexKey(text=t, kind=KeyKind.TEXT, vector=v)
            for t, v in zip(draft.key_texts, vectors, strict=True)
        ) + tuple(IndexKey(text=t, kind=k) for k, t in (draft.expansions or {}).items())
        return StoredMemory(item=draft.item, keys=keys, model_id=self._embedder.model_id)

    def _commit(
        self,
        user_id: str,
        changes: Changes,
        stored: Mapping[str, StoredMemory],
        *,
        sessions: Sequence[tuple[Draft, list[Episode]]] = (),
        processed: Sequence[str] = (),
        owner: str | None = None,
    ) -> list[StoredMemory]:
        """Write a batch in one transaction; returns the inserted memories and the sessions.

        ``stored`` holds the memories of ``changes.new`` with their keys; each is inserted in
        its latest in-batch version unless it was dropped (a restatement that reinforced an
        existing version), and so are its history and links. Each session in ``sessions``
        grows by its new messages inside the transaction (see :meth:`_grow_session`).
        ``processed`` episodes are marked processed in the same transaction, checking that
        ``owner`` still holds their claim. Indexes follow through the store's change feed.
        """
        now, dropped = changes.now, changes.dropped
        inserts = [
            replace(stored[i], item=item) for i, item in changes.new.items() if i not in dropped
        ]
        history = [
            HistoryRecord(m.item.id, HistoryAction.ADD, now, new_text=m.item.text) for m in inserts
        ] + [h for h in changes.history if h.memory_id not in dropped]
        links = [
            link
            for link in changes.links
            if link.source_id not in dropped and link.target_id not in dropped
        ]
        entities, mentions = _entities_of(user_id, inserts)
        with self._store.atomic():
            self._store.put_memories(inserts)
            grown = [self._grow_session(user_id, d, episodes, now) for d, episodes in sessions]
            self._store.update_items(changes.rebased(self._store))
            self._store.put_entities(entities)
            self._store.put_mentions(mentions)
            self._store.put_links(links)
            self._store.add_history(history)
            self._store.put_llm_calls(user_id, changes.calls)
            self._store.mark_processed(processed, now, owner=owner)
        return inserts + [m for m in grown if m is not None]

    def _grow_session(
        self, user_id: str, draft: Draft, episodes: list[Episode], now: datetime
    ) -> StoredMemory | None:
        """Append a batch's messages to its session memory, inside the commit.

        The session memory is read again here, in the transaction: another process may have
        created or grown it since the batch was derived, and appending to what is stored
        (never overwriting it with a stale copy) keeps every message of the session in it.
        Its vector is the centroid of all its turns, read in the same transaction.
        """
        current = self._store.find_session_memory(user_id, draft.item.session_id)
        if current is None:
            item = draft.item  # the session's first messages: the draft as derived
            history = HistoryRecord(item.id, HistoryAction.ADD, now, new_text=item.text)
        else:
            old = current.item
            known = set(old.episode_ids)
            added = [e for e in episodes if e.id not in known]
            if not added:
                return None
            last = added[-1]
            item = replace(
                old,
                text="\n".join([old.text, *(speaker_line(e) for e in added)]),
                episode_ids=old.episode_ids + tuple(e.id for e in added),
                event_time=last.timestamp or last.created_at,
                updated_at=now,
                version=old.version + 1,
            )
            history = _session_growth(old, item, now)
        # The batch's turns were inserted earlier in this transaction: every session has at
        # least their vectors.
        parts = self._store.episode_vectors(
            user_id, list(item.episode_ids), self._embedder.model_id
        )
        vector = vectors_to_bytes(
            _centroid([np.frombuffer(v, dtype="<f4") for v in parts.values()])
        )
        memory = self._stored(Draft(item, (item.text,)), vector)
        if current is None:
            self._store.put_memories([memory])
        else:
            self._store.replace_memory(memory)
        self._store.add_history([history])
        return memory

    def _link_and_evolve(
        self,
        changes: Changes,
        neighbours: dict[str, list[tuple[MemoryItem, float]]],
        drafts: list[Draft],
        llm_updates: dict[str, dict[str, Any]],
    ) -> None:
        """Related links from each new memory, and its neighbours' evolved note attributes."""
        expansions = {d.item.id: d.expansions for d in drafts}
        said = {d.item.id: d.item.event_time or d.item.created_at for d in drafts}
        for memory_id, found in neighbours.items():
            if memory_id in changes.dropped:
                continue
            phrases = keyphrases_of(expansions.get(memory_id))
            step = _keyword_step(
                phrases, memory_id, said.get(memory_id) or changes.now, changes.now
            )
            for neighbour, score in found:
                changes.links.append(
                    Link(memory_id, neighbour.id, LinkType.RELATED, weight=round(score, 4))
                )
                current = changes.current(neighbour)
                evolved = step(current) if phrases else None
                if evolved is not None:
                    changes.change(
                        current, evolved, HistoryAction.EVOLVE, {"by": memory_id}, redo=step
                    )
        known = {n.id: n for found in neighbours.values() for n, _ in found}
        for memory_id, attributes in llm_updates.items():
            if memory_id not in known:
                continue
            current = changes.current(known[memory_id])
            metadata = {**current.metadata, **attributes}
            if metadata != current.metadata:
                changes.change(
                    current,
                    evolve(current, metadata, changes.now),
                    HistoryAction.EVOLVE,
                    {"by": "llm"},
                    redo=_attribute_step(attributes, changes.now),
                )


def _centroid(vectors: Sequence[Vector]) -> Vector:
    """The normalised mean of unit vectors, as one row: a round's or session's vector."""
    return normalize_rows(np.vstack(vectors).mean(axis=0, keepdims=True))


def _keyword_step(
    phrases: Sequence[str], by: str, at: datetime, now: datetime
) -> Callable[[MemoryItem], MemoryItem | None]:
    """Adding the keywords memory ``by`` (said at ``at``) brings to a neighbour, redone on a
    newer version of it (A-MEM evolution merges: another writer's keywords stay)."""

    def step(item: MemoryItem) -> MemoryItem | None:
        metadata = evolved_keywords(item, phrases, by=by, at=at)
        return evolve(item, metadata, now) if metadata is not None else None

    return step


def _attribute_step(
    attributes: Mapping[str, Any], now: datetime
) -> Callable[[MemoryItem], MemoryItem | None]:
    """Setting note attributes the LLM gave a neighbour, redone on a newer version of it."""

    def step(item: MemoryItem) -> MemoryItem | None:
        metadata = {**item.metadata, **attributes}
        return evolve(item, metadata, now) if metadata != item.metadata else None

    return step


def _of_session(draft: Draft, episodes: Sequence[Episode]) -> list[Episode]:
    """The batch's episodes that a session draft holds."""
    ids = set(draft.item.episode_ids)
    return [e for e in episodes if e.id in ids]


def _session_growth(old: MemoryItem, new: MemoryItem, now: datetime) -> HistoryRecord:
    """History of a growing session, recorded without its texts: every version can be
    rebuilt from the episodes, and copying the whole session into history on each add
    would make one-message-at-a-time ingest quadratic in size."""
    return HistoryRecord(
        new.id,
        HistoryAction.UPDATE,
        now,
        details={
            "reason": "session grew",
            "episodes_added": len(new.episode_ids) - len(old.episode_ids),
            "episodes": len(new.episode_ids),
        },
    )


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
