"""Time expressions: hand-computed resolutions against a fixed reference, spans, labels, no
false positives, ``asks_when``, ``query_time_range`` and one property over all templates."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, timezone
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kenning.extract import timeexpr
from kenning.extract.timeexpr import (
    Granularity,
    TimeMention,
    asks_when,
    find_time_expressions,
    query_time_range,
)

# Monday 8 May 2023, 14:00 UTC. Its week runs Mon 1 May .. Sun 7 May is the *previous* week;
# the reference week is Mon 8 May .. Sun 14 May.
REF = datetime(2023, 5, 8, 14, 0, tzinfo=UTC)
G = Granularity


def one(text: str, ref: datetime = REF) -> TimeMention:
    found = find_time_expressions(text, ref)
    assert len(found) == 1, found
    return found[0]


def dates(m: TimeMention) -> tuple[str, str, Granularity]:
    return m.start.date().isoformat(), m.end.date().isoformat(), m.granularity


CASES: list[tuple[str, str, str, Granularity]] = [
    # days around the reference
    ("today", "2023-05-08", "2023-05-09", G.DAY),
    ("tonight", "2023-05-08", "2023-05-09", G.DAY),
    ("this morning", "2023-05-08", "2023-05-09", G.DAY),
    ("yesterday", "2023-05-07", "2023-05-08", G.DAY),
    ("last night", "2023-05-07", "2023-05-08", G.DAY),
    ("tomorrow", "2023-05-09", "2023-05-10", G.DAY),
    ("the day before yesterday", "2023-05-06", "2023-05-07", G.DAY),
    ("the day after tomorrow", "2023-05-10", "2023-05-11", G.DAY),
    # N units ago / from now
    ("3 days ago", "2023-05-05", "2023-05-06", G.DAY),
    ("a couple of days ago", "2023-05-06", "2023-05-07", G.DAY),
    ("two weeks ago", "2023-04-24", "2023-05-01", G.WEEK),
    ("a few months ago", "2023-02-01", "2023-03-01", G.MONTH),
    ("a year ago", "2022-01-01", "2023-01-01", G.YEAR),
    ("ten years back", "2013-01-01", "2014-01-01", G.YEAR),
    ("two weekends ago", "2023-04-29", "2023-05-01", G.WEEKEND),
    ("3 days from now", "2023-05-11", "2023-05-12", G.DAY),
    # calendar periods
    ("last week", "2023-05-01", "2023-05-08", G.WEEK),
    ("this week", "2023-05-08", "2023-05-15", G.WEEK),
    ("next week", "2023-05-15", "2023-05-22", G.WEEK),
    ("the week before last", "2023-04-24", "2023-05-01", G.WEEK),
    ("last month", "2023-04-01", "2023-05-01", G.MONTH),
    ("next month", "2023-06-01", "2023-07-01", G.MONTH),
    ("last year", "2022-01-01", "2023-01-01", G.YEAR),
    ("this year", "2023-01-01", "2024-01-01", G.YEAR),
    ("last weekend", "2023-05-06", "2023-05-08", G.WEEKEND),
    ("this past weekend", "2023-05-06", "2023-05-08", G.WEEKEND),
    ("this weekend", "2023-05-13", "2023-05-15", G.WEEKEND),
    ("earlier this year", "2023-01-01", "2023-05-09", G.RANGE),
    ("later this month", "2023-05-08", "2023-06-01", G.RANGE),
    # rolling ranges, ending with the reference day
    ("the past week", "2023-05-01", "2023-05-09", G.RANGE),
    ("the last week", "2023-05-01", "2023-05-09", G.RANGE),
    ("last few days", "2023-05-05", "2023-05-09", G.RANGE),
    ("the past 2 months", "2023-03-08", "2023-05-09", G.RANGE),
    ("recently", "2023-04-08", "2023-05-09", G.RANGE),
    # weekdays (reference is a Monday)
    ("last Friday", "2023-05-05", "2023-05-06", G.DAY),
    ("last Monday", "2023-05-01", "2023-05-02", G.DAY),
    ("next Friday", "2023-05-12", "2023-05-13", G.DAY),
    ("this Friday", "2023-05-12", "2023-05-13", G.DAY),
    ("this past Saturday", "2023-05-06", "2023-05-07", G.DAY),
    # month names
    ("May 8", "2023-05-08", "2023-05-09", G.DAY),
    ("May 20", "2023-05-20", "2023-05-21", G.DAY),
    ("8 May 2023", "2023-05-08", "2023-05-09", G.DAY),
    ("Dec. 3rd, 2021", "2021-12-03", "2021-12-04", G.DAY),
    ("the first of June", "2022-06-01", "2022-06-02", G.DAY),
    ("March twenty-first", "2023-03-21", "2023-03-22", G.DAY),
    ("May 2023", "2023-05-01", "2023-06-01", G.MONTH),
    ("September of 2019", "2019-09-01", "2019-10-01", G.MONTH),
    ("last May", "2022-05-01", "2022-06-01", G.MONTH),
    ("next May", "2024-05-01", "2024-06-01", G.MONTH),
    ("last April", "2023-04-01", "2023-05-01", G.MONTH),
    ("mid-May", "2023-05-01", "2023-06-01", G.MONTH),
    # numeric dates
    ("2023-05-07", "2023-05-07", "2023-05-08", G.DAY),
    ("2023/05/07", "2023-05-07", "2023-05-08", G.DAY),
    ("5/8/2023", "2023-05-08", "2023-05-09", G.DAY),
    ("25/12/22", "2022-12-25", "2022-12-26", G.DAY),
    # years, decades
    ("2019", "2019-01-01", "2020-01-01", G.YEAR),
    ("early 2020", "2020-01-01", "2021-01-01", G.YEAR),
    ("year 2015", "2015-01-01", "2016-01-01", G.YEAR),
    ("from 2019 to 2021", "2019-01-01", "2022-01-01", G.RANGE),
    ("2019-2021", "2019-01-01", "2022-01-01", G.RANGE),
    ("1990s", "1990-01-01", "2000-01-01", G.DECADE),
    # seasons (reference is in spring 2023)
    ("last summer", "2022-06-01", "2022-09-01", G.SEASON),
    ("last winter", "2022-12-01", "2023-03-01", G.SEASON),
    ("this summer", "2023-06-01", "2023-09-01", G.SEASON),
    ("next spring", "2024-03-01", "2024-06-01", G.SEASON),
    ("summer 2021", "2021-06-01", "2021-09-01", G.SEASON),
    ("winter of 2022", "2022-12-01", "2023-03-01", G.SEASON),
]


@pytest.mark.parametrize(("text", "start", "end", "granularity"), CASES)
def test_expression_resolves_to_hand_computed_range(
    text: str, start: str, end: str, granularity: Granularity
) -> None:
    m = one(text)
    assert dates(m) == (start, end, granularity)
    assert m.text == text
    assert m.span == (0, len(text))


PREPOSITIONED: list[tuple[str, str, tuple[str, str, Granularity]]] = [
    ("where did we go in May?", "May", ("2023-05-01", "2023-06-01", G.MONTH)),
    ("we moved in December", "December", ("2022-12-01", "2023-01-01", G.MONTH)),
    ("back in 2022 we moved", "2022", ("2022-01-01", "2023-01-01", G.YEAR)),
    ("I've lived here since 2019.", "2019", ("2019-01-01", "2020-01-01", G.YEAR)),
    ("born in the 1990s", "1990s", ("1990-01-01", "2000-01-01", G.DECADE)),
    ("in the spring of 2022", "the spring of 2022", ("2022-03-01", "2022-06-01", G.SEASON)),
    ("hiking in the fall", "the fall", ("2022-09-01", "2022-12-01", G.SEASON)),
    ("we met on Sunday", "Sunday", ("2023-05-07", "2023-05-08", G.DAY)),
    ("on Monday, May 1, 2023 we met", "Monday, May 1, 2023", ("2023-05-01", "2023-05-02", G.DAY)),
    ("the 4th of July party", "the 4th of July", ("2022-07-04", "2022-07-05", G.DAY)),
    ("We hiked over the weekend.", "the weekend", ("2023-05-06", "2023-05-08", G.WEEKEND)),
    ("a trip in Jan", "Jan", ("2023-01-01", "2023-02-01", G.MONTH)),
    ("a budget of 2000 dollars in 2021", "2021", ("2021-01-01", "2022-01-01", G.YEAR)),
    ("in the year 2015", "the year 2015", ("2015-01-01", "2016-01-01", G.YEAR)),
]


@pytest.mark.parametrize(("text", "mention", "expected"), PREPOSITIONED)
def test_span_leaves_out_the_leading_preposition(
    text: str, mention: str, expected: tuple[str, str, Granularity]
) -> None:
    m = one(text)
    assert dates(m) == expected
    assert m.text == mention
    assert text[m.span[0] : m.span[1]] == mention


@pytest.mark.parametrize(
    "text",
    [
        "I have 2000 dollars",
        "a budget of 2000 dollars",
        "it would take us in 2000 years",
        "May I ask you something?",
        "This may be true.",
        "you may first want to check",
        "level 5 may be harder",
        "I'll march on",
        "they march by the river",
        "I rode with Jan's brother",
        "Mondays are hard",
        "the fall of Rome",
        "summer camp was fun",
        "add 1/2 cup of sugar",
        "room 2019 is on the left",
        "Cyberpunk 2077 is a game",
        "Every day I paint for a few hours",
        "February 30, 2023",
        "",
    ],
)
def test_no_false_positive(text: str) -> None:
    assert find_time_expressions(text, REF) == []


def test_several_mentions_in_text_order_without_overlap() -> None:
    text = "Two weeks ago I signed up; my first class was on 8 May 2023 and the next is tomorrow."
    found = find_time_expressions(text, REF)
    assert [m.text for m in found] == ["Two weeks ago", "8 May 2023", "tomorrow"]
    assert [text[a:b] for a, b in (m.span for m in found)] == [m.text for m in found]
    assert all(a.span[1] <= b.span[0] for a, b in pairwise(found))


def test_calendar_arithmetic_uses_the_references_own_time_zone() -> None:
    # 23:30 on 8 May in UTC-7 is already 9 May in UTC; "yesterday" is still 7 May.
    local = datetime(2023, 5, 8, 23, 30, tzinfo=timezone(timedelta(hours=-7)))
    m = one("I went to a support group yesterday", local)
    assert dates(m) == ("2023-05-07", "2023-05-08", G.DAY)
    assert m.start == datetime(2023, 5, 7, tzinfo=UTC)


def test_naive_reference_is_utc() -> None:
    naive = datetime(2023, 5, 8, 14, 0)
    assert find_time_expressions("last week and 3 days ago", naive) == find_time_expressions(
        "last week and 3 days ago", REF
    )


def test_hours_ago_can_cross_midnight() -> None:
    early = datetime(2023, 5, 8, 2, 0, tzinfo=UTC)
    assert dates(one("5 hours ago", early)) == ("2023-05-07", "2023-05-08", G.DAY)


def test_rolling_months_clamp_to_month_end() -> None:
    end_of_may = datetime(2023, 5, 31, 9, 0, tzinfo=UTC)
    assert dates(one("the past 3 months", end_of_may)) == ("2023-02-28", "2023-06-01", G.RANGE)


def test_weekday_named_on_that_weekday_means_a_week_ago() -> None:
    assert dates(one("last Monday")) == ("2023-05-01", "2023-05-02", G.DAY)
    assert dates(one("next Monday")) == ("2023-05-15", "2023-05-16", G.DAY)
    assert dates(one("this Monday")) == ("2023-05-08", "2023-05-09", G.DAY)


def test_winter_seen_from_january() -> None:
    january = datetime(2023, 1, 15, tzinfo=UTC)
    assert dates(one("this winter", january)) == ("2022-12-01", "2023-03-01", G.SEASON)
    assert dates(one("last winter", january)) == ("2021-12-01", "2022-03-01", G.SEASON)
    assert dates(one("in the winter", january)) == ("2022-12-01", "2023-03-01", G.SEASON)
    # "last summer" seen from October is the summer that just ended.
    october = datetime(2023, 10, 2, tzinfo=UTC)
    assert dates(one("last summer", october)) == ("2023-06-01", "2023-09-01", G.SEASON)


def test_case_insensitive() -> None:
    assert dates(one("LAST WEEK")) == dates(one("last week"))
    assert dates(one("in may")) == ("2023-05-01", "2023-06-01", G.MONTH)


def test_labels_per_granularity() -> None:
    assert one("yesterday").labels() == ("2023-05-07", "7 May 2023", "May 2023")
    assert one("in May").labels() == ("May 2023", "2023-05")
    assert one("in 2022").labels() == ("2022",)
    assert one("last week").labels() == ("week of 1 May 2023", "May 2023")
    # A week across a month boundary is indexed under both months.
    assert one("last week", datetime(2023, 6, 7, tzinfo=UTC)).labels() == (
        "week of 29 May 2023",
        "May 2023",
        "June 2023",
    )
    assert one("last weekend").labels() == (
        "weekend of 6 May 2023",
        "2023-05-06",
        "2023-05-07",
        "May 2023",
    )
    assert one("last summer").labels() == ("summer 2022", "June 2022", "July 2022", "August 2022")
    assert one("in the 1990s").labels() == ("1990s",)
    assert one("the past week").labels() == ("May 2023",)
    assert one("from 2019 to 2021").labels() == ("2019", "2020", "2021")


def test_query_time_range() -> None:
    week = query_time_range("what did I do last week?", REF)
    assert week is not None
    assert dates(week) == ("2023-05-01", "2023-05-08", G.WEEK)
    assert query_time_range("when did Caroline go to the support group?", REF) is None
    both = query_time_range("what happened in May or June 2023?", REF)
    assert both is not None
    assert dates(both) == ("2023-05-01", "2023-07-01", G.RANGE)
    assert both.text == "May or June 2023"
    assert both.span == (17, 33)
    same = query_time_range("yesterday, 7 May 2023", REF)
    assert same is not None
    assert dates(same) == ("2023-05-07", "2023-05-08", G.DAY)


@pytest.mark.parametrize(
    "query",
    [
        "When did Caroline go to the LGBTQ support group?",
        "when is Melanie planning on going camping?",
        "So when did you move?",
        "Do you know when she left?",
        "What year did John start surfing?",
        "In which month did they marry?",
        "what date was the concert",
        "What's the date of the party?",
        "How long ago was Caroline's 18th birthday?",
        "how many years ago did she adopt the dog?",
        "Since when has Jon been dancing?",
        "Which day did Nate win the tournament?",
        "What time did the meeting start?",
    ],
)
def test_asks_when(query: str) -> None:
    assert asks_when(query)


@pytest.mark.parametrize(
    "query",
    [
        "What did I do last week?",
        "Where did we go in May?",
        "What is Caroline's identity?",
        "I was happy when she came home",
        "Whenever I paint I feel calm",
        "How long has Jon been dancing?",
        "What day is it today?",
        "",
    ],
)
def test_does_not_ask_when(query: str) -> None:
    assert not asks_when(query)


SAMPLES = [
    "I went to a LGBTQ support group yesterday and it was so powerful.",
    "We went camping last weekend, and I ran a race on Saturday, May 20.",
    "I painted that lake sunrise last year, and I'm starting a new one next month.",
    "Back in 2022 we moved, and in the summer of 2021 we visited my grandma.",
    "I may go there later, it was a fun day with my 3 kids in the park.",
    "She said 2019-2021 were hard; on 5/8/2023 at 10am, 3 hours ago, it got better.",
    "the 1990s, mid-May, this past Friday evening, a few weeks back, the past 24 hours",
]


def _reference_scan(text: str, reference: datetime) -> list[TimeMention]:
    """The plain leftmost scan the fast path must reproduce (no prefilter, no word starts)."""
    ctx = timeexpr._context(reference)
    found, pos = [], 0
    while (m := timeexpr._MASTER.search(text, pos)) is not None:
        mention = timeexpr._resolve(m, ctx)
        if mention is None:
            pos = m.start() + 1
            continue
        found.append(mention)
        pos = m.end()
    return found


@pytest.mark.parametrize(
    "text", SAMPLES + [text for text, *_ in CASES if not re.fullmatch(r"\d{4}", text)]
)
def test_fast_path_matches_a_plain_scan(text: str) -> None:
    assert find_time_expressions(text, REF) == _reference_scan(text, REF)


TEMPLATES = [text for text, *_ in CASES] + [text for text, *_ in PREPOSITIONED]


@settings(max_examples=300, deadline=None)
@given(
    when=st.datetimes(min_value=datetime(1901, 1, 1), max_value=datetime(2099, 12, 31)),
    offset_minutes=st.integers(min_value=-12 * 60, max_value=14 * 60),
    naive=st.booleans(),
    template=st.sampled_from(TEMPLATES),
)
def test_every_template_resolves_to_a_nonempty_utc_range(
    when: datetime, offset_minutes: int, naive: bool, template: str
) -> None:
    reference = when if naive else when.replace(tzinfo=timezone(timedelta(minutes=offset_minutes)))
    found = find_time_expressions(template, reference)
    assert found, template
    for m in found:
        assert m.start < m.end
        for bound in (m.start, m.end):
            assert bound.tzinfo is UTC
            assert bound.timetz() == time(tzinfo=UTC)
        assert m.labels()
        assert template[m.span[0] : m.span[1]] == m.text


def test_relative_past_expressions_end_by_the_reference_day() -> None:
    for text in ["yesterday", "3 days ago", "last week", "last month", "last summer", "recently"]:
        for day in range(0, 400, 7):
            reference = datetime(2022, 1, 1, 12, tzinfo=UTC) + timedelta(days=day)
            assert one(text, reference).end.date() <= reference.date() + timedelta(days=1), text
            assert one(text, reference).start.date() <= reference.date(), text


def test_start_is_utc_midnight_of_resolved_date() -> None:
    m = one("8 May 2023")
    assert m.start == datetime.combine(date(2023, 5, 8), time(), tzinfo=UTC)
    assert m.end - m.start == timedelta(days=1)
