"""``kenning import`` of documents: Markdown and text files (PDF-extracted text included),
one file or a folder of them, each stored as one ``document`` message (chunked by ``add``).

A file's import id is its path under the folder and the SHA-256 of its text, so importing
the same files again stores nothing, and an edited file is stored as a new document.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Files `kenning import` reads as documents (PDF text: extract it first, e.g. `pdftotext`).
DOCUMENT_SUFFIXES = frozenset({".md", ".markdown", ".txt", ".text", ".rst"})
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class DocumentFile:
    """One file to import: where it is, its name under the imported folder, its text."""

    path: Path
    name: str
    text: str


@dataclass(frozen=True, slots=True)
class ImportedDocument:
    """What importing one file did: whether it was new, and into how many chunks."""

    file: str
    stored: bool
    chunks: int


def is_documents(path: Path) -> bool:
    """Whether ``kenning import`` reads ``path`` as documents: a folder, or a text file."""
    return path.is_dir() or path.suffix.lower() in DOCUMENT_SUFFIXES


def document_files(path: Path) -> list[DocumentFile]:
    """The documents at ``path`` (a file, or every text file under a folder, by name);
    empty files are left out. Text that is not UTF-8 is read with replacement characters."""
    if path.is_dir():
        found = sorted(
            p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in DOCUMENT_SUFFIXES
        )
        base = path
    else:
        found, base = [path], path.parent
    out = []
    for file in found:
        text = file.read_text(encoding="utf-8", errors="replace").replace("\r\n", "\n")
        if text.strip():
            out.append(DocumentFile(file, file.relative_to(base).as_posix(), text))
    return out


def document_message(document: DocumentFile) -> dict[str, Any]:
    """The ``add`` message of a document: its text, an import id, and its source and title
    (the first Markdown heading, else the file name) in the metadata."""
    digest = hashlib.sha256(document.text.encode("utf-8")).hexdigest()[:32]
    heading = _HEADING.search(document.text)
    title = heading.group(1) if heading else Path(document.name).stem
    return {
        "role": "document",
        "content": document.text,
        "id": f"file:{document.name}:{digest}",
        "metadata": {"source": document.name, "title": title},
    }
