"""Key expansion: the extra keys a message is indexed under (LongMemEval "key = value + fact").

From the local extractor (no LLM): first-person statements rewritten with the speaker's
name, keyphrases, entity names, and the dates the text mentions resolved against the
message's own time ("yesterday" in a message of 8 May 2023 -> "2023-05-07 7 May 2023").
Each kind becomes one key with one item per line; the read path decides whether they
join the BM25 document (``key_expansion``), and the entity key feeds the entity graph.
"""

from __future__ import annotations

from datetime import datetime

from kenning.extract.local import extract
from kenning.extract.timeexpr import find_time_expressions
from kenning.models import KeyKind, MemoryItem
from kenning.write.messages import ROLES


def expansion_keys(text: str, *, speaker: str | None, when: datetime | None) -> dict[KeyKind, str]:
    """Expansion key texts by kind (kinds with nothing to say are left out)."""
    found = extract(text, speaker=speaker)
    keys = {
        KeyKind.REWRITE: "\n".join(found.rewrites),
        KeyKind.KEYPHRASE: "\n".join(found.keyphrases),
        KeyKind.ENTITY: "\n".join(found.entities),
    }
    if when is not None:
        keys[KeyKind.DATE] = "\n".join(
            " | ".join(mention.labels()) for mention in find_time_expressions(text, when)
        )
    return {kind: value for kind, value in keys.items() if value}


def memory_expansions(item: MemoryItem) -> dict[KeyKind, str]:
    """The expansion keys of a turn or document memory, from its text, speaker and time.

    A speaker that is only a role ("user") names nobody, so it gives no rewrites.
    """
    name = item.speaker if item.speaker not in ROLES else None
    return expansion_keys(item.text, speaker=name, when=item.event_time)
