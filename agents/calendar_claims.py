"""Dates held against the calendar and the grounding's week: a weekday a date does not fall
on, a relative date beside a date that disagrees, a bare weekday that does not say which
week."""

from __future__ import annotations

import contextlib
import re
from datetime import date, timedelta
from functools import lru_cache

from agents.derive import add_months, whole_months
from agents.grounding import Clause, Grounding
from agents.value_compare import loose, same, weekday_only
from agents.value_words import PER, WEEKDAYS
from agents.values import Value, values_in


def dated(value: Value) -> bool:
    """A date with its day of the month ("the 27th of September", "Saturday the 22nd")."""
    return not weekday_only(value) and any(d for _, _, d in value.dates)


def pinned(weekday: Value, ground: Grounding) -> bool:
    """True when the fact that names this weekday also gives a date with a day: "on Saturday,
    20 September" pins the Saturday, "every Saturday" does not."""
    for clause in ground.clauses:
        if any(v is weekday for v in clause.values):
            return any(v.cls == "date" and dated(v) for v in clause.values)
    return False


def apposed(value: Value, values: tuple[Value, ...], text: str) -> Clause | None:
    """A relative date and the date put beside it that disagree ("Tomorrow, Friday the 24th"
    when tomorrow is the 23rd): the calendar contradicts one of them."""
    if value.cls != "date" or not value.relative or weekday_only(value) or not value.dates:
        return None
    after = next(
        (
            v
            for v in values
            if v.cls == "date"
            and v is not value
            and 0 <= v.start - value.end <= 16
            and _APPOSE.match(text[value.end : v.start])
        ),
        None,
    )
    if after is None or not after.dates or weekday_only(after):
        return None
    y, m, d = value.dates[0]
    if any(oy in (None, y) and om in (None, m) and od in (None, d) for oy, om, od in after.dates):
        return None
    fact = f"the calendar: '{value.text}' is {d} {date(y, m, d):%B %Y}"  # type: ignore[arg-type]
    return Clause(fact, fact, frozenset(), (), False, False)


_APPOSE = re.compile(
    rf"^\s*(?:,|—|–|-|:)?\s*(?:on\s+|that's\s+|so\s+)?(?:(?:{'|'.join(WEEKDAYS)}),?\s+)?$", re.I
)


def _years_ahead(month: int | None, day: int | None, today: date | None) -> list[int]:
    """The year a date without one means: the next time it comes (a fortnight back still
    counts as this year's), or this and next year when that cannot be told."""
    if today is None:
        return []
    if month and day:
        with contextlib.suppress(ValueError):
            if date(today.year, month, day) >= today - timedelta(days=14):
                return [today.year]
            return [today.year + 1]
    return [today.year, today.year + 1]


def calendar_conflict(value: Value, today: date | None) -> Clause | None:
    """The calendar itself, when a date is given with a weekday it does not fall on
    ("Wednesday 24 November" in 2025, a Monday); the year is the stated one, or this or
    next year when the grounding dates today."""
    if value.cls != "date" or value.weekday is None or value.relative or not value.dates:
        return None
    days = []
    for y, m, d in value.dates:
        years = [y] if y else _years_ahead(m, d, today)
        months = [(None, m)] if m else []
        if not m and today is not None:  # "Sunday the 14th": this month or the next
            ahead = date(today.year + today.month // 12, today.month % 12 + 1, 1)
            months = [(today.year, today.month), (ahead.year, ahead.month)]
        for year_of_month, month in months:
            for year in [year_of_month] if year_of_month else years:
                with contextlib.suppress(ValueError, TypeError):
                    days.append(date(year, month, d))  # type: ignore[arg-type]
    if not days or any(day.weekday() == value.weekday for day in days):
        return None
    real = days[0]
    fact = f"the calendar: {real.day} {real:%B %Y} is a {real:%A}"
    return Clause(fact, fact, frozenset(), (), False, False)


_DAY_GROUPS = {
    "weekday": range(5),
    "weekend": range(5, 7),
    "daily": range(7),
    "every day": range(7),
}
_WEEKDAY_RANGE = re.compile(
    rf"\b({'|'.join(WEEKDAYS)})s?\s+(?:to|through|-|–)\s+({'|'.join(WEEKDAYS)})s?\b"
)
_PIECE = re.compile(r"\s*(?:;|,?\s+and\s+(?=[^,;]*\d)|,)\s*", re.I)


@lru_cache(maxsize=4096)
def days_of(text: str) -> frozenset[int]:
    """The days of the week a text speaks of: "weekends", "Monday to Friday", "Saturdays"."""
    lower = text.lower()
    days: set[int] = set()
    for m in _WEEKDAY_RANGE.finditer(lower):
        first, last = WEEKDAYS.index(m.group(1)), WEEKDAYS.index(m.group(2))
        days |= {(first + i) % 7 for i in range((last - first) % 7 + 1)}
        lower = lower.replace(m.group(0), " ")
    for word, group in _DAY_GROUPS.items():
        if re.search(rf"\b{word}s?\b", lower):
            days |= set(group)
    days |= {i for i, w in enumerate(WEEKDAYS) if re.search(rf"\b{w}s?\b", lower)}
    return frozenset(days)


def off_schedule(value: Value, text: str, own: frozenset[str], ground: Grounding) -> Clause | None:
    """A time a fact gives for other days than the sentence speaks of ("weekends we open at 9"
    of "open 9 am to 8 pm on weekdays and 8 am to 6 pm on weekends"): that day's time."""
    if value.cls != "time" or not (days := days_of(text)):
        return None
    for clause in ground.clauses:
        if clause.is_reference or not (own & clause.stems) - _DAY_STEMS:
            continue
        pieces = _schedule(clause.text, ground.today)
        ours = [v for d, vs in pieces if d & days for v in vs]
        theirs = [v for d, vs in pieces if not d & days for v in vs]
        if ours and not any(same(value, v) for v in ours) and any(same(value, v) for v in theirs):
            return clause
    return None


_DAY_STEMS = frozenset({"weekd", "weeke", "daily", *(w[:5] for w in WEEKDAYS)})


@lru_cache(maxsize=1024)
def _schedule(
    clause_text: str, today: date | None
) -> tuple[tuple[frozenset[int], tuple[Value, ...]], ...]:
    """A clause's times by the days they are for ("9 am to 8 pm on weekdays and 8 am to 6 pm
    on weekends"), parsed once per clause; empty unless two parts name days and times."""
    pieces = [(days_of(p), values_in(p, today)) for p in _PIECE.split(clause_text)]
    timed = [(d, tuple(v for v in vs if v.cls == "time")) for d, vs in pieces]
    timed = [(d, vs) for d, vs in timed if d and vs]
    return tuple(timed) if len(timed) >= 2 else ()


_DAY_WORD = re.compile(r"\b(today|tomorrow|yesterday)(?:'s| is| was| will be)\s+(?:the\s+)?$", re.I)


def named_day(value: Value, text: str, ground: Grounding) -> bool:
    """A day of the month said as what today, tomorrow or yesterday is, and right."""
    m = _DAY_WORD.search(text[max(0, value.start - 30) : value.start])
    if value.cls != "date" or m is None or ground.today is None:
        return False
    shift = {"today": 0, "tomorrow": 1, "yesterday": -1}[m.group(1).lower()]
    day = ground.today + timedelta(days=shift)
    return any(
        d == day.day and mo in (None, day.month) and y in (None, day.year)
        for y, mo, d in value.dates
    )


def habitual(value: Value, ground: Grounding) -> bool:
    """A weekday of open week that is one of the days an undated fact gives as a habit or a
    span: "free parking at weekends", so "on a Saturday" (not "no deliveries at weekends"; not
    "next Friday" of "Monday to Friday" when the fact's date is another Friday)."""
    return loose(value) and any(
        value.weekday in days_of(c.text)
        for c in ground.clauses
        if not c.is_reference
        and not _NOT_ON.search(c.text)
        and not any(v.cls == "date" and dated(v) for v in c.values)
    )


_NOT_ON = re.compile(r"\b(?:no|not|never|closed|except|without)\b|n't\b", re.I)


_DAY = PER["day"]
_GAP_AFTER = re.compile(
    r"\s*(?:from (?:now|today)|away|ago|into|left|to go|since|until|till|"
    r"on from|time\b|'s time)",
    re.I,
)
_BETWEEN = re.compile(r"\s*(?:before|after|ahead of|earlier than|later than|prior to)\b", re.I)
_GAP_BEFORE = re.compile(r"\b(?:in|another|within|for)\s+(?:about |around |roughly |just )?$", re.I)


def date_gap(
    value: Value, dates: list[Value], ground: Grounding, text: str, own: tuple[Value, ...] = ()
) -> bool:
    """A number of days or weeks that is the calendar's distance from today to a date the
    facts or the dialogue give ("that's eleven days from now" of the 23rd on the 12th; "13
    days into the grace period" of a domain that expired on 1/10), or between two dates the
    sentence gives (`own`: "the 16th is five days before the 21st"): counted, not claimed."""
    if value.cls != "q:duration" or value.per or ground.today is None:
        return False
    between = len(own) >= 2 and bool(_BETWEEN.match(text, value.end))
    if not (
        between
        or _GAP_AFTER.match(text, value.end)
        or _GAP_BEFORE.search(text[: value.start][-24:])
    ):
        return False  # "blurring can last up to four days" is no distance to a date
    days = [a / _DAY for a in value.amounts if a >= _DAY and a % _DAY == 0]
    if not days:
        return False
    slack = 0.15 if value.approx else 0.0
    if between:
        heard = [d for other in own for d in _resolved(other, ground.today)]
        if any(
            abs(abs((a - b).days) - n) <= slack * n
            for a in heard
            for b in heard
            if a != b
            for n in days
        ):
            return True
    for other in (*ground.pool.get("date", ()), *dates):
        for when in _resolved(other, ground.today):
            gap = abs((when - ground.today).days)
            if gap and any(abs(n - gap) <= slack * gap for n in days):
                return True
    return False


def _resolved(value: Value, today: date) -> list[date]:
    """The days a date may be near today: a missing year or month is this one, or the one
    before or after."""
    out = []
    for y, m, d in value.dates:
        if d is None:
            continue
        for year in (y,) if y else (today.year - 1, today.year, today.year + 1):
            months = (m,) if m else (today.month - 1 or 12, today.month, today.month % 12 + 1)
            for month in months:
                with contextlib.suppress(ValueError):
                    when = date(year, month, d)
                    if abs((when - today).days) <= 400:
                        out.append(when)
    return out


def date_offset(value: Value, dates: list[Value], ground: Grounding) -> bool:
    """A date a fact's period after a date the dialogue gives ("I bought them on April
    22nd" "free until around the 22nd of May" of "within the last 30 days"): worked out."""
    if value.cls != "date" or ground.today is None or not dated(value):
        return False
    spans = [
        d.amounts[0] / _DAY
        for d in ground.pool.get("q:duration", ())
        if d.amounts and not d.per and d.amounts[0] >= 7 * _DAY  # a week or more
    ]
    months = [n for d in ground.pool.get("q:duration", ()) if (n := whole_months(d))]
    # ("four months before a start on 1.6.": by 1.2., the calendar's months)
    targets = set(_resolved(value, ground.today))
    for other in dates:
        for when in _resolved(other, ground.today):
            for n in spans:
                step = timedelta(days=round(n))
                if when + step in targets or when - step in targets:
                    return True
            if any(add_months(when, s * n) in targets for n in months for s in (1, -1)):
                return True
    return False


_END_CUE = re.compile(
    r"\b(?:conclude|finish|end|wrap(?:s|ping)? up|(?:be|is|are) (?:free|done|finished|out|over))"
    r"(?:s|es|ed|ing)?\s+(?:at|by|around|about)\s*$",
    re.I,
)


def worked_end(value: Value, text: str, ground: Grounding) -> bool:
    """'Lasting 2 hours and 15 minutes, it concludes at a quarter to twelve': the end of what
    one fact starts at a time and says lasts a while (not another fact's length)."""
    if value.cls != "time" or not _END_CUE.search(text[max(0, value.start - 30) : value.start]):
        return False
    for clause in ground.clauses:
        lengths = [v.amounts[0] / 60 for v in clause.values if v.cls == "q:duration"]
        ends = {
            (start + length) % 1440
            for v in clause.values
            if v.cls == "time"
            for start in v.amounts
            for length in lengths
            if length <= 720
        }
        if any(abs(end - a) < 0.5 for end in ends for a in value.amounts):
            return True
    return False
