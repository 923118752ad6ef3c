"""Shared fixtures: a deterministic embedder, a ``Memory`` on a real file, and every store backend.

A new backend is added in one place: write an opener below and list it in ``STORE_BACKENDS``.
Each opener returns a function that opens a *new handle* on one and the same database, so
tests can close a store and open it again (persistence, migrations) on every backend.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from kenning import Memory
from kenning.store import SQLiteStore, Store
from kenning.testing import HashEmbedder

StoreOpener = Callable[[], Store]


def _sqlite_opener(tmp_path: Path) -> StoreOpener:
    path = tmp_path / "s.db"
    return lambda: SQLiteStore(path)


# backend name -> (tmp_path -> opener of handles on one fresh database).
# PostgreSQL goes here: "postgres": _postgres_opener (a fresh database per test).
STORE_BACKENDS: dict[str, Callable[[Path], StoreOpener]] = {
    "sqlite": _sqlite_opener,
}


@pytest.fixture
def embedder() -> HashEmbedder:
    return HashEmbedder()


@pytest.fixture
def memory(tmp_path: Path) -> Iterator[Memory]:
    m = Memory(tmp_path / "m.db", embedder=HashEmbedder())
    try:
        yield m
    finally:
        m.close()


@pytest.fixture(params=sorted(STORE_BACKENDS))
def store_opener(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StoreOpener]:
    """Opens handles on one fresh database of the parametrised backend; closes them all after."""
    opener = STORE_BACKENDS[request.param](tmp_path)
    handles: list[Store] = []

    def open_handle() -> Store:
        handle = opener()
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
