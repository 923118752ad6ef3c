"""All of one user's memories, held in memory for search: vectors, BM25, graph and filters.

Dense rows are the memories' ``TEXT`` keys (each row points at its memory); the BM25
index has one document per memory: its text keys plus, with key expansion on, its
expansion keys (LongMemEval's "key = value + fact"). Filters (kind, status, session,
agent, time, ``as_of``) are numpy masks over memories, so a search touches no SQL until
the winners are known. The episode incidence (which memories share a message) lets one
granularity lift another; the entity graph links memories through the names they mention.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import ClassVar

import numpy as np
import numpy.typing as npt

from kenning.index.arrays import Column, Ragged
from kenning.index.dense import DenseIndex
from kenning.index.fields import (
    NO_RANGES,
    Codes,
    digest,
    filtered,
    mentioned_ranges,
    signature,
    structure,
)
from kenning.index.graph import EntityGraph
from kenning.index.lexical import BM25Index, RowMap, tokenize
from kenning.index.sparse import Triplets
from kenning.models import IndexKey, KeyKind, MemoryItem, MemoryKind, MemoryStatus

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]

_KIND_CODES = {kind: code for code, kind in enumerate(MemoryKind)}
_STATUS_CODES = {status: code for code, status in enumerate(MemoryStatus)}
_LIVE_CODES = (_STATUS_CODES[MemoryStatus.ACTIVE], _STATUS_CODES[MemoryStatus.SUPERSEDED])

Embed = Callable[[Sequence[str]], npt.NDArray[np.float32]]
# Reads memories by id from the store (any order; missing ones left out).
Fetch = Callable[[Sequence[str]], Sequence[MemoryItem]]


def _ts(value: datetime | None) -> float:
    return value.timestamp() if value is not None else float("nan")


@dataclass(frozen=True, slots=True)
class Eligibility:
    """Which memories a search may return (all conditions must hold)."""

    kinds: tuple[MemoryKind, ...] | None = None
    statuses: tuple[MemoryStatus, ...] = (MemoryStatus.ACTIVE,)
    session_id: str | None = None
    agent_id: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    as_of: datetime | None = None
    unexpired_at: datetime | None = None  # drop memories whose TTL ran out by then
    only: frozenset[str] | None = None  # memory ids a metadata filter let through


class ScopeIndex:
    """Search structures for one user's memories.

    ``key_expansion`` decides whether expansion keys join the BM25 documents (they are
    kept either way, for the graph and the date columns). ``embed`` embeds entity names
    for the graph's synonym edges; without it the graph has no synonym edges.

    The index holds no memory records, only their ids and the columns a search reads:
    ``fetch`` reads records from the store when a caller needs them (the winners of a
    search, link candidates). Without it (an index of its own, as in tests) the records
    given to :meth:`upsert` are kept.
    """

    # Caches and callables a snapshot leaves out (kenning.index.snapshot).
    _TRANSIENT: ClassVar[frozenset[str]] = frozenset(
        {
            "_held",
            "position",
            "_ended",
            "_winners",
            "_eligible_masks",
            "_fact_turns",
            "_mention_table",
            "_incidence",
            "_latest",
            "_extra",
        }
    )

    def __init__(
        self,
        dim: int,
        *,
        k1: float = 1.2,
        b: float = 0.75,
        key_expansion: bool = True,
        embed: Embed | None = None,
        synonym_threshold: float = 0.8,
        fetch: Fetch | None = None,
    ) -> None:
        self._held: dict[str, MemoryItem] | None = None if fetch is not None else {}
        self._fetch = fetch
        self.dense = DenseIndex(dim)
        self.lexical = BM25Index(k1=k1, b=b)
        self.key_expansion = key_expansion
        self.graph = EntityGraph(embed=embed, synonym_threshold=synonym_threshold)
        self.ids: list[str] = []  # by position
        self.position: dict[str, int] = {}
        # Each memory's first dense row and its BM25 row as columns, so that scores are
        # gathered per memory with one fancy index (memories with more rows are listed).
        self._first_row = Column(np.int64, -1)
        self._more_rows: dict[int, list[int]] = {}
        self._extra: tuple[IntArray, IntArray] | None = None  # _more_rows flat, cached
        self._lexical_row = Column(np.int64, -1)
        self._lexical_owner = Column(np.int64, -1)  # by BM25 row: its memory's position
        self._dense_owner = Column(np.int64, -1)
        self._kind = Column(np.int16, -1)
        self._status = Column(np.int16, -1)
        self._event = Column(np.float64, np.nan)
        self._valid_from = Column(np.float64, np.nan)
        self._valid_to = Column(np.float64, np.nan)
        self._dated = Column(np.bool_, False)
        # Lifecycle columns: retention inputs and TTL.
        self._touched = Column(np.float64, np.nan)  # last access, else creation (epoch s)
        self._strength = Column(np.float64, 1.0)
        self._importance = Column(np.float64, 0.5)
        self._pinned = Column(np.bool_, False)
        self._expires = Column(np.float64, np.nan)
        self._created = Column(np.float64, np.nan)
        # Digests of what the derived caches and the filters read (see update_item).
        self._shape = Column(np.int64, 0)
        self._filters = Column(np.int64, 0)
        # Derived from the columns below, per reference time; dropped on every change.
        self._ended: dict[tuple[float, bool], BoolArray] = {}  # ended_by
        self._winners: dict[tuple[int, float], tuple[int | None, set[int]]] = {}  # _slot_winner
        self._eligible_masks: dict[Eligibility, BoolArray] = {}  # eligible, until a change
        self._expiring: set[int] = set()  # positions with a time to live
        self._fact_turns: tuple[IntArray, IntArray] | None = None  # fact_messages
        self._subject = Column(np.int32, -1)  # a fact's subject, coded like speakers
        self._subject_names: dict[int, str] = {}
        self._slot = Column(np.int32, -1)  # a fact's slot, coded
        self._slot_codes = Codes()
        self._slot_members: dict[int, set[int]] = {}  # slot code -> positions
        self._members = Ragged()  # episode number -> positions made of it (see members_of)
        self._session = Column(np.int32, -1)  # coded (see fields.Codes)
        self._agent = Column(np.int32, -1)
        self._session_codes = Codes()
        self._agent_codes = Codes()
        # Speakers as small integer codes (case-insensitive), so a speaker filter is one
        # numpy comparison rather than a Python loop over every memory on each search.
        self._speaker = Column(np.int32, -1)
        self._speaker_code: dict[str, int] = {}  # casefolded name -> code
        self._speaker_names: dict[int, str] = {}  # code -> name as first seen
        # The time ranges a memory's text mentions: [start, end) in epoch seconds.
        self._mention_starts = Ragged(np.float64)
        self._mention_ends = Ragged(np.float64)
        self._mention_table: tuple[npt.NDArray[np.int64], FloatArray, FloatArray] | None = None
        self._episode_number: dict[str, int] = {}
        self._episodes = Ragged()  # episode numbers by position (for gathers over a pool)
        self._incidence: Triplets | None = None
        self._key_signature = Column(np.int64, 0)  # by position: what upsert indexed (0: none)
        self._latest: float | object | None = _UNKNOWN  # latest_event, until a change

    def __len__(self) -> int:
        return len(self.ids)

    def has_keys(self, memory_id: str, keys: Sequence[IndexKey]) -> bool:
        """Whether the memory is indexed under exactly these keys (see :meth:`upsert`)."""
        position = self.position.get(memory_id)
        return position is not None and self._key_signature.values[position] == signature(keys)

    def settle(self) -> None:
        """Do the work the index leaves for later: merge BM25's appended part, pair new
        entities with their synonyms (before a snapshot, so the opening process need not)."""
        self.lexical.merge()
        self.graph.find_synonyms()

    def items_at(self, positions: Sequence[int]) -> list[MemoryItem]:
        """The records of the memories at ``positions``, in that order, read from the store
        (a memory deleted meanwhile is left out)."""
        ids = [self.id_of(p) for p in positions]
        found = {item.id: item for item in self.items_of_ids(ids)}
        return [found[i] for i in ids if i in found]

    def id_of(self, position: int) -> str:
        """The id of the memory at ``position``."""
        return self.ids[position]

    def items_of_ids(self, ids: Sequence[str]) -> Sequence[MemoryItem]:
        """The records of these memories (any order, missing ones left out)."""
        if self._held is not None:
            return [self._held[i] for i in ids if i in self._held]
        assert self._fetch is not None
        return self._fetch(ids)

    def upsert(
        self,
        item: MemoryItem,
        key_texts: Sequence[str],
        vectors: npt.NDArray[np.float32],
        expansions: Mapping[KeyKind, str] | None = None,
        *,
        keys: Sequence[IndexKey] | None = None,
    ) -> None:
        """Add a memory, or replace an indexed one (its old keys stop matching).

        ``key_texts`` are the memory's ``TEXT`` keys, one vector each; ``expansions``
        holds its other keys by kind (one item per line). ``keys``, the stored keys these
        came from, let :meth:`has_keys` tell later whether a changed memory needs new rows.
        """
        if len(key_texts) != len(vectors):
            raise ValueError("one vector per key text is required")
        expansions = dict(expansions or {})
        position = self.position.get(item.id)
        if position is None:
            position = len(self.ids)
            self.position[item.id] = position
            self.ids.append(item.id)
        else:
            self._drop_rows(position)
        self._key_signature.set(position, signature(keys) if keys is not None else 0)
        self.update_item(item)
        rows = list(self.dense.add(vectors)) if len(key_texts) else []
        for row in rows:
            self._dense_owner.set(row, position)
        self._first_row.set(position, rows[0] if rows else -1)
        if len(rows) > 1:
            self._more_rows[position] = rows[1:]
            self._extra = None
        # BM25 reads the memory's text once: its passages (the other text keys) repeat it in
        # windows, which would only inflate its term frequencies and length.
        document = list(key_texts[:1])
        if self.key_expansion:
            document += [expansions[kind] for kind in sorted(expansions) if expansions[kind]]
        lexical_row = self.lexical.add("\n".join(document))
        self._lexical_row.set(position, lexical_row)
        self._lexical_owner.set(lexical_row, position)
        ranges = mentioned_ranges(item) if expansions.get(KeyKind.DATE) else NO_RANGES
        self._mention_starts.set(position, ranges[:, 0])
        self._mention_ends.set(position, ranges[:, 1])
        self._mention_table = None
        # Any time expression counts: on the LoCoMo dev half, counting only mentions precise
        # to a day or a week made no difference.
        self._dated.set(position, len(ranges) > 0)
        entities = [e for e in expansions.get(KeyKind.ENTITY, "").split("\n") if e.strip()]
        self.graph.set_mentions(position, entities)
        self._incidence = None

    def update_item(self, item: MemoryItem) -> None:
        """Refresh an indexed memory's filter columns (status, validity, text...)."""
        position = self.position[item.id]
        self._latest = _UNKNOWN
        if self._held is not None:
            self._held[item.id] = item
        # What validity, supersession and the incidence are computed from; a change of access
        # statistics alone (every search's, through the change feed) keeps those caches.
        # A removed memory coming back (an undone delete) changes status from "removed"; a
        # new position counts as removed (it has no status yet), so its digests are not read.
        shape, filters = digest(structure(item)), digest(filtered(item))
        structural = self.removed(position) or self._shape.values[position] != shape
        if structural:
            self._forget_derived()
        elif self._filters.values[position] != filters:
            self._eligible_masks.clear()
        self._shape.set(position, shape)
        self._filters.set(position, filters)
        self._created.set(position, item.created_at.timestamp())
        self._kind.set(position, _KIND_CODES[item.kind])
        self._status.set(position, _STATUS_CODES[item.status])
        self._event.set(position, _ts(item.event_time))
        self._valid_from.set(position, _ts(item.valid_from))
        self._valid_to.set(position, _ts(item.valid_to))
        self._session.set(position, self._session_codes.code(item.session_id))
        self._agent.set(position, self._agent_codes.code(item.agent_id))
        self._speaker.set(position, self._code_of(item.speaker))
        self._touched.set(position, _ts(item.last_accessed or item.created_at))
        self._strength.set(position, item.strength)
        self._importance.set(position, item.importance)
        self._pinned.set(position, item.pinned)
        self._expires.set(position, _ts(item.expires_at))
        if item.expires_at is not None:
            self._expiring.add(position)
        else:
            self._expiring.discard(position)
        slot = self._slot_codes.code(item.slot or None)
        self._slot.set(position, slot)
        if slot >= 0:
            self._slot_members.setdefault(slot, set()).add(position)
        subject = self._code_of(item.subject, register=False)
        self._subject.set(position, subject)
        if item.subject:
            self._subject_names.setdefault(subject, item.subject)
        if structural:  # the episodes are part of the structure
            self._set_episodes(position, item.episode_ids)
            self._incidence = None

    def _set_episodes(self, position: int, episode_ids: Sequence[str]) -> None:
        """Record which messages a memory is made of, both ways (a message keeps the memories
        it was ever part of: searches check their status)."""
        numbers = [
            self._episode_number.setdefault(episode_id, len(self._episode_number))
            for episode_id in episode_ids
        ]
        for number in numbers:
            members = self._members.get(number)
            if position not in members:
                self._members.set(number, [*members.tolist(), position])
        self._episodes.set(position, numbers)

    def remove(self, memory_id: str) -> None:
        """Forget a memory entirely (deleted memories are never searchable)."""
        position = self.position.get(memory_id)
        if position is None:
            return
        self._drop_rows(position)
        self._latest = _UNKNOWN
        self._status.set(position, -1)
        self._forget_derived()
        self.graph.set_mentions(position, [])
        self._key_signature.set(position, 0)
        # The position stays (positions are never reused), its record does not.
        if self._held is not None:
            self._held.pop(memory_id, None)

    def _forget_derived(self) -> None:
        self._eligible_masks.clear()
        self._ended.clear()
        self._winners.clear()
        self._fact_turns = None

    def removed(self, position: int) -> bool:
        """Whether the memory at ``position`` was removed (deleted): it is in no result."""
        return position >= self._status.size or bool(self._status.values[position] < 0)

    def _drop_rows(self, position: int) -> None:
        for row in self._rows_of(position):
            self.dense.clear(row)
            self._dense_owner.set(row, -1)
        self._first_row.set(position, -1)
        if self._more_rows.pop(position, None) is not None:
            self._extra = None
        row = int(self._lexical_row.values[position])
        if row >= 0:
            self.lexical.remove(row)
            self._lexical_row.set(position, -1)

    # -- filters and columns ----------------------------------------------------------
    def eligible(self, where: Eligibility) -> BoolArray:
        """Mask over memory positions that satisfy every condition.

        Masks are kept until the index changes (searches repeat their filters); the TTL
        condition, which moves with the clock, is applied to the kept mask each time.
        """
        key = replace(where, unexpired_at=None)
        mask = self._eligible_masks.get(key)
        if mask is None:
            if len(self._eligible_masks) > 32:
                self._eligible_masks.clear()
            mask = self._eligible_masks[key] = self._eligible(key)
            mask.flags.writeable = False  # shared by later searches
        if where.unexpired_at is not None and self._expiring:
            expiring = np.fromiter(self._expiring, dtype=np.int64, count=len(self._expiring))
            gone = expiring[self._expires.values[expiring] <= where.unexpired_at.timestamp()]
            if len(gone):
                mask = mask.copy()
                mask[gone] = False
        return mask

    def _eligible(self, where: Eligibility) -> BoolArray:
        mask = _one_of(self._status.view(), [_STATUS_CODES[s] for s in where.statuses])
        if where.kinds is not None:
            mask &= _one_of(self._kind.view(), [_KIND_CODES[k] for k in where.kinds])
        if where.session_id is not None:
            mask &= self._session.view() == self._session_codes.find(where.session_id)
        if where.agent_id is not None:
            mask &= self._agent.view() == self._agent_codes.find(where.agent_id)
        event = self._event.view()
        if where.start is not None:
            mask &= event >= where.start.timestamp()
        if where.end is not None:
            mask &= event < where.end.timestamp()
        if where.only is not None:
            allowed = [p for p in map(self.position.get, where.only) if p is not None]
            chosen = np.zeros(len(mask), dtype=bool)
            chosen[np.asarray(allowed, dtype=np.int64)] = True
            mask &= chosen
        if where.as_of is not None:
            t = where.as_of.timestamp()
            began = np.where(np.isnan(self._valid_from.view()), event, self._valid_from.view())
            mask &= ~(began > t)  # NaN (no time known) counts as valid
            mask &= ~(self._valid_to.view() <= t)
        return mask

    def touch(self, counts: Mapping[str, int], at: datetime, gain: float) -> None:
        """Record retrievals as the store will: strength up, clock reset (MemoryBank)."""
        for memory_id, n in counts.items():
            position = self.position.get(memory_id)
            if position is None:
                continue
            self._strength.set(position, float(self._strength.values[position]) + n * gain)
            self._touched.set(position, at.timestamp())

    def retention_inputs(self) -> tuple[FloatArray, FloatArray, FloatArray, BoolArray]:
        """Per memory: last access (else creation) time, strength, importance, pinned."""
        return (
            self._touched.view(),
            self._strength.view(),
            self._importance.view(),
            self._pinned.view(),
        )

    def ended_by(self, t: float, *, messages: bool = True) -> BoolArray:
        """Memories whose validity ended at or before ``t`` (epoch seconds).

        With ``messages``, this also covers the messages (turns, rounds) whose every derived
        fact has ended: "I live in Paris" is outdated once its fact is.
        """
        cached = self._ended.get((t, messages))
        if cached is not None:
            return cached
        if len(self._ended) > 64:
            self._ended.clear()
        self._ended[(t, messages)] = found = self._ended_by(t, messages)
        return found

    def _ended_by(self, t: float, messages: bool) -> BoolArray:
        valid_to = self._valid_to.view()
        ended: BoolArray = valid_to <= t
        if not messages:
            return ended
        facts = self._kind.view() == _KIND_CODES[MemoryKind.FACT]
        facts &= self._status.view() >= 0
        if not (ended & facts).any():
            return ended
        incidence = self.incidence()
        per_episode = incidence.rmatvec(facts)
        closed_per_episode = incidence.rmatvec(facts & ended)
        stale_episode = (per_episode > 0) & (closed_per_episode >= per_episode)
        is_message = np.isin(
            self._kind.view(), [_KIND_CODES[MemoryKind.TURN], _KIND_CODES[MemoryKind.ROUND]]
        )
        stale: BoolArray = incidence.matvec(stale_episode) > 0
        return ended | (stale & is_message)

    def successors(self, position: int, t: float) -> set[int]:
        """What replaced an ended memory by ``t``: the slot's version in effect then (and the
        messages it came from), or, for an outdated message, its facts' successors."""
        if self._kind.values[position] == _FACT:
            return self._in_effect(position, t)
        out: set[int] = set()
        for member in self._members.gather(self._episodes.get(position))[1].tolist():
            if self._kind.values[member] == _FACT and member != position:
                out |= self._in_effect(member, t)
        return out

    def current_facts(self) -> list[MemoryItem]:
        """The active facts that hold a slot (read from the store)."""
        active = _STATUS_CODES[MemoryStatus.ACTIVE]
        positions = [
            p
            for members in self._slot_members.values()
            for p in members
            if self._status.values[p] == active
        ]
        return self.items_at(sorted(positions))

    def fact_messages(self) -> tuple[IntArray, IntArray]:
        """Every fact paired with each turn it was drawn from (its message), facts ascending:
        two aligned position arrays, built once per index change."""
        if self._fact_turns is None:
            # A join on the message, in numpy: (fact, message) entries of the incidence
            # against (turn, message) entries, each fact with every turn of its messages.
            incidence = self.incidence()
            kind = self._kind.values[incidence.rows]
            facts = kind == _KIND_CODES[MemoryKind.FACT]
            turns = kind == _KIND_CODES[MemoryKind.TURN]
            order = np.argsort(incidence.cols[turns], kind="stable")
            turn_messages = incidence.cols[turns][order]
            turn_rows = incidence.rows[turns][order]
            fact_rows, fact_messages = incidence.rows[facts], incidence.cols[facts]
            low = np.searchsorted(turn_messages, fact_messages, side="left")
            high = np.searchsorted(turn_messages, fact_messages, side="right")
            counts = high - low
            starts = np.repeat(low - np.cumsum(counts) + counts, counts)
            picked = starts + np.arange(int(counts.sum()))
            pairs = np.unique(
                np.stack([np.repeat(fact_rows, counts), turn_rows[picked]], axis=1), axis=0
            ).reshape(-1, 2)
            self._fact_turns = (pairs[:, 0], pairs[:, 1])
        return self._fact_turns

    def _in_effect(self, fact: int, t: float) -> set[int]:
        slot = int(self._slot.values[fact])
        if slot < 0:
            return set()
        winner, related = self._slot_winner(slot, t)
        if winner is None or winner == fact:
            return set()
        return related

    def _slot_winner(self, slot: int, t: float) -> tuple[int | None, set[int]]:
        """The slot's live version in effect at ``t`` and, with it, the messages and facts it
        came from (memoised per slot and time until the index changes)."""
        cached = self._winners.get((slot, t))
        if cached is not None:
            return cached
        versions = self._slot_members.get(slot, set())
        members = np.fromiter(versions, dtype=np.int64, count=len(versions))
        starts = self._valid_from.values[members]
        # Live versions started by t (an unknown start, NaN, never counts), the latest first.
        usable = np.isin(self._status.values[members], _LIVE_CODES) & (starts <= t)
        found: tuple[int | None, set[int]] = (None, set())
        if usable.any():
            best = int(members[usable][np.argmax(starts[usable])])
            made_of = self._members.gather(self._episodes.get(best))[1]
            related = set(made_of[np.isin(self._kind.values[made_of], _RELATED)].tolist())
            found = (best, {best} | related)
        if len(self._winners) > 100_000:
            self._winners.clear()
        self._winners[(slot, t)] = found
        return found

    def kind_mask(self, kind: MemoryKind) -> BoolArray:
        """Memories of one kind."""
        out: BoolArray = self._kind.view() == _KIND_CODES[kind]
        return out

    def _code_of(self, speaker: str | None, *, register: bool = True) -> int:
        if not speaker:
            return -1
        code = self._speaker_code.setdefault(speaker.casefold(), len(self._speaker_code))
        if register:
            self._speaker_names.setdefault(code, speaker)
        return code

    def subjects(self) -> set[str]:
        """Every subject of the scope's facts (one spelling per name)."""
        return set(self._subject_names.values())

    def subject_mask(self, subjects: Sequence[str]) -> BoolArray:
        """Facts about one of these subjects (case-insensitive)."""
        return self._name_mask(self._subject, subjects)

    def speaker_mask(self, speakers: Sequence[str]) -> BoolArray:
        """Memories said by one of these speakers (case-insensitive)."""
        return self._name_mask(self._speaker, speakers)

    def _name_mask(self, column: Column, names: Sequence[str]) -> BoolArray:
        """Where a column of name codes (``_code_of``) holds one of ``names``."""
        codes = [self._speaker_code[c] for s in names if (c := s.casefold()) in self._speaker_code]
        out: BoolArray = np.isin(column.view(), codes)
        return out

    def speakers(self) -> set[str]:
        """Every speaker name of the scope's messages (one spelling per name)."""
        return set(self._speaker_names.values())

    def event_times(self) -> FloatArray:
        """Event time of each memory as epoch seconds (NaN when unknown)."""
        return self._event.view()

    def latest_event(self) -> float | None:
        """The latest event time in the scope (epoch seconds), if any memory has one (kept
        until a memory changes)."""
        if self._latest is _UNKNOWN:
            event = self._event.view()
            known = event[np.isfinite(event) & (self._status.view() >= 0)]
            self._latest = float(known.max()) if len(known) else None
        return self._latest if isinstance(self._latest, float) else None

    def dated(self) -> BoolArray:
        """Memories whose text mentions a date or time expression."""
        out: BoolArray = self._dated.view()
        return out

    def mentions_time_in(self, start: float, end: float) -> BoolArray:
        """Memories whose text mentions a time overlapping ``[start, end)`` (epoch seconds)."""
        if self._mention_table is None:
            every = np.arange(len(self), dtype=np.int64)
            owners, starts = self._mention_starts.gather(every)
            _, ends = self._mention_ends.gather(every)
            self._mention_table = (owners, starts, ends)
        owners, starts, ends = self._mention_table
        mask = np.zeros(len(self), dtype=bool)
        mask[owners[(starts < end) & (ends > start)]] = True
        return mask

    def incidence(self) -> Triplets:
        """Memory-by-episode 0/1 matrix: which messages each memory is made of."""
        if self._incidence is None:
            rows, cols = self._episodes.gather(np.arange(len(self), dtype=np.int64))
            live = self._status.values[rows] >= 0
            self._incidence = Triplets.ones(
                (len(self), len(self._episode_number)), rows[live], cols[live]
            )
        return self._incidence

    # -- scores -----------------------------------------------------------------------
    def _extra_rows(self) -> tuple[IntArray, IntArray]:
        """Every memory's dense rows after its first (its passages), flat: (owner, row)."""
        if self._extra is None:
            owners = [p for p, rows in self._more_rows.items() for _ in rows]
            rows = [r for more in self._more_rows.values() for r in more]
            self._extra = (np.asarray(owners, dtype=np.int64), np.asarray(rows, dtype=np.int64))
        return self._extra

    def _best_of_rows(
        self,
        positions: IntArray,
        score_rows: Callable[[IntArray], npt.NDArray[np.float32]],
        *,
        passages: bool = True,
        every: bool = False,
    ) -> FloatArray:
        """Best score over each memory's dense rows (-inf for memories without any); with
        ``passages`` off, over its first row (its text key) only. ``every``: ``positions`` are
        all the memories, in order."""
        rows = self._first_row.values[positions]
        has = rows >= 0
        best = np.full(len(positions), -np.inf, dtype=np.float64)
        best[has] = score_rows(rows[has])
        if not (passages and self._more_rows):
            return best
        if every:  # positions are every memory in order: the flat passage rows apply as they are
            owners, extra = self._extra_rows()
            np.maximum.at(best, owners, score_rows(extra))
            return best
        # A few positions (a candidate pool): their own passage rows, not the whole scope's.
        places = [
            (i, r) for i, p in enumerate(positions.tolist()) for r in self._more_rows.get(p, ())
        ]
        if places:
            at, rows = np.asarray(places, dtype=np.int64).T
            np.maximum.at(best, at, score_rows(rows))
        return best

    def _rows_of(self, position: int) -> list[int]:
        """A memory's dense rows (none once it is removed)."""
        first = int(self._first_row.values[position])
        return [] if first < 0 else [first, *self._more_rows.get(position, [])]

    def dense_scores(
        self, query_vector: npt.NDArray[np.float32], *, passages: bool = True
    ) -> FloatArray:
        """Best cosine similarity over each memory's keys (-inf for memories without keys);
        ``passages`` off: its text key's alone."""
        every_row = self.dense.scores(query_vector)
        return self._best_of_rows(
            np.arange(len(self)), lambda rows: every_row[rows], passages=passages, every=True
        )

    def dense_scores_at(
        self, query_vector: npt.NDArray[np.float32], positions: IntArray, *, passages: bool = True
    ) -> FloatArray:
        """:meth:`dense_scores` of some memories only."""
        return self._best_of_rows(
            positions, lambda rows: self.dense.rescore(query_vector, rows), passages=passages
        )

    def nearest(
        self, query_vector: npt.NDArray[np.float32], k: int, *, depth: int | None = None
    ) -> IntArray:
        """Positions of about the ``k`` memories whose keys are closest (HNSW, approximate;
        ``depth``: the graph search's, when not the default)."""
        owners = self._dense_owner.values[self.dense.nearest(query_vector, k, depth=depth)]
        return np.unique(owners[owners >= 0])

    def nearest_eligible(
        self,
        query_vector: npt.NDArray[np.float32],
        eligible: BoolArray,
        k: int,
        *,
        depth: int | None = None,
    ) -> tuple[IntArray, FloatArray]:
        """The ``k`` eligible memories closest to the query (any order), with their exact
        cosines: all eligible ones scored when they are few, else the HNSW graph's nearest
        (asked for more when few memories are eligible), re-scored against the float16 rows."""
        n_eligible = int(eligible.sum())
        if n_eligible <= _EXACT_DENSE:
            positions = np.flatnonzero(eligible)
        else:
            share = n_eligible / max(len(self), 1)
            asked = min(_MAX_NEIGHBOURS, int(np.ceil(k / share)))
            positions = self.nearest(query_vector, asked, depth=depth)
            positions = positions[eligible[positions]]
        scores = self.dense_scores_at(query_vector, positions)
        finite = np.flatnonzero(np.isfinite(scores))
        if len(finite) > k:
            finite = finite[np.argpartition(-scores[finite], k - 1)[:k]]
        return positions[finite], scores[finite]

    def _per_document(self, row_scores: npt.NDArray[np.float32]) -> FloatArray:
        rows = self._lexical_row.view()
        has = rows >= 0
        best = np.full(len(self), -np.inf, dtype=np.float64)
        best[has] = row_scores[rows[has]]
        return best

    def lexical_scores(self, query: str) -> FloatArray:
        """BM25 score of each memory's document."""
        return self._per_document(self.lexical.scores(query))

    def lexical_matches(self, query: str | Mapping[str, float]) -> LexicalMatches:
        """The memories whose BM25 document matches the query (or weighted analysed terms),
        with their scores: the terms' postings are read, not every memory's score (a sparse
        :meth:`lexical_scores`)."""
        terms = Counter(tokenize(query)) if isinstance(query, str) else query
        rows, scores = self.lexical.matches(terms)
        return LexicalMatches(rows, self._lexical_owner.values[rows], scores.astype(np.float64))

    def lexical_scores_from(self, positions: IntArray, matches: LexicalMatches) -> FloatArray:
        """:meth:`lexical_scores` at ``positions``, from a :meth:`lexical_matches` result."""
        rows = self._lexical_row.values[positions]
        out = np.where(rows >= 0, 0.0, -np.inf)
        if len(matches.rows):
            at = np.minimum(np.searchsorted(matches.rows, rows), len(matches.rows) - 1)
            hit = (matches.rows[at] == rows) & (rows >= 0)
            out[hit] = matches.scores[at[hit]]
        return out

    def lexical_rows(self, positions: IntArray) -> RowMap:
        """The BM25 rows of some memories, for :meth:`lexical_scores_at`."""
        return RowMap(self._lexical_row.values[positions], len(self.lexical))

    def lexical_scores_at(self, query: str | Mapping[str, float], rows: RowMap) -> FloatArray:
        """BM25 of the memories whose rows these are (a query, or weighted analysed terms);
        -inf for a memory without a document."""
        if isinstance(query, str):
            found = self.lexical.scores(query, rows)
        else:
            found = self.lexical.term_scores(query, rows)
        return np.where(rows.rows >= 0, found, -np.inf)

    def lexical_term_scores(self, terms: Mapping[str, float]) -> FloatArray:
        """BM25 score of each memory's document for already-analysed, weighted terms."""
        return self._per_document(self.lexical.term_scores(terms))

    def lexical_terms(self, position: int) -> list[str]:
        """The analysed terms of a memory's BM25 document."""
        row = int(self._lexical_row.values[position])
        return self.lexical.terms(row) if row >= 0 else []

    def vectors(self, positions: Sequence[int]) -> npt.NDArray[np.float32]:
        """The first dense key vector of each memory (zeros when it has none)."""
        out = np.zeros((len(positions), self.dense.dim), dtype=np.float32)
        for i, position in enumerate(positions):
            row = int(self._first_row.values[position])
            if row >= 0:
                out[i] = self.dense.row(row)
        return out

    def relatives(self, positions: IntArray, at: float) -> IntArray:
        """The memories made of the same messages as these and, for a fact, its slot's
        version in effect at ``at`` with the messages it came from (the granularity and
        version relatives a search scores alongside its candidates)."""
        # A session's members join through the turns of it that match, not all of them:
        # its lift reaches them, and twenty messages per session would swamp the pool.
        messages = positions[self._kind.values[positions] != _KIND_CODES[MemoryKind.SESSION]]
        _, episodes = self._episodes.gather(messages)
        _, members = self._members.gather(np.unique(episodes))
        found = [positions, members]
        # Not the slot's whole history, which grows for years ("where Ana lives" changes with
        # every move): the version in effect is what an ended version is ranked below.
        slots = self._slot.values[positions]
        for slot in np.unique(slots[slots >= 0]).tolist():
            found.append(np.fromiter(self._slot_winner(slot, at)[1], dtype=np.int64))
        return np.unique(np.concatenate(found))

    def recency(self, position: int) -> tuple[bool, float, int]:
        """Sort key: active first, then the latest event (else record time), then the
        latest added."""
        when = self._event.values[position]
        if np.isnan(when):
            when = self._created.values[position]
        active = self._status.values[position] == _STATUS_CODES[MemoryStatus.ACTIVE]
        return (not active, -float(when), -position)

    def message_of(self, position: int) -> int | None:
        """The one message a turn or a fact was drawn from (its number), else None."""
        if self._kind.values[position] not in (_FACT, _KIND_CODES[MemoryKind.TURN]):
            return None
        numbers = self._episodes.get(position)
        return int(numbers[0]) if len(numbers) == 1 else None

    def members_of(self, episode_id: str) -> list[int]:
        """Positions of the memories made of one message (any status)."""
        number = self._episode_number.get(episode_id)
        return [] if number is None else self._members.get(number).tolist()


@dataclass(frozen=True, slots=True)
class LexicalMatches:
    """Memories whose BM25 document matches a query: BM25 rows (ascending), the memories'
    positions and their scores, aligned."""

    rows: IntArray
    positions: IntArray
    scores: FloatArray


_UNKNOWN = object()  # a cache not computed yet
_FACT = _KIND_CODES[MemoryKind.FACT]
# The memories a slot's version brings along: its messages and their facts.
_RELATED = [_KIND_CODES[k] for k in (MemoryKind.TURN, MemoryKind.ROUND, MemoryKind.FACT)]


def _one_of(codes: npt.NDArray[np.int16], allowed: Sequence[int]) -> BoolArray:
    """Where a column of small non-negative codes (-1: none) holds one of ``allowed``: a
    lookup table, several times faster than ``np.isin`` on a large column."""
    table = np.zeros(max([*allowed, 0]) + 2, dtype=bool)
    table[list(allowed)] = True  # the last entry, read for code -1, stays False
    out: BoolArray = table[np.minimum(codes, len(table) - 1)]
    return out


# Below this many eligible memories, nearest_eligible scores them all exactly (a gather and
# one mat-vec, well under a millisecond); above, it filters the HNSW graph's neighbours.
_EXACT_DENSE = 4096
# Neighbours asked of the graph at most, however few memories are eligible.
_MAX_NEIGHBOURS = 4096
