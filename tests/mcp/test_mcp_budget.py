"""Token budgeting of recall results: hand-computed cases of the pure functions."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from kenning.mcp._budget import Line, approx_tokens, clip, fit_lines


def test_approx_tokens_is_characters_over_four_rounded_up() -> None:
    assert [approx_tokens("x" * n) for n in (0, 1, 4, 5, 8, 9)] == [0, 1, 1, 2, 2, 3]


def test_clip_marks_the_cut() -> None:
    assert clip("hello world", 20) == "hello world"
    assert clip("hello world", 7) == "hello…"
    assert len(clip("abcdefghij", 5)) == 5


def test_items_that_fit_are_kept_whole_in_order() -> None:
    # "h1 aaaa\n" is 8 characters = 2 tokens; three of them take 6.
    lines = [Line("h1", "aaaa"), Line("h2", "bbbb"), Line("h3", "cccc")]
    fitted = fit_lines(lines, 6)
    assert fitted.lines == ("h1 aaaa", "h2 bbbb", "h3 cccc") and not fitted.clipped
    assert fit_lines(lines, 4).lines == ("h1 aaaa", "h2 bbbb")


def test_the_first_item_that_does_not_fit_is_clipped_and_ends_the_list() -> None:
    lines = [Line("h1", "a" * 40), Line("h2", "b" * 400), Line("h3", "c")]
    fitted = fit_lines(lines, 30)  # 120 characters: 44 for the first, 76 left
    assert len(fitted.lines) == 2 and fitted.clipped
    assert fitted.texts[1].endswith("…") and len(fitted.lines[1]) + 1 <= 76
    assert approx_tokens(fitted.text) <= 30


def test_too_little_room_leaves_the_item_out() -> None:
    fitted = fit_lines([Line("head", "a" * 400)], 5)  # 20 chars: no room for 4 tokens of text
    assert fitted.lines == () and not fitted.clipped


@given(
    st.lists(st.tuples(st.text(min_size=1, max_size=40), st.text(max_size=300)), max_size=12),
    st.integers(min_value=1, max_value=400),
)
def test_rendered_text_never_exceeds_the_budget(items: list[tuple[str, str]], budget: int) -> None:
    fitted = fit_lines([Line(h, t) for h, t in items], budget)
    assert approx_tokens(fitted.text) <= budget
    assert len(fitted.lines) == len(fitted.texts) <= len(items)
