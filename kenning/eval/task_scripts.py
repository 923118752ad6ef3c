"""Generated long agent tasks for ``kenning eval tasks`` (seeded, no data files).

A task is a goal, nested subgoals (depth up to :data:`MAX_DEPTH`), tool calls with
distinctive results, actions, observations and notes, dependencies that point backwards (a
deploy reads the config step that set it, an observation reads a tool call), and revisions
of config steps whose dependents must become stale. Every ``every`` steps, and once more
when the task's subgoals are all closed, a checkpoint asks questions about earlier steps
(:mod:`kenning.eval.tasks` replays and scores them).
"""

from __future__ import annotations

import enum
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from kenning.errors import ValidationError
from kenning.models import Step, StepKind

MAX_DEPTH = 3
"""Deepest subgoal nesting (1 = a subgoal directly under the task)."""


class Op(enum.StrEnum):
    """What a script line does to the task."""

    OPEN = "open"  # open_subgoal
    RECORD = "record"  # record
    CLOSE = "close"  # close_subgoal (makes no step)
    REVISE = "revise"  # revise a config step (a new step; the old one's dependents go stale)


class QuestionType(enum.StrEnum):
    """What a checkpoint asks."""

    TOOL_RESULT = "tool_result"  # what did step N return?
    DEPENDENTS = "dependents"  # which steps depend on step N (a revised config)?
    CURRENT_VALUE = "current_value"  # what is the current value of X?


class Route(enum.StrEnum):
    """Where the agent found its answer."""

    CONTEXT = "context"
    EXPAND = "expand"
    SEARCH = "search"
    MISSED = "missed"


@dataclass(frozen=True, slots=True)
class ScriptStep:
    """One line of a task's script. ``index`` is its place in the script; ``parent`` the index
    of the OPEN it sits under; ``target`` the OPEN a CLOSE closes or the step a REVISE revises;
    ``depends_on`` indices of earlier RECORD / REVISE lines."""

    index: int
    op: Op
    text: str = ""
    kind: StepKind | None = None
    parent: int | None = None
    depth: int = 0
    depends_on: tuple[int, ...] = ()
    target: int | None = None
    data: dict[str, Any] = field(default_factory=dict)
    failed: bool = False
    outcome: str | None = None
    reason: str | None = None

    @property
    def makes_step(self) -> bool:
        """Whether replaying the line adds a step to the task (everything but CLOSE)."""
        return self.op is not Op.CLOSE


@dataclass(frozen=True, slots=True)
class ScriptQuestion:
    """A question about ``about`` (a tool call, or the config step that was revised), with its
    ground truth: ``answer`` (a result or a value), ``dependents`` (indices), ``key``."""

    type: QuestionType
    about: int
    answer: str = ""
    dependents: tuple[int, ...] = ()
    key: str = ""
    final: bool = False


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """Questions asked after script line ``after``."""

    after: int
    questions: tuple[ScriptQuestion, ...]
    final: bool = False


@dataclass(frozen=True, slots=True)
class GeneratedTask:
    """A generated task: its goal, script and checkpoints."""

    task_id: str
    goal: str
    script: tuple[ScriptStep, ...]
    checkpoints: tuple[Checkpoint, ...]

    @property
    def steps(self) -> int:
        """How many steps replaying the script makes."""
        return sum(line.makes_step for line in self.script)


def transitive_dependents(script: Sequence[ScriptStep], index: int) -> set[int]:
    """Indices of every line that depends on line ``index``, directly or through others."""
    found: set[int] = set()
    reach = {index}
    for line in script[index + 1 :]:
        if reach.intersection(line.depends_on):
            found.add(line.index)
            reach.add(line.index)
    return found


def render_step(step: Step) -> str:
    """A step as the transcript shows it: ``#<number> <kind>: <text> -> <result>``."""
    line = f"#{step.number} {step.kind.value}: {step.text}"
    result = step.data.get("result")
    return f"{line} -> {result}" if result is not None else line


# -- vocabulary ---------------------------------------------------------------------------------


def _split(text: str, sep: str | None = None) -> tuple[str, ...]:
    return tuple(text.split(sep))


_PLACES = _split(
    "Porto Lisbon Vienna Bratislava Ljubljana Trieste Krakow Gdansk Riga Tallinn Bergen Malmo "
    "Antwerp Ghent Lyon Turin Bologna Zagreb Split Seville Bilbao Dresden Leipzig Graz Brno "
    "Tampere Aarhus Cork Galway Basel"
)
_NOUNS = _split(
    "ferry timetables, hostel prices, rail passes, invoice exports, login errors, cache misses, "
    "supplier quotes, venue capacity, dataset licences, payment retries, shipping rates, "
    "conference rooms, bike rentals, museum tickets, schema drift, memory leaks, coach transfers, "
    "catering menus, api quotas, backup windows, visa rules, tax codes, carbon costs, port fees",
    ", ",
)
_VERBS = _split("compare collect check draft verify book benchmark review estimate shortlist")
_DONE = _split("compared collected checked drafted verified booked benchmarked reviewed estimated")
_ADJS = _split("cheap late noisy stale fast broken steady rising partial duplicate")
_SERVICES = _split("billing search checkout reports ingest notifier gateway scheduler")
_SITES = _split("wiki.corp docs.rail.eu api.ferries.pt status.cloud data.gov.eu blog.dev")
_TABLES = _split("orders users bookings invoices events sessions")
_CONDITIONS = _split("clear skies, light rain, fog, showers, overcast, strong wind", ", ")
_FILES = _split("config.yaml settings.toml .env plan.json")
_WHYS = (
    "the provider raised its limits",
    "the client asked for a change",
    "the benchmark showed a regression",
    "the budget was cut",
    "the region went down",
    "the new policy came in",
)
_GOALS = (
    "Plan a rail and ferry trip from {a} to {b} for a team of {n}",
    "Migrate the {svc} service to a new cluster in {a}",
    "Write a market report on {noun} in {a} and {b}",
    "Fix the failing {svc} nightly build before the {a} release",
    "Organise a {n}-person offsite in {a} with a day trip to {b}",
)
_CONFIGS: dict[str, tuple[str, ...]] = {
    "retry_limit": tuple(str(v) for v in range(2, 30)),
    "timeout_ms": tuple(str(v) for v in range(500, 20000, 250)),
    "batch_size": tuple(str(v) for v in range(16, 2048, 16)),
    "region": ("eu-west-1", "eu-central-1", "eu-north-1", "us-east-2", "ap-south-1"),
    "cache_ttl": tuple(f"{v}s" for v in range(30, 3600, 30)),
    "max_workers": tuple(str(v) for v in range(2, 64)),
    "log_level": ("debug", "info", "warning", "error", "trace"),
    "api_version": tuple(f"v{a}.{b}" for a in range(1, 6) for b in range(10)),
    "pool_size": tuple(str(v) for v in range(4, 128, 4)),
    "currency": ("EUR", "CHF", "PLN", "SEK", "NOK", "DKK", "CZK"),
    "budget_eur": tuple(str(v) for v in range(800, 20000, 100)),
    "seat_class": ("second", "first", "business", "sleeper", "couchette"),
    "hotel_tier": ("hostel", "two-star", "three-star", "four-star", "apartment"),
    "replicas": tuple(str(v) for v in range(1, 16)),
    "sample_rate": tuple(f"0.{v:02d}" for v in range(1, 100)),
    "locale": ("pt-PT", "de-AT", "sk-SK", "sl-SI", "it-IT", "pl-PL", "lv-LV"),
}


# -- generator ----------------------------------------------------------------------------------


class _Builder:
    """State of one task's generation."""

    def __init__(self, rng: random.Random, every: int) -> None:
        self.rng = rng
        self.every = every
        self.script: list[ScriptStep] = []
        self.checkpoints: list[Checkpoint] = []
        self.stack: list[int] = []  # open subgoals, outermost first
        self.left: dict[int, int] = {}  # open subgoal -> direct steps still planned
        self.count = 0  # steps made so far
        self.used: set[str] = set()
        self.config: dict[str, int] = {}  # key -> live (newest) config step
        self.revised: dict[str, int] = {}  # key -> revisions made
        self.root: dict[int, str | None] = {}  # step -> the config key its lineage reads
        self.stale: set[int] = set()  # steps made stale by a revision, and revised configs
        self.tools: list[int] = []  # tool calls with a result
        self.pending: list[int] = []  # revisions not yet asked about
        self.revisions: list[int] = []

    def unique(self, make: Callable[[], str]) -> str:
        for _ in range(50):
            text = str(make())
            if text not in self.used:
                self.used.add(text)
                return text
        raise ValidationError("tasks", "the vocabulary ran out of distinct strings")

    def add(self, op: Op, **fields: Any) -> ScriptStep:
        parent = self.stack[-1] if self.stack else None
        line = ScriptStep(
            index=len(self.script), op=op, parent=parent, depth=len(self.stack), **fields
        )
        self.script.append(line)
        self.count += line.makes_step
        return line

    def live(self, candidates: Sequence[int], recent: int = 30) -> list[int]:
        """Candidates not stale, among the ``recent`` newest."""
        return [i for i in candidates[-recent:] if i not in self.stale]

    # -- lines --

    def open(self) -> None:
        rng = self.rng
        noun, place = rng.choice(_NOUNS), rng.choice(_PLACES)
        text = self.unique(
            lambda: f"{rng.choice(_VERBS)} {noun} for {place} ({rng.randint(2, 99)})"
        )
        line = self.add(Op.OPEN, text=text, kind=StepKind.SUBGOAL)
        self.stack.append(line.index)
        self.left[line.index] = rng.randint(3, 12)

    def close(self) -> None:
        rng = self.rng
        target = self.stack[-1]
        failed = rng.random() < 0.1
        outcome: str | None = None
        if failed:
            outcome = f"blocked: {rng.choice(_NOUNS)} {rng.choice(_ADJS)} in {rng.choice(_PLACES)}"
        elif rng.random() < 0.5:
            outcome = f"settled {rng.choice(_NOUNS)} for {rng.choice(_PLACES)}"
        self.add(Op.CLOSE, target=target, failed=failed, outcome=outcome)
        self.stack.pop()
        del self.left[target]

    def record(self) -> None:
        rng = self.rng
        roll = rng.random()
        if roll < 0.45:
            self.tool_call()
        elif roll < 0.65:
            free = [k for k in _CONFIGS if k not in self.config]
            if free and (rng.random() < 0.45 or not self.tools):
                self.config_write(rng.choice(free))
            else:
                self.dependent(StepKind.ACTION)
        elif roll < 0.85:
            self.dependent(StepKind.OBSERVATION)
        else:
            text = self.unique(
                lambda: (
                    f"note: {rng.choice(_NOUNS)} in {rng.choice(_PLACES)} look "
                    f"{rng.choice(_ADJS)}; revisit {rng.choice(_NOUNS)} ({rng.randint(1, 999)})"
                )
            )
            self.root[self.add(Op.RECORD, text=text, kind=StepKind.NOTE).index] = None

    def tool_call(self) -> None:
        rng = self.rng
        configs = [i for i in self.config.values() if i not in self.stale]
        if configs and rng.random() < 0.35:
            source = rng.choice(configs)
            key, value = self.script[source].data["config"], self.script[source].data["value"]
            svc = rng.choice(_SERVICES)
            args: dict[str, Any] = {"cmd": f"deploy --{key}={value} {svc}"}
            tool, deps, root = "shell", [source], key
            result = self.unique(
                lambda: (
                    f"exit 0 in {rng.randint(2, 90)}.{rng.randint(0, 9)}s, "
                    f"build {rng.getrandbits(28):07x}"
                )
            )
        else:
            tool, args, result = self.tool_args()
            deps, root = [], None
            plain = [i for i in self.live(self.tools) if self.root[i] is None]
            if plain and rng.random() < 0.15:
                deps.append(rng.choice(plain))
        shown = " ".join(f'"{v}"' if " " in str(v) else str(v) for v in args.values())
        line = self.add(
            Op.RECORD,
            text=f"{tool} {shown}",
            kind=StepKind.TOOL_CALL,
            data={"tool": tool, "args": args, "result": result},
            depends_on=tuple(deps),
        )
        self.root[line.index] = root
        self.tools.append(line.index)

    def tool_args(self) -> tuple[str, dict[str, Any], str]:
        rng = self.rng
        tool = rng.choice(("search", "fetch_url", "query_db", "run_tests", "weather", "read_file"))
        place = rng.choice(_PLACES)
        args: dict[str, Any]
        if tool == "search":
            args = {"query": f"{rng.choice(_NOUNS)} {place}"}
        elif tool == "fetch_url":
            slug = rng.choice(_NOUNS).replace(" ", "-")
            args = {"url": f"https://{rng.choice(_SITES)}/{slug}-{rng.randint(1, 999)}"}
        elif tool == "query_db":
            args = {"sql": f"SELECT count(*) FROM {rng.choice(_TABLES)} WHERE city = '{place}'"}
        elif tool == "run_tests":
            args = {"suite": f"{rng.choice(_SERVICES)}_{rng.choice(_ADJS)}"}
        elif tool == "weather":
            args = {
                "city": place,
                "date": f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            }
        else:
            args = {"path": f"{rng.choice(_SERVICES)}/{rng.choice(_TABLES)}.csv"}
        return tool, args, self.unique(lambda: _result(rng, tool, place))

    def config_write(self, key: str) -> None:
        rng = self.rng
        value = rng.choice(_CONFIGS[key])
        line = self.add(
            Op.RECORD,
            text=f"set {key} = {value} in {rng.choice(_FILES)}",
            kind=StepKind.ACTION,
            data={"config": key, "value": value},
        )
        self.config[key] = line.index
        self.root[line.index] = key

    def dependent(self, kind: StepKind) -> None:
        rng = self.rng
        sources = self.live(self.tools)
        if not sources or rng.random() < 0.3:
            text = self.unique(
                lambda: (
                    f"{rng.choice(_DONE)} {rng.choice(_NOUNS)} in {rng.choice(_PLACES)} "
                    f"(item {rng.randint(1, 999)})"
                )
            )
            self.root[self.add(Op.RECORD, text=text, kind=kind).index] = None
            return
        source = rng.choice(sources)
        deps = [source]
        root = self.root[source]
        # An action may also build on an observation of the same lineage (chains of 3+).
        observed = [
            i
            for i in self.live(
                [i for i in self.root if self.script[i].kind is StepKind.OBSERVATION]
            )
            if self.root[i] in (None, root) and i != source
        ]
        if kind is StepKind.ACTION and observed and rng.random() < 0.4:
            other = rng.choice(observed)
            deps.append(other)
            root = root or self.root[other]
        tool = self.script[source].data["tool"]
        text = self.unique(lambda: _reading(rng, kind, tool))
        line = self.add(Op.RECORD, text=text, kind=kind, depends_on=tuple(sorted(deps)))
        self.root[line.index] = root

    def revise(self) -> bool:
        """Revise a config step with live dependents, written at least 8 steps ago."""
        rng = self.rng
        last = len(self.script) - 8
        choices = [
            (key, i)
            for key, i in self.config.items()
            if i < last
            and self.revised.get(key, 0) < 2
            and any(i in line.depends_on for line in self.script if line.index not in self.stale)
        ]
        if not choices:
            return False
        key, target = rng.choice(choices)
        dependents = transitive_dependents(self.script, target)
        old = self.script[target].data["value"]
        value = rng.choice([v for v in _CONFIGS[key] if v != old])
        line = self.add(
            Op.REVISE,
            text=f"set {key} = {value} in {rng.choice(_FILES)}",
            kind=StepKind.ACTION,
            target=target,
            data={"config": key, "value": value},
            reason=f"{key} changed: {rng.choice(_WHYS)}",
        )
        self.stale |= dependents | {target}
        self.config[key] = line.index
        self.revised[key] = self.revised.get(key, 0) + 1
        self.root[line.index] = key
        self.pending.append(line.index)
        self.revisions.append(line.index)
        return True

    # -- questions --

    def revision_questions(self, revision: int, *, final: bool) -> list[ScriptQuestion]:
        line = self.script[revision]
        assert line.target is not None  # a REVISE always has one
        key = str(line.data["config"])
        current = str(self.script[self.config[key]].data["value"])
        return [
            ScriptQuestion(
                QuestionType.DEPENDENTS,
                about=line.target,
                dependents=tuple(sorted(transitive_dependents(self.script, line.target))),
                key=key,
                final=final,
            ),
            ScriptQuestion(
                QuestionType.CURRENT_VALUE, about=revision, answer=current, key=key, final=final
            ),
        ]

    def checkpoint(self, *, final: bool) -> None:
        rng = self.rng
        questions: list[ScriptQuestion] = []
        inner = self.stack[-1] if self.stack else None
        far = [i for i in self.tools if inner is None or not self.under(i, inner)]
        picked: list[int] = []
        for pool in (self.tools, far):
            options = [i for i in pool if i not in picked]
            if options:
                picked.append(rng.choice(options))
        for i in picked:
            answer = str(self.script[i].data["result"])
            questions.append(
                ScriptQuestion(QuestionType.TOOL_RESULT, about=i, answer=answer, final=final)
            )
        keys: set[str] = set()
        for revision in self.revisions if final else self.pending:
            for question in self.revision_questions(revision, final=final):
                if question.type is QuestionType.CURRENT_VALUE:
                    if question.key in keys:
                        continue
                    keys.add(question.key)
                questions.append(question)
        self.pending = []
        if questions:
            self.checkpoints.append(
                Checkpoint(after=len(self.script) - 1, questions=tuple(questions), final=final)
            )

    def under(self, index: int, subgoal: int) -> bool:
        parent = self.script[index].parent
        while parent is not None:
            if parent == subgoal:
                return True
            parent = self.script[parent].parent
        return False


def _result(rng: random.Random, tool: str, place: str) -> str:
    """A distinctive result of one tool call."""
    if tool == "search":
        other = rng.choice([p for p in _PLACES if p != place])
        return (
            f"{rng.randint(3, 400)} results, first: {place}-{other} "
            f"{rng.randint(5, 23):02d}:{rng.choice(range(0, 60, 5)):02d}"
        )
    if tool == "fetch_url":
        title = f"{rng.choice(_ADJS).title()} {rng.choice(_NOUNS)} {rng.randint(2019, 2026)}"
        return f"HTTP 200, {rng.randint(4, 900)} KB, title '{title}'"
    if tool == "query_db":
        return f"{rng.randint(1, 99999)} rows, newest {rng.choice(_TABLES)} #{rng.randint(1, 9999)}"
    if tool == "run_tests":
        failing = f"test_{rng.choice(_ADJS)}_{rng.choice(_SERVICES)}_{rng.randint(1, 99)}"
        return f"{rng.randint(10, 900)} passed, {rng.randint(1, 9)} failed: {failing}"
    if tool == "weather":
        weather = f"{rng.randint(-9, 35)} C, {rng.choice(_CONDITIONS)}"
        return f"{weather}, wind {rng.randint(0, 90)} km/h at {place}"
    return f"{rng.randint(2, 90000)} lines, header '{rng.choice(_TABLES)}_{rng.randint(1, 999)}'"


def _reading(rng: random.Random, kind: StepKind, tool: str) -> str:
    """The text of an observation or action that builds on a tool call's result."""
    noun, place = rng.choice(_NOUNS), rng.choice(_PLACES)
    if kind is StepKind.OBSERVATION:
        return f"the {tool} output shows {rng.choice(_ADJS)} {noun} near {place} ({rng.randint(1, 999)})"
    return f"used the {tool} result to {rng.choice(_VERBS)} {noun} in {place} (ref {rng.randint(1, 9999)})"


def _generate_task(rng: random.Random, task_id: str, size: int, every: int) -> GeneratedTask:
    b = _Builder(rng, every)
    places = rng.sample(_PLACES, 2)
    goal = rng.choice(_GOALS).format(
        a=places[0],
        b=places[1],
        n=rng.randint(3, 40),
        svc=rng.choice(_SERVICES),
        noun=rng.choice(_NOUNS),
    )
    made = 0
    while b.count < size:
        left = size - b.count
        if not b.stack:
            b.open()
        elif b.left[b.stack[-1]] <= 0:
            if len(b.stack) == 1 and left < 4:
                b.left[b.stack[-1]] = left  # keep the last subgoal open to the end
            else:
                b.close()
        elif len(b.stack) < MAX_DEPTH and left > 4 and rng.random() < 0.12:
            b.open()
        else:
            if not (rng.random() < 0.05 and b.revise()):
                b.record()
            b.left[b.stack[-1]] -= 1
        if b.count != made and b.count % every == 0:
            b.checkpoint(final=False)
        made = b.count
    while b.stack:
        b.close()
    b.checkpoint(final=True)
    return GeneratedTask(task_id, goal, tuple(b.script), tuple(b.checkpoints))


def generate_tasks(
    n: int, *, seed: int = 0, min_steps: int = 50, max_steps: int = 300, every: int = 10
) -> list[GeneratedTask]:
    """``n`` tasks of ``min_steps``-``max_steps`` steps (uniform), a checkpoint every ``every``
    steps and a final one after the last subgoal closes. Deterministic for a ``seed``."""
    if n < 1:
        raise ValidationError("n", f"must be at least 1, got {n}")
    if not 20 <= min_steps <= max_steps:
        raise ValidationError("min_steps", f"need 20 <= min_steps <= max_steps, got {min_steps}")
    if every < 1:
        raise ValidationError("every", f"must be at least 1, got {every}")
    rng = random.Random(seed)
    return [
        _generate_task(
            random.Random(rng.getrandbits(64)),
            f"task-{i:04d}",
            rng.randint(min_steps, max_steps),
            every,
        )
        for i in range(n)
    ]
