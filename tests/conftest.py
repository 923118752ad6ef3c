"""Shared fixtures: a deterministic embedder, a ``Memory`` on a real file, and every store backend.

A new backend is added in one place: write an opener below and list it in ``STORE_BACKENDS``.
Each opener returns a function that opens a *new handle* on one and the same database, so
tests can close a store and open it again (persistence, migrations) on every backend.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from engram import Memory
from engram.store import SQLiteStore, Store
from engram.testing import HashEmbedder

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
