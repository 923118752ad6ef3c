"""``Memory.export`` / ``Memory.import_`` on the LoCoMo store: export, import into an empty
SQLite store (and PostgreSQL with ``--postgres``), then compare what the engine answers.

Every conversation is ingested into its own scope (``user_id`` = sample id, one ``add`` per
session, as ``kenning eval locomo`` does), unless ``--db`` names a store that holds it
already. The store is exported to a file, imported into each empty destination, and then
compared: ``get_all`` of every user (every status, every field), the ``history`` of every
memory, and for every LoCoMo question the search ranking (turn memories, 50 hits, as the
evaluation does), hit by hit, scores within 1e-6 (strength decays with the wall clock
between two calls). A second import of the file must add nothing.

Run::

    KENNING_EMBEDDING_CACHE_PATH=/tmp/b/emb.db .venv/bin/python benchmarks/export_roundtrip.py \\
        --locomo ../shared/data/locomo/locomo10.json [--postgres] [--db /tmp/locomo.db]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _bench import DEFAULT_LOCOMO, compare_searches, environment, print_table, write_json

from kenning import Memory, Settings
from kenning.eval.locomo import load_locomo, session_messages
from kenning.testing.postgres import LocalPostgres


def ingest(locomo: Path, location: str, settings: Settings) -> float:
    started = time.perf_counter()
    with Memory(location, settings=settings) as m:
        for conversation in load_locomo(locomo):
            for session in conversation.sessions:
                messages = session_messages(session)
                if messages:
                    m.add(
                        messages,
                        user_id=conversation.sample_id,
                        session_id=session.session_id,
                        timestamp=session.date,
                    )
    return time.perf_counter() - started


def static_state(location: str, settings: Settings) -> tuple[list[Any], int, int]:
    """Every memory of every user (every status) and every memory's history."""
    out: list[Any] = []
    memories = histories = 0
    with Memory(location, settings=settings) as m:
        for user in m.store.list_users():
            items = m.get_all(user_id=user, statuses=None, limit=None)
            out.append(items)
            memories += len(items)
            for item in items:
                entries = m.history(item.id, user_id=user)
                out.append(entries)
                histories += len(entries)
    return out, memories, histories


def round_trip(source: str, file: Path, destination: str, settings: Settings) -> dict[str, Any]:
    started = time.perf_counter()
    with Memory(destination, settings=settings) as m:
        first = m.import_(file)
        import_s = time.perf_counter() - started
        second = m.import_(file)
    return {
        "import_s": import_s,
        "added": sum(first.added.values()),
        "second_import_added": sum(second.added.values()),
        "reembedded": first.reembedded,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--locomo", type=Path, default=DEFAULT_LOCOMO)
    parser.add_argument("--db", type=Path, help="a SQLite store holding LoCoMo (else ingested)")
    parser.add_argument("--postgres", action="store_true", help="also import into PostgreSQL")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    settings = Settings()
    rows: list[list[object]] = []
    figures: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="kenning-export-") as tmp:
        source = str(args.db or Path(tmp) / "source.db")
        if args.db is None:
            figures["ingest_s"] = ingest(args.locomo, source, settings)
        file = Path(tmp) / "locomo.jsonl"
        started = time.perf_counter()
        with Memory(source, settings=settings) as m:
            exported = m.export(file)
        figures["export_s"] = time.perf_counter() - started
        figures["records"] = exported.records
        figures["file_mb"] = file.stat().st_size / 1e6
        local = LocalPostgres(Path(tmp) / "pg") if args.postgres else None
        try:
            targets = {"SQLite": str(Path(tmp) / "copy.db")}
            if local is not None:
                targets["PostgreSQL"] = local.create_database("export_roundtrip")
            expected, memories, histories = static_state(source, settings)
            figures |= {"memories": memories, "history_entries": histories}
            for name, target in targets.items():
                result = round_trip(source, file, target, settings)
                result["state_identical"] = static_state(target, settings)[0] == expected
                figures[name] = result
            searched = compare_searches(args.locomo, [source, *targets.values()], settings)
            figures["search"] = searched
        finally:
            if local is not None:
                local.close()
    for name in targets:
        r = figures[name]
        rows.append(
            [
                name,
                f"{figures['records']:,}",
                f"{figures['file_mb']:.1f}",
                f"{figures['export_s']:.1f}",
                f"{r['import_s']:.1f}",
                str(r["second_import_added"]),
                "yes" if r["state_identical"] else "NO",
            ]
        )
    headers = ["into", "records", "MB", "export s", "import s", "2nd import adds", "identical"]
    print_table(headers, rows)
    print(
        f"{figures['memories']:,} memories, {figures['history_entries']:,} history entries; "
        f"{searched['questions']} questions searched on {len(targets) + 1} stores: "
        f"{searched['differing']} rankings differ, max |Δscore| "
        f"{searched['largest_score_gap']:.1e}"
    )
    print(f"command: {environment()['command']}")
    if args.json:
        write_json(args.json, {"environment": environment(), **figures})
    failed = searched["differing"] or not all(figures[n]["state_identical"] for n in targets)
    return 1 if failed or any(figures[n]["second_import_added"] for n in targets) else 0


if __name__ == "__main__":
    sys.exit(main())
