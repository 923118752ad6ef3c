"""RealMem (RealMemBench): long user-assistant project histories, queries asked mid-history.

A RealMem folder holds ``dataset/<person>_dialogues_256k.json`` (one history per person: its
sessions in order, each with ``session_uuid``, ``current_time`` and ``dialogue_turns`` of
``speaker`` and ``content``) and ``realmem_queries_derived.json`` (one record per query: where
it was asked, its text and date, and the gold sessions and turns). The loader reads only what
a chat application would have: speakers, contents, session uuids (random) and dates. Fields
with labels or LLM-written text are never read: ``extracted_memory``, ``is_query``,
``query_id``, ``topic``, ``category_name``, ``session_type``, ``memory_used``,
``memory_session_uuids`` and ``session_identifier`` (its value names the project).

Protocol: one scope per person. Before each query (taken in the order asked), the engine has
ingested exactly what came before it: every earlier session, and the turns before the query
in its own session. Then two searches: sessions (kind ``session``, ranked by session uuid) and
turns (kind ``turn``, ranked by ``"<session uuid>:<turn index>"``), both user and assistant
turns indexed (the evidence is mostly in assistant turns). Gold and ``category`` are read by
the scorer only.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kenning.errors import ValidationError
from kenning.models import MemoryKind

from ._common import (
    Progress,
    Timer,
    check_ks,
    describe,
    expect_dict,
    expect_list,
    expect_str,
    metadata_key,
    ranked_ids,
    read_json,
    session_key,
    stamp,
)
from ._protocol import SupportsMemory
from .ablation import DEFAULT, configured, kept_metrics, level_ablation, variant_plan
from .longmemeval import score_longmemeval
from .metrics import Scored, summarize

__all__ = [
    "REALMEM_KS",
    "RealMemHistory",
    "RealMemQuery",
    "RealMemSession",
    "load_realmem",
    "run_realmem",
]

REALMEM_KS = (1, 3, 5, 10, 30, 50)
QUERIES_FILE = "realmem_queries_derived.json"
_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_ROLES = {"user": "user", "assistant": "assistant"}


@dataclass(frozen=True, slots=True)
class RealMemSession:
    """One session: its uuid, date and (role, content) turns."""

    uuid: str
    date: datetime | None
    turns: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class RealMemQuery:
    """A query asked at turn ``turn`` of session ``session`` (positions in the history);
    ``category`` and the gold are for the scorer only."""

    person: str
    session: int
    turn: int
    question: str
    category: str
    gold_sessions: frozenset[str]
    gold_turns: frozenset[str]


@dataclass(frozen=True, slots=True)
class RealMemHistory:
    """One person's sessions in order, and the queries asked in them, in order."""

    person: str
    sessions: tuple[RealMemSession, ...]
    queries: tuple[RealMemQuery, ...]


def turn_key(session_uuid: str, index: int) -> str:
    return f"{session_uuid}:{index}"


def _date(text: object) -> datetime | None:
    match = _DATE.match(text) if isinstance(text, str) else None
    if match is None:
        return None
    year, month, day = (int(g) for g in match.groups())
    return datetime(year, month, day, 12, 0, tzinfo=UTC)


def _session(raw: object, where: str) -> RealMemSession:
    record = expect_dict(raw, where)
    turns = []
    for index, turn in enumerate(expect_list(record.get("dialogue_turns"), where)):
        entry = expect_dict(turn, f"{where}.dialogue_turns[{index}]")
        speaker = expect_str(entry.get("speaker"), f"{where}.dialogue_turns[{index}].speaker")
        role = _ROLES.get(speaker.lower())
        if role is None:
            raise ValidationError(f"{where}.dialogue_turns[{index}].speaker", repr(speaker))
        turns.append((role, str(entry.get("content") or "")))
    return RealMemSession(
        uuid=expect_str(record.get("session_uuid"), f"{where}.session_uuid"),
        date=_date(record.get("current_time")),
        turns=tuple(turns),
    )


def _query(raw: object, where: str, positions: Mapping[str, int]) -> tuple[str, RealMemQuery]:
    record = expect_dict(raw, where)
    uuid = expect_str(record.get("query_session_uuid"), f"{where}.query_session_uuid")
    if uuid not in positions:
        raise ValidationError(f"{where}.query_session_uuid", f"no session {uuid!r}")
    gold_turns = frozenset(
        turn_key(str(pair[0]), int(pair[1]))
        for pair in expect_list(record.get("gold_turns", []), f"{where}.gold_turns")
    )
    query = RealMemQuery(
        person=expect_str(record.get("person"), f"{where}.person"),
        session=positions[uuid],
        turn=int(record.get("query_turn_index", 0)),
        question=expect_str(record.get("question"), f"{where}.question"),
        category=str(record.get("category") or "unknown"),
        gold_sessions=frozenset(
            str(s) for s in expect_list(record.get("gold_session_uuids"), f"{where}.gold")
        ),
        gold_turns=gold_turns,
    )
    return expect_str(record.get("file"), f"{where}.file"), query


def load_realmem(folder: str | Path) -> list[RealMemHistory]:
    """Every person's history of a RealMem folder (``dataset/`` and the queries file)."""
    root = Path(folder)
    files = sorted((root / "dataset").glob("*_dialogues_256k.json"))
    if not files:
        raise ValidationError("path", f"no dataset/*_dialogues_256k.json under {root}")
    raw_queries = expect_list(read_json(root / QUERIES_FILE), QUERIES_FILE)
    histories = []
    for path in files:
        dialogues = expect_list(expect_dict(read_json(path), path.name).get("dialogues"), path.name)
        sessions = tuple(
            _session(raw, f"{path.name}.dialogues[{i}]") for i, raw in enumerate(dialogues)
        )
        positions = {session.uuid: index for index, session in enumerate(sessions)}
        queries = [
            query
            for index, raw in enumerate(raw_queries)
            if expect_dict(raw, f"{QUERIES_FILE}[{index}]").get("file") == path.name
            for _, query in [_query(raw, f"{QUERIES_FILE}[{index}]", positions)]
        ]
        queries.sort(key=lambda q: (q.session, q.turn))
        histories.append(RealMemHistory(path.name.split("_dialogues")[0], sessions, tuple(queries)))
    return histories


def _messages(session: RealMemSession, start: int, stop: int) -> list[dict[str, Any]]:
    return [
        {"role": role, "content": content, "metadata": {"turn": turn_key(session.uuid, index)}}
        for index, (role, content) in enumerate(session.turns[start:stop], start=start)
        if content.strip()
    ]


class _Ingest:
    """Brings a person's scope up to a position, adding each turn once, in order."""

    def __init__(self, memory: SupportsMemory, timer: Timer, history: RealMemHistory) -> None:
        self.memory, self.timer, self.history = memory, timer, history
        self.session, self.turn = 0, 0

    def up_to(self, session: int, turn: int) -> None:
        while (self.session, self.turn) < (session, turn):
            current = self.history.sessions[self.session]
            stop = turn if self.session == session else len(current.turns)
            messages = _messages(current, self.turn, stop)
            if messages:
                self.timer.add(
                    self.memory,
                    messages,
                    user_id=self.history.person,
                    session_id=current.uuid,
                    timestamp=current.date,
                )
            if stop == len(current.turns) and self.session < session:
                self.session, self.turn = self.session + 1, 0
            else:
                self.turn = stop


def _queries(
    histories: Iterable[RealMemHistory], limit: int | None
) -> Iterator[tuple[RealMemHistory, RealMemQuery]]:
    pairs = ((h, q) for h in histories for q in h.queries)
    return itertools.islice(pairs, limit)


def run_realmem(
    folder: str | Path,
    memory: SupportsMemory,
    *,
    ks: Iterable[int] = REALMEM_KS,
    limit_persons: int | None = None,
    limit_queries: int | None = None,
    progress: Progress | None = None,
    variants: Mapping[str, Mapping[str, Any]] | None = None,
    per_question: Collection[str] = (),
) -> dict[str, Any]:
    """Ingest each person's history up to each query, then score session and turn retrieval
    (``recall_any``, ``recall_all`` and ``ndcg_any`` at each k); see the module docstring.
    With ``variants`` (see :mod:`kenning.eval.ablation`) every query is also answered under
    each variant at the same point of the history, and ``result["ablation"]`` compares them,
    with the metrics named in ``per_question`` kept for every query."""
    cut_offs = check_ks(ks)
    histories = load_realmem(folder)[:limit_persons]
    timer = Timer()
    plan = variant_plan(variants)
    rows: dict[str, dict[str, list[Scored]]] = {n: {"session": [], "turn": []} for n in plan}
    kept: dict[str, list[dict[str, float]]] = {n: [] for n in plan}
    pairs = list(_queries(histories, limit_queries))
    ingests: dict[str, _Ingest] = {}
    for done, (history, query) in enumerate(pairs, start=1):
        ingest = ingests.setdefault(history.person, _Ingest(memory, timer, history))
        ingest.up_to(query.session, query.turn)
        for name, changes in plan.items():
            with configured(memory, changes):
                scores = _answer(memory, timer, history.person, query, cut_offs, rows[name], name)
            kept[name].append(
                {
                    key: value
                    for level, metrics in scores.items()
                    for key, value in kept_metrics(metrics, per_question, level).items()
                }
            )
        if progress is not None:
            progress(done, len(pairs))
    summaries = {level: summarize(scored) for level, scored in rows[DEFAULT].items()}
    result: dict[str, Any] = {
        "dataset": "realmem",
        "path": str(folder),
        "questions": len(pairs),
        "session": summaries["session"].overall.as_dict(),
        "turn": summaries["turn"].overall.as_dict(),
        "per_category": {
            level: {name: group.as_dict() for name, group in summary.groups.items()}
            for level, summary in summaries.items()
        },
        "timing": timer.report(unit="turns"),
        "config": {
            **describe(memory),
            "ks": list(cut_offs),
            "limit": max(cut_offs),
            "persons": [h.person for h in histories],
            "limit_queries": limit_queries,
            "scored": {level: summary.overall.count for level, summary in summaries.items()},
            "ingest": "per query, only what came before it (earlier sessions; earlier turns "
            "of its own session)",
            "indexed_roles": ["user", "assistant"],
            "scope": "user_id = person",
            **stamp(),
        },
    }
    if len(plan) > 1:
        levels = {
            name: [
                Scored(level, row.metrics) for level, scored in by_level.items() for row in scored
            ]
            for name, by_level in rows.items()
        }
        result["ablation"] = level_ablation(plan, levels, kept if per_question else None)
    return result


def _answer(
    memory: SupportsMemory,
    timer: Timer,
    person: str,
    query: RealMemQuery,
    cut_offs: tuple[int, ...],
    rows: dict[str, list[Scored]],
    variant: str,
) -> dict[str, dict[str, float]]:
    """Search the query at both levels (a level without gold is skipped) and score it;
    returns each level's scores."""
    out: dict[str, dict[str, float]] = {}
    levels = (
        ("session", MemoryKind.SESSION, session_key, query.gold_sessions),
        ("turn", MemoryKind.TURN, metadata_key("turn"), query.gold_turns),
    )
    for level, kind, key, gold in levels:
        if not gold:
            continue
        hits = timer.search(
            memory,
            query.question,
            user_id=person,
            limit=max(cut_offs),
            kind=kind,
            record=variant == DEFAULT,
        )
        scores = score_longmemeval(ranked_ids(hits, key), gold, cut_offs)
        rows[level].append(Scored(query.category, scores))
        out[level] = scores
    return out
