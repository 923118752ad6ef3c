"""Splitting a long document into overlapping chunks on sentence boundaries.

A document message longer than ``document_chunk_chars`` is stored whole as one episode (its
source, verbatim) and derived into several document memories, one per chunk, each with its
character ``offset`` in the document. Chunks hold whole sentences (a sentence longer than a
chunk is cut between words) and each begins with the last sentences of the one before,
at least ``document_chunk_overlap`` characters of them, so a statement that spans a border
is whole in one chunk. The embedding model reads about a thousand characters (MiniLM: 256
word pieces), which is why the default chunk is 1,200.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# A sentence ends at . ! ? (with closing quotes or brackets) before whitespace, or at a
# blank line or a Markdown heading/list line break.
_BOUNDARY = re.compile(r"""(?<=[.!?])["')\]]*\s+|\n\s*\n+|\n(?=\s*(?:#|[-*+]\s|\d+[.)]\s))""")


@dataclass(frozen=True, slots=True)
class Chunking:
    """How documents are chunked (settings ``document_chunk_chars``/``_overlap``)."""

    size: int = 1200
    overlap: int = 200


DEFAULT_CHUNKING = Chunking()


@dataclass(frozen=True, slots=True)
class Chunk:
    """A part of a document: where it starts (characters) and its text."""

    offset: int
    text: str


def _pieces(text: str, size: int) -> list[tuple[int, int]]:
    """Spans of sentences, each at most ``size`` characters (longer ones cut at spaces)."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        spans.append((start, match.end()))
        start = match.end()
    if start < len(text):
        spans.append((start, len(text)))
    out: list[tuple[int, int]] = []
    for begin, end in spans:
        while end - begin > size:
            cut = text.rfind(" ", begin + 1, begin + size)
            cut = cut + 1 if cut > begin else begin + size
            out.append((begin, cut))
            begin = cut
        if end > begin:
            out.append((begin, end))
    return out


def chunk_document(text: str, size: int, overlap: int) -> list[Chunk]:
    """The chunks of ``text`` (one, the whole text, when it is at most ``size`` long)."""
    if len(text) <= size:
        return [Chunk(0, text)]
    pieces = _pieces(text, size)
    chunks: list[Chunk] = []
    first = 0
    while first < len(pieces):
        last = first
        while last + 1 < len(pieces) and pieces[last + 1][1] - pieces[first][0] <= size:
            last += 1
        begin, end = pieces[first][0], pieces[last][1]
        raw = text[begin:end]
        lead = len(raw) - len(raw.lstrip())
        if raw.strip():
            chunks.append(Chunk(begin + lead, raw.strip()))
        if last + 1 >= len(pieces):
            break
        # The next chunk starts with the last sentences of this one (at least ``overlap``
        # characters of them, fewer when the next sentence would not fit beside them).
        following = last + 1
        while following - 1 > first and end - pieces[following][0] < overlap:
            following -= 1
        while following <= last and pieces[last + 1][1] - pieces[following][0] > size:
            following += 1
        first = max(following, first + 1)
    return chunks
