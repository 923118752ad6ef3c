"""What the REST API adds to a search: ``Memory.search`` in-process vs ``POST /v1/.../search``.

What it does:

1. Ingests the first ``--turns`` turns of a LoCoMo conversation (as ``search_latency.py``
   does) into one scope of a fresh SQLite file.
2. Serves the same file with the real REST server (uvicorn on a free localhost port) from a
   separate process, as clients meet it (``--in-process``: from a thread of this process,
   where client and server share one GIL), with an API key bound to the user.
3. Times ``--queries`` searches both ways, interleaved query by query: ``Memory.search``
   directly, and the same search over HTTP with a keep-alive ``httpx`` client (JSON encoding,
   routing, the key check, the response's JSON decoding included). Query embeddings are
   pre-computed (``PreEmbedded``) so both sides measure the engine and the transport, not
   the model.

The figure the issue asks for is the p50 difference (target: at most 5 ms). Also timed: the
server's encoding of each search result, :func:`kenning.codec.to_json` against the generic
``json.dumps(to_jsonable(...))``.

Run::

    .venv/bin/python benchmarks/rest_latency.py                 # hash embedder
    .venv/bin/python benchmarks/rest_latency.py --embedder minilm --json out.json
    .venv/bin/python benchmarks/rest_latency.py --in-process
"""

from __future__ import annotations

import argparse
import itertools
import json
import multiprocessing
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from _bench import environment, print_table, quantiles_ms, write_json
from search_latency import DEFAULT_LOCOMO, USER, PreEmbedded, locomo_workload, synthetic_workload

from kenning import Memory, SearchResult
from kenning.codec import to_json, to_jsonable
from kenning.embed import Embedder, OnnxEmbedder
from kenning.server import ApiKeys, create_app
from kenning.testing import HashEmbedder


def _listening_socket() -> socket.socket:
    # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY on accepted connections only when the
    # listening socket says it is TCP, and without it every small response stalls ~40 ms
    # (Nagle's algorithm meeting the client's delayed ACK).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    return sock


def _server(memory: Memory) -> uvicorn.Server:
    return uvicorn.Server(
        uvicorn.Config(create_app(memory, ApiKeys(memory.store)), log_level="warning")
    )


def _serve_thread(memory: Memory) -> tuple[str, Any]:
    """The server in a thread of this process; returns its URL and a stop function."""
    sock = _listening_socket()
    server = _server(memory)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)

    def stop() -> None:
        server.should_exit = True
        thread.join(timeout=10)

    return f"http://127.0.0.1:{sock.getsockname()[1]}", stop


def _child(path: str, embedder: str, queries: list[str], ports: Any) -> None:
    """The server process: its own ``Memory`` on the same file, the same pre-embedded queries."""
    memory = Memory(path, embedder=_embedder(embedder, queries))
    sock = _listening_socket()
    ports.put(sock.getsockname()[1])
    _server(memory).run(sockets=[sock])


def _serve_process(path: Path, embedder: str, queries: list[str]) -> tuple[str, Any]:
    """The server in a separate process, as a client meets it; returns its URL and a stop."""
    context = multiprocessing.get_context("spawn")  # a fresh interpreter, as a real server
    ports = context.Queue()
    process = context.Process(target=_child, args=(str(path), embedder, queries, ports))
    process.start()
    url = f"http://127.0.0.1:{ports.get(timeout=180)}"
    deadline = time.monotonic() + 120
    while True:
        try:
            if httpx.get(f"{url}/v1/health", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline or not process.is_alive():
            process.kill()
            raise RuntimeError("the server process did not start")
        time.sleep(0.1)

    def stop() -> None:
        process.terminate()
        process.join(timeout=10)

    return url, stop


def _generic_json(result: SearchResult) -> bytes:
    return json.dumps(to_jsonable(result), ensure_ascii=False, separators=(",", ":")).encode()


def _encoding_seconds(
    encode: Callable[[SearchResult], bytes], results: Sequence[SearchResult]
) -> list[float]:
    seconds = []
    for result in results:
        started = time.perf_counter()
        encode(result)
        seconds.append(time.perf_counter() - started)
    return seconds


def _embedder(name: str, queries: Sequence[str]) -> PreEmbedded:
    inner: Embedder = HashEmbedder() if name == "hash" else OnnxEmbedder()
    embedder = PreEmbedded(inner)
    embedder.preload(queries)
    return embedder


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--embedder", choices=("hash", "minilm"), default="hash")
    parser.add_argument("--turns", type=int, default=600)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--data", type=Path, default=DEFAULT_LOCOMO, help="locomo10.json")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    parser.add_argument(
        "--in-process",
        action="store_true",
        help="serve from a thread of the benchmark's process (client and server share the GIL)",
    )
    args = parser.parse_args(argv)

    if args.data.is_file():
        source, sessions, questions = locomo_workload(args.data, args.turns)
    else:
        source, sessions, questions = synthetic_workload(args.turns, 0)
    queries = list(itertools.islice(itertools.cycle(questions), args.queries + args.warmup))
    with tempfile.TemporaryDirectory(prefix="kenning-rest-bench-") as tmp:
        path = Path(tmp) / "bench.db"
        memory = Memory(path, embedder=_embedder(args.embedder, queries))
        for s in sessions:
            memory.add(s.messages, user_id=USER, session_id=s.session_id, timestamp=s.timestamp)
        memory.flush()
        secret = ApiKeys(memory.store).create(users=[USER])
        if args.in_process:
            url, stop = _serve_thread(memory)
        else:
            url, stop = _serve_process(path, args.embedder, queries)
        direct: list[float] = []
        remote: list[float] = []
        results: list[SearchResult] = []
        try:
            with httpx.Client(
                base_url=url, headers={"Authorization": f"Bearer {secret}"}, timeout=30
            ) as client:
                route = f"/v1/users/{USER}/search"
                for number, query in enumerate(queries):
                    started = time.perf_counter()
                    result = memory.search(query, user_id=USER, limit=10)
                    middle = time.perf_counter()
                    response = client.post(route, json={"query": query, "limit": 10})
                    response.raise_for_status()
                    response.json()
                    ended = time.perf_counter()
                    if number >= args.warmup:
                        direct.append(middle - started)
                        remote.append(ended - middle)
                        results.append(result)
        finally:
            stop()
            memory.close()
    inside, over = quantiles_ms(direct), quantiles_ms(remote)
    codec = quantiles_ms(_encoding_seconds(to_json, results))
    generic = quantiles_ms(_encoding_seconds(_generic_json, results))
    print(
        f"{source}, {sum(len(s.messages) for s in sessions)} turns, {len(direct)} searches, "
        f"{args.embedder} embedder (query embeddings pre-computed), server in "
        + ("this process" if args.in_process else "its own process")
    )
    print_table(
        ["measure", "p50 ms", "p95 ms", "p99 ms"],
        [
            ["Memory.search, in process", inside["p50"], inside["p95"], inside["p99"]],
            ["POST /v1/users/{user}/search", over["p50"], over["p95"], over["p99"]],
            ["encoding a result: to_json", codec["p50"], codec["p95"], codec["p99"]],
            ["... json.dumps(to_jsonable)", generic["p50"], generic["p95"], generic["p99"]],
        ],
    )
    added = over["p50"] - inside["p50"]
    print(f"\nREST adds {added:.2f} ms at p50 (target: at most 5 ms)")
    if args.json:
        payload: dict[str, Any] = {
            "environment": environment(),
            "source": source,
            "server": "thread" if args.in_process else "process",
            "in_process_ms": inside,
            "rest_ms": over,
            "rest_adds_p50_ms": added,
            "to_json_ms": codec,
            "generic_json_ms": generic,
        }
        write_json(args.json, payload)
    return 0


if __name__ == "__main__":
    sys.exit(main())
