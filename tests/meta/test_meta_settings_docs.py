"""Every setting is documented in docs/configuration.md, with its default."""

from __future__ import annotations

from pathlib import Path

import pytest

from kenning import Settings

DOCS = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"


@pytest.mark.parametrize("name", sorted(Settings.model_fields))
def test_every_setting_is_documented(name: str) -> None:
    text = DOCS.read_text(encoding="utf-8")
    row = next((line for line in text.splitlines() if f"`KENNING_{name.upper()}`" in line), None)
    assert row is not None, f"KENNING_{name.upper()} missing from docs/configuration.md"
    field = Settings.model_fields[name]
    if field.default_factory is None and name != "embedder":
        default = getattr(field.default, "value", field.default)
        assert f"`{default}`" in row, f"documented default of {name} differs from {default!r}"
