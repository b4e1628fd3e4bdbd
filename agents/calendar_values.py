"""Dates and clock times stated in text: "12 March 2025", "March 12th", "12/03", "tomorrow",
"this coming Monday", "Monday 16 to Friday 20 February", "half past seven", "18:00",
"noon", "at six"."""

from __future__ import annotations

import re
from datetime import date, timedelta

from agents.spoken import normalise
from agents.value_type import Found, Value, hedged
from agents.value_words import (
    DATE_RES,
    DAY_ONLY,
    MONTH_WORDS,
    MONTHS,
    NOON,
    RELATIVE,
    TIME_RES,
    WEEKDAY,
    WEEKDAY_DAY,
    WEEKDAYS,
)

_EVERY = re.compile(
    r"\b(?:every|each|always (?:a|on)|any)(?:\s+(?:other|second|third|2nd|3rd))?\s*$", re.I
)
_DAYS = "|".join(WEEKDAYS)
_EVERY_AND = re.compile(rf"\b(?:every|each)\s+(?:{_DAYS})s?(?:,\s*|\s+(?:and|or|&)\s+)$", re.I)
_DAY_SPAN = re.compile(rf"\b(?:{_DAYS})\s+(?:to|through|thru|till|until|-|–)\s*$", re.I)
_DAY_SPAN_AFTER = re.compile(rf"\s*(?:to|through|thru|till|-|–)\s+(?:{_DAYS})\b", re.I)
_EVENING = re.compile(r"\b(?:tonight|this evening|in the evening|at night|tomorrow night)\b", re.I)
_COUNTED_PAIR = re.compile(
    r"\s+(?:and|or|to)\s+\d+\s+(?!(?:am|pm|a\.m|p\.m|o'clock|in|this|tonight|today|tomorrow)\b)"
    r"[a-z]{3,}",
    re.I,
)
_RANGE_TO = re.compile(
    rf"^\s*(?:to|until|till|through|-|–|and)\s+(?:(?:{'|'.join(WEEKDAYS)}),?\s+)?(?:the\s+)?$", re.I
)
_WEEKDAY_BEFORE = re.compile(rf"\b({'|'.join(WEEKDAYS)}),?\s*(?:the\s+)?$", re.I)
_DAY_LIST = re.compile(rf"\b(?:{_DAYS})\s+(?:and|or|&)\s+(?:{_DAYS}),?\s*(?:the\s+)?$", re.I)
_NEXT_WEEK = re.compile(r",?\s+(?:of\s+)?next\s+week\b", re.I)


_OF_MONTH = re.compile(
    r"\bthe\s+(\d{1,2})(?:st|nd|rd|th)?\s+of\s+(?:the\s+)?(next|this|coming|following|current)"
    r"\s+month\b",
    re.I,
)


def find_dates(text: str, found: Found, today: date | None, digits: bool = True) -> None:
    lower = text.lower()
    months = digits and any(name in lower for name in MONTH_WORDS)
    for kind, pattern in DATE_RES if digits else ():
        if (kind == "iso" and "-" not in text) or (
            kind == "numeric" and "/" not in text and ("." not in text)
        ):
            continue
        if kind in ("month_day", "day_month") and not months:
            continue
        for m in pattern.finditer(text):
            if not found.free(*m.span()):
                continue
            g = m.groups()
            if kind == "iso":
                options = [(int(g[0]), int(g[1]), int(g[2]))]
            elif kind == "numeric":
                a, b = int(g[0]), int(g[1])
                year = _year(g[2])
                ordinal = (
                    (  # "start on 1.6., please": the day-first dotted date, year left out
                        g[2] is None and "." in m.group(0) and text[m.end() : m.end() + 1] == "."
                    )
                    and not text[m.end() + 1 : m.end() + 2].isdigit()
                )
                if g[2] is None and not ordinal and (m.group(0).count(".") or a > 31 or b > 31):
                    continue  # "3.2" is a number, not a date
                options = [(year, b, a), (year, a, b)]  # day first (most of the world) or not
                options = options[:1] if "." in m.group(0) else options  # 3.11. is November
                options = [o for o in options if o[1] is not None and 1 <= o[1] <= 12]
                options = [o for o in options if o[2] is not None and 1 <= o[2] <= 31]
                if not options:
                    continue
            elif kind == "month_day":
                options = [(_year(g[2]), MONTHS[g[0].lower()], int(g[1]))]
            else:
                options = [(_year(g[2]), MONTHS[g[1].lower()], int(g[0]))]
            if kind in ("month_day", "day_month") and g[
                0 if kind == "month_day" else 1
            ].lower() in (
                "may",
                "mar",
                "jun",
                "sep",
                "dec",
                "jan",
                "feb",
                "apr",
                "aug",
                "oct",
                "nov",
                "jul",
            ):
                # "may" is also a verb; short month names need a capital letter
                word = g[0 if kind == "month_day" else 1]
                if not word[0].isupper():
                    continue
            if not all(1 <= o[2] <= 31 for o in options if o[2] is not None):
                continue
            found.add(_date_value(m.group(0), tuple(options), m.start(), m.end(), text))
    for m in RELATIVE.finditer(text):
        if not found.free(*m.span()) or today is None:
            continue
        word = m.group(1).lower()
        if m.group(2):
            n = int(m.group(2)) * (7 if m.group(3).lower().startswith("week") else 1)
            day = today + timedelta(days=n)
        elif m.group(4):
            n = int(m.group(4)) * (7 if m.group(5).lower().startswith("week") else 1)
            day = today - timedelta(days=n)
        elif word.startswith(("today", "tonight", "this")):
            day = today
        elif word == "tomorrow":
            day = today + timedelta(days=1)
        elif word == "yesterday":
            day = today - timedelta(days=1)
        else:
            day = today + timedelta(days=2)
        found.add(
            Value(
                "date",
                m.group(0),
                dates=((day.year, day.month, day.day),),
                weekday=day.weekday(),
                start=m.start(),
                end=m.end(),
                relative=True,
            )
        )
    for m in _OF_MONTH.finditer(text):  # "the 28th of next month", "the 5th of this month"
        if not found.free(*m.span()) or today is None or not 1 <= int(m.group(1)) <= 31:
            continue
        year, month = today.year, today.month
        if m.group(2).lower() in ("next", "coming", "following"):
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        found.add(
            Value(
                "date",
                m.group(0),
                dates=((year, month, int(m.group(1))),),
                start=m.start(),
                end=m.end(),
                relative=True,
            )
        )
    for m in DAY_ONLY.finditer(text):
        if found.free(*m.span()):  # "Sunday the 14th": the weekday before it is stated with it
            found.add(_date_value(m.group(0), ((None, None, int(m.group(1))),), *m.span(), text))
    for m in WEEKDAY_DAY.finditer(text):
        day = int(m.group(2))
        if not found.free(*m.span()) or not 1 <= day <= 31:
            continue
        month = year = None
        for later in found.values:  # the month and year of the range's other end
            if (
                later.cls == "date"
                and later.start >= m.end()
                and _RANGE_TO.match(text[m.end() : later.start])
            ):
                year, month = next(((y, mo) for y, mo, _ in later.dates if mo), (None, None))
                break
        weekday = WEEKDAYS.index(m.group(1).lower())
        found.add(
            Value(
                "date",
                m.group(0),
                dates=((year, month, day),),
                weekday=weekday,
                start=m.start(),
                end=m.end(),
            )
        )
    for m in WEEKDAY.finditer(text):
        if m.group(3) or not found.free(*m.span()):
            continue  # "on Saturdays" is a habit, not a date
        if _EVERY.search(text[max(0, m.start() - 20) : m.start()]) or _EVERY_AND.search(
            text[max(0, m.start() - 36) : m.start()]
        ):
            continue  # "every second Wednesday", "every Tuesday and Saturday": a habit too
        if _DAY_SPAN.search(text[max(0, m.start() - 24) : m.start()]) or _DAY_SPAN_AFTER.match(
            text, m.end()
        ):
            continue  # "Monday through Friday": the days of a week, not a date
        if any(abs(m.end() - s) <= 3 or abs(m.start() - e) <= 3 for s, e in found.taken):
            continue  # "Sunday, 22 June": the date says it all
        weekday = WEEKDAYS.index(m.group(2).lower())
        options: tuple[tuple[int | None, int | None, int | None], ...] = ()
        if today is not None:
            ahead = (weekday - today.weekday()) % 7
            days = [ahead]
            if (m.group(1) or "").lower() == "next":  # this week's, or the one after
                days = [ahead, ahead + 7] if ahead else [7]
            if ahead == 0 and not m.group(1):
                days = [0, 7]
            if _NEXT_WEEK.match(text, m.end()):  # "Thursday of next week", "Friday next week"
                days = [(weekday - today.weekday()) + 7]
            options = tuple(
                (
                    (today + timedelta(days=d)).year,
                    (today + timedelta(days=d)).month,
                    (today + timedelta(days=d)).day,
                )
                for d in days
            )
        found.add(
            Value(
                "date",
                m.group(0),
                dates=options,
                weekday=weekday,
                start=m.start(),
                end=m.end(),
                relative=True,
            )
        )


def _year(text: str | None) -> int | None:
    if not text:
        return None
    year = int(text)
    return year + 2000 if year < 100 else year


def _date_value(
    text: str,
    options: tuple[tuple[int | None, int | None, int | None], ...],
    start: int,
    end: int,
    context: str,
) -> Value:
    weekday = None  # the weekday written right before the date ("Sunday, the 14th"), unless
    # it ends a list of days before a list of dates ("the Saturday and Sunday, the 11th and 12th")
    m = _WEEKDAY_BEFORE.search(context[max(0, start - 16) : start])
    if m and not _DAY_LIST.search(context[max(0, start - 40) : start]):
        weekday = WEEKDAYS.index(m.group(1).lower())
    return Value("date", text, dates=options, weekday=weekday, start=start, end=end)


def find_times(text: str, found: Found, digits: bool = True) -> None:
    for m in NOON.finditer(text):
        if found.free(*m.span()):
            minutes = 0.0 if m.group(1).lower() == "midnight" else 720.0
            alternatives = (minutes, 1440.0) if minutes == 0 else (minutes,)
            found.add(
                Value(
                    "time",
                    m.group(0),
                    alternatives,
                    approx=hedged(text, m.start()),
                    start=m.start(),
                    end=m.end(),
                )
            )
    for index, pattern in enumerate(TIME_RES if digits else ()):
        for m in pattern.finditer(text):
            if not found.free(*(m.span(1) if index >= 3 else m.span())):
                continue
            hour, minute = int(m.group(1)), int(m.group(2) or 0)
            meridiem = (m.group(3) or "").lower()[:1]
            part = (m.group(4) or "").lower() if m.lastindex and m.lastindex >= 4 else ""
            if "night" in m.group(0).lower() or part in ("afternoon", "evening"):
                meridiem = "p"
            elif part == "morning":
                meridiem = "a"
            if hour > 24 or minute > 59:
                continue
            if index == 2 and not (meridiem or "o'clock" in m.group(0).lower()):
                continue
            if index >= 3 and not 1 <= hour <= 12:
                continue  # "at 14" is no spoken hour
            if index >= 3 and _COUNTED_PAIR.match(text, m.end()):
                continue  # "between 2 and 3 people": a count, not an hour
            if meridiem == "p" and hour < 12:
                hour += 12
            elif meridiem == "a" and hour == 12:
                hour = 0
            options = (hour * 60.0 + minute,)
            if not meridiem and 1 <= hour <= 12 and not m.group(1).startswith("0"):
                options = (options[0], (hour % 12 + 12) * 60.0 + minute)  # either half of the day
                near = text[max(0, m.start() - 30) : m.end() + 20]
                if index >= 3 and hour != 12 and _EVENING.search(near):
                    options = (options[1],)  # "tonight we're open until eight": 20:00
            start = m.start(1) if index >= 3 else m.start()  # "at 6": the value is the 6
            found.add(
                Value(
                    "time",
                    text[start : m.end()].strip(),
                    options,
                    approx=hedged(text, m.start()),
                    start=start,
                    end=m.end(),
                )
            )


def reference_date(facts: tuple[str, ...]) -> date | None:
    """The date the grounding calls today ("Today is Tuesday, 11 March 2025"), if any."""
    for fact in facts:
        if re.search(r"\b(today is|today's date|as of today|the date is)\b", fact, re.I):
            found = Found()
            find_dates(normalise(fact), found, None)
            for value in sorted(found.values, key=lambda v: v.start):
                if (
                    value.cls == "date"
                    and value.dates
                    and all(x is not None for x in value.dates[0])
                ):
                    y, m, d = value.dates[0]
                    try:
                        return date(y, m, d)  # type: ignore[arg-type]
                    except ValueError:
                        return None
    return None
