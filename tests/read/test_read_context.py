"""The context block (``Memory.context``): the best memories within a token budget, grouped
and dated, on every backend, through the public API (issue 16, item 1)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tokenizers import Tokenizer

from kenning import (
    ConfigError,
    ContextSection,
    Memory,
    MemoryKind,
    MemoryStatus,
    Settings,
    ValidationError,
)
from kenning.embed.onnx import _tokenizer_file
from kenning.read.tokens import approx_tokens
from kenning.testing import HashEmbedder

T0 = datetime(2024, 1, 10, 9, 0, tzinfo=UTC)
SESSIONS = [
    ["I live in Kreuzberg.", "My cat Pixel sleeps all day.", "I work as a nurse."],
    ["My sister Lena visited me last weekend.", "We went hiking in the Harz mountains."],
    ["I moved to Lisbon, the flat is near the river.", "Lisbon is sunny and I love it."],
    ["I started learning the piano.", "My teacher says my scales are improving."],
]


@pytest.fixture
def m(db_location: str | Path) -> Memory:
    memory = Memory(
        db_location,
        settings=Settings(embedder="hash", embedding_cache_path=""),
        embedder=HashEmbedder(),
    )
    for number, texts in enumerate(SESSIONS):
        memory.add(
            [{"role": "user", "name": "Ana", "content": t} for t in texts],
            user_id="ana",
            session_id=f"s{number}",
            timestamp=T0 + timedelta(days=30 * number),
        )
    yield memory  # type: ignore[misc]
    memory.close()


@pytest.mark.parametrize("budget", [20, 60, 150, 400, 2000])
def test_the_block_never_exceeds_its_budget(m: Memory, budget: int) -> None:
    block = m.context(
        "where does Ana live and what does she do?", user_id="ana", budget_tokens=budget
    )
    assert block.tokens == approx_tokens(block.text) <= budget
    assert block.budget_tokens == budget and block.tokenizer == "estimate"
    # Every item's line is in the text, and nothing else but headings is.
    lines = block.text.splitlines()
    assert [i.text for i in block.items] == [ln for ln in lines if not ln.startswith("#")]
    # Sections in a fixed order: profile, facts, conversations, documents, notes.
    order = list(ContextSection)
    places = [order.index(i.section) for i in block.items]
    assert places == sorted(places)
    hits = m.search("where does Ana live and what does she do?", user_id="ana", limit=50)
    assert block.omitted == len(hits) - len(block.items)


def test_a_larger_budget_holds_more(m: Memory) -> None:
    small = m.context("Ana", user_id="ana", budget_tokens=60)
    large = m.context("Ana", user_id="ana", budget_tokens=2000)
    assert len(small.items) < len(large.items)
    assert {i.memory.id for i in small.items} <= {i.memory.id for i in large.items}


def test_messages_are_grouped_by_session_dated_and_in_order(m: Memory) -> None:
    block = m.context("Ana", user_id="ana", budget_tokens=2000, kinds=[MemoryKind.TURN])
    assert {i.section for i in block.items} == {ContextSection.CONVERSATIONS}
    assert block.text.startswith("## Conversations\n")
    headings = [ln for ln in block.text.splitlines() if ln.startswith("### ")]
    days = [re.match(r"### (\d{4}-\d\d-\d\d) · session s(\d)", h) for h in headings]
    assert all(days) and len(headings) == len(SESSIONS)
    assert [d.group(1) for d in days if d] == sorted(d.group(1) for d in days if d)
    times = [i.memory.event_time for i in block.items]
    assert times == sorted(times)  # the dialogue reads in the order it was said
    assert all(i.text.startswith("- Ana: ") for i in block.items)
    assert all(i.group in headings for i in block.items)


def test_facts_carry_their_validity_and_the_old_value_says_so(m: Memory) -> None:
    # Facts only: a search returns one of a message and its facts, which here would be the
    # cat's fact of the Kreuzberg message (the city's is ranked lower, having ended).
    block = m.context("Ana lives in", user_id="ana", budget_tokens=2000, kinds=[MemoryKind.FACT])
    facts = {i.memory.object: i for i in block.items if i.section is ContextSection.FACTS}
    assert "Lisbon" in facts and "Kreuzberg" in facts
    lisbon, kreuzberg = facts["Lisbon"], facts["Kreuzberg"]
    assert lisbon.memory.status is MemoryStatus.ACTIVE
    assert re.search(r"\(since 2024-0\d-\d\d\)$", lisbon.text)
    assert kreuzberg.memory.status is MemoryStatus.SUPERSEDED
    assert kreuzberg.text.endswith(", no longer true)")
    assert block.text.startswith("## Facts\n")


def test_the_users_profile_is_on_top_once_consolidated(m: Memory) -> None:
    before = m.context("piano", user_id="ana", budget_tokens=400)
    assert all(i.section is not ContextSection.PROFILE for i in before.items)
    m.consolidate(user_id="ana")
    after = m.context("piano", user_id="ana", budget_tokens=400)
    assert after.items[0].section is ContextSection.PROFILE and after.items[0].score is None
    assert after.text.startswith("## About Ana\nProfile of Ana: ")
    assert "Lisbon" in after.items[0].text
    # Listed once, however well it matched the query too.
    assert sum(i.memory.kind is MemoryKind.PROFILE for i in after.items) == 1
    # As of a past time, today's profile would tell the future: left out.
    past = m.context("piano", user_id="ana", budget_tokens=400, as_of=T0 + timedelta(days=1))
    assert all(i.section is not ContextSection.PROFILE for i in past.items)


def test_a_long_memory_is_clipped_to_a_third_of_the_budget(m: Memory) -> None:
    long_text = "The recipe for my grandmother's soup is " + "carrots and leeks " * 300
    m.add([{"role": "user", "name": "Ana", "content": long_text}], user_id="ana")
    block = m.context("grandmother soup recipe", user_id="ana", budget_tokens=300)
    soup = next(i for i in block.items if "grandmother" in i.text)
    assert soup.text.endswith("…") and soup.tokens <= 100
    assert len(block.items) > 1  # the rest still fits beside it


def test_a_real_tokenizer_counts_exactly(db_location: str | Path) -> None:
    path = _tokenizer_file()
    memory = Memory(
        db_location,
        settings=Settings(embedder="hash", embedding_cache_path="", context_tokenizer=str(path)),
        embedder=HashEmbedder(),
    )
    with memory:
        memory.add(["I live in Kreuzberg with my cat Pixel."] * 1, user_id="ana")
        memory.add(["Supercalifragilistic words cost more word pieces."], user_id="ana")
        block = memory.context("Pixel", user_id="ana", budget_tokens=60)
    tokenizer = Tokenizer.from_file(str(path))
    tokenizer.no_padding()
    counted = tokenizer.encode(block.text, add_special_tokens=False)
    assert block.tokenizer == str(path)
    assert block.tokens == len(counted.ids) <= 60
    assert block.items


def test_bad_budgets_and_tokenizers_are_refused_by_name(m: Memory, tmp_path: Path) -> None:
    for budget in (0, 19, 1_000_001, "1000", 1000.0, True):
        with pytest.raises(ValidationError) as caught:
            m.context("x", user_id="ana", budget_tokens=budget)  # type: ignore[arg-type]
        assert caught.value.field == "budget_tokens"
    with pytest.raises(ValidationError) as empty:
        m.context("  ", user_id="ana")
    assert empty.value.field == "query"
    m.configure(context_tokenizer=str(tmp_path / "missing.json"))
    with pytest.raises(ConfigError, match="context_tokenizer"):
        m.context("x", user_id="ana")
