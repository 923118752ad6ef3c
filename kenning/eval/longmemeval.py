"""LongMemEval (Wu et al., 2024): loader and session/turn retrieval runner.

The file format is LongMemEval's (``longmemeval_s.json`` and friends): a list of questions,
each with its own haystack of dated sessions. Keys follow the official retrieval code
(``src/retrieval/run_retrieval.py`` in xiaowu0162/LongMemEval): only user turns are indexed, and
a turn's id is ``f"{session_id}_{i + 1}"`` with ``i`` its 0-based position in the session
counting every turn (assistant turns included). Gold comes from ``answer_session_ids`` and the
turns' ``has_answer`` flags, which only the scorer reads. Abstention questions (id ending in
``_abs``) are skipped, as the official averaging does.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection, Iterable, Mapping
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
    optional_text,
    ranked_ids,
    read_json,
    session_key,
    stamp,
)
from ._protocol import SupportsMemory
from .ablation import DEFAULT, configured, kept_metrics, level_ablation, variant_plan
from .metrics import Scored, ndcg_any_at_k, recall_all_at_k, recall_any_at_k, summarize

__all__ = [
    "LONGMEMEVAL_KS",
    "LongMemEvalQuestion",
    "LongMemEvalSession",
    "LongMemEvalTurn",
    "gold_sessions",
    "gold_turns",
    "load_longmemeval",
    "opaque_session_ids",
    "parse_longmemeval_date",
    "run_longmemeval",
    "score_longmemeval",
    "session_messages",
    "turn_id",
]

LONGMEMEVAL_KS = (1, 3, 5, 10, 30, 50)
"""The cut-offs the official retrieval evaluation reports."""

_DATE = re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})\s*(?:\([A-Za-z]+\))?\s*(\d{1,2}):(\d{2})")


@dataclass(frozen=True, slots=True)
class LongMemEvalTurn:
    """One chat turn; ``has_answer`` (``None`` when absent) is a gold label for the scorer."""

    role: str
    content: str
    has_answer: bool | None = None


@dataclass(frozen=True, slots=True)
class LongMemEvalSession:
    """One haystack session with its id and date."""

    session_id: str
    date: datetime | None
    turns: tuple[LongMemEvalTurn, ...]


@dataclass(frozen=True, slots=True)
class LongMemEvalQuestion:
    """One question with its haystack; ``question_type`` and the labels are for the scorer."""

    question_id: str
    question_type: str
    question: str
    question_date: datetime | None
    sessions: tuple[LongMemEvalSession, ...]
    answer_session_ids: tuple[str, ...]
    answer: str | None = None

    @property
    def is_abstention(self) -> bool:
        """Abstention questions (unanswerable by design) have ids ending in ``_abs``."""
        return self.question_id.endswith("_abs")


def parse_longmemeval_date(text: str) -> datetime:
    """Parse a LongMemEval date (``"2023/05/20 (Sat) 02:21"``) as UTC; the weekday is ignored."""
    match = _DATE.fullmatch(text.strip())
    if match is None:
        raise ValidationError("date", f"cannot parse {text!r}")
    year, month, day, hour, minute = (int(group) for group in match.groups())
    try:
        return datetime(year, month, day, hour, minute, tzinfo=UTC)
    except ValueError as exc:
        raise ValidationError("date", f"cannot parse {text!r}: {exc}") from exc


def turn_id(session_id: str, index: int) -> str:
    """Official turn id: ``f"{session_id}_{index + 1}"``, ``index`` 0-based over all turns."""
    return f"{session_id}_{index + 1}"


def _parse_turn(raw: object, where: str) -> LongMemEvalTurn:
    record = expect_dict(raw, where)
    has_answer = record.get("has_answer")
    return LongMemEvalTurn(
        role=expect_str(record.get("role"), f"{where}.role"),
        content=expect_str(record.get("content", ""), f"{where}.content"),
        has_answer=has_answer if isinstance(has_answer, bool) else None,
    )


def _parse_question(raw: object, where: str) -> LongMemEvalQuestion:
    record = expect_dict(raw, where)
    session_ids = expect_list(record.get("haystack_session_ids"), f"{where}.haystack_session_ids")
    dates = expect_list(record.get("haystack_dates"), f"{where}.haystack_dates")
    sessions = expect_list(record.get("haystack_sessions"), f"{where}.haystack_sessions")
    if not len(session_ids) == len(dates) == len(sessions):
        raise ValidationError(
            where,
            f"haystack lengths differ: {len(session_ids)} ids, {len(dates)} dates, "
            f"{len(sessions)} sessions",
        )
    parsed = []
    for index, (sid, date, turns) in enumerate(zip(session_ids, dates, sessions, strict=True)):
        session_where = f"{where}.haystack_sessions[{index}]"
        parsed.append(
            LongMemEvalSession(
                session_id=expect_str(sid, f"{where}.haystack_session_ids[{index}]"),
                date=parse_longmemeval_date(date) if isinstance(date, str) else None,
                turns=tuple(
                    _parse_turn(turn, f"{session_where}[{t}]")
                    for t, turn in enumerate(expect_list(turns, session_where))
                ),
            )
        )
    question_date = record.get("question_date")
    return LongMemEvalQuestion(
        question_id=expect_str(record.get("question_id"), f"{where}.question_id"),
        question_type=expect_str(record.get("question_type", "unknown"), f"{where}.question_type"),
        question=expect_str(record.get("question"), f"{where}.question"),
        question_date=(
            parse_longmemeval_date(question_date) if isinstance(question_date, str) else None
        ),
        sessions=tuple(parsed),
        answer_session_ids=tuple(
            expect_str(sid, f"{where}.answer_session_ids")
            for sid in expect_list(
                record.get("answer_session_ids", []), f"{where}.answer_session_ids"
            )
        ),
        answer=optional_text(record.get("answer")),
    )


def load_longmemeval(path: str | Path) -> list[LongMemEvalQuestion]:
    """All questions of a LongMemEval file, abstention questions included, in file order."""
    return [
        _parse_question(raw, f"longmemeval[{index}]")
        for index, raw in enumerate(expect_list(read_json(path), "longmemeval"))
    ]


def session_messages(
    session: LongMemEvalSession, opaque_id: str | None = None
) -> list[dict[str, Any]]:
    """The ``add`` messages for one session: its non-empty user turns, with official turn ids
    built on ``opaque_id`` (default: the session's own id). Only role, content and the turn
    id reach the engine: never ``has_answer``, which only evidence sessions carry."""
    return [
        {
            "role": "user",
            "content": turn.content,
            "metadata": {"turn_id": turn_id(opaque_id or session.session_id, index)},
        }
        for index, turn in enumerate(session.turns)
        if turn.role == "user" and turn.content.strip()
    ]


def opaque_session_ids(question: LongMemEvalQuestion) -> dict[str, str]:
    """Haystack session id -> the id the engine sees (``s<position>``).

    Evidence sessions' ids begin with ``answer_`` in the released files: handed to the engine
    as they are, they would label the evidence (session ids are stored, and turn ids are
    built on them)."""
    return {session.session_id: f"s{index}" for index, session in enumerate(question.sessions)}


def gold_sessions(question: LongMemEvalQuestion) -> frozenset[str]:
    """Answer sessions of the haystack that hold evidence.

    As in the official code, an answer session whose user turns are all labelled
    ``has_answer: false`` is not gold (it is renamed ``noans`` there). A session whose user turns
    carry no label at all stays gold.
    """
    answers = set(question.answer_session_ids)
    out = set()
    for session in question.sessions:
        if session.session_id not in answers:
            continue
        user_turns = [turn for turn in session.turns if turn.role == "user"]
        labelled = any(turn.has_answer is not None for turn in user_turns)
        if not labelled or any(turn.has_answer for turn in user_turns):
            out.add(session.session_id)
    return frozenset(out)


def gold_turns(question: LongMemEvalQuestion) -> frozenset[str]:
    """User turns labelled ``has_answer`` inside answer sessions (official turn-level gold)."""
    answers = set(question.answer_session_ids)
    return frozenset(
        turn_id(session.session_id, index)
        for session in question.sessions
        if session.session_id in answers
        for index, turn in enumerate(session.turns)
        if turn.role == "user" and turn.has_answer
    )


def spread(questions: list[LongMemEvalQuestion], n: int | None) -> list[LongMemEvalQuestion]:
    """``n`` of the questions at evenly spaced places, in file order (all without ``n``)."""
    if n is None or n >= len(questions):
        return questions
    step = len(questions) / n
    return [questions[int(i * step)] for i in range(n)]


def score_longmemeval(
    ranked: list[str], gold: frozenset[str], ks: Iterable[int]
) -> dict[str, float]:
    """``recall_any@k``, ``recall_all@k`` and ``ndcg_any@k`` of one ranking, for each ``k``."""
    out: dict[str, float] = {}
    for k in ks:
        out[f"recall_any@{k}"] = recall_any_at_k(ranked, gold, k)
        out[f"recall_all@{k}"] = recall_all_at_k(ranked, gold, k)
        out[f"ndcg_any@{k}"] = ndcg_any_at_k(ranked, gold, k)
    return out


def _opaque_turn(official: str, opaque: Mapping[str, str]) -> str:
    session, _, number = official.rpartition("_")
    return f"{opaque[session]}_{number}"


def run_longmemeval(
    path: str | Path,
    memory: SupportsMemory,
    *,
    ks: Iterable[int] = LONGMEMEVAL_KS,
    limit_questions: int | None = None,
    progress: Progress | None = None,
    variants: Mapping[str, Mapping[str, Any]] | None = None,
    per_question: Collection[str] = (),
) -> dict[str, Any]:
    """Ingest each question's haystack into its own scope and score session and turn retrieval.

    Scope: ``user_id = question_id`` in the one ``memory`` given. Each haystack session is one
    ``add`` call of its user turns (``session_id`` = an opaque id, ``s<position>``, since the
    released ids name the evidence sessions; ``timestamp`` = its date,
    ``metadata={"turn_id": ...}`` on the opaque id). Then two searches with ``limit=max(ks)``: kinds
    ``[SESSION]`` ranked by ``hit.memory.session_id``, and kinds ``[TURN]`` ranked by the
    ``turn_id`` metadata. Abstention questions are skipped before ingestion; ``limit_questions``
    takes that many questions spread evenly over the file, abstention ones included (the file
    is sorted by question type: a prefix would hold one or two types only). A level whose gold is
    empty for a question is skipped for that level and counted in ``config["skipped"]``.
    With ``variants`` (see :mod:`kenning.eval.ablation`), every question is also answered under
    each variant and ``result["ablation"]`` compares them (flattened ``"<level> <metric>"``),
    with the metrics named in ``per_question`` kept for every scored question.
    """
    cut_offs = check_ks(ks)
    limit = max(cut_offs)
    questions = spread(load_longmemeval(path), limit_questions)
    timer = Timer()
    plan = variant_plan(variants)
    variant_rows: dict[str, list[Scored]] = {name: [] for name in plan}
    kept: dict[str, list[dict[str, float]]] = {name: [] for name in plan}
    session_rows: list[Scored] = []
    turn_rows: list[Scored] = []
    skipped = {"abstention": 0, "no_gold_session": 0, "no_gold_turn": 0}
    per_type_count: Counter[str] = Counter()
    for done, question in enumerate(questions, start=1):
        if question.is_abstention:
            skipped["abstention"] += 1
        else:
            per_type_count[question.question_type] += 1
            user_id = question.question_id
            opaque = opaque_session_ids(question)
            for session in question.sessions:
                messages = session_messages(session, opaque[session.session_id])
                if messages:
                    timer.add(
                        memory,
                        messages,
                        user_id=user_id,
                        session_id=opaque[session.session_id],
                        timestamp=session.date,
                    )
            # Gold in the engine's ids: the scorer alone knows which sessions they were.
            session_gold = frozenset(opaque[s] for s in gold_sessions(question))
            turn_gold = frozenset(_opaque_turn(t, opaque) for t in gold_turns(question))
            levels = (
                (MemoryKind.SESSION, session_key, session_gold, session_rows, "session"),
                (MemoryKind.TURN, metadata_key("turn_id"), turn_gold, turn_rows, "turn"),
            )
            for name, changes in plan.items():
                question_kept: dict[str, float] = {}
                with configured(memory, changes):
                    for kind, key, gold, rows, level in levels:
                        if not gold:
                            if name == DEFAULT:
                                skipped[f"no_gold_{level}"] += 1
                            continue
                        hits = timer.search(
                            memory,
                            question.question,
                            user_id=user_id,
                            limit=limit,
                            kind=kind,
                            record=name == DEFAULT,
                            now=question.question_date,
                        )
                        scores = score_longmemeval(ranked_ids(hits, key), gold, cut_offs)
                        if name == DEFAULT:
                            rows.append(Scored(question.question_type, scores))
                        variant_rows[name].append(Scored(level, scores))
                        question_kept |= kept_metrics(scores, per_question, level)
                if session_gold or turn_gold:
                    kept[name].append(question_kept)
        if progress is not None:
            progress(done, len(questions))
    sessions = summarize(session_rows)
    turns = summarize(turn_rows)
    per_type: dict[str, dict[str, Any]] = {}
    for name in sorted(per_type_count):
        session_group = sessions.groups.get(name)
        turn_group = turns.groups.get(name)
        per_type[name] = {
            "session": session_group.as_dict() if session_group else {},
            "turn": turn_group.as_dict() if turn_group else {},
            "questions": per_type_count[name],
        }
    result: dict[str, Any] = {
        "dataset": "longmemeval",
        "path": str(path),
        "questions": sum(per_type_count.values()),
        "session": sessions.overall.as_dict(),
        "turn": turns.overall.as_dict(),
        "per_type": per_type,
        "timing": timer.report(unit="turns"),
        "config": {
            **describe(memory),
            "ks": list(cut_offs),
            "limit": limit,
            "kinds": {"session": MemoryKind.SESSION.value, "turn": MemoryKind.TURN.value},
            "indexed_roles": ["user"],
            "limit_questions": limit_questions,
            "questions_scored": {"session": sessions.overall.count, "turn": turns.overall.count},
            "skipped": skipped,
            "scope": "user_id = question_id",
            **stamp(),
        },
    }
    if len(plan) > 1:
        result["ablation"] = level_ablation(plan, variant_rows, kept if per_question else None)
    return result
