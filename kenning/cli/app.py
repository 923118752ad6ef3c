"""Command definitions. Settings come from ``KENNING_*`` variables; ``--db`` overrides the file."""

from __future__ import annotations

import json
import logging
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from kenning import __version__
from kenning.cli._bench import bench
from kenning.cli._importing import read_chat_file
from kenning.cli._migrate import migrate
from kenning.cli._output import (
    console,
    errors,
    print_error,
    print_history,
    print_hits,
    print_json,
    print_memories,
    progress_bar,
)
from kenning.codec import to_jsonable
from kenning.errors import KenningError

if TYPE_CHECKING:  # imported where used: `kenning --help` must not load the engine
    from kenning.config import Settings
    from kenning.memory import Memory

app = typer.Typer(
    help="Kenning: long-term memory for LLM agents (embedded, offline).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
eval_app = typer.Typer(help="Measure retrieval quality on public benchmarks.", no_args_is_help=True)
app.add_typer(eval_app, name="eval")
app.command()(bench)
app.command()(migrate)
keys_app = typer.Typer(
    help="Create, list and revoke API keys of the REST server.", no_args_is_help=True
)
app.add_typer(keys_app, name="keys")

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="SQLite file or postgresql:// URL (default: KENNING_DATABASE_URL, else "
        "KENNING_DB_PATH or ~/.kenning/kenning.db).",
    ),
]
UserOption = Annotated[str, typer.Option("--user", "-u", help="User id (the scope).")]
OptionalUser = Annotated[
    str | None, typer.Option("--user", "-u", help="Only if the memory belongs to this user.")
]
MemoryId = Annotated[str, typer.Argument(help="Memory id (as shown by search or list).")]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]


@app.callback()
def _root(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log debug details.")] = False,
) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )


def _settings(db: str | Path | None, **overrides: Any) -> Settings:
    from pydantic import ValidationError as PydanticValidationError

    from kenning.config import Settings

    try:
        if db is None:
            return Settings(**overrides)
        if "://" in str(db):
            return Settings(database_url=str(db), **overrides)
        return Settings(db_path=Path(db), database_url=None, **overrides)
    except PydanticValidationError as exc:
        problems = "; ".join(
            f"KENNING_{'_'.join(str(p) for p in e['loc']).upper()}: {e['msg']}"
            for e in exc.errors()
        )
        print_error(f"invalid configuration: {problems}")
        raise typer.Exit(2) from exc


@contextmanager
def _memory(db: str | Path | None, **overrides: Any) -> Iterator[Memory]:
    from kenning.memory import Memory

    settings = _settings(db, **overrides)
    try:
        with Memory(settings.database, settings=settings) as memory:
            yield memory
    except KenningError as exc:
        print_error(exc)
        raise typer.Exit(2) from exc


@app.command()
def add(
    text: Annotated[list[str], typer.Argument(help="Message text(s) to remember.")],
    user: UserOption,
    session: Annotated[str | None, typer.Option(help="Session id.")] = None,
    agent: Annotated[str | None, typer.Option(help="Agent id.")] = None,
    role: Annotated[str, typer.Option(help="Role of the messages.")] = "user",
    name: Annotated[str | None, typer.Option(help="Speaker name.")] = None,
    timestamp: Annotated[str | None, typer.Option(help="Event time (ISO 8601 or a date).")] = None,
    db: DbOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Remember messages (calls Memory.add)."""
    messages = [{"role": role, "content": t, **({"name": name} if name else {})} for t in text]
    with _memory(db) as memory:
        result = memory.add(
            messages, user_id=user, session_id=session, agent_id=agent, timestamp=timestamp
        )
    if as_json:
        print_json(result)
    else:
        console.print(
            f"stored {len(result.episodes)} episode(s), {result.duplicates} duplicate(s), "
            f"{len(result.memories)} memory record(s)"
        )


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="What to look for.")],
    user: UserOption,
    limit: Annotated[int, typer.Option("--limit", "-n", help="Number of hits.")] = 10,
    kind: Annotated[
        list[str] | None, typer.Option(help="Memory kind(s) to search (repeatable).")
    ] = None,
    session: Annotated[str | None, typer.Option(help="Only this session.")] = None,
    start: Annotated[str | None, typer.Option(help="Only events at or after this time.")] = None,
    end: Annotated[str | None, typer.Option(help="Only events before this time.")] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Only memories valid at this time.")
    ] = None,
    now: Annotated[
        str | None,
        typer.Option(help="Reference time for 'last week' etc. (default: latest memory)."),
    ] = None,
    db: DbOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Find the memories most relevant to a query (calls Memory.search)."""
    with _memory(db) as memory:
        result = memory.search(
            query,
            user_id=user,
            limit=limit,
            kinds=kind,
            session_id=session,
            start=start,
            end=end,
            as_of=as_of,
            now=now,
        )
    if as_json:
        print_json(result.hits)
    else:
        print_hits(result.hits)


@app.command()
def get(
    memory_id: MemoryId,
    user: OptionalUser = None,
    db: DbOption = None,
) -> None:
    """Show one memory (calls Memory.get)."""
    with _memory(db) as memory:
        print_json(memory.get(memory_id, user_id=user))


@app.command("list")
def list_(
    user: UserOption,
    kind: Annotated[list[str] | None, typer.Option(help="Memory kind(s) (repeatable).")] = None,
    session: Annotated[str | None, typer.Option(help="Only this session.")] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", help="Page size.")] = 50,
    offset: Annotated[int, typer.Option(help="Memories to skip (pagination).")] = 0,
    db: DbOption = None,
    as_json: JsonFlag = False,
) -> None:
    """List a user's memories in time order (calls Memory.get_all)."""
    with _memory(db) as memory:
        items = memory.get_all(
            user_id=user, kinds=kind, session_id=session, limit=limit, offset=offset
        )
    print_json(items) if as_json else print_memories(items)


@app.command()
def history(
    memory_id: MemoryId,
    user: OptionalUser = None,
    db: DbOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Show every recorded change of a memory (calls Memory.history)."""
    with _memory(db) as memory:
        entries = memory.history(memory_id, user_id=user)
    print_json(entries) if as_json else print_history(entries)


@app.command()
def update(
    memory_id: MemoryId,
    text: Annotated[str, typer.Argument(help="The new text.")],
    user: OptionalUser = None,
    db: DbOption = None,
) -> None:
    """Replace a memory's text; the old text stays in history (calls Memory.update)."""
    with _memory(db) as memory:
        print_json(memory.update(memory_id, text, user_id=user))


@app.command()
def delete(
    memory_id: MemoryId,
    user: OptionalUser = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    db: DbOption = None,
) -> None:
    """Delete a memory: it no longer appears in search (calls Memory.delete)."""
    if not yes:
        typer.confirm(f"Delete memory {memory_id}?", abort=True)
    with _memory(db) as memory:
        item = memory.delete(memory_id, user_id=user)
    console.print(f"deleted {item.id}")


@app.command("import")
def import_(
    path: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="Chat file (.json or .jsonl).")
    ],
    user: UserOption,
    session: Annotated[
        str | None, typer.Option(help="Session id for messages that name none.")
    ] = None,
    db: DbOption = None,
) -> None:
    """Import a chat file: a JSON list of messages, {"messages": [...]}, {"sessions": [...]}, or JSONL."""
    try:
        batches = read_chat_file(path)
    except (KenningError, OSError) as exc:
        print_error(exc)
        raise typer.Exit(2) from exc
    stored = duplicates = 0
    with _memory(db) as memory, progress_bar(f"importing {path.name}", len(batches)) as advance:
        for done, batch in enumerate(batches, start=1):
            result = memory.add(
                batch.messages,
                user_id=user,
                session_id=batch.session_id or session,
                timestamp=batch.timestamp,
            )
            stored += len(result.episodes)
            duplicates += result.duplicates
            advance(done, len(batches))
    console.print(f"imported {stored} message(s) into user {user!r} ({duplicates} already stored)")


@app.command()
def stats(
    user: Annotated[
        str | None, typer.Option("--user", "-u", help="Only this user (default: all).")
    ] = None,
    db: DbOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Counts of users, episodes, memories by kind, entities, links and history."""
    with _memory(db) as memory:
        result = memory.stats(user_id=user)
    if as_json:
        print_json(result)
        return
    console.print(f"users: {result.users}  episodes: {result.episodes}")
    for kind, count in sorted(result.memories.items()):
        console.print(f"  {kind}: {count}")
    console.print(f"entities: {result.entities}  links: {result.links}  history: {result.history}")
    llm = result.llm
    if llm.calls:
        console.print(
            f"llm calls: {llm.calls} ({llm.failed} failed)  tokens: {llm.prompt_tokens} prompt, "
            f"{llm.completion_tokens} completion  cost: {llm.cost:.4f}"
        )


# -- lifecycle -------------------------------------------------------------------------------
RequiredUser = Annotated[str, typer.Option("--user", "-u", help="User id (the scope).")]


@app.command()
def fact(
    text: Annotated[str, typer.Argument(help="The fact, e.g. 'Ana lives in Berlin'.")],
    user: RequiredUser,
    key: Annotated[
        str | None, typer.Option(help="Slot it fills, e.g. 'ana.city': a new value supersedes.")
    ] = None,
    subject: Annotated[str | None, typer.Option(help="Who or what it is about.")] = None,
    valid_from: Annotated[
        str | None, typer.Option("--valid-from", help="When it became true (default: now).")
    ] = None,
    pinned: Annotated[bool, typer.Option("--pin", help="Never fades.")] = False,
    ttl: Annotated[float | None, typer.Option(help="Expire after this many seconds.")] = None,
    db: DbOption = None,
) -> None:
    """Remember a fact; with --key it supersedes the slot's old value (calls Memory.add_fact)."""
    with _memory(db) as memory:
        print_json(
            memory.add_fact(
                text,
                user_id=user,
                key=key,
                subject=subject,
                valid_from=valid_from,
                pinned=pinned,
                ttl=ttl,
            )
        )


@app.command()
def forget(
    user: RequiredUser,
    memory_id: Annotated[str | None, typer.Argument(help="Memory id.")] = None,
    episode: Annotated[
        str | None, typer.Option(help="Forget everything derived from this episode instead.")
    ] = None,
    hard: Annotated[
        bool,
        typer.Option(
            "--hard", help="Erase the sources and everything derived from them (no undo)."
        ),
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    db: DbOption = None,
) -> None:
    """Archive a memory (undo brings it back), or with --hard erase it and its sources."""
    if hard and not yes:
        typer.confirm("Erase for good, with the messages it came from?", abort=True)
    with _memory(db) as memory:
        result = memory.forget(memory_id, user_id=user, episode_id=episode, hard=hard)
    if hard:
        console.print(
            f"erased {result.erased_episodes} episode(s) and {result.erased_memories} memories"
        )
    else:
        console.print(f"archived {len(result.archived)} memories")


@app.command()
def undo(
    memory_id: MemoryId,
    user: RequiredUser,
    change: Annotated[
        int | None, typer.Option(help="History entry to revert (default: the latest).")
    ] = None,
    db: DbOption = None,
) -> None:
    """Revert a recorded change of a memory (calls Memory.undo)."""
    with _memory(db) as memory:
        print_json(memory.undo(memory_id, user_id=user, change=change))


@app.command()
def pin(
    memory_id: MemoryId,
    user: RequiredUser,
    off: Annotated[bool, typer.Option("--off", help="Unpin instead.")] = False,
    db: DbOption = None,
) -> None:
    """Pin a memory so it never fades (calls Memory.pin)."""
    with _memory(db) as memory:
        item = memory.pin(memory_id, user_id=user, pinned=not off)
    console.print(f"{'pinned' if item.pinned else 'unpinned'} {item.id}")


@app.command()
def consolidate(
    user: RequiredUser,
    archive_below: Annotated[
        float | None,
        typer.Option("--archive-below", help="Archive memories whose retention is below this."),
    ] = None,
    db: DbOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Archive expired memories, merge duplicates, write session summaries and profiles."""
    with _memory(db) as memory:
        report = memory.consolidate(user_id=user, archive_below=archive_below)
    if as_json:
        print_json(report)
        return
    console.print(
        f"merged {report.merged}  summaries {report.summaries}  profiles {report.profiles}  "
        f"expired {report.expired}  faded {report.faded}"
    )


@app.command()
def recover(
    user: Annotated[
        str | None, typer.Option("--user", "-u", help="Only this user's episodes.")
    ] = None,
    db: DbOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Derive episodes a failed or killed add left pending (calls Memory.process_pending)."""
    with _memory(db) as memory:
        derived = memory.process_pending(user_id=user)
    if as_json:
        print_json(derived)
        return
    console.print(f"derived {len(derived)} memories")


# -- server ----------------------------------------------------------------------------------
@app.command()
def serve(
    host: Annotated[
        str | None,
        typer.Option(help="Address to listen on (default: KENNING_SERVER_HOST, 127.0.0.1)."),
    ] = None,
    port: Annotated[
        int | None, typer.Option(help="Port (default: KENNING_SERVER_PORT, 8765).")
    ] = None,
    db: DbOption = None,
) -> None:
    """Serve the REST API (/v1, OpenAPI at /docs); without API keys only on localhost."""
    from kenning.server import check_binding, run
    from kenning.server.keys import ApiKeys

    with _memory(db) as memory:  # which also reports check_binding's refusal (exit 2)
        settings = memory.settings
        host = host or settings.server_host
        port = settings.server_port if port is None else port
        notice = check_binding(ApiKeys(memory.store), host)
        if notice:
            errors.print(f"[yellow]{notice}[/yellow]")
        memory.warm_up()  # the model is loaded before the addresses are printed
        display = f"[{host}]" if ":" in host else host
        url = f"http://{display}:{port}"
        errors.print(f"kenning {__version__} serving {memory.store.location} on {url}")
        errors.print(f"web page {url}/ · REST {url}/v1 (OpenAPI {url}/docs) · MCP {url}/mcp")
        run(memory, host=host, port=port)


@contextmanager
def _keys(db: str | None) -> Iterator[Any]:
    from kenning.server.keys import ApiKeys
    from kenning.store import open_store

    settings = _settings(db)
    try:
        store = open_store(settings.database)
        try:
            yield ApiKeys(store)
        finally:
            store.close()
    except KenningError as exc:
        print_error(exc)
        raise typer.Exit(2) from exc


@keys_app.command("create")
def keys_create(
    user: Annotated[
        list[str] | None,
        typer.Option("--user", "-u", help="User the key may touch (repeatable)."),
    ] = None,
    admin: Annotated[
        bool, typer.Option("--admin", help="The key may touch every user and /v1/stats.")
    ] = False,
    name: Annotated[str, typer.Option(help="A label to recognise the key by.")] = "",
    db: DbOption = None,
) -> None:
    """Create an API key bound to users (or admin); prints the secret once."""
    with _keys(db) as keys:
        token = keys.create(users=user or (), admin=admin, name=name)
    # The secret alone on stdout (for scripts); the advice on stderr.
    print(token)
    errors.print("store this key now: only its hash is kept, it cannot be shown again")


@keys_app.command("list")
def keys_list(db: DbOption = None, as_json: JsonFlag = False) -> None:
    """List API keys: id, name, users, admin, created, last used, revoked (never secrets)."""
    with _keys(db) as keys:
        found = keys.list()
    if as_json:
        print_json([{k: v for k, v in to_jsonable(key).items() if k != "hash"} for key in found])
        return
    from rich.table import Table

    table = Table()
    for column in ("id", "name", "users", "admin", "created", "last used", "revoked"):
        table.add_column(column, overflow="fold")
    for key in found:
        table.add_row(
            key.id,
            key.name,
            ", ".join(key.users),
            "yes" if key.admin else "",
            key.created_at.strftime("%Y-%m-%d %H:%M"),
            key.last_used_at.strftime("%Y-%m-%d %H:%M") if key.last_used_at else "",
            key.revoked_at.strftime("%Y-%m-%d %H:%M") if key.revoked_at else "",
        )
    console.print(table if found else "[dim]no API keys[/dim]")


@keys_app.command("revoke")
def keys_revoke(
    key_id: Annotated[str, typer.Argument(help="Key id (as shown by kenning keys list).")],
    db: DbOption = None,
) -> None:
    """Revoke an API key: it authenticates nothing from now on."""
    with _keys(db) as keys:
        key = keys.revoke(key_id)
    console.print(f"revoked {key.id} ({key.name})")


# -- evaluation ------------------------------------------------------------------------------
JsonOut = Annotated[
    Path | None, typer.Option("--json", help="Also write the full results to this JSON file.")
]
EvalDb = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="Store to ingest into: a SQLite file or postgresql:// URL (default: a fresh "
        "temporary file).",
    ),
]


@app.command()
def mcp(
    user: Annotated[
        str | None, typer.Option("--user", "-u", help="User id for tool calls that give none.")
    ] = None,
    db: DbOption = None,
) -> None:
    """Serve memory to MCP clients over stdio (tools: remember, recall, forget, list)."""
    from kenning.mcp import run_stdio

    run_stdio(_settings(db), default_user=user)


@contextmanager
def _eval_memory(db: str | None) -> Iterator[Memory]:
    with (
        tempfile.TemporaryDirectory(prefix="kenning-eval-") as tmp,
        _memory(db or Path(tmp) / "eval.db") as memory,
    ):
        yield memory


def _report(
    result: dict[str, Any], out: Path | None, sections: list[tuple[str, dict[str, Any]]]
) -> None:
    from rich.table import Table

    for title, metrics in sections:
        table = Table(title=title)
        table.add_column("metric")
        table.add_column("value", justify="right")
        for key, value in metrics.items():
            table.add_row(key, f"{value:.4f}" if isinstance(value, float) else str(value))
        console.print(table)
    console.print(
        {k: round(v, 3) if isinstance(v, float) else v for k, v in result.get("timing", {}).items()}
    )
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, indent=2), encoding="utf-8")
        console.print(f"results written to {out}")


AblationFlag = Annotated[
    bool,
    typer.Option(
        "--ablation/--no-ablation",
        help="Also answer every question with each retrieval component off in turn (and "
        "dense-only / BM25-only baselines) and print the comparison; --no-ablation is faster.",
    ),
]


def _print_ablation(result: dict[str, Any], metrics: tuple[str, ...], *, categories: bool) -> None:
    from rich.console import Console
    from rich.table import Table

    ablation = result.get("ablation")
    if not ablation:
        return
    table = Table(title="ablation (same ingest, each variant answers every question)")
    table.add_column("configuration", no_wrap=True)
    for metric in metrics:
        table.add_column(metric, justify="right", no_wrap=True)
    table.add_column(f"Δ {metrics[0]}", justify="right", no_wrap=True)
    category_names = sorted(ablation["default"].get("per_category", {})) if categories else []
    for category in category_names:
        table.add_column(f"cat {category}", justify="right", no_wrap=True)
    if categories:
        table.add_column("dev / test", justify="right", no_wrap=True)
    reference = ablation["default"]["overall"][metrics[0]]
    for name, variant in ablation.items():
        overall = variant["overall"]
        row = [name, *(f"{overall[m]:.3f}" for m in metrics)]
        row.append("" if name == "default" else f"{overall[metrics[0]] - reference:+.3f}")
        for category in category_names:
            row.append(f"{variant['per_category'][category][metrics[0]]:.3f}")
        if categories:
            halves = variant["halves"]
            row.append(
                " / ".join(
                    f"{halves[h][metrics[0]]:.3f}" if h in halves else "-" for h in ("dev", "test")
                )
            )
        table.add_row(*row)
    # Wider than a default 80-column pipe, so the table reads the same in a log file.
    Console(width=max(console.width, 150)).print(table)


def _variants(ablation: bool) -> dict[str, dict[str, Any]] | None:
    from kenning.eval.ablation import ABLATIONS

    return ABLATIONS if ablation else None


def _headline(metrics: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    return {k: v for k, v in metrics.items() if k.split("@")[-1] in keys or k == "questions"}


@eval_app.command("locomo")
def eval_locomo(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="locomo10.json")],
    out: JsonOut = None,
    limit_conversations: Annotated[
        int | None, typer.Option(help="Only the first N conversations.")
    ] = None,
    db: EvalDb = None,
    ablation: AblationFlag = True,
) -> None:
    """LoCoMo turn retrieval, categories 1-4: recall/any/all/ndcg@k overall and per category."""
    from kenning.eval import run_locomo

    with _eval_memory(db) as memory, progress_bar("locomo conversations", None) as advance:
        result = run_locomo(
            path,
            memory,
            limit_conversations=limit_conversations,
            progress=advance,
            variants=_variants(ablation),
        )
    sections = [("overall", _headline(result["overall"], ("1", "5", "10", "25", "50")))]
    sections += [
        (f"category {c}", _headline(m, ("10",))) for c, m in sorted(result["per_category"].items())
    ]
    sections += [
        (f"{name} half of the conversations", _headline(m, ("10",)))
        for name, m in result["halves"].items()
    ]
    _report(result, out, sections)
    _print_ablation(result, ("recall@10", "ndcg@10"), categories=True)


@eval_app.command("longmemeval")
def eval_longmemeval(
    path: Annotated[
        Path,
        typer.Argument(exists=True, dir_okay=False, help="longmemeval_s.json (or same format)"),
    ],
    out: JsonOut = None,
    limit_questions: Annotated[
        int | None,
        typer.Option(help="Only N questions, spread evenly over the file (every type)."),
    ] = None,
    db: EvalDb = None,
    ablation: AblationFlag = True,
) -> None:
    """LongMemEval retrieval: recall_any/recall_all/ndcg_any@k at session and turn level."""
    from kenning.eval import run_longmemeval

    with _eval_memory(db) as memory, progress_bar("longmemeval questions", None) as advance:
        result = run_longmemeval(
            path,
            memory,
            limit_questions=limit_questions,
            progress=advance,
            variants=_variants(ablation),
        )
    _report(result, out, [("session", result["session"]), ("turn", result["turn"])])
    _print_ablation(
        result,
        ("session recall_any@5", "turn recall_any@5", "session ndcg_any@5"),
        categories=False,
    )


@eval_app.command("realmem")
def eval_realmem(
    folder: Annotated[
        Path,
        typer.Argument(
            exists=True,
            file_okay=False,
            help="RealMem folder: dataset/*_dialogues_256k.json and realmem_queries_derived.json",
        ),
    ],
    out: JsonOut = None,
    limit_persons: Annotated[int | None, typer.Option(help="Only the first N histories.")] = None,
    limit_queries: Annotated[int | None, typer.Option(help="Only the first N queries.")] = None,
    db: EvalDb = None,
    ablation: AblationFlag = True,
) -> None:
    """RealMem retrieval: each query over the history before it, session and turn level."""
    from kenning.eval import run_realmem

    with _eval_memory(db) as memory, progress_bar("realmem queries", None) as advance:
        result = run_realmem(
            folder,
            memory,
            limit_persons=limit_persons,
            limit_queries=limit_queries,
            progress=advance,
            variants=_variants(ablation),
        )
    _report(result, out, [("session", result["session"]), ("turn", result["turn"])])
    _print_ablation(
        result,
        ("session recall_any@5", "turn recall_any@10", "session ndcg_any@5"),
        categories=False,
    )


@eval_app.command("hipporag")
def eval_hipporag(
    questions: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="Questions JSON file.")
    ],
    corpus: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="Corpus JSON file.")],
    out: JsonOut = None,
    limit_questions: Annotated[int | None, typer.Option(help="Only the first N questions.")] = None,
    db: EvalDb = None,
    ablation: AblationFlag = True,
) -> None:
    """HippoRAG passage retrieval: recall@2 and recall@5."""
    from kenning.eval import run_hipporag

    with _eval_memory(db) as memory, progress_bar("hipporag", None) as advance:
        result = run_hipporag(
            questions,
            corpus,
            memory,
            limit_questions=limit_questions,
            progress=advance,
            variants=_variants(ablation),
        )
    _report(result, out, [("overall", result["overall"])])
    _print_ablation(result, ("recall@5", "recall@2"), categories=False)


@eval_app.command("matrix")
def eval_matrix(
    data_dir: Annotated[
        Path,
        typer.Argument(
            exists=True,
            file_okay=False,
            help="Data folder: locomo/, longmemeval/, realmem/, hipporag/ (as shared/data).",
        ),
    ],
    out: Annotated[
        Path, typer.Option("--out", help="Folder of the per-dataset result files.")
    ] = Path("eval-matrix"),
    only: Annotated[
        str | None,
        typer.Option(
            "--only",
            help="Comma-separated datasets (default: every one found): locomo, "
            "longmemeval_s, realmem, hotpotqa, musique.",
        ),
    ] = None,
    resume: Annotated[
        bool,
        typer.Option(
            "--resume/--no-resume",
            help="Load a dataset's finished file from --out (same limits and variants) "
            "instead of running it again.",
        ),
    ] = True,
    limit_locomo: Annotated[
        int | None, typer.Option(min=1, help="Only the first N LoCoMo conversations.")
    ] = None,
    limit_longmemeval: Annotated[
        int | None, typer.Option(min=1, help="Only N LongMemEval questions, spread evenly.")
    ] = None,
    limit_realmem_persons: Annotated[
        int | None, typer.Option(min=1, help="Only the first N RealMem histories.")
    ] = None,
    limit_realmem_queries: Annotated[
        int | None, typer.Option(min=1, help="Only the first N RealMem queries.")
    ] = None,
    limit_hipporag: Annotated[
        int | None, typer.Option(min=1, help="Only the first N HotpotQA / MuSiQue questions.")
    ] = None,
    markdown: Annotated[
        Path | None, typer.Option("--markdown", help="Also write the tables as markdown here.")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Every development dataset under every variant (one fresh store each), and the figure of
    each under the variant chosen on the others (leave-one-dataset-out)."""
    import functools

    from kenning.cli import _matrix
    from kenning.eval.matrix import MatrixLimits, run_matrix, select_datasets

    limits = MatrixLimits(
        locomo_conversations=limit_locomo,
        longmemeval_questions=limit_longmemeval,
        realmem_persons=limit_realmem_persons,
        realmem_queries=limit_realmem_queries,
        hipporag_questions=limit_hipporag,
    )
    command = _matrix.command_line(
        data_dir,
        out=out,
        only=only,
        resume=resume,
        limits=limits,
        markdown=markdown,
        as_json=as_json,
    )
    (errors if as_json else console).print(command, markup=False, highlight=False, soft_wrap=True)
    try:
        names = [n.strip() for n in only.split(",") if n.strip()] if only else None
        selection = select_datasets(data_dir, only=names)
        for note in selection.notes:
            errors.print(note, markup=False, highlight=False)
        report = run_matrix(
            selection.datasets,
            functools.partial(_eval_memory, None),
            out=out,
            limits=limits,
            resume=resume,
            progress=lambda dataset: progress_bar(dataset.name, None),
            on_done=lambda o: errors.print(_matrix.describe_outcome(o), markup=False),
        )
    except KenningError as exc:
        print_error(exc)
        raise typer.Exit(2) from exc
    tables = _matrix.matrix_tables(report)
    if as_json:
        print_json(_matrix.report_json(report, command))
    else:
        _matrix.print_tables(tables)
    if markdown is not None:
        markdown.parent.mkdir(parents=True, exist_ok=True)
        markdown.write_text(_matrix.markdown(tables, command), encoding="utf-8")
        errors.print(f"markdown written to {markdown}", markup=False, highlight=False)


@eval_app.command("sample-longmemeval")
def eval_sample_longmemeval(
    out: Annotated[Path, typer.Argument(help="Where to write the generated file.")],
    questions: Annotated[int, typer.Option(help="Number of questions.")] = 20,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
) -> None:
    """Write a small synthetic file in the LongMemEval format (for smoke runs)."""
    from kenning.eval import write_sample_longmemeval

    write_sample_longmemeval(out, n_questions=questions, seed=seed)
    console.print(f"wrote {questions} questions to {out}")


@eval_app.command("updates")
def eval_updates(
    stories: Annotated[int, typer.Option(min=1, help="Number of generated stories.")] = 500,
    seed: Annotated[int, typer.Option(help="Random seed of the story generator.")] = 0,
    out: JsonOut = None,
    db: Annotated[
        Path | None,
        typer.Option(
            "--db",
            help="Base path of the two stores, one per run: <stem>-local<suffix> and "
            "<stem>-off<suffix>; both must not exist yet (default: fresh temporary files).",
        ),
    ] = None,
    dump: Annotated[
        Path | None,
        typer.Option("--dump", help="Also write the generated stories to this JSON file."),
    ] = None,
) -> None:
    """Knowledge updates: current value first now, old value first as of before the change."""
    import functools

    from rich.console import Console
    from rich.table import Table

    from kenning.eval import generate_update_stories, run_updates, write_update_stories

    generated = generate_update_stories(stories, seed=seed)
    if dump is not None:
        write_update_stories(dump, generated)
        console.print(f"stories written to {dump}")
    modes = ("local", "off")
    runs: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="kenning-eval-") as tmp:
        base = db or Path(tmp) / "updates.db"
        paths = {mode: base.with_name(f"{base.stem}-{mode}{base.suffix}") for mode in modes}
        taken = [str(path) for path in paths.values() if path.exists()]
        if taken:
            errors.print(
                f"[red]error:[/red] {', '.join(taken)} exists; each run needs a fresh store"
            )
            raise typer.Exit(2)
        base.parent.mkdir(parents=True, exist_ok=True)
        for mode in modes:
            factory = functools.partial(_memory, paths[mode], fact_extraction=mode)
            with progress_bar(f"updates, fact extraction {mode}", None) as advance:
                runs[mode] = run_updates(factory, generated, progress=advance)

    wide = Console(width=max(console.width, 130))
    table = Table(title=f"knowledge updates: {len(generated)} stories, seed {seed}")
    metrics = ("accuracy@1", "accuracy@5", "mrr")
    table.add_column("fact extraction", no_wrap=True)
    for metric in metrics:
        for kind in ("current", "as-of"):
            table.add_column(f"{kind} {metric.replace('accuracy', 'acc')}", justify="right")
    table.add_column("questions", justify="right")
    for mode, run in runs.items():
        cells = [
            f"{run[f'{kind}_{metric}']:.3f}" for metric in metrics for kind in ("current", "as_of")
        ]
        table.add_row(mode, *cells, str(run["questions"]))
    wide.print(table)

    per_attribute = Table(title="per attribute, fact extraction local")
    per_attribute.add_column("attribute", no_wrap=True)
    per_attribute.add_column("stories", justify="right")
    for column in ("current acc@1", "as-of acc@1", "current mrr", "as-of mrr"):
        per_attribute.add_column(column, justify="right")
    for name, row in runs["local"]["per_attribute"].items():
        per_attribute.add_row(
            name,
            str(row["stories"]),
            *(
                f"{row[key]:.3f}"
                for key in ("current_accuracy@1", "as_of_accuracy@1", "current_mrr", "as_of_mrr")
            ),
        )
    wide.print(per_attribute)
    for mode, run in runs.items():
        timing = {k: round(v, 3) if isinstance(v, float) else v for k, v in run["timing"].items()}
        console.print(f"{mode}: {timing}")
    if out is not None:
        result = {
            "dataset": "updates",
            "generator": {"stories": stories, "seed": seed},
            "runs": runs,
        }
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, indent=2, ensure_ascii=False), encoding="utf-8")
        console.print(f"results written to {out}")
