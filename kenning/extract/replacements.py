"""Changes stated against a known value: "we left Seattle for Lisbon", "goodbye Paris, hello
Budapest", "swapped cycling for rowing".

Such sentences do not say which attribute changed; what is already known does. When the
text names the current value of one of the speaker's slots in a replacement construction,
the other value is that slot's new value. Pure: the known values are passed in.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

# A new value: a capitalised name of up to five words (with "of", "de", "the" inside), or,
# when the old value is lower case (a sport, a food, a job), one or two lower-case words.
_NAME = r"(?:The\s+)?[A-Z][\w&'.-]*(?:\s+(?:of|de|da|del|la|le|the|and|&|[A-Z][\w&'.-]*)){0,4}"
_WORDS = r"[a-z][a-z-]+"
_STOP = frozenset({"the", "a", "an", "my", "our", "it", "now", "then", "there", "here"})

# Constructions, with {old} and {new} placeholders.
_CONSTRUCTIONS = (
    r"\bleft\s+{old}\s+(?:behind\s+)?for\s+{new}",
    r"\b(?:moved|switched|changed|went|transferred|relocated|upgraded)\s+from\s+{old}\s+"
    r"(?:over\s+|straight\s+)?to\s+{new}",
    r"\b(?:swapped|traded|exchanged|ditched|dropped)\s+{old}\s+for\s+{new}",
    r"\breplaced\s+{old}\s+with\s+{new}",
    r"\b(?:goodbye|bye|farewell)\s*,?\s+{old}\s*[,.!;:-]+\s*(?:and\s+)?(?:hello|hi)\s*,?\s+{new}",
    r"\b(?:no\s+more|done\s+with|over)\s+{old}\s*[,.;:!-]+\s*(?:it'?s|now)\s+(?:all\s+)?{new}",
    r"\b{new}\s+(?:has\s+)?replaced\s+{old}",
    r"\b{new}\s+instead\s+of\s+{old}",
    r"\binstead\s+of\s+{old}\s*,\s*(?:now\s+)?(?:it'?s\s+)?{new}",
    r"\b(?:quit|left|resigned\s+from|notice\s+at|done\s+at)\s+{old}\b[^.!?]{{0,40}}?\b"
    r"(?:starting|start|joining|join|beginning|begin)\s+(?:at|with)\s+{new}",
)


@dataclass(frozen=True, slots=True)
class Replacement:
    """The text gives ``old`` a successor: ``new``."""

    old: str
    new: str


@lru_cache(maxsize=4096)
def _patterns(old: str) -> tuple[re.Pattern[str], ...]:
    new = rf"(?P<new>{_WORDS if old.islower() else _NAME})"
    escaped = r"\s+".join(re.escape(part) for part in old.split())
    return tuple(re.compile(c.format(old=escaped, new=new), re.IGNORECASE) for c in _CONSTRUCTIONS)


def _name(captured: str) -> str:
    """The leading capitalised run of a captured name (matching ignores case)."""
    words: list[str] = []
    for word in captured.split():
        if word[0].isupper() or (
            words and word.casefold() in {"of", "de", "da", "del", "la", "le", "the", "and", "&"}
        ):
            words.append(word)
        else:
            break
    while words and not words[-1][0].isupper():
        words.pop()
    return " ".join(words)


def find_replacements(text: str, known: Mapping[str, str]) -> list[Replacement]:
    """Successors the text gives to known values (``known``: casefolded value -> value)."""
    lowered = text.casefold()
    out: list[Replacement] = []
    for key, value in known.items():
        if not key or key not in lowered:
            continue
        for pattern in _patterns(value):
            match = pattern.search(text)
            if match is None:
                continue
            captured = match.group("new").strip(" .,!;:")
            new = captured.casefold() if value.islower() else _name(captured)
            if new and new.casefold() != key and new.casefold() not in _STOP:
                out.append(Replacement(old=value, new=new))
                break
    return out
