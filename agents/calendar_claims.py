"""Dates held against the calendar and the grounding's week: a weekday a date does not fall
on, a relative date beside a date that disagrees, a bare weekday that does not say which
week."""

from __future__ import annotations

import contextlib
import re
from datetime import date, timedelta

from agents.grounding import Clause, Grounding
from agents.value_compare import weekday_only
from agents.value_words import WEEKDAYS
from agents.values import Value


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
