"""Export a store (or one user) to a JSON Lines file and import it back: ``Memory.export``,
``Memory.import_``, ``kenning export`` / ``kenning import``, ``GET /v1/export`` and
``POST /v1/import``. The format is :mod:`kenning.store.export_format`.

An export reads every table a user's data lives in (the keyset paging of
:mod:`kenning.store.transfer`), user by user. An import writes through the store's own
operations where one fits (memories with their keys, so that the change feed records them
and every process's index catches up; entities, mentions, links, LLM calls), and through
SQL where a record keeps what the contract would assign anew (an episode's ``seq`` and
processing time, a history entry's id). It adds what the store does not hold and never
overwrites: importing a file twice changes nothing the second time.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from kenning.errors import NotFound, StoreError
from kenning.models import Entity, Link, LinkType, LLMCall, ModelMismatch
from kenning.store._codec import decode_time
from kenning.store._import import Embed, Importer
from kenning.store._sql import rows as R
from kenning.store._sql.core import Row
from kenning.store._sql.store import SQLStore
from kenning.store.base import Store, StoredMemory
from kenning.store.export_format import (
    VERSION,
    End,
    EpisodeRecord,
    ExportFormatError,
    Header,
    ImportConflict,
    LinkRecord,
    LLMCallRecord,
    MentionRecord,
    OwnedHistory,
    Record,
    RecordType,
    decode,
    decode_header,
    dumps,
    encode,
    encode_header,
    owner,
    parse_line,
    record_type,
)
from kenning.store.transfer import TABLES, _batches

BATCH = 500  # records per import transaction
Source = str | os.PathLike[str] | TextIO | Iterable[str]

_ORDER = {table.name: table.copy_order for table in TABLES}
_EPISODE = [*R.EPISODE_COLUMNS.split(", "), "processed_at"]
_MEMORY = R.MEMORY_COLUMNS.split(", ")
_ENTITY = ["id", "user_id", "name", "aliases", "kind"]
_MENTION = ["user_id", "memory_id", "entity_id"]
_LINK = ["user_id", "source_id", "target_id", "type", "weight"]
_HISTORY = [*R.HISTORY_COLUMNS.split(", "), "user_id"]
_LLM_CALL = "user_id, purpose, model, started_at, duration_ms, prompt_tokens, "
_LLM_CALL += "completion_tokens, cost, ok, attempts, error"


@dataclass(frozen=True, slots=True)
class ExportReport:
    """What an export wrote: records by type (``episode``, ``memory``, ...) and for whom."""

    users: tuple[str, ...]
    counts: dict[str, int]
    destination: str | None = None  # the file's path, when written to one

    @property
    def records(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True, slots=True)
class ImportReport:
    """What an import did, by record type: ``added`` records, ``skipped`` ones the store
    already held (importing a file again skips everything), memories ``reembedded``."""

    users: tuple[str, ...]
    added: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)
    reembedded: int = 0

    @property
    def changed(self) -> bool:
        return any(self.added.values())


def _sql(store: Store) -> SQLStore:
    if not isinstance(store, SQLStore):
        raise StoreError(f"{type(store).__name__} is not a SQL store: it cannot be exported")
    return store


# -- export --------------------------------------------------------------------------------
class Export:
    """An export of the store (or of one user): iterate it for its lines, header first."""

    def __init__(
        self,
        store: Store,
        *,
        user_id: str | None = None,
        model_id: str | None = None,
        now: datetime | None = None,
    ) -> None:
        from kenning import __version__

        self._store = _sql(store)
        users = self._store.list_users()
        if user_id is not None and user_id not in users:
            raise NotFound(f"no user {user_id!r} in {self._store.location}")
        self.header = Header(
            version=VERSION,
            exported_at=now or datetime.now(UTC),
            users=(user_id,) if user_id is not None else tuple(users),
            user_id=user_id,
            model_id=model_id,
            kenning_version=__version__,
            schema_version=self._store.schema_version,
        )
        self.counts: Counter[str] = Counter()

    def __iter__(self) -> Iterator[str]:
        yield dumps(encode_header(self.header))
        for record in self.records():
            self.counts[record_type(record).value] += 1
            yield dumps(encode(record))
        yield dumps({"type": RecordType.END.value, "counts": dict(self.counts)})

    def records(self) -> Iterator[Record]:
        for user in self.header.users:
            yield from _user_records(self._store, user)
        if self.header.user_id is None:
            yield from _unowned_records(self._store)

    def report(self, destination: str | None = None) -> ExportReport:
        return ExportReport(self.header.users, dict(self.counts), destination)


def _rows(store: SQLStore, table: str, columns: Sequence[str], user: str) -> Iterator[Row]:
    for batch in _batches(store, table, columns, _ORDER[table], 0, user_id=user):
        yield from batch


def _user_records(store: SQLStore, user: str) -> Iterator[Record]:
    """One user's records, parents before children (the order an import needs)."""
    for row in _rows(store, "episodes", _EPISODE, user):
        yield EpisodeRecord(R.episode(row), decode_time(row[-1]))
    for batch in _batches(store, "memories", _MEMORY, _ORDER["memories"], 0, user_id=user):
        yield from store._with_keys(batch)
    for id_, owner_id, name, aliases, kind in _rows(store, "entities", _ENTITY, user):
        yield Entity(id_, owner_id, name, tuple(json.loads(aliases)), kind)
    for owner_id, memory_id, entity_id in _rows(store, "mentions", _MENTION, user):
        yield MentionRecord(owner_id, memory_id, entity_id)
    for owner_id, source, target, kind, weight in _rows(store, "links", _LINK, user):
        yield LinkRecord(owner_id, Link(source, target, LinkType(kind), float(weight)))
    for row in _rows(store, "history", _HISTORY, user):
        yield OwnedHistory(row[-1], R.history([row[:-1]])[0])
    for row in _rows(store, "llm_calls", _LLM_CALL.split(", "), user):
        yield _llm_call(row)
    for task in store.list_tasks(user):
        yield task
        yield from store.task_steps(user, task.id)


def _unowned_records(store: SQLStore) -> Iterator[Record]:
    """History of memories no longer stored and LLM calls made for no user (whole store)."""
    history = store._rows(
        f"SELECT {R.HISTORY_COLUMNS}, user_id FROM history WHERE user_id IS NULL ORDER BY id"
    )
    for row in history:
        yield OwnedHistory(None, R.history([row[:-1]])[0])
    calls = store._rows(f"SELECT {_LLM_CALL} FROM llm_calls WHERE user_id IS NULL ORDER BY id")
    for row in calls:
        yield _llm_call(row)


def _llm_call(row: Row) -> LLMCallRecord:
    call = LLMCall(
        purpose=row[1],
        model=row[2],
        started_at=R.required_time(row[3]),
        duration_ms=float(row[4]),
        prompt_tokens=int(row[5]),
        completion_tokens=int(row[6]),
        cost=float(row[7]),
        ok=bool(row[8]),
        attempts=int(row[9]),
        error=row[10],
    )
    return LLMCallRecord(row[0], call)


def write_export(export: Export, destination: str | os.PathLike[str] | TextIO) -> ExportReport:
    """Write an export to a text stream, or to a file (a temporary file renamed when
    complete: an interrupted export leaves no partial file behind)."""
    if not isinstance(destination, str | os.PathLike):
        for line in export:
            destination.write(line + "\n")
        return export.report()
    path = Path(destination)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as out:
            for line in export:
                out.write(line + "\n")
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return export.report(str(path))


# -- reading a file --------------------------------------------------------------------------
class Reader:
    """The records of an export file, validated line by line (the header on creation)."""

    def __init__(
        self,
        lines: Iterable[str],
        *,
        user_id: str | None = None,
        refuse_other_than: str | None = None,
    ) -> None:
        self._lines = enumerate(lines, start=1)
        self._model = refuse_other_than  # refuse vectors of any other model than this one
        first = next(self._lines, None)
        if first is None or not first[1].strip():
            raise ExportFormatError(1, "format", "the file is empty: line 1 must be the header")
        self.header = decode_header(parse_line(first[1], 1))
        if user_id is not None and user_id not in self.header.users:
            raise NotFound(f"user {user_id!r} is not in this export")
        self.only = user_id
        self.users = (user_id,) if user_id is not None else self.header.users

    def __iter__(self) -> Iterator[tuple[int, Record]]:
        counts: Counter[str] = Counter()
        end: tuple[int, End] | None = None
        number = 1
        for number, text in self._lines:
            if not text.strip():
                continue
            if end is not None:
                raise ExportFormatError(number, "type", "a record after the 'end' record")
            decoded = decode(parse_line(text, number), number)
            if isinstance(decoded, End):
                end = (number, decoded)
                continue
            counts[record_type(decoded).value] += 1
            user = self._check_owner(decoded, number)
            if isinstance(decoded, StoredMemory):
                self._check_model(decoded, number)
            if self.only is None or user == self.only:
                yield number, decoded
        if end is None:
            raise ExportFormatError(
                number + 1, "type", "the file ends without its 'end' record: it is truncated"
            )
        stated = {k: v for k, v in end[1].counts.items() if v}
        if stated != dict(counts):
            raise ExportFormatError(
                end[0], "counts", f"the file says it holds {stated} but holds {dict(counts)}"
            )

    def _check_model(self, memory: StoredMemory, number: int) -> None:
        if self._model is not None and memory.model_id not in (None, self._model):
            raise ImportConflict(
                number,
                "model_id",
                f"vectors made by {memory.model_id!r}, this store embeds with {self._model!r} "
                "(import with re-embedding to embed them again)",
            )

    def _check_owner(self, record: Record, number: int) -> str | None:
        user = owner(record)
        if user is None and self.header.user_id is None:
            return None
        if user not in self.header.users:
            raise ExportFormatError(number, "user_id", f"user {user!r} is not in the header")
        return user


def validate(
    lines: Iterable[str], *, user_id: str | None = None, refuse_other_than: str | None = None
) -> Header:
    """Read a whole file without writing anything: its header, or the first error."""
    reader = Reader(lines, user_id=user_id, refuse_other_than=refuse_other_than)
    for _ in reader:
        pass
    return reader.header


# -- import ---------------------------------------------------------------------------------
def import_source(
    store: Store,
    source: Source,
    *,
    user_id: str | None = None,
    model_id: str | None = None,
    embed: Embed | None = None,
    model_mismatch: ModelMismatch = ModelMismatch.REEMBED,
) -> ImportReport:
    """Import an export file (a path), a text stream or lines. A path, a seekable stream or a
    list is validated whole first (a bad line: nothing written); another stream is read
    once, its batches committed as they are read."""

    refuse = model_id if model_mismatch is ModelMismatch.REFUSE else None

    def check(lines: Iterable[str]) -> None:
        validate(lines, user_id=user_id, refuse_other_than=refuse)

    def run(lines: Iterable[str]) -> ImportReport:
        return import_lines(
            store,
            lines,
            user_id=user_id,
            model_id=model_id,
            embed=embed,
            model_mismatch=model_mismatch,
        )

    if isinstance(source, str | os.PathLike):
        path = Path(source)
        with path.open(encoding="utf-8") as text:
            check(text)
        with path.open(encoding="utf-8") as text:
            return run(text)
    if isinstance(source, Sequence):
        check(source)
    elif isinstance(source, io.IOBase) and source.seekable():
        start = source.tell()
        check(source)
        source.seek(start)
    return run(source)


def import_lines(
    store: Store,
    lines: Iterable[str],
    *,
    user_id: str | None = None,
    model_id: str | None = None,
    embed: Embed | None = None,
    model_mismatch: ModelMismatch = ModelMismatch.REEMBED,
) -> ImportReport:
    """Import the lines of an export, :data:`BATCH` records per transaction.

    ``user_id``: that user's records only. ``model_id``/``embed``: the store's embedder;
    text keys whose vectors another model made are embedded again, or refused
    (``model_mismatch``).
    """
    sql = _sql(store)
    refuse = model_id if model_mismatch is ModelMismatch.REFUSE else None
    reader = Reader(lines, user_id=user_id, refuse_other_than=refuse)
    importer = Importer(sql, model_id=model_id, embed=embed, model_mismatch=model_mismatch)
    with sql.atomic():
        sql._ensure_scopes(reader.users)
    batch: list[tuple[int, Record]] = []
    for numbered in reader:
        batch.append(numbered)
        if len(batch) >= BATCH:
            importer.apply(batch)
            batch = []
    importer.apply(batch)
    importer.finish()
    return ImportReport(
        reader.users, dict(importer.added), dict(importer.skipped), importer.reembedded
    )


__all__ = [
    "BATCH",
    "Export",
    "ExportReport",
    "ImportReport",
    "ModelMismatch",
    "Reader",
    "import_lines",
    "import_source",
    "validate",
    "write_export",
]
