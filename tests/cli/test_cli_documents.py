"""``kenning import`` of documents: Markdown and text files, one or a folder (issue 16,
item 6), end to end through the CLI (see conftest.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Invoke = Callable[..., Any]
CliJson = Callable[..., Any]

LONG = " ".join(f"Paragraph {i} of the handbook describes the harbor rules." for i in range(120))


def test_import_a_folder_of_documents(cli: Invoke, cli_json: CliJson, cli_env: Any) -> None:
    folder = cli_env.tmp / "notes"
    (folder / "deep").mkdir(parents=True)
    (folder / "recipes.md").write_text("# Soup\n\nThe secret ingredient is cardamom.\n")
    (folder / "deep" / "handbook.txt").write_text(LONG + " Boats leave at dawn.")
    (folder / "empty.md").write_text("   \n")
    (folder / "photo.png").write_bytes(b"\x89PNG not text")
    first = cli_json("import", str(folder), "--user", "ana")
    by_file = {row["file"]: row for row in first["files"]}
    assert set(by_file) == {"recipes.md", "deep/handbook.txt"}  # empty and images skipped
    assert by_file["recipes.md"] == {"file": "recipes.md", "stored": True, "chunks": 1}
    assert by_file["deep/handbook.txt"]["chunks"] > 3  # longer than a chunk: split
    # Importing again stores nothing.
    again = cli_json("import", str(folder), "--user", "ana")
    assert [row["stored"] for row in again["files"]] == [False, False]
    hits = cli_json("search", "secret ingredient", "--user", "ana")
    top = hits[0]["memory"]
    assert "cardamom" in top["text"] and top["kind"] == "document"
    assert top["metadata"]["source"] == "recipes.md" and top["metadata"]["title"] == "Soup"
    # An edited file is a new document.
    (folder / "recipes.md").write_text("# Soup\n\nThe secret ingredient is saffron now.\n")
    edited = cli_json("import", str(folder / "recipes.md"), "--user", "ana")
    assert edited["files"] == [{"file": "recipes.md", "stored": True, "chunks": 1}]


def test_importing_documents_needs_a_user(cli: Invoke, cli_env: Any) -> None:
    file = cli_env.tmp / "a.md"
    file.write_text("Hello there.")
    result = cli("import", str(file), code=2)
    assert "--user" in result.stdout + result.stderr
