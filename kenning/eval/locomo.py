"""LoCoMo (Maharana et al., 2024): loader and turn-retrieval runner.

The system is given what a user would give it: each session's turns (speaker, text, the
caption of a shared photo) with the session's date. The benchmark's LLM-written fields
(``observation``, ``session_summary``, ``event_summary``), the image search ``query`` and the
question categories are never read into what is handed to the system; the category is read by
the scorer only, to group results. Gold for a question is its ``evidence`` turn ids.
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
    optional_text,
    ranked_ids,
    read_json,
    stamp,
)
from ._protocol import SupportsContext, SupportsMemory
from .ablation import DEFAULT, configured, kept_metrics, variant_plan
from .metrics import Scored, all_at_k, any_at_k, ndcg_at_k, recall_at_k, summarize

__all__ = [
    "CATEGORY_NAMES",
    "RETRIEVAL_CATEGORIES",
    "LocomoConversation",
    "LocomoQuestion",
    "LocomoSession",
    "LocomoTurn",
    "load_locomo",
    "normalize_dia_id",
    "parse_evidence",
    "parse_session_date",
    "render_turn",
    "run_locomo",
    "score_locomo",
    "session_messages",
]

CATEGORY_NAMES = {
    1: "multi-hop",
    2: "temporal",
    3: "open-domain",
    4: "single-hop",
    5: "adversarial",
}
"""LoCoMo's question categories (category 5 has no answer in the conversation)."""

RETRIEVAL_CATEGORIES = (1, 2, 3, 4)
"""Categories used for retrieval evaluation (5 is unanswerable by design)."""

_SESSION_KEY = re.compile(r"session_(\d+)")
_DIA_ID = re.compile(r"D(\d+):(\d+)")
_EVIDENCE_SPLIT = re.compile(r"[;,\s]+")
_DATE = re.compile(
    r"(\d{1,2}):(\d{2})\s*([ap])\.?m\.?\s+on\s+(\d{1,2})\s+([A-Za-z]+)\.?,?\s+(\d{4})",
    re.IGNORECASE,
)
_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}


@dataclass(frozen=True, slots=True)
class LocomoTurn:
    """One turn as the speaker wrote it; ``blip_caption`` describes a photo they shared."""

    speaker: str
    text: str
    dia_id: str
    blip_caption: str | None = None


@dataclass(frozen=True, slots=True)
class LocomoSession:
    """A session's turns with its date (``None`` when the file gives none)."""

    number: int
    date: datetime | None
    turns: tuple[LocomoTurn, ...]

    @property
    def session_id(self) -> str:
        """The id the harness gives the session: ``session_<n>``."""
        return f"session_{self.number}"


@dataclass(frozen=True, slots=True)
class LocomoQuestion:
    """A question with its cleaned evidence ids; ``category`` is for the scorer only."""

    question: str
    category: int
    evidence: tuple[str, ...]
    answer: str | None = None


@dataclass(frozen=True, slots=True)
class LocomoConversation:
    """One two-person conversation: speakers, sessions in order, and its questions."""

    sample_id: str
    speakers: tuple[str, str]
    sessions: tuple[LocomoSession, ...]
    questions: tuple[LocomoQuestion, ...]

    @property
    def turn_ids(self) -> frozenset[str]:
        """Every ``dia_id`` of the conversation."""
        return frozenset(turn.dia_id for session in self.sessions for turn in session.turns)


def parse_session_date(text: str) -> datetime:
    """Parse LoCoMo's ``session_<n>_date_time`` (``"1:56 pm on 8 May, 2023"``) as UTC.

    Locale-independent; the benchmark gives no time zone, so the wall-clock time is taken as UTC.
    """
    match = _DATE.fullmatch(text.strip())
    month = _MONTHS.get(match.group(5).lower()) if match else None
    if match is None or month is None:
        raise ValidationError("session_date_time", f"cannot parse {text!r}")
    hour = int(match.group(1)) % 12 + (12 if match.group(3).lower() == "p" else 0)
    try:
        return datetime(
            int(match.group(6)), month, int(match.group(4)), hour, int(match.group(2)), tzinfo=UTC
        )
    except ValueError as exc:
        raise ValidationError("session_date_time", f"cannot parse {text!r}: {exc}") from exc


def render_turn(turn: LocomoTurn) -> str:
    """The content handed to the system for a turn: its text, plus the shared photo's caption.

    ``"text [shares a photo: <caption>]"``; a turn with a caption and no text renders as the
    bracket alone. This is the only place the rendering is defined.
    """
    text = turn.text.strip()
    if not turn.blip_caption:
        return text
    photo = f"[shares a photo: {turn.blip_caption.strip()}]"
    return f"{text} {photo}" if text else photo


def normalize_dia_id(raw: str) -> str | None:
    """``"D30:05"`` -> ``"D30:5"``; ``None`` for anything not shaped ``D<int>:<int>``."""
    match = _DIA_ID.fullmatch(raw.strip())
    if match is None:
        return None
    return f"D{int(match.group(1))}:{int(match.group(2))}"


def parse_evidence(raw: object, valid_ids: Collection[str]) -> tuple[str, ...]:
    """Clean a question's ``evidence`` into turn ids that exist, in order, each once.

    Entries are split on ``;``, ``,`` and whitespace (``'D8:6; D9:17'``, ``'D9:1 D4:4'``),
    leading zeros are stripped (``'D30:05'``), and ids matching no turn of the conversation
    (``'D:11:26'``, ``'D'``, ``'D10:19'`` where session 10 is shorter) are dropped.
    """
    entries: Iterable[object] = (
        [raw] if isinstance(raw, str) else raw if isinstance(raw, list) else []
    )
    out: list[str] = []
    for entry in entries:
        if not isinstance(entry, str):
            continue
        for token in _EVIDENCE_SPLIT.split(entry):
            dia_id = normalize_dia_id(token) if token else None
            if dia_id is not None and dia_id in valid_ids and dia_id not in out:
                out.append(dia_id)
    return tuple(out)


def _parse_turn(raw: object, where: str) -> LocomoTurn:
    record = expect_dict(raw, where)
    caption = record.get("blip_caption")
    dia_id = normalize_dia_id(expect_str(record.get("dia_id"), f"{where}.dia_id"))
    if dia_id is None:
        raise ValidationError(f"{where}.dia_id", f"malformed turn id {record.get('dia_id')!r}")
    return LocomoTurn(
        speaker=expect_str(record.get("speaker"), f"{where}.speaker"),
        text=expect_str(record.get("text", ""), f"{where}.text"),
        dia_id=dia_id,
        blip_caption=caption if isinstance(caption, str) and caption.strip() else None,
    )


def _parse_sessions(conversation: dict[str, Any], where: str) -> tuple[LocomoSession, ...]:
    numbers = sorted(
        int(match.group(1))
        for key in conversation
        if (match := _SESSION_KEY.fullmatch(key)) is not None
    )
    sessions = []
    for number in numbers:
        key = f"session_{number}"
        turns = expect_list(conversation[key], f"{where}.{key}")
        date_text = conversation.get(f"{key}_date_time")
        sessions.append(
            LocomoSession(
                number=number,
                date=parse_session_date(date_text) if isinstance(date_text, str) else None,
                turns=tuple(
                    _parse_turn(turn, f"{where}.{key}[{index}]") for index, turn in enumerate(turns)
                ),
            )
        )
    return tuple(sessions)


def _parse_question(raw: object, where: str, valid_ids: Collection[str]) -> LocomoQuestion:
    record = expect_dict(raw, where)
    category = record.get("category")
    if not isinstance(category, int) or isinstance(category, bool):
        raise ValidationError(f"{where}.category", f"expected an integer, got {category!r}")
    return LocomoQuestion(
        question=expect_str(record.get("question"), f"{where}.question"),
        category=category,
        evidence=parse_evidence(record.get("evidence"), valid_ids),
        answer=optional_text(record.get("answer")),
    )


def load_locomo(
    path: str | Path, *, categories: Collection[int] = RETRIEVAL_CATEGORIES
) -> Iterator[LocomoConversation]:
    """Yield the conversations of a LoCoMo file (``locomo10.json``) in file order.

    Only ``sample_id``, ``conversation`` (speakers, ``session_<n>`` turns and their
    ``session_<n>_date_time``) and ``qa`` (question, answer, evidence, category) are read;
    sessions come in numeric order, and a date with no session (the file has a few) is ignored.
    Questions outside ``categories`` are left out; a question whose evidence cleans to nothing is
    kept with empty ``evidence`` (the runner skips and counts it).
    """
    for index, raw in enumerate(expect_list(read_json(path), "locomo")):
        where = f"locomo[{index}]"
        sample = expect_dict(raw, where)
        conversation = expect_dict(sample.get("conversation"), f"{where}.conversation")
        sessions = _parse_sessions(conversation, f"{where}.conversation")
        valid_ids = frozenset(turn.dia_id for session in sessions for turn in session.turns)
        questions = []
        for q_index, q_raw in enumerate(expect_list(sample.get("qa", []), f"{where}.qa")):
            question = _parse_question(q_raw, f"{where}.qa[{q_index}]", valid_ids)
            if question.category in categories:
                questions.append(question)
        yield LocomoConversation(
            sample_id=expect_str(sample.get("sample_id", f"conv-{index}"), f"{where}.sample_id"),
            speakers=(
                expect_str(conversation.get("speaker_a"), f"{where}.conversation.speaker_a"),
                expect_str(conversation.get("speaker_b"), f"{where}.conversation.speaker_b"),
            ),
            sessions=sessions,
            questions=tuple(questions),
        )


def session_messages(session: LocomoSession) -> list[dict[str, Any]]:
    """The ``add`` messages for one session: one user-role message per turn, named by speaker.

    Both speakers get role ``"user"`` (neither is the assistant); the turn's ``dia_id`` rides in
    ``metadata`` so hits map back to evidence ids. Turns that render empty are left out.
    """
    messages: list[dict[str, Any]] = []
    for turn in session.turns:
        content = render_turn(turn)
        if content:
            messages.append(
                {
                    "role": "user",
                    "content": content,
                    "name": turn.speaker,
                    "metadata": {"dia_id": turn.dia_id},
                }
            )
    return messages


def score_locomo(ranked: list[str], gold: Collection[str], ks: Iterable[int]) -> dict[str, float]:
    """``recall@k``, ``any@k``, ``all@k`` and ``ndcg@k`` of one ranking, for each ``k``."""
    out: dict[str, float] = {}
    for k in ks:
        out[f"recall@{k}"] = recall_at_k(ranked, gold, k)
        out[f"any@{k}"] = any_at_k(ranked, gold, k)
        out[f"all@{k}"] = all_at_k(ranked, gold, k)
        out[f"ndcg@{k}"] = ndcg_at_k(ranked, gold, k)
    return out


def run_locomo(
    path: str | Path,
    memory: SupportsMemory,
    *,
    ks: Iterable[int] = (1, 5, 10, 25, 50),
    limit_conversations: int | None = None,
    progress: Progress | None = None,
    variants: Mapping[str, Mapping[str, Any]] | None = None,
    context_budget: int | None = None,
    per_question: Collection[str] = (),
) -> dict[str, Any]:
    """Ingest each conversation into its own scope and score turn retrieval per question.

    Scope: ``user_id = sample_id`` in the one ``memory`` given. Each session is one ``add`` call
    (``session_id="session_<n>"``, ``timestamp`` = the session's date). Each question of
    categories 1-4 with evidence is one ``search(question, kinds=[TURN], limit=max(ks))``; hits
    map to ``dia_id`` through their metadata. ``progress(done, total)`` runs per conversation.
    With ``variants`` (name -> settings changes, see :mod:`kenning.eval.ablation`), every question
    is also answered under each variant and ``result["ablation"]`` compares them; the metrics
    named in ``per_question`` are also kept there for every question, in order.
    With ``context_budget``, each question's context block (``Memory.context`` at that many
    tokens, default kinds) is built too, and ``result["context"]`` says for how many questions
    it holds an evidence turn, beside how many the top 10 turn hits hold one.
    """
    cut_offs = check_ks(ks)
    limit = max(cut_offs)
    conversations = list(itertools.islice(load_locomo(path), limit_conversations))
    half = (len(conversations) + 1) // 2
    first_half = {c.sample_id for c in conversations[:half]}
    timer = Timer()
    plan = variant_plan(variants)
    # Per variant: (category, "dev" | "test" half, metrics) of every scored question.
    rows: dict[str, list[tuple[int, str, dict[str, float]]]] = {name: [] for name in plan}
    by_conversation: list[Scored] = []
    blocks: list[dict[str, float]] = []
    skipped = 0
    for done, conversation in enumerate(conversations, start=1):
        user_id = conversation.sample_id
        for session in conversation.sessions:
            messages = session_messages(session)
            if messages:
                timer.add(
                    memory,
                    messages,
                    user_id=user_id,
                    session_id=session.session_id,
                    timestamp=session.date,
                )
        questions = [q for q in conversation.questions if q.evidence]
        skipped += len(conversation.questions) - len(questions)
        half_name = "dev" if user_id in first_half else "test"
        for name, changes in plan.items():
            with configured(memory, changes):
                for question in questions:
                    hits = timer.search(
                        memory,
                        question.question,
                        user_id=user_id,
                        limit=limit,
                        kind=MemoryKind.TURN,
                        record=name == DEFAULT,
                    )
                    ranked = ranked_ids(hits, metadata_key("dia_id"))
                    scores = score_locomo(ranked, question.evidence, cut_offs)
                    rows[name].append((question.category, half_name, scores))
                    if name == DEFAULT:
                        by_conversation.append(Scored(user_id, scores))
                        if context_budget is not None:
                            blocks.append(
                                _context_row(memory, question, user_id, context_budget, ranked)
                            )
        if progress is not None:
            progress(done, len(conversations))
    scored, default = _summary(rows[DEFAULT])
    conversations_summary = summarize(by_conversation)
    result: dict[str, Any] = {
        "dataset": "locomo",
        "path": str(path),
        "questions": scored,
        "overall": default["overall"],
        "per_category": default["per_category"],
        "per_conversation": {
            name: group.as_dict(count_key="questions")
            for name, group in conversations_summary.groups.items()
        },
        # Parameters are tuned on the first half of the conversations ("dev") only; the second
        # half ("test") is the held-out figure.
        "halves": default["halves"],
        "timing": timer.report(unit="turns"),
        "config": {
            **describe(memory),
            "ks": list(cut_offs),
            "limit": limit,
            "kinds": [MemoryKind.TURN.value],
            "categories": list(RETRIEVAL_CATEGORIES),
            "conversations": len(conversations),
            "limit_conversations": limit_conversations,
            "questions_skipped_no_evidence": skipped,
            "scope": "user_id = sample_id",
            **stamp(),
        },
    }
    if context_budget is not None:
        result["context"] = _context_summary(blocks, context_budget)
    if len(plan) > 1:
        result["ablation"] = {
            name: {
                "changes": dict(plan[name]),
                **_summary(variant_rows)[1],
                **_per_question(variant_rows, per_question),
            }
            for name, variant_rows in rows.items()
        }
    return result


def _per_question(
    rows: list[tuple[int, str, dict[str, float]]], keep: Collection[str]
) -> dict[str, Any]:
    if not keep:
        return {}
    return {"per_question": [kept_metrics(metrics, keep) for _, _, metrics in rows]}


def _summary(rows: list[tuple[int, str, dict[str, float]]]) -> tuple[int, dict[str, Any]]:
    """How many questions were scored, and their overall, per-category and per-half means."""
    by_category = summarize([Scored(str(category), metrics) for category, _, metrics in rows])
    by_half = summarize([Scored(half, metrics) for _, half, metrics in rows])
    return by_category.overall.count, {
        "overall": by_category.overall.as_dict(),
        "per_category": {
            name: group.as_dict(count_key="questions") for name, group in by_category.groups.items()
        },
        "halves": {
            name: group.as_dict(count_key="questions") for name, group in by_half.groups.items()
        },
    }


def _context_row(
    memory: SupportsMemory,
    question: LocomoQuestion,
    user_id: str,
    budget: int,
    ranked: list[str],
) -> dict[str, float]:
    """Whether the question's context block, and its top 10 turn hits, hold an evidence turn."""
    if not isinstance(memory, SupportsContext):
        raise TypeError("--context-budget needs a memory with a context() method")
    block = memory.context(question.question, user_id=user_id, budget_tokens=budget)
    turns = {
        str(i.memory.metadata["dia_id"])
        for i in block.items
        if i.memory.kind is MemoryKind.TURN and "dia_id" in i.memory.metadata
    }
    gold = set(question.evidence)
    return {
        "block_any": float(bool(turns & gold)),
        "top10_any": float(bool(set(ranked[:10]) & gold)),
        "tokens": float(block.tokens),
        "items": float(len(block.items)),
    }


def _context_summary(rows: list[dict[str, float]], budget: int) -> dict[str, Any]:
    """Block recall (questions whose block holds an evidence turn) against the top 10's."""
    count = len(rows) or 1
    return {
        "budget_tokens": budget,
        "questions": len(rows),
        "block_any": round(sum(r["block_any"] for r in rows) / count, 4),
        "top10_any": round(sum(r["top10_any"] for r in rows) / count, 4),
        "mean_tokens": round(sum(r["tokens"] for r in rows) / count, 1),
        "mean_items": round(sum(r["items"] for r in rows) / count, 1),
    }
