"""Segmentation: the memories each episode gives rise to, before embedding.

* every message becomes a ``turn`` memory (a ``document`` memory for role "document");
* a message that answers a different speaker becomes, with the message before it,
  a ``round`` memory (LongMemEval: rounds are a strong retrieval granularity);
* each session keeps one ``session`` memory holding the whole conversation so far.

Index keys carry the speaker ("Caroline: I adopted a dog") so that questions
naming a person match what that person said.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from kenning.ids import new_id
from kenning.models import Episode, KeyKind, MemoryItem, MemoryKind
from kenning.store import Store
from kenning.write.chunks import DEFAULT_CHUNKING, Chunking, chunk_document
from kenning.write.expand import memory_expansions
from kenning.write.identity import resolve
from kenning.write.messages import CONTENT_PARTS, DOCUMENT_ROLE, FACT_ROLE


@dataclass(frozen=True, slots=True)
class Draft:
    """A memory to store and the texts it is indexed under.

    ``parts`` names the episodes of an aggregate (round, session): its dense vector is
    the normalised centroid of their turn vectors instead of a fresh model call. That
    halves embedding work at ingest, and a centroid of every turn represents a long
    session better than an embedding of its first 256 tokens would.
    """

    item: MemoryItem
    key_texts: tuple[str, ...]
    parts: tuple[str, ...] | None = None
    expansions: dict[KeyKind, str] | None = None  # extra, lexical-only keys by kind


def speaker_line(episode: Episode) -> str:
    """How a message reads in keys and aggregate texts: ``"Name: content"``."""
    return f"{episode.name}: {episode.content}" if episode.name else episode.content


def _speaker(episode: Episode) -> tuple[str, str | None]:
    return (episode.role, episode.name)


def passages(text: str, words: int) -> list[str]:
    """Overlapping windows of ``words`` words (at least a quarter shared with the next)
    covering a text longer than one window and a half; none for a shorter one or ``words`` 0.

    The embedding model reads only the start of a long message (MiniLM: 256 word pieces,
    about 180 words): a detail further down would be found by BM25 alone. Each passage is one
    more dense key of the message, whose dense score is its best key's.
    """
    if words <= 0:  # off: no split of every message on the ingest path
        return []
    tokens = text.split()
    if len(tokens) <= words + words // 2:
        return []
    stride = words - words // 4
    starts = [
        *range(0, len(tokens) - words, stride),
        len(tokens) - words,
    ]  # the last one ends the text
    return [" ".join(tokens[start : start + words]) for start in starts]


def _message_draft(kind: MemoryKind, episode: Episode, now: datetime, passage_words: int) -> Draft:
    """A turn or document memory with its text key, passage keys and expansion keys."""
    speaker = episode.name or (None if kind is MemoryKind.DOCUMENT else episode.role)
    item = replace(_new_item(kind, episode.content, [episode], now), speaker=speaker)
    prefix = f"{episode.name}: " if episode.name else ""
    keys = (speaker_line(episode), *(prefix + p for p in passages(episode.content, passage_words)))
    return Draft(item, keys, expansions=memory_expansions(item))


def _document_drafts(episode: Episode, now: datetime, chunking: Chunking) -> list[Draft]:
    """A document's memory, or one per chunk when it is longer than a chunk: each with its
    ``offset`` in the document (and ``chunk``/``chunks``), the document's episode its source.

    No passages: a document's chunk is one coherent text, and windows cut from it lose what it
    is about (measured on MuSiQue, 24-word passages cost 0.068 recall@5).
    """
    chunks = chunk_document(episode.content, chunking.size, chunking.overlap)
    if len(chunks) == 1:
        return [_message_draft(MemoryKind.DOCUMENT, episode, now, 0)]
    drafts = []
    for number, chunk in enumerate(chunks):
        item = replace(
            _new_item(MemoryKind.DOCUMENT, chunk.text, [episode], now),
            speaker=episode.name,
        )
        item = replace(
            item,
            metadata={
                **item.metadata,
                "offset": chunk.offset,
                "chunk": number,
                "chunks": len(chunks),
            },
        )
        prefix = f"{episode.name}: " if episode.name else ""
        keys = (prefix + chunk.text,)
        drafts.append(Draft(item, keys, expansions=memory_expansions(item)))
    return drafts


def _fact_draft(episode: Episode, now: datetime) -> Draft:
    """The fact an explicit ``add_fact`` call describes (its structure rides in metadata)."""
    metadata = dict(episode.metadata)
    spec = dict(metadata.pop("fact", None) or {})
    item = replace(
        _new_item(MemoryKind.FACT, episode.content, [episode], now),
        metadata={**metadata, "extractor": "explicit"},
        subject=spec.get("subject"),
        predicate=spec.get("predicate"),
        object=spec.get("object"),
        slot=spec.get("slot"),
        valid_to=_time(spec.get("valid_to")),
        importance=float(spec.get("importance", 0.5)),
        pinned=bool(spec.get("pinned", False)),
        expires_at=_time(spec.get("expires_at")),
    )
    return fact_draft(item)


def fact_draft(item: MemoryItem) -> Draft:
    """A fact memory indexed under its statement (and its entities, keyphrases)."""
    return Draft(item, (item.text,), expansions=memory_expansions(item))


def _time(value: object) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else None


def _new_item(
    kind: MemoryKind, text: str, episodes: Sequence[Episode], now: datetime
) -> MemoryItem:
    last = episodes[-1]
    event_time = last.timestamp or last.created_at
    return MemoryItem(
        id=new_id(),
        user_id=last.user_id,
        agent_id=last.agent_id,
        session_id=last.session_id,
        kind=kind,
        text=text,
        created_at=now,
        updated_at=now,
        episode_ids=tuple(e.id for e in episodes),
        event_time=event_time,
        valid_from=event_time,
        # A message's non-text parts stay in its episode only (they may be large).
        metadata={k: v for k, v in last.metadata.items() if k != CONTENT_PARTS}
        if len(episodes) == 1
        else {},
    )


def derive(
    store: Store,
    episodes: Sequence[Episode],
    now: datetime,
    *,
    passage_words: int = 0,
    self_name: str | None = None,
    chunking: Chunking = DEFAULT_CHUNKING,
) -> list[Draft]:
    """Drafts for a batch of one user's new episodes (in ``seq`` order, already
    :func:`~kenning.write.identity.resolve`-d with ``self_name``); messages longer than
    ``passage_words`` and a half are also indexed under their :func:`passages`; documents
    longer than a chunk are derived chunk by chunk (:mod:`kenning.write.chunks`)."""
    drafts: list[Draft] = []
    sessions: dict[str | None, list[Episode]] = {}
    # The latest episode seen per session: pending episodes are the tail of the user's
    # arrival order, so within a batch the previous message is the batch's previous one
    # of that session; only a session's first message in the batch asks the store.
    latest: dict[str | None, Episode] = {}
    for episode in episodes:
        if episode.role == FACT_ROLE:
            drafts.append(_fact_draft(episode, now))
            continue
        previous = latest.get(episode.session_id)
        latest[episode.session_id] = episode
        if episode.role == DOCUMENT_ROLE:
            drafts += _document_drafts(episode, now, chunking)
            continue
        drafts.append(_message_draft(MemoryKind.TURN, episode, now, passage_words))
        if previous is None:
            stored = store.last_episode(episode.user_id, episode.session_id, episode.seq)
            previous = resolve([stored], self_name)[0] if stored is not None else None
        if (
            previous is not None
            and previous.role not in (DOCUMENT_ROLE, FACT_ROLE)
            and _speaker(previous) != _speaker(episode)
        ):
            text = f"{speaker_line(previous)}\n{speaker_line(episode)}"
            item = _new_item(MemoryKind.ROUND, text, [previous, episode], now)
            drafts.append(Draft(item, (text,), parts=item.episode_ids))
        sessions.setdefault(episode.session_id, []).append(episode)
    drafts += [session_draft(new_episodes, now) for new_episodes in sessions.values()]
    return drafts


def session_draft(episodes: Sequence[Episode], now: datetime) -> Draft:
    """A session memory holding these messages, as the first version of a new session.

    An existing session is not read here: the commit appends the messages to what is
    stored then (``Ingestor._grow_session``), so concurrent writers of one session all land
    in one memory.
    """
    lines = "\n".join(speaker_line(e) for e in episodes)
    item = _new_item(MemoryKind.SESSION, lines, episodes, now)
    item = replace(item, valid_from=episodes[0].timestamp or episodes[0].created_at)
    return Draft(item, (lines,), parts=item.episode_ids)
