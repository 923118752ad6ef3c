"""Token budgeting for tool results: pure functions, no MCP imports.

Tokens are approximated as ``ceil(characters / 4)`` (:func:`kenning.read.tokens.approx_tokens`,
which says why).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from kenning.read.tokens import CHARS_PER_TOKEN, approx_tokens

ELLIPSIS = "…"


def clip(text: str, max_chars: int) -> str:
    """``text`` cut to at most ``max_chars`` characters, ending in "…" when cut."""
    if len(text) <= max_chars:
        return text
    if max_chars <= len(ELLIPSIS):
        return ELLIPSIS[:max_chars]
    return text[: max_chars - len(ELLIPSIS)].rstrip() + ELLIPSIS


@dataclass(frozen=True, slots=True)
class Line:
    """One item to render: a fixed ``head`` (date, kind, id, score) and a clippable ``text``."""

    head: str
    text: str

    def render(self, text: str | None = None) -> str:
        return f"{self.head} {self.text if text is None else text}"


@dataclass(frozen=True, slots=True)
class Fitted:
    """The rendered lines that fit; ``texts`` are the (possibly clipped) texts used in them."""

    lines: tuple[str, ...]
    texts: tuple[str, ...]
    clipped: bool  # the last kept item's text was cut to fit

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def fit_lines(items: Sequence[Line], budget: int, *, min_text_tokens: int = 4) -> Fitted:
    """Keep items in order while the rendered text stays within ``budget`` approximate tokens.

    The first item that does not fit whole is clipped to the remaining budget (when at least
    ``min_text_tokens`` of its text would remain) and ends the list. Each line is costed
    with its newline, so ``approx_tokens(result.text) <= budget`` always holds.
    """
    lines: list[str] = []
    texts: list[str] = []
    left = budget
    for item in items:
        whole = item.render()
        cost = approx_tokens(whole + "\n")
        if cost <= left:
            lines.append(whole)
            texts.append(item.text)
            left -= cost
            continue
        room = left * CHARS_PER_TOKEN - len(item.head) - 2  # the space and the newline
        if room >= min_text_tokens * CHARS_PER_TOKEN:
            short = clip(item.text, room)
            lines.append(item.render(short))
            texts.append(short)
            return Fitted(tuple(lines), tuple(texts), clipped=True)
        break
    return Fitted(tuple(lines), tuple(texts), clipped=False)
