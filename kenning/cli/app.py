"""Command definitions. Settings come from ``KENNING_*`` variables; ``--db`` overrides the file."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from kenning import __version__
from kenning.cli._bench import bench
from kenning.cli._eval import eval_app
from kenning.cli._migrate import migrate
from kenning.cli._output import (
    console,
    errors,
    print_error,
    print_history,
    print_hits,
    print_json,
    print_memories,
)
from kenning.cli._transfer import export, import_file
from kenning.cli._users import delete_user, sessions, users
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
app.add_typer(eval_app, name="eval")
app.command()(bench)
app.command()(migrate)
app.command()(export)
app.command("import")(import_file)
app.command()(users)
app.command()(sessions)
app.command("delete-user")(delete_user)
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
