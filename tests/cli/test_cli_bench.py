"""`kenning bench` end to end: builds a small store, probes it in a fresh process, keeps it."""

from __future__ import annotations

import json
import math
import subprocess
from collections.abc import Callable
from pathlib import Path


def test_bench_builds_measures_and_reuses_a_store(
    run_kenning: Callable[..., subprocess.CompletedProcess[str]], tmp_path: Path
) -> None:
    out = tmp_path / "figures.json"
    args = ["bench", "-m", "120", "--queries", "5", "--adds", "2", "--batch", "20"]
    args += ["--workdir", str(tmp_path / "stores"), "--search-path", "exact"]
    args += ["--search-path", "two_stage", "--json", str(out)]
    first = run_kenning(args, timeout=240)
    assert first.returncode == 0, first.stderr
    assert "search p50" in first.stdout and "disk bytes/memory" in first.stdout
    figures = json.loads(out.read_text())
    assert [f["search_path"] for f in figures] == ["exact", "two_stage"]
    for f in figures:
        probe = f["probe"]
        assert probe["memories"] > 120  # turns plus rounds, sessions, facts
        assert probe["text_bytes_per_memory"] > 10
        assert probe["disk_bytes_per_memory"] > probe["text_bytes_per_memory"]
        assert 0 < probe["cold_open_s"] < 60
        total = probe["search_ms"]["total"]
        assert 0 < total["p50"] <= total["p95"] <= total["p99"]
        assert probe["search_ms"]["scoring"]["p50"] > 0
        assert math.isfinite(probe["search_after_add_ms"]["p50"])
        assert f["ingest"]["messages_per_second"] > 0
    assert figures[0]["probe"]["search_ms"]["candidates"]["p50"] == 0  # exact: no first stage
    assert figures[1]["probe"]["search_ms"]["candidates"]["p50"] > 0
    built = sorted(p.name for p in (tmp_path / "stores").glob("*.built"))
    assert len(built) == 1
    again = run_kenning([*args[:-2], "--json", str(tmp_path / "again.json")], timeout=240)
    assert again.returncode == 0, again.stderr
    reused = json.loads((tmp_path / "again.json").read_text())
    assert reused[0]["ingest"] == figures[0]["ingest"]  # the kept store was not rebuilt


def test_bench_rejects_an_unknown_search_path(
    run_kenning: Callable[..., subprocess.CompletedProcess[str]], tmp_path: Path
) -> None:
    done = run_kenning(["bench", "-m", "10", "--search-path", "fastest"])
    assert done.returncode != 0
    assert "--search-path" in done.stderr and "fastest" in done.stderr
