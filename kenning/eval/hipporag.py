"""HippoRAG passage-retrieval evaluation (Gutiérrez et al., 2024/2025): loaders and runner.

Two files: a corpus of passages and a question file. Formats read:

* corpus: ``[{title, text, idx?}]`` (HippoRAG 2; the legacy MuSiQue corpus has no ``idx``, so
  the position is used) or ``{title: [sentence, ...]}`` (legacy HotpotQA; the text is the
  sentences joined with ``""``, as HippoRAG 2 joins HotpotQA contexts);
* questions: ``paragraphs[]`` with ``title``, ``text`` or ``paragraph_text`` and
  ``is_supporting`` (HippoRAG 2 ``sample.json``, MuSiQue); ``supporting_facts`` as
  ``[title, sentence_index]`` pairs with ``context`` as ``[title, [sentences]]`` (HotpotQA,
  2WikiMultihopQA); ``contexts[]`` with ``is_supporting`` (NQ-style HippoRAG 2 files).

Gold passages follow HippoRAG 2's ``get_gold_docs``: paragraphs whose ``is_supporting`` is not
``false``, or the context passages whose title a supporting fact names. Each gold passage is
matched to a corpus entry by exact ``title`` + ``text``, then by whitespace-normalised text,
then by title when the title is unique in the corpus; a gold passage matching nothing still
counts in the recall denominator (it can never be retrieved), as gold strings do in HippoRAG.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
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
    stamp,
)
from ._protocol import SupportsMemory
from .ablation import DEFAULT, configured, kept_metrics, variant_plan
from .metrics import Scored, recall_at_k, summarize

__all__ = [
    "UNMATCHED_PREFIX",
    "CorpusIndex",
    "GoldPassage",
    "HippoQuestion",
    "Passage",
    "load_hipporag_corpus",
    "load_hipporag_questions",
    "passage_messages",
    "run_hipporag",
]

UNMATCHED_PREFIX = "\x00unmatched:"
"""Prefix of the id given to a gold passage that matches no corpus entry."""

_SPACES = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class Passage:
    """One corpus passage; ``key`` (``str(idx)``) is the id hits are mapped back to."""

    idx: int | str
    title: str
    text: str

    @property
    def key(self) -> str:
        """The passage's id as the scorer compares it."""
        return str(self.idx)

    @property
    def content(self) -> str:
        """What the system is given: ``f"{title}\\n{text}"``, as HippoRAG indexes passages."""
        return f"{self.title}\n{self.text}"


@dataclass(frozen=True, slots=True)
class GoldPassage:
    """A supporting passage named by a question; ``text`` is ``None`` when only the title is."""

    title: str
    text: str | None


@dataclass(frozen=True, slots=True)
class HippoQuestion:
    """A question with its supporting passages (gold, for the scorer only)."""

    question_id: str
    question: str
    gold: tuple[GoldPassage, ...]
    answers: tuple[str, ...] = ()


def _normalise(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def load_hipporag_corpus(path: str | Path) -> list[Passage]:
    """The passages of a corpus file, in file order (see the module docstring for formats)."""
    data = read_json(path)
    passages: list[Passage] = []
    if isinstance(data, dict):
        for position, (title, sentences) in enumerate(data.items()):
            if isinstance(sentences, list):
                text = "".join(str(sentence) for sentence in sentences)
            else:
                text = expect_str(sentences, f"corpus[{title!r}]")
            passages.append(Passage(idx=position, title=str(title), text=text))
    else:
        for position, raw in enumerate(expect_list(data, "corpus")):
            record = expect_dict(raw, f"corpus[{position}]")
            idx = record.get("idx", position)
            if not isinstance(idx, int | str) or isinstance(idx, bool):
                raise ValidationError(
                    f"corpus[{position}].idx", f"expected int or str, got {idx!r}"
                )
            passages.append(
                Passage(
                    idx=idx,
                    title=expect_str(record.get("title", ""), f"corpus[{position}].title"),
                    text=expect_str(record.get("text"), f"corpus[{position}].text"),
                )
            )
    keys = [passage.key for passage in passages]
    if len(set(keys)) != len(keys):
        raise ValidationError("corpus", f"{path} has duplicate passage idx values")
    return passages


def _gold_from_paragraphs(items: list[Any], where: str) -> list[GoldPassage]:
    gold = []
    for index, raw in enumerate(items):
        item = expect_dict(raw, f"{where}[{index}]")
        if item.get("is_supporting") is False:
            continue
        text = item.get("text", item.get("paragraph_text"))
        gold.append(
            GoldPassage(
                title=expect_str(item.get("title", ""), f"{where}[{index}].title"),
                text=expect_str(text, f"{where}[{index}].text"),
            )
        )
    return gold


def _gold_from_contexts(items: list[Any], where: str) -> list[GoldPassage]:
    gold = []
    for index, raw in enumerate(items):
        item = expect_dict(raw, f"{where}[{index}]")
        if item.get("is_supporting"):
            gold.append(
                GoldPassage(
                    title=expect_str(item.get("title", ""), f"{where}[{index}].title"),
                    text=expect_str(item.get("text"), f"{where}[{index}].text"),
                )
            )
    return gold


def _gold_from_supporting_facts(record: dict[str, Any], where: str) -> list[GoldPassage]:
    context: dict[str, str] = {}
    for index, raw in enumerate(expect_list(record.get("context", []), f"{where}.context")):
        pair = expect_list(raw, f"{where}.context[{index}]")
        if len(pair) == 2 and isinstance(pair[0], str) and isinstance(pair[1], list):
            context[pair[0]] = "".join(str(sentence) for sentence in pair[1])
    titles: list[str] = []
    facts = expect_list(record.get("supporting_facts"), f"{where}.supporting_facts")
    for index, raw in enumerate(facts):
        fact = expect_list(raw, f"{where}.supporting_facts[{index}]")
        title = expect_str(fact[0] if fact else None, f"{where}.supporting_facts[{index}][0]")
        if title not in titles:
            titles.append(title)
    return [GoldPassage(title=title, text=context.get(title)) for title in titles]


def _question_id(record: dict[str, Any], index: int) -> str:
    for key in ("id", "_id", "question_id"):
        value = record.get(key)
        if isinstance(value, str | int) and not isinstance(value, bool):
            return str(value)
    return f"q{index}"


def _answers(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, list):
        return tuple(str(item) for item in value)
    return (str(value),)


def load_hipporag_questions(path: str | Path) -> list[HippoQuestion]:
    """The questions of a question file with their gold passages, in file order."""
    questions = []
    for index, raw in enumerate(expect_list(read_json(path), "questions")):
        where = f"questions[{index}]"
        record = expect_dict(raw, where)
        if "supporting_facts" in record:
            gold = _gold_from_supporting_facts(record, where)
        elif "contexts" in record:
            gold = _gold_from_contexts(
                expect_list(record["contexts"], f"{where}.contexts"), f"{where}.contexts"
            )
        elif "paragraphs" in record:
            gold = _gold_from_paragraphs(
                expect_list(record["paragraphs"], f"{where}.paragraphs"), f"{where}.paragraphs"
            )
        else:
            raise ValidationError(where, "has none of paragraphs, contexts, supporting_facts")
        unique = list(dict.fromkeys(gold))
        questions.append(
            HippoQuestion(
                question_id=_question_id(record, index),
                question=expect_str(record.get("question"), f"{where}.question"),
                gold=tuple(unique),
                answers=_answers(record.get("answer")),
            )
        )
    return questions


class CorpusIndex:
    """Maps gold passages to corpus keys (exact text, normalised text, then unique title)."""

    def __init__(self, passages: Sequence[Passage]) -> None:
        self._exact: dict[tuple[str, str], str] = {}
        self._normalised: dict[tuple[str, str], str] = {}
        self._titles: dict[str, list[str]] = {}
        for passage in passages:
            self._exact.setdefault((passage.title, passage.text), passage.key)
            self._normalised.setdefault(
                (_normalise(passage.title), _normalise(passage.text)), passage.key
            )
            self._titles.setdefault(passage.title, []).append(passage.key)

    def key(self, gold: GoldPassage) -> str | None:
        """The corpus key of ``gold``, or ``None`` when no entry matches."""
        if gold.text is not None:
            exact = self._exact.get((gold.title, gold.text))
            if exact is not None:
                return exact
            loose = self._normalised.get((_normalise(gold.title), _normalise(gold.text)))
            if loose is not None:
                return loose
        candidates = self._titles.get(gold.title, [])
        return candidates[0] if len(candidates) == 1 else None

    def gold_keys(self, question: HippoQuestion) -> tuple[frozenset[str], int]:
        """Gold ids of a question, and how many gold passages matched no corpus entry."""
        keys: set[str] = set()
        unmatched = 0
        for gold in question.gold:
            key = self.key(gold)
            if key is None:
                unmatched += 1
                keys.add(f"{UNMATCHED_PREFIX}{gold.title}\n{gold.text}")
            else:
                keys.add(key)
        return frozenset(keys), unmatched


def passage_messages(passages: Iterable[Passage]) -> list[dict[str, Any]]:
    """``add`` messages for passages: role ``"document"``, ``metadata={"idx", "title"}``."""
    return [
        {
            "role": "document",
            "content": passage.content,
            "metadata": {"idx": passage.idx, "title": passage.title},
        }
        for passage in passages
        if passage.content.strip()
    ]


def run_hipporag(
    questions_path: str | Path,
    corpus_path: str | Path,
    memory: SupportsMemory,
    *,
    ks: Iterable[int] = (2, 5),
    limit_questions: int | None = None,
    user_id: str = "hipporag",
    batch_size: int = 256,
    progress: Progress | None = None,
    variants: Mapping[str, Mapping[str, Any]] | None = None,
    per_question: Collection[str] = (),
) -> dict[str, Any]:
    """Ingest the corpus once into ``user_id``'s scope and score passage recall per question.

    The corpus goes in as ``document`` messages, ``batch_size`` per ``add`` call; each question is
    one ``search(question, kinds=[DOCUMENT], limit=max(ks))`` whose hits map to passages through
    the ``idx`` metadata. ``recall@k`` is HippoRAG's: the fraction of a question's gold passages
    in the top ``k``, averaged over questions. Questions without gold are skipped and counted.
    With ``variants`` (see :mod:`kenning.eval.ablation`), every question is also answered under
    each variant and ``result["ablation"]`` compares them, with the metrics named in
    ``per_question`` kept for every question.
    """
    if batch_size < 1:
        raise ValidationError("batch_size", f"must be at least 1, got {batch_size}")
    cut_offs = check_ks(ks)
    limit = max(cut_offs)
    passages = load_hipporag_corpus(corpus_path)
    questions = list(itertools.islice(load_hipporag_questions(questions_path), limit_questions))
    index = CorpusIndex(passages)
    timer = Timer()
    messages = passage_messages(passages)
    for start in range(0, len(messages), batch_size):
        timer.add(memory, messages[start : start + batch_size], user_id=user_id)
    plan = variant_plan(variants)
    rows: dict[str, list[Scored]] = {name: [] for name in plan}
    skipped = 0
    unmatched = 0
    scored = []
    for question in questions:
        gold, missing = index.gold_keys(question)
        unmatched += missing
        if gold:
            scored.append((question, gold))
        else:
            skipped += 1
    done = 0
    for name, changes in plan.items():
        with configured(memory, changes):
            for question, gold in scored:
                hits = timer.search(
                    memory,
                    question.question,
                    user_id=user_id,
                    limit=limit,
                    kind=MemoryKind.DOCUMENT,
                    record=name == DEFAULT,
                )
                ranked = ranked_ids(hits, metadata_key("idx"))
                rows[name].append(
                    Scored("all", {f"recall@{k}": recall_at_k(ranked, gold, k) for k in cut_offs})
                )
                done += 1
                if progress is not None:
                    progress(done, len(scored) * len(rows))
    summary = summarize(rows[DEFAULT])
    result: dict[str, Any] = {
        "dataset": "hipporag",
        "path": str(questions_path),
        "corpus_path": str(corpus_path),
        "questions": summary.overall.count,
        "overall": summary.overall.as_dict(),
        "timing": timer.report(unit="passages"),
        "config": {
            **describe(memory),
            "ks": list(cut_offs),
            "limit": limit,
            "kinds": [MemoryKind.DOCUMENT.value],
            "limit_questions": limit_questions,
            "user_id": user_id,
            "batch_size": batch_size,
            "corpus_passages": len(passages),
            "questions_skipped_no_gold": skipped,
            "gold_unmatched": unmatched,
            **stamp(),
        },
    }
    if len(plan) > 1:
        result["ablation"] = {
            name: {
                "changes": dict(plan[name]),
                "overall": summarize(r).overall.as_dict(),
                **(
                    {"per_question": [kept_metrics(row.metrics, per_question) for row in r]}
                    if per_question
                    else {}
                ),
            }
            for name, r in rows.items()
        }
    return result
