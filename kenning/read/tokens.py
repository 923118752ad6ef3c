"""Counting tokens for budgets (``Memory.context``, MCP ``recall``).

Without a tokenizer, tokens are estimated as ``ceil(characters / 4)``, the usual rule of
thumb for English text under BPE tokenizers (OpenAI's tokenizer guide: "one token is roughly
4 characters"). It needs nothing installed, counts every script, and overestimates code and
ids, which errs on the side of staying within budget.

With ``KENNING_CONTEXT_TOKENIZER`` set to a Hugging Face ``tokenizer.json`` (the one of the
model the prompt is for; every open model ships one), tokens are counted exactly by the
``tokenizers`` package, offline. Nothing is ever downloaded.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kenning.errors import ConfigError

CHARS_PER_TOKEN = 4
ESTIMATE = "estimate"


def approx_tokens(text: str) -> int:
    """Approximate token count of ``text``: ``ceil(len(text) / 4)``."""
    return -(-len(text) // CHARS_PER_TOKEN)


@dataclass(frozen=True)
class TokenCounter:
    """Counts the tokens of a text; ``name`` says how (``estimate`` or the file)."""

    name: str
    count: Callable[[str], int]


ESTIMATOR = TokenCounter(ESTIMATE, approx_tokens)


@functools.lru_cache(maxsize=4)
def token_counter(spec: str | None) -> TokenCounter:
    """The counter a ``context_tokenizer`` setting names: ``estimate`` (or empty), or the
    path of a ``tokenizer.json`` file, loaded once per process."""
    if spec is None or str(spec).strip() in ("", ESTIMATE):
        return ESTIMATOR
    path = Path(spec).expanduser()
    if not path.is_file():
        raise ConfigError(
            f"context_tokenizer: {str(spec)!r} is neither 'estimate' nor a tokenizer.json file"
        )
    from tokenizers import Tokenizer

    try:
        tokenizer = Tokenizer.from_file(str(path))
    except Exception as exc:  # the tokenizers library raises plain Exception on bad files
        raise ConfigError(f"context_tokenizer: cannot load {path}: {exc}") from exc

    # A model's file may pad or truncate every encoding (MiniLM's pads to 128): a count
    # needs neither.
    tokenizer.no_padding()
    tokenizer.no_truncation()

    def count(text: str) -> int:
        return len(tokenizer.encode(text, add_special_tokens=False).ids)

    return TokenCounter(str(path), count)
