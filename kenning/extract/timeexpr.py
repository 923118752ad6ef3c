"""Time expressions in English text, resolved to absolute date ranges (no I/O, no LLM).

Two uses: the read path asks what period a query is about (``query_time_range("what did I do
last week?", now)``, ``asks_when(...)``); the write path normalises dates a message mentions
relative to the message's own time (``find_time_expressions(text, sent_at)``) and indexes the
``TimeMention.labels()`` so a question naming the date matches the memory.

Conventions
-----------
- Calendar arithmetic happens in the reference's own time zone (naive = UTC); results are whole
  calendar dates, returned as ``[start, end)`` at UTC midnight (``datetime`` aware, ``tz=UTC``).
  So "yesterday" said at 2023-05-08T23:30-07:00 is 2023-05-07, not the UTC date's eve.
- Weeks start on Monday. "this/last/next week" = the Monday-to-Monday week containing the
  reference, the one before, the one after. "N weeks ago" = that week shifted by N weeks. The
  weekend of a week is its Saturday and Sunday; "over/on the weekend" = the most recent weekend
  that has started (the current one on a Saturday or Sunday).
- "N days/months/years ago" = that day / calendar month / calendar year; "N hours ago" = the
  date N hours before the reference. "N units from now" mirrors "ago".
- Rolling ranges end with the reference day (inclusive): "the past week" / "this past week" /
  "past 3 days" / "the last few months" = from the same date N units earlier; "few" = 3,
  "a couple (of)" = 2. "recently"/"lately" = the last 30 days. "earlier this week/month/year" =
  the period's start to the reference day; "later this ..." = the reference day to its end.
  Note "last week" is the calendar week, "the last week" the rolling 7 days.
- Weekdays (the past is assumed): "last/on/this past Monday" = the most recent Monday strictly
  before the reference day; "next/coming Monday" = the first one strictly after it; "this Monday"
  = the Monday of the reference's week.
- Month names: "May 8", "8 May 2023", "the 8th of May", "May first", "May 2023", "May of 2023".
  Without a day or year a month needs a preposition or qualifier before it (in, on, of, since,
  during, until, till, through, by, from, before, after, around, last, this, next, early, mid,
  late, end of ...), so the modal "May I ask" and the verb "march on" are not dates; abbreviations
  ("Jan") need a day, a year or a preposition. For the ambiguous "may" and "march", "this", "by"
  and "on" are not enough ("this may be", "by march"), nor "5 may" without "th"/"of"/a year, nor
  "may first/second/third" ("you may first want to"). Without a year, a month resolves to the reference
  year when it is not later than the reference month, else the year before ("in May" said in
  March 2023 = May 2022); "last May" = the latest May strictly before the reference month,
  "next May" the first strictly after, "this May" the reference year's. "early/mid/late May" and
  "end of May" resolve to the whole month.
- Numeric dates: ISO ``2023-05-08`` (also ``2023/05/08``); slashed ``5/8/2023`` and ``5/8/23`` are
  US month/day, or day/month when the first number exceeds 12. No slashed date without a year
  (``1/2`` is a fraction).
- Years 1900-2100 count only after a preposition (in, since, of, from, during, until, by, around,
  before, after, "the year") or early/mid/late, not before a unit or currency ("of 2000
  dollars"), or when the whole text is the year; "from 2019 to 2021", "between 2019 and 2021" and
  "2019-2021" are one range; "1990s" is a decade.
- Seasons are northern-hemisphere meteorological: spring = Mar-May, summer = Jun-Aug, autumn/fall
  = Sep-Nov, winter = Dec-Feb; "winter 2022" is the winter that starts in December 2022. A season
  needs a preposition, a qualifier or a year ("in the summer", "last fall", "summer 2022", "the
  spring of 2022"). "last summer" = the latest summer that started before the current season;
  "this summer" = the reference's season-year's (winter: the one containing Jan-Feb of the
  reference year if the reference is in Jan-Feb); "in the summer" = the latest that has started.
- Not handled (returned as nothing): clock times, "the other day", "a while ago", ranges between
  two months ("from May to July"), "N days later" (relative to another event), future "in N days".

Speed (measured 2026-12-01, CPython 3.11, one core of the project's 2-core VM, best of 5
``timeit`` runs; the benchmark scripts were throwaway, the method is in this paragraph):

- a chat message with no time expression (5 LoCoMo-style turns, ~106 characters): 3.6 us; the
  anchor-word prefilter returns before any pattern runs;
- a message with anchor words but no expression ("I may go ... a fun day with my 3 kids"):
  ~40 us (the master pattern is tried at each word that can start a rule);
- a message with expressions (5 turns, ~77 characters, 9 mentions): 35 us per message;
- all 5,882 LoCoMo-10 turns (mean 124 characters, 732 mentions in 676 turns): 12 us per turn
  on average (6.5 us for turns without a mention, 54 us for those with one);
- ``asks_when``: ~6 us per query.

The first version ran ``_MASTER.search`` over the whole text: 216 us for a message with no
expression, 260 us per LoCoMo turn. Trying the pattern only at words that can start a rule, after
the anchor-word prefilter, returns the same mentions (a test checks this) 20x faster on LoCoMo
turns and 60x faster on messages without an expression.

Why hand-written rather than ``dateparser`` (1.5.0, measured the same way in a scratch install,
``search_dates(text, languages=["en"], settings={"RELATIVE_BASE": ..., "PREFER_DATES_FROM":
"past"})``): it took 614 us on the messages without a time expression (170x slower than 3.6 us),
1,398 us on those with expressions (40x slower than 35 us) and 850 us per turn on the first 600
LoCoMo turns (64x slower than 13 us). It also returns points, not ranges ("in 2022" -> 2022-05-08, "next month"
-> 2023-06-01T13:56), misses "last weekend", and 80 of its 165 hits on those 600 turns were "we"
read as Wednesday. Its import alone takes 0.1 s. This module needs only ``re`` and ``datetime``
(month arithmetic is three lines, so not even ``dateutil.relativedelta``).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

__all__ = [
    "MONTH_NAMES",
    "Granularity",
    "TimeMention",
    "asks_when",
    "find_time_expressions",
    "query_time_range",
]


class Granularity(enum.StrEnum):
    """How wide a resolved mention is; ``RANGE`` is any other span of days."""

    DAY = "day"
    WEEK = "week"
    WEEKEND = "weekend"
    MONTH = "month"
    SEASON = "season"
    YEAR = "year"
    DECADE = "decade"
    RANGE = "range"


MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_SEASON_START = {"spring": 3, "summer": 6, "autumn": 9, "fall": 9, "winter": 12}
_SEASON_NAME = {3: "spring", 6: "summer", 9: "autumn", 12: "winter"}


@dataclass(frozen=True, slots=True)
class TimeMention:
    """One time expression: the text as written, its resolved ``[start, end)`` and where it is."""

    text: str
    start: datetime  # inclusive, tz-aware UTC midnight
    end: datetime  # exclusive, tz-aware UTC midnight
    granularity: Granularity
    span: tuple[int, int]  # character offsets in the input

    def labels(self) -> tuple[str, ...]:
        """Normalised renderings to index under.

        DAY -> ("2023-05-07", "7 May 2023", "May 2023"); WEEK -> ("week of 1 May 2023",
        "May 2023"[, "June 2023"]); WEEKEND -> ("weekend of 6 May 2023", "2023-05-06",
        "2023-05-07", "May 2023"); MONTH -> ("May 2023", "2023-05"); SEASON -> ("summer 2023",
        "June 2023", "July 2023", "August 2023"); YEAR -> ("2023",); DECADE -> ("1990s",);
        RANGE -> the days if at most 2, else the months if at most 3, else the years.
        """
        first = self.start.date()
        last = (self.end - timedelta(days=1)).date()
        g = self.granularity
        if g is Granularity.DAY:
            return (first.isoformat(), _day_label(first), _month_label(first))
        if g is Granularity.WEEK:
            return (f"week of {_day_label(first)}", *_months_between(first, last))
        if g is Granularity.WEEKEND:
            days = tuple(_dates_between(first, last))
            return (
                f"weekend of {_day_label(first)}",
                *(d.isoformat() for d in days),
                *_months_between(first, last),
            )
        if g is Granularity.MONTH:
            return (_month_label(first), f"{first.year:04d}-{first.month:02d}")
        if g is Granularity.SEASON:
            name = _SEASON_NAME.get(first.month, "season")
            return (f"{name} {first.year}", *_months_between(first, last))
        if g is Granularity.YEAR:
            return (str(first.year),)
        if g is Granularity.DECADE:
            return (f"{first.year}s",)
        ndays = (last - first).days + 1
        if ndays <= 2:
            return tuple(label for d in _dates_between(first, last) for label in _day_labels(d))
        months = _months_between(first, last)
        if len(months) <= 3:
            return months
        return tuple(str(y) for y in range(first.year, last.year + 1))


def _day_label(d: date) -> str:
    return f"{d.day} {MONTH_NAMES[d.month - 1]} {d.year}"


def _month_label(d: date) -> str:
    return f"{MONTH_NAMES[d.month - 1]} {d.year}"


def _day_labels(d: date) -> tuple[str, str]:
    return (d.isoformat(), _day_label(d))


def _dates_between(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _months_between(first: date, last: date) -> tuple[str, ...]:
    out = []
    y, m = first.year, first.month
    while (y, m) <= (last.year, last.month):
        out.append(f"{MONTH_NAMES[m - 1]} {y}")
        y, m = _add_months(y, m, 1)
    return tuple(out)


# ---------------------------------------------------------------------------------------------
# Calendar helpers (pure date arithmetic)


def _add_months(year: int, month: int, n: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + n
    return index // 12, index % 12 + 1


def _shift_date_months(d: date, n: int) -> date:
    y, m = _add_months(d.year, d.month, n)
    last_day = (date(*_add_months(y, m, 1), 1) - timedelta(days=1)).day
    return date(y, m, min(d.day, last_day))


def _month(year: int, month: int) -> tuple[date, date]:
    return date(year, month, 1), date(*_add_months(year, month, 1), 1)


def _week_start(d: date) -> date:
    return d - timedelta(days=d.weekday())


def _season_of(d: date) -> date:
    """Start of the meteorological season containing ``d``."""
    if d.month == 12:
        return date(d.year, 12, 1)
    if d.month <= 2:
        return date(d.year - 1, 12, 1)
    return date(d.year, (d.month // 3) * 3, 1)


def _season(start_month: int, year: int) -> tuple[date, date]:
    start = date(year, start_month, 1)
    return start, date(*_add_months(year, start_month, 3), 1)


def _year_for_month(month: int, qualifier: str | None, today: date) -> int:
    """Year of a month named without one (the past is assumed; see the module docstring)."""
    if qualifier == "last":
        return today.year if month < today.month else today.year - 1
    if qualifier == "next":
        return today.year if month > today.month else today.year + 1
    if qualifier == "this":
        return today.year
    return today.year if month <= today.month else today.year - 1


# ---------------------------------------------------------------------------------------------
# Patterns. One master regex of named alternatives; each alternative has a resolver.

_NUM_WORDS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "few": 3,
    "couple": 2,
}
_ORDINALS = {
    w: i + 1
    for i, w in enumerate(
        [
            "first",
            "second",
            "third",
            "fourth",
            "fifth",
            "sixth",
            "seventh",
            "eighth",
            "ninth",
            "tenth",
            "eleventh",
            "twelfth",
            "thirteenth",
            "fourteenth",
            "fifteenth",
            "sixteenth",
            "seventeenth",
            "eighteenth",
            "nineteenth",
            "twentieth",
        ]
    )
}
_ORDINALS.update({f"twenty{w}": 20 + n for w, n in list(_ORDINALS.items())[:9]})
_ORDINALS.update({"thirtieth": 30, "thirtyfirst": 31})
_MONTHS = {name.lower(): i + 1 for i, name in enumerate(MONTH_NAMES)}
_MONTHS.update(
    {"jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9}
)
_MONTHS.update({"oct": 10, "nov": 11, "dec": 12})
_WEEKDAYS = {
    d: i
    for i, d in enumerate(
        ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
    )
}

_NUM = r"(?:\d{1,3}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|(?:a\s+)?couple(?:\s+of)?|(?:a\s+)?few|an?)"
_UNIT = r"(?:day|week|month|year|hour)s?(?![a-z])"
_MONTH = r"(?:january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)"
_WEEKDAY = r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)(?![a-z])"
_ORDINAL = r"(?:(?:twenty[\s-]?)?(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth)|tenth|eleventh|twelfth|thirteenth|fourteenth|fifteenth|sixteenth|seventeenth|eighteenth|nineteenth|twentieth|thirtieth|thirty[\s-]?first)"
_YEAR = r"(?:19\d\d|20\d\d|2100)(?!\d)"
_DAY = r"(?:[12]\d|3[01]|0?[1-9])(?!\d)"
_PREP = r"(?:in|on|of|since|during|until|till|through|throughout|by|from|before|after|around)"
_MOD = r"(?:early|mid|late|(?:the\s+)?(?:end|beginning|start|middle)\s+of)"
_NOT_QUANTITY = (
    r"(?!\s*(?:%|percent|dollars?|euros?|pounds?|usd|eur|gbp|yen|bucks|people|persons|users|"
    r"miles?|km|kilomet(?:er|re)s?|met(?:er|re)s?|feet|ft|steps|calories|kcal|words|pages|points|"
    r"times|units|items|copies|pieces|members|students|employees|votes|rpm|mg|kg|lbs?|ml|hours|"
    r"minutes|seconds|days|weeks|months|years)\b)"
)

_RULES: list[tuple[str, str]] = [
    ("dayrel", r"the\s+day\s+(?P<dayrel_dir>before\s+yesterday|after\s+tomorrow)"),
    (
        "part",
        r"(?P<part_w>today|tonight|yesterday|tomorrow|last\s+night|this\s+(?:morning|afternoon|evening))(?![a-z])",
    ),
    (
        "ago",
        rf"(?P<ago_n>{_NUM})\s+(?P<ago_u>{_UNIT}|weekends?)\s+(?P<ago_dir>ago|back|from\s+now)",
    ),
    (
        "roll",
        rf"(?:(?:the|this)\s+(?:past|last|previous)\s+(?:(?P<roll_n1>{_NUM})\s+)?(?P<roll_u1>{_UNIT})"
        rf"|past\s+(?:(?P<roll_n2>{_NUM})\s+)?(?P<roll_u2>{_UNIT})"
        rf"|(?:last|previous)\s+(?P<roll_n3>{_NUM})\s+(?P<roll_u3>{_UNIT}))(?!\s+of\b)",
    ),
    ("recent", r"(?:recently|lately)(?![a-z])"),
    (
        "period",
        r"(?P<period_q>earlier|later)\s+this\s+(?P<period_u>week|month|year)(?![a-z])",
    ),
    (
        "before",
        r"the\s+(?P<before_u>week|month|year)\s+before\s+last(?![a-z])",
    ),
    (
        "iso",
        r"(?<![\d/.-])(?P<iso_y>\d{4})(?P<iso_sep>[-/])(?P<iso_m>\d{1,2})(?P=iso_sep)(?P<iso_d>\d{1,2})(?!\d)",
    ),
    (
        "us",
        r"(?<![\d/.-])(?P<us_a>\d{1,2})/(?P<us_b>\d{1,2})/(?P<us_y>\d{4}|\d{2})(?![\d/])",
    ),
    (
        "md",
        rf"(?:(?P<md_p>{_PREP}|last|this|next)\s+)?(?:{_WEEKDAY},?\s+)?(?:(?P<md_mod>{_MOD})[\s-]+)?"
        rf"(?P<md_mon>{_MONTH})(?![a-z])\.?"
        rf"(?:\s+(?:the\s+)?(?P<md_day>{_DAY})(?P<md_suf>st|nd|rd|th)?\b|\s+(?:the\s+)?(?P<md_ord>{_ORDINAL})\b)?"
        rf"(?:,?\s+(?:of\s+)?(?P<md_y>{_YEAR}))?(?P<md_apos>['\u2019])?",
    ),
    (
        "dm",
        rf"(?:(?P<dm_p>{_PREP})\s+)?(?:{_WEEKDAY},?\s+)?(?P<dm_the>the\s+)?"
        rf"(?:(?P<dm_day>{_DAY})(?P<dm_suf>st|nd|rd|th)?|(?P<dm_ord>{_ORDINAL}))\s+(?P<dm_of>of\s+)?"
        rf"(?P<dm_mon>{_MONTH})(?![a-z])\.?(?:,?\s+(?P<dm_y>{_YEAR}))?",
    ),
    (
        "rel",
        r"(?P<rel_q>last|this\s+past|past|previous|this\s+coming|coming|this|next)\s+"
        r"(?P<rel_u>weekend|week|month|year)(?![a-z])(?!\s+of\b)",
    ),
    ("wkend", r"(?P<wkend_p>over|on|at|during)\s+the\s+weekend(?![a-z])"),
    (
        "wd",
        rf"(?P<wd_q>last|this\s+past|past|previous|this\s+coming|coming|this|next|on)\s+"
        rf"(?P<wd_d>{_WEEKDAY})(?:\s+(?:morning|afternoon|evening|night))?",
    ),
    (
        "season",
        r"(?:(?P<season_p>in|during|over|since|by|through|throughout|until|till|from|of|for)\s+)?"
        r"(?:(?P<season_q>last|this\s+past|past|previous|this\s+coming|coming|this|next)\s+)?"
        r"(?:the\s+)?(?:(?:early|mid|late)[\s-]+)?(?P<season_s>spring|summer|autumn|fall|winter)(?![a-z])"
        rf"(?:,?\s+(?:of\s+)?(?P<season_y>{_YEAR}))?",
    ),
    (
        "yrange",
        rf"(?:(?P<yrange_p>from|between)\s+)?(?P<yrange_a>{_YEAR})\s*"
        rf"(?P<yrange_sep>-|\u2013|to|and|until|till|through)\s*(?P<yrange_b>{_YEAR})",
    ),
    ("decade", r"(?:(?:early|mid|late)[\s-]+)?(?P<decade_y>(?:19|20)\d0)['\u2019]?s(?![a-z])"),
    (
        "year",
        rf"(?:(?P<year_p>{_PREP}|circa|year)\s+(?:the\s+year\s+)?)?(?:(?P<year_mod>early|mid|late)[\s-]+)?"
        rf"(?P<year_y>{_YEAR})(?![-/.]\d){_NOT_QUANTITY}",
    ),
]

_MASTER = re.compile(
    "|".join(rf"(?P<{name}>\b{pattern})" for name, pattern in _RULES), re.IGNORECASE
)
_WHOLE_YEAR = re.compile(rf"\s*(?P<y>{_YEAR})\s*[?.!]*\s*")


def _split(words: str) -> list[str]:
    return words.split()


_WORD = re.compile(r"[A-Za-z]+|\d+")
_ANCHOR_WORD = re.compile(r"[a-z]+|\d")
_UNITS = ("day", "week", "month", "year", "hour")
_ANCHORS = frozenset(
    {
        *_MONTHS,
        *_WEEKDAYS,
        *_SEASON_START,
        *_UNITS,
        *(unit + "s" for unit in _UNITS),
        *_split(
            "today tonight yesterday tomorrow night morning afternoon evening weekend weekends"
        ),
        *_split("recently lately"),
        *"0123456789",
    }
)
# Words a rule can begin with (numbers are tried too).
_STARTS = frozenset(
    {
        *_MONTHS,
        *_WEEKDAYS,
        *_SEASON_START,
        *_NUM_WORDS,
        *_split("in on of since during until till through throughout by from before after around"),
        *_split("circa year the this last next past previous coming earlier later recently lately"),
        *_split("today tonight yesterday tomorrow over at for between early mid late"),
        *_split("end beginning start middle"),
    }
)

_Resolved = tuple[date, date, Granularity, int]  # start, end (exclusive), granularity, span start


@dataclass(frozen=True, slots=True)
class _Ctx:
    today: date
    ref: datetime


def _num(word: str) -> int:
    word = " ".join(word.lower().split())
    if word.isdigit():
        return int(word)
    return _NUM_WORDS[word.removeprefix("a ").removesuffix(" of")]


def _day(d: date) -> tuple[date, date, Granularity]:
    return d, d + timedelta(days=1), Granularity.DAY


def _week(monday: date) -> tuple[date, date, Granularity]:
    return monday, monday + timedelta(days=7), Granularity.WEEK


def _weekend(monday: date) -> tuple[date, date, Granularity]:
    return monday + timedelta(days=5), monday + timedelta(days=7), Granularity.WEEKEND


def _g(m: re.Match[str], name: str) -> str | None:
    value = m.group(name)
    return None if value is None else " ".join(value.lower().split())


def _r_dayrel(m: re.Match[str], c: _Ctx) -> _Resolved:
    delta = -2 if (_g(m, "dayrel_dir") or "").startswith("before") else 2
    return (*_day(c.today + timedelta(days=delta)), m.start())


def _r_part(m: re.Match[str], c: _Ctx) -> _Resolved:
    word = _g(m, "part_w")
    delta = {"yesterday": -1, "last night": -1, "tomorrow": 1}.get(word or "", 0)
    return (*_day(c.today + timedelta(days=delta)), m.start())


def _unit_shift(unit: str, n: int, c: _Ctx) -> tuple[date, date, Granularity]:
    if unit == "hour":
        return _day((c.ref + timedelta(hours=n)).date())
    if unit == "day":
        return _day(c.today + timedelta(days=n))
    if unit == "week":
        return _week(_week_start(c.today) + timedelta(weeks=n))
    if unit == "weekend":
        return _weekend(_week_start(c.today) + timedelta(weeks=n))
    if unit == "month":
        return (*_month(*_add_months(c.today.year, c.today.month, n)), Granularity.MONTH)
    return date(c.today.year + n, 1, 1), date(c.today.year + n + 1, 1, 1), Granularity.YEAR


def _r_ago(m: re.Match[str], c: _Ctx) -> _Resolved:
    n = _num(m.group("ago_n"))
    sign = 1 if (_g(m, "ago_dir") or "").startswith("from") else -1
    unit = (_g(m, "ago_u") or "").removesuffix("s")
    return (*_unit_shift(unit, sign * n, c), m.start())


def _r_roll(m: re.Match[str], c: _Ctx) -> _Resolved:
    raw_n = m.group("roll_n1") or m.group("roll_n2") or m.group("roll_n3")
    unit = (_g(m, "roll_u1") or _g(m, "roll_u2") or _g(m, "roll_u3") or "").removesuffix("s")
    n = 1 if raw_n is None else _num(raw_n)
    end = c.today + timedelta(days=1)
    if unit in ("day", "hour"):
        start = c.today - timedelta(days=n if unit == "day" else 0)
    elif unit == "week":
        start = c.today - timedelta(weeks=n)
    else:
        start = _shift_date_months(c.today, -n * (12 if unit == "year" else 1))
    return start, end, Granularity.RANGE, m.start()


def _r_recent(m: re.Match[str], c: _Ctx) -> _Resolved:
    return c.today - timedelta(days=30), c.today + timedelta(days=1), Granularity.RANGE, m.start()


def _period(unit: str, c: _Ctx) -> tuple[date, date]:
    if unit == "week":
        start = _week_start(c.today)
        return start, start + timedelta(days=7)
    if unit == "month":
        return _month(c.today.year, c.today.month)
    return date(c.today.year, 1, 1), date(c.today.year + 1, 1, 1)


def _r_period(m: re.Match[str], c: _Ctx) -> _Resolved:
    start, end = _period(_g(m, "period_u") or "", c)
    if _g(m, "period_q") == "earlier":
        return start, c.today + timedelta(days=1), Granularity.RANGE, m.start()
    return c.today, end, Granularity.RANGE, m.start()


def _r_before(m: re.Match[str], c: _Ctx) -> _Resolved:
    return (*_unit_shift(_g(m, "before_u") or "", -2, c), m.start())


def _r_iso(m: re.Match[str], c: _Ctx) -> _Resolved:
    d = date(int(m.group("iso_y")), int(m.group("iso_m")), int(m.group("iso_d")))
    return (*_day(d), m.start())


def _r_us(m: re.Match[str], c: _Ctx) -> _Resolved:
    a, b, y = int(m.group("us_a")), int(m.group("us_b")), int(m.group("us_y"))
    if y < 100:
        y += 2000
    month, day = (b, a) if a > 12 else (a, b)
    return (*_day(date(y, month, day)), m.start())


_AMBIGUOUS_MONTHS = frozenset({"may", "march"})
_QUALIFIERS = frozenset({"last", "this", "next"})
_WEAK_BEFORE_AMBIGUOUS = frozenset({"this", "by", "on"})
_FULL_MONTHS = frozenset(name.lower() for name in MONTH_NAMES)


def _month_day(
    m: re.Match[str], c: _Ctx, prefix: str, *, qualifier: str | None
) -> tuple[date, date, Granularity]:
    month = _MONTHS[(_g(m, f"{prefix}_mon") or "").rstrip(".")]
    raw_year = m.group(f"{prefix}_y")
    year = int(raw_year) if raw_year else _year_for_month(month, qualifier, c.today)
    raw_day = m.group(f"{prefix}_day")
    ordinal = _g(m, f"{prefix}_ord")
    if raw_day is None and ordinal is None:
        return (*_month(year, month), Granularity.MONTH)
    day = int(raw_day) if raw_day else _ORDINALS[re.sub(r"[\s-]", "", ordinal or "")]
    return _day(date(year, month, day))


def _prep_start(m: re.Match[str], prep_group: str) -> int:
    """Span start after a leading preposition (kept out of the mention's text)."""
    if not m.group(prep_group):
        return m.start()
    start = m.end(prep_group)
    while m.string[start].isspace():
        start += 1
    return start


def _r_md(m: re.Match[str], c: _Ctx) -> _Resolved | None:
    word = _g(m, "md_p")
    qualifier = word if word in _QUALIFIERS else None
    month_word = (_g(m, "md_mon") or "").rstrip(".")
    ambiguous = month_word in _AMBIGUOUS_MONTHS
    if not (m.group("md_day") or m.group("md_ord") or m.group("md_y")):
        if not (word or m.group("md_mod")):
            return None  # "May I ask", "I'll march on"
        if ambiguous and (
            word in _WEAK_BEFORE_AMBIGUOUS
            or (word == "next" and m.string[: m.start()].lower().endswith("the "))
        ):
            return None  # "this may be", "by march", "the next may come"
        if month_word not in _FULL_MONTHS and m.group("md_apos"):
            return None  # "in Jan's car"
    elif ambiguous and not word and _g(m, "md_ord") in ("first", "second", "third"):
        return None  # "you may first want to"
    start = m.start() if qualifier else _prep_start(m, "md_p")
    return (*_month_day(m, c, "md", qualifier=qualifier), start)


def _r_dm(m: re.Match[str], c: _Ctx) -> _Resolved | None:
    month_word = (_g(m, "dm_mon") or "").rstrip(".")
    if m.group("dm_ord") and not (m.group("dm_the") or m.group("dm_of")):
        return None  # "first May" reads as a sequence, not a date
    strong = m.group("dm_p") or m.group("dm_the") or m.group("dm_of") or m.group("dm_suf")
    if month_word in _AMBIGUOUS_MONTHS and not (strong or m.group("dm_y")):
        return None  # "level 5 may be harder"
    return (*_month_day(m, c, "dm", qualifier=None), _prep_start(m, "dm_p"))


def _r_rel(m: re.Match[str], c: _Ctx) -> _Resolved | None:
    q = _g(m, "rel_q") or ""
    unit = _g(m, "rel_u") or ""
    if q in ("past", "this past"):
        if unit != "weekend":
            return None  # rolling ranges are the "roll" rule's; unreachable in practice
        q = "last"
    n = {"last": -1, "previous": -1, "this": 0}.get(q, 1)
    if unit == "weekend":
        return (*_weekend(_week_start(c.today) + timedelta(weeks=n)), m.start())
    return (*_unit_shift(unit, n, c), m.start())


def _r_wkend(m: re.Match[str], c: _Ctx) -> _Resolved:
    monday = _week_start(c.today)
    if c.today.weekday() < 5:
        monday -= timedelta(weeks=1)
    return (*_weekend(monday), _prep_start(m, "wkend_p"))


def _r_wd(m: re.Match[str], c: _Ctx) -> _Resolved:
    q = _g(m, "wd_q") or ""
    target = _WEEKDAYS[_g(m, "wd_d") or ""]
    today = c.today.weekday()
    if q == "this":
        d = _week_start(c.today) + timedelta(days=target)
    elif q in ("next", "coming", "this coming"):
        d = c.today + timedelta(days=(target - today) % 7 or 7)
    else:
        d = c.today - timedelta(days=(today - target) % 7 or 7)
    start = m.start("wd_d") if q == "on" else m.start()
    return (*_day(d), start)


def _r_season(m: re.Match[str], c: _Ctx) -> _Resolved | None:
    q = _g(m, "season_q")
    raw_year = m.group("season_y")
    if not (q or raw_year or m.group("season_p")):
        return None  # "the fall of Rome", "summer camp"
    sm = _SEASON_START[_g(m, "season_s") or ""]
    current = _season_of(c.today)
    if raw_year:
        start, end = _season(sm, int(raw_year))
    else:
        starts = [date(y, sm, 1) for y in range(c.today.year - 2, c.today.year + 2)]
        if q in ("last", "past", "previous", "this past"):
            start = max(s for s in starts if s < current)
        elif q in ("next", "coming", "this coming"):
            start = min(s for s in starts if s > c.today)
        elif q == "this":
            season_year = c.today.year - 1 if sm == 12 and c.today.month <= 2 else c.today.year
            start = date(season_year, sm, 1)
        else:
            start = max(s for s in starts if s <= c.today)
        start, end = _season(sm, start.year)
    return start, end, Granularity.SEASON, _prep_start(m, "season_p")


def _r_yrange(m: re.Match[str], c: _Ctx) -> _Resolved | None:
    a, b = int(m.group("yrange_a")), int(m.group("yrange_b"))
    if b < a or not (m.group("yrange_p") or m.group("yrange_sep") in ("-", "\u2013")):
        return None  # "2019 and 2021" without "between" are two years, not a range
    return date(a, 1, 1), date(b + 1, 1, 1), Granularity.RANGE, m.start()


def _r_year(m: re.Match[str], c: _Ctx) -> _Resolved | None:
    if not (m.group("year_p") or m.group("year_mod")):
        return None  # a bare number: "I have 2000 dollars", "room 2019"
    y = int(m.group("year_y"))
    start = m.start() if _g(m, "year_p") == "year" else _prep_start(m, "year_p")
    return date(y, 1, 1), date(y + 1, 1, 1), Granularity.YEAR, start


def _r_decade(m: re.Match[str], c: _Ctx) -> _Resolved:
    y = int(m.group("decade_y"))
    return date(y, 1, 1), date(y + 10, 1, 1), Granularity.DECADE, m.start()


_RESOLVERS: dict[str, Callable[[re.Match[str], _Ctx], _Resolved | None]] = {
    "dayrel": _r_dayrel,
    "part": _r_part,
    "ago": _r_ago,
    "roll": _r_roll,
    "recent": _r_recent,
    "period": _r_period,
    "before": _r_before,
    "iso": _r_iso,
    "us": _r_us,
    "md": _r_md,
    "dm": _r_dm,
    "rel": _r_rel,
    "wkend": _r_wkend,
    "wd": _r_wd,
    "season": _r_season,
    "yrange": _r_yrange,
    "year": _r_year,
    "decade": _r_decade,
}


def _utc_midnight(d: date) -> datetime:
    return datetime.combine(d, time(), tzinfo=UTC)


def _context(reference: datetime) -> _Ctx:
    ref = reference if reference.tzinfo is not None else reference.replace(tzinfo=UTC)
    return _Ctx(today=ref.date(), ref=ref)


def _resolve(m: re.Match[str], ctx: _Ctx) -> TimeMention | None:
    try:
        resolved = _RESOLVERS[m.lastgroup or ""](m, ctx)
    except (ValueError, OverflowError, KeyError):
        return None  # an impossible date ("February 30") or one outside years 1..9999
    if resolved is None:
        return None
    start, end, granularity, span_start = resolved
    return TimeMention(
        text=m.string[span_start : m.end()],
        start=_utc_midnight(start),
        end=_utc_midnight(end),
        granularity=granularity,
        span=(span_start, m.end()),
    )


def find_time_expressions(text: str, reference: datetime) -> list[TimeMention]:
    """Every time expression in ``text``, resolved relative to ``reference`` (naive = UTC).

    Mentions are returned in text order and never overlap. Calendar arithmetic uses the
    reference's own time zone; ``start``/``end`` are UTC midnights of the resolved dates.
    """
    found: list[TimeMention] = []
    # Fast exit: every rule contains an anchor word (a unit, month, weekday, season, "today",
    # ...) or a digit; most chat messages have none.
    if not _ANCHORS.isdisjoint(_ANCHOR_WORD.findall(text.lower())):
        ctx = _context(reference)
        match = _MASTER.match
        covered = 0
        # Try the master pattern only where a rule can start (a word in _STARTS or a number):
        # the same leftmost, first-alternative-wins result as _MASTER.search, 10x cheaper.
        for word in _WORD.finditer(text):
            at = word.start()
            if at < covered:
                continue
            token = word.group().lower()
            if token not in _STARTS and not token[0].isdigit():
                continue
            m = match(text, at)
            if m is None or (mention := _resolve(m, ctx)) is None:
                continue
            found.append(mention)
            covered = m.end()
    if not found and (whole := _WHOLE_YEAR.fullmatch(text)) is not None:
        y = int(whole.group("y"))
        found.append(
            TimeMention(
                text=whole.group("y"),
                start=_utc_midnight(date(y, 1, 1)),
                end=_utc_midnight(date(y + 1, 1, 1)),
                granularity=Granularity.YEAR,
                span=whole.span("y"),
            )
        )
    return found


def query_time_range(query: str, now: datetime) -> TimeMention | None:
    """The period a query asks about: its only mention, or the union of several, else None.

    The union of several mentions spans from the earliest start to the latest end, with the text
    and span from the first mention to the last; it keeps the granularity when all mentions
    resolve to the same period and is ``RANGE`` otherwise.
    """
    mentions = find_time_expressions(query, now)
    if not mentions:
        return None
    if len(mentions) == 1:
        return mentions[0]
    first, last = mentions[0], mentions[-1]
    start = min(x.start for x in mentions)
    end = max(x.end for x in mentions)
    same = all((x.start, x.end) == (first.start, first.end) for x in mentions)
    span = (first.span[0], last.span[1])
    return TimeMention(
        text=query[span[0] : span[1]],
        start=start,
        end=end,
        granularity=first.granularity if same else Granularity.RANGE,
        span=span,
    )


_ASKS_WHEN = re.compile(
    # "when" opening a clause, or after a request to tell/know/remember
    r"(?:^|[.?!;:,]\s*|\b(?:and|but|so|or|then|tell\s+me|remind\s+me|do\s+you\s+(?:know|remember)|"
    r"wonder|any\s+idea)\s+)(?:(?:exactly|roughly|approximately|about)\s+)?when\b"
    r"|\b(?:since|until|till|by|from)\s+when\b"
    # "what year ...", "which month ...", "what's the date ..." (not "what day is it today")
    r"|\b(?:what|which)(?:'s|\s+is|\s+was)?\s+(?:the\s+)?(?:exact\s+|specific\s+)?"
    r"(?:date|year|month|day|time|week|weekend|season|decade)\b(?!\s+is\s+it\b)"
    r"|\b(?:in|on|during|at)\s+(?:what|which)\s+(?:date|year|month|day|week|season|time|decade)\b"
    r"|\bhow\s+(?:long|many\s+(?:days|weeks|months|years|hours))\s+ago\b",
    re.IGNORECASE,
)


_ASKS_WHEN_HINTS = (
    "when",
    "date",
    "year",
    "month",
    "day",
    "time",
    "week",
    "season",
    "decade",
    "ago",
)


def asks_when(query: str) -> bool:
    """True for a question asking for a time ("when ...", "what year ...", "how long ago ...").

    "when" counts at the start of a clause or after "tell me / do you know / and ...";
    "what/which date/year/month/day/time/week/season" anywhere (but not "what day is it");
    "in/on/during what year ..."; "since/until when"; "how long ago", "how many years ago".
    """
    lowered = query.lower()
    if not any(hint in lowered for hint in _ASKS_WHEN_HINTS):
        return False
    return _ASKS_WHEN.search(query) is not None
