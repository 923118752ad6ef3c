"""Several ``kenning serve`` processes on one database under concurrent clients: no write lost.

For each ``--servers N`` (on a fresh namespace: a new SQLite file derived from ``--db``; for a
``postgresql://`` URL, user ids with a prefix of their own):

1. N ``kenning serve --db DB`` processes on free localhost ports (hash embedder, no embedding
   cache, a rate limit that never throttles), each awaited on ``/v1/health`` and terminated at
   the end whatever happens (Ctrl-C included).
2. ``--clients`` threads for ``--seconds``: request i of a client goes to server i mod N; each
   operation picks a random user (seeded RNG per client) and either adds one message whose
   unique text and idempotency key (the message ``id``) are recorded before it is sent, the
   outcome after, or searches words the client has added. An exception or a non-2xx answer is
   an error; an add is retried (at most twice) with its key only, so a retry cannot duplicate.
3. Every user's episodes and turn memories, paged through over the API, checked against the
   records: each acknowledged add stored once and indexed as one turn memory; nothing unsent.

Run::

    .venv/bin/python benchmarks/load_servers.py --db /tmp/lt/s.db --servers 1 --servers 3
    .venv/bin/python benchmarks/load_servers.py --db postgresql://localhost/kenning --json out.json

Exit status 1 if a request failed or a write was lost, duplicated, unexpected or not indexed.
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from _bench import environment, print_table, quantiles_ms, write_json

SERVER_ENV = {
    "KENNING_EMBEDDER": "hash",
    "KENNING_EMBEDDING_CACHE_PATH": "",
    "KENNING_SERVER_RATE_LIMIT": str(10**9),
}
TIMEOUT = 30.0  # seconds per request
RETRIES = 2  # further attempts of a failed add, with the same idempotency key
PAGE = 200  # listing page size (the server's maximum is 500 by default)
KENNING = Path(sys.executable).parent / "kenning"  # the venv's command, as users start it
SYLLABLES = ("ka", "lo", "mi", "ne", "ru", "sa", "te", "vo")
VOCABULARY = [a + b + c for a in SYLLABLES for b in SYLLABLES for c in ("bar", "den", "fil", "gom")]


@dataclass(slots=True)
class AddRecord:
    """One message a client sent: recorded before the first attempt, outcome after."""

    client: int
    seq: int
    user: str
    key: str
    text: str
    outcome: str = "pending"  # "acked" or "failed"
    attempts: int = 0


@dataclass(frozen=True, slots=True)
class Failure:
    operation: str
    url: str
    status: int | None  # None: no answer (an exception)
    excerpt: str


@dataclass(slots=True)
class ClientLog:
    adds: list[AddRecord] = field(default_factory=list)
    add_seconds: list[float] = field(default_factory=list)
    search_seconds: list[float] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    operations: int = 0
    retries: int = 0


@dataclass(frozen=True, slots=True)
class Check:
    """What the listings hold against the clients' records."""

    stored: int  # episodes of the clients' messages found
    stored_unacked: int  # of which the add was not acknowledged (allowed)
    lost: int
    duplicated: int
    unexpected: int
    unindexed: int  # acknowledged episodes without exactly one turn memory


@dataclass(frozen=True, slots=True)
class Server:
    process: subprocess.Popen[bytes]
    url: str
    log: Path


def config_db(db: str, tag: str, index: int, servers: int) -> str:
    """The database of one configuration: a new SQLite file beside ``db``, or ``db`` itself."""
    if db.startswith(("postgresql://", "postgres://")):
        return db
    path = Path(db).resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    return str(path.with_name(f"{path.stem}-{tag}-c{index}-{servers}srv{path.suffix or '.db'}"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_servers(db: str, count: int, logs: Path, started: list[Server]) -> None:
    """Launch ``count`` servers (appended to ``started`` at once), then wait for their health."""
    env = {**os.environ, **SERVER_ENV}
    for number in range(count):
        port, log = _free_port(), logs / f"server{number}.log"
        command = [str(KENNING), "serve", "--host", "127.0.0.1"]
        with log.open("wb") as out:  # the child keeps its own descriptor
            process = subprocess.Popen(
                [*command, "--port", str(port), "--db", db],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C reaches this script only; it stops them
            )
        started.append(Server(process, f"http://127.0.0.1:{port}", log))
    deadline = time.monotonic() + 120
    for server in started:
        while True:
            if server.process.poll() is not None:
                tail = server.log.read_text(errors="replace").splitlines()[-15:]
                raise RuntimeError(f"{server.url} exited:\n" + "\n".join(tail))
            try:
                if httpx.get(f"{server.url}/v1/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{server.url} did not answer its health check")
            time.sleep(0.1)


def stop_servers(servers: Sequence[Server]) -> None:
    for server in servers:
        if server.process.poll() is None:
            server.process.terminate()
    for server in servers:
        try:
            server.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()


def server_log_errors(servers: Sequence[Server]) -> list[str]:
    """Lines of the servers' output that report an error or a traceback."""
    found = []
    for number, server in enumerate(servers):
        for line in server.log.read_text(errors="replace").splitlines():
            if "Traceback" in line or "ERROR" in line or "Exception" in line:
                found.append(f"server{number}: {line.strip()}")
    return found


def _post(
    http: httpx.Client, log: ClientLog, operation: str, url: str, body: dict[str, Any]
) -> tuple[Any, float]:
    """The answer's JSON (``None`` after a failure, recorded in ``log``) and its seconds."""
    started = time.perf_counter()
    try:
        answer = http.post(url, json=body)
        if answer.is_success:
            return answer.json(), time.perf_counter() - started
        log.failures.append(Failure(operation, url, answer.status_code, answer.text[:200]))
    except (httpx.HTTPError, ValueError) as exc:
        log.failures.append(Failure(operation, url, None, f"{type(exc).__name__}: {exc}"[:200]))
    return None, time.perf_counter() - started


def _add(http: httpx.Client, log: ClientLog, urls: Iterator[str], record: AddRecord) -> None:
    body = {"messages": [{"content": record.text, "id": record.key}], "session_id": "load"}
    for attempt in range(1 + RETRIES):
        if attempt:
            log.retries += 1
            time.sleep(0.1 * attempt)
        record.attempts += 1
        url = f"{next(urls)}/v1/users/{record.user}/messages"
        result, seconds = _post(http, log, "add", url, body)
        if result is None:
            continue
        if len(result["episodes"]) + result["duplicates"] != 1:  # one new, or one already stored
            log.failures.append(Failure("add", url, 201, f"answer: {result}"[:200]))
            break
        record.outcome = "acked"
        log.add_seconds.append(seconds)
        return
    record.outcome = "failed"


def run_client(
    number: int,
    log: ClientLog,
    urls: Sequence[str],
    users: Sequence[str],
    args: argparse.Namespace,
    stop: threading.Event,
) -> None:
    """One client's loop until ``stop`` is set: adds and searches, round robin over ``urls``."""
    rng = random.Random(f"{args.seed}-{number}")
    targets = itertools.cycle(urls)  # request i goes to server i mod N
    said: list[str] = []  # words this client has added
    with httpx.Client(timeout=TIMEOUT, headers=args.headers) as http:
        while not stop.is_set():
            user = rng.choice(users)
            log.operations += 1
            if said and rng.random() < args.search_share:
                query = " ".join(rng.sample(said, min(2, len(said))))
                url = f"{next(targets)}/v1/users/{user}/search"
                found, seconds = _post(http, log, "search", url, {"query": query, "limit": 10})
                if found is not None:
                    log.search_seconds.append(seconds)
                continue
            words = rng.sample(VOCABULARY, 5)
            seq = len(log.adds)
            key = f"{user}-c{number}-n{seq}"
            record = AddRecord(number, seq, user, key, f"{' '.join(words)} ({key})")
            log.adds.append(record)  # recorded before it is sent
            _add(http, log, targets, record)
            said = (said + words)[-200:]


def run_clients(
    urls: Sequence[str], users: Sequence[str], args: argparse.Namespace
) -> tuple[list[ClientLog], float]:
    """All clients for ``args.seconds``; their logs and the wall time they ran."""
    stop = threading.Event()
    logs = [ClientLog() for _ in range(args.clients)]
    threads = [
        threading.Thread(target=run_client, args=(n, logs[n], urls, users, args, stop), daemon=True)
        for n in range(args.clients)
    ]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    try:
        while time.monotonic() - started < args.seconds:
            time.sleep(0.2)  # interruptible by Ctrl-C
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=TIMEOUT * (2 + RETRIES))
    return logs, time.monotonic() - started


def _pages(http: httpx.Client, url: str, **params: str) -> Iterator[dict[str, Any]]:
    offset: int | None = 0
    while offset is not None:
        answer = http.get(url, params={**params, "limit": PAGE, "offset": offset})
        answer.raise_for_status()
        page = answer.json()
        yield from page["items"]
        offset = page["next_offset"]


def verify(
    urls: Sequence[str], users: Sequence[str], logs: Sequence[ClientLog], args: argparse.Namespace
) -> Check:
    """Every user's episodes and turn memories against the clients' records."""
    sent = {f"id:{r.key}": r for log in logs for r in log.adds}
    seen: Counter[str] = Counter()
    key_of: dict[str, str] = {}  # episode id -> idempotency key
    turns: Counter[str] = Counter()  # episode id -> turn memories derived from it
    unexpected = 0
    with httpx.Client(timeout=TIMEOUT, headers=args.headers) as http:
        for number, user in enumerate(users):
            base = f"{urls[number % len(urls)]}/v1/users/{user}"
            for episode in _pages(http, f"{base}/episodes"):
                record = sent.get(episode["idempotency_key"])
                if record is None or record.user != user or record.text != episode["content"]:
                    unexpected += 1
                    continue
                seen[episode["idempotency_key"]] += 1
                key_of[episode["id"]] = episode["idempotency_key"]
            for memory in _pages(http, f"{base}/memories", kind="turn"):
                turns.update(memory["episode_ids"])
    acked = {key for key, r in sent.items() if r.outcome == "acked"}
    return Check(
        stored=sum(seen.values()),
        stored_unacked=sum(n for key, n in seen.items() if key not in acked),
        lost=sum(1 for key in acked if seen[key] == 0),
        duplicated=sum(n - 1 for n in seen.values() if n > 1),
        unexpected=unexpected,
        unindexed=sum(1 for e, key in key_of.items() if key in acked and turns[e] != 1),
    )


def summarize(logs: Sequence[ClientLog], check: Check, seconds: float) -> dict[str, Any]:
    adds = [r for log in logs for r in log.adds]
    acked = sum(1 for r in adds if r.outcome == "acked")
    failures = [f for log in logs for f in log.failures]
    searches = [s for log in logs for s in log.search_seconds]
    return {
        "seconds": round(seconds, 2),
        "operations": sum(log.operations for log in logs),
        "adds": len(adds),
        "searches": len(searches),
        "errors": len(failures),
        "retries": sum(log.retries for log in logs),
        "acked": acked,
        **asdict(check),
        "writes_per_s": acked / seconds if seconds else float("nan"),
        "search_ms": quantiles_ms(searches),
        "add_ms": quantiles_ms([s for log in logs for s in log.add_seconds]),
        "failure_kinds": [
            {"operation": op, "status": status, "excerpt": text, "count": n}
            for (op, status, text), n in Counter(
                (f.operation, f.status, f.excerpt[:120]) for f in failures
            ).most_common(10)
        ],
    }


def run_configuration(
    args: argparse.Namespace, index: int, servers: int, tag: str
) -> dict[str, Any]:
    db = config_db(args.db, tag, index, servers)
    users = [f"lt{tag}-c{index}-u{k:03d}" for k in range(args.users)]
    logs_dir = Path(tempfile.gettempdir()) / f"kenning-load-{tag}" / f"c{index}-{servers}srv"
    logs_dir.mkdir(parents=True, exist_ok=True)
    print(f"[{index}] {servers} server(s) on {db}, users {users[0]}.., logs {logs_dir}", flush=True)
    started: list[Server] = []
    try:
        start_servers(db, servers, logs_dir, started)
        urls = [s.url for s in started]
        logs, seconds = run_clients(urls, users, args)
        alive = [s.url for s in started if s.process.poll() is None]
        if not alive:
            raise RuntimeError(f"every server exited; logs in {logs_dir}")
        check = verify(alive, users, logs, args)  # through the servers still running
    finally:
        stop_servers(started)
    result = {"servers": servers, "db": db, "user_prefix": f"lt{tag}-c{index}-"}
    result["servers_exited"] = len(started) - len(alive)
    result |= summarize(logs, check, seconds)
    result["server_log_errors"] = server_log_errors(started)[:20]
    return result


def failed(result: dict[str, Any]) -> bool:
    keys = ("errors", "lost", "duplicated", "unexpected", "unindexed", "servers_exited")
    return any(result[k] for k in keys) or bool(result["server_log_errors"])


def report(results: Sequence[dict[str, Any]], command: str) -> None:
    columns = {"ops": "operations", "errors": "errors", "retries": "retries", "acked": "acked"}
    columns |= {"lost": "lost", "dup": "duplicated", "unexp": "unexpected"}
    columns |= {"unindexed": "unindexed", "writes/s": "writes_per_s"}
    headers = ["servers", *columns, "search p50", "p95", "p99", "add p50", "p95", "p99"]
    rows = []
    for r in results:
        ms = [*r["search_ms"].values(), *r["add_ms"].values()]
        rows.append([str(r["servers"]), *(r[k] for k in columns.values()), *ms])
    print()
    print_table(headers, rows)
    print("(latencies in ms; 'unindexed': acknowledged adds without exactly one turn memory)")
    for r in results:
        for kind in r["failure_kinds"]:
            status = kind["status"] or "no answer"
            print(f"  {r['servers']} srv: {kind['count']} x {kind['operation']} {status}: ", end="")
            print(kind["excerpt"])
        if r["servers_exited"]:
            print(f"  {r['servers']} srv: {r['servers_exited']} server(s) exited during the run")
        for line in r["server_log_errors"][:5]:
            print(f"  {r['servers']} srv, log: {line}")
    print(f"\ncommand: {command}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--db", required=True, help="SQLite path or postgresql:// URL")
    parser.add_argument(
        "--servers", type=int, action="append", help="server processes (repeatable; default 3)"
    )
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=300.0)
    parser.add_argument("--search-share", type=float, default=0.5, help="fraction of searches")
    parser.add_argument("--seed", type=int, default=0, help="seeds each client's RNG")
    parser.add_argument("--api-key", default=None, help="bearer key, if the database has keys")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args(argv)
    args.headers = {"Authorization": f"Bearer {args.api_key}"} if args.api_key else {}
    env = environment()
    tag = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    results = []
    try:
        for index, servers in enumerate(args.servers or [3]):
            results.append(run_configuration(args, index, servers, tag))
    except KeyboardInterrupt:
        print("\ninterrupted: servers stopped", file=sys.stderr)
        return 130
    report(results, env["command"])
    if args.json is not None:
        hidden = ("headers", "api_key", "json")
        settings = {k: v for k, v in vars(args).items() if k not in hidden}
        payload = {"benchmark": "load_servers", "environment": env, "settings": settings}
        write_json(args.json, {**payload, "runs": results})
    return 1 if any(failed(r) for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
