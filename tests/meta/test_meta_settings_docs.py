"""Settings are documented in one place and the search defaults agree with them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from engram import Settings
from engram.read.search import SearchSettings

DOCS = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"


@pytest.mark.parametrize("name", sorted(Settings.model_fields))
def test_every_setting_is_documented(name: str) -> None:
    text = DOCS.read_text(encoding="utf-8")
    row = next((line for line in text.splitlines() if f"`ENGRAM_{name.upper()}`" in line), None)
    assert row is not None, f"ENGRAM_{name.upper()} missing from docs/configuration.md"
    field = Settings.model_fields[name]
    if field.default_factory is None and name != "embedder":
        default = getattr(field.default, "value", field.default)
        assert f"`{default}`" in row, f"documented default of {name} differs from {default!r}"


def test_search_settings_defaults_are_the_settings_defaults(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for variable in [v for v in os.environ if v.startswith("ENGRAM_")]:
        monkeypatch.delenv(variable)
    assert SearchSettings.from_settings(Settings()) == SearchSettings()
