"""Values stated in text, normalised so that equal things compare equal.

"thirty days" and "30 days", "1.5 km" and "1,500 m", "6 pm" and "18:00", "$1,200" and
"1200 dollars", "March 31st" and "31/03" come out as the same value; "25 mg" and "25
micrograms", "per day" and "per week", "DKK" and "EUR" do not. Number words of any size go
through `text2num` (a Rust extension: about 3 µs per sentence); units, currencies, times and
dates are parsed here, because the libraries that parse them from free text cost too much
per call for a check that runs on every critic pass (dateparser ~9 ms per date, pint ~0.1 ms
per conversion plus 0.5 s to load its registry, number-parser ~1.7 ms per sentence).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

from agents.value_words import (
    COMPOUND_DURATION,
    CURRENCY_SIGNS,
    CURRENCY_WORDS,
    DATE_RES,
    DAY_ONLY,
    HEDGES,
    ID_NOUNS,
    MONEY_RES,
    MONTH_WORDS,
    MONTHS,
    NIGHTS,
    NOON,
    NOUNS_NOT_COUNTED,
    NUM,
    ORDINAL_NOUN,
    PER,
    PER_ADVERB,
    QUANTITY,
    RATE,
    RELATIVE,
    SCALE,
    SPEEDS,
    SPOKEN_PRICE,
    TIME_RES,
    UNIT_TABLE,
    WEEKDAY,
    WEEKDAY_DAY,
    WEEKDAYS,
    normalise,
)


@dataclass(frozen=True)
class Value:
    """A checkable value as stated: its class, what it is, and how exactly it was said.

    `cls` says what it can be compared with: "money", "time", "date", "q:<dimension>"
    (quantities, converted to the dimension's base unit), "count:<noun>" or "nth:<noun>".
    """

    cls: str
    text: str
    amounts: tuple[float, ...] = ()  # alternatives (5:00 may be 5:00 or 17:00, in minutes)
    unit: str = ""  # currency code; the unit as written for quantities
    per: float = 0.0  # a rate's period in seconds ("per day"); 0 when not a rate
    approx: bool = False  # hedged ("about", "just under") or rounded
    dates: tuple[tuple[int | None, int | None, int | None], ...] = ()  # (year, month, day)
    weekday: int | None = None
    start: int = 0
    end: int = 0
    relative: bool = False
    number: float | None = None  # the number as written, before any unit conversion

    @property
    def kind(self) -> str:
        """The kind a finding reports: money, time, date, unit, number."""
        if self.cls.startswith("q:"):
            return "unit" if self.cls not in ("q:percent", "q:duration") else "number"
        if self.cls.startswith(("count:", "nth:")):
            return "number"
        return self.cls


@dataclass
class _Found:
    values: list[Value] = field(default_factory=list)
    taken: list[tuple[int, int]] = field(default_factory=list)

    def free(self, start: int, end: int) -> bool:
        return not any(start < e and s < end for s, e in self.taken)

    def add(self, value: Value) -> None:
        self.values.append(value)
        self.taken.append((value.start, value.end))


def _float(text: str) -> float:
    return float(text.replace(",", ""))


_RANGE_END = re.compile(r"\b(?:somewhere )?between\s+[^,;]{1,30}?\s+and\s*$", re.I)


def _hedged(text: str, start: int) -> bool:
    """A hedge before the value, or the end of a hedged range ("somewhere between one week
    and a week and a half")."""
    before = text[max(0, start - 45) : start]
    return bool(HEDGES.search(before[-22:])) or bool(
        _RANGE_END.search(before) and "somewhere" in before.lower()
    )


def _rate_after(text: str, end: int) -> tuple[float, int]:
    match = RATE.match(text[end : end + 36])
    if not match:
        return 0.0, end
    word = (match.group(1) or match.group(2)).lower()
    return (PER.get(word) or PER_ADVERB[word]), end + match.end()


@lru_cache(maxsize=8192)
def values_in(text: str, today: date | None = None) -> tuple[Value, ...]:
    """Every money amount, time, date, quantity and counted thing stated in `text`.

    `today` resolves relative dates ("tomorrow", "this Sunday", "in two days").
    """
    text = normalise(text)
    found = _Found()
    digits = any(ch.isdigit() for ch in text)
    if digits:  # no digit (after number words became digits): only words can state a value
        _money(text, found)
    _dates(text, found, today, digits)
    _times(text, found, digits)
    if digits:
        _quantities(text, found)
    return tuple(sorted(found.values, key=lambda v: v.start))


def _money(text: str, found: _Found) -> None:
    for m in SPOKEN_PRICE.finditer(text):  # "14 99 rupees": 14.99 or 1,499, as the facts say
        whole, cents = int(m.group(1)), int(m.group(2))
        word = (m.group(3) or "").lower()
        per, end = _rate_after(text, m.end())
        found.add(
            Value(
                "money",
                m.group(0),
                (whole + cents / 100, whole * 100.0 + cents),
                unit=CURRENCY_WORDS.get(word, ""),
                per=per,
                start=m.start(),
                end=end if per else m.end(),
                number=whole * 100.0 + cents,
            )
        )
    for index, pattern in enumerate(MONEY_RES):
        for m in pattern.finditer(text):
            if not found.free(*m.span()):
                continue
            if index == 0:
                code, amount, scale = CURRENCY_SIGNS[m.group(1).lower()], m.group(2), m.group(3)
            elif index == 1:
                code, amount, scale = m.group(1).upper(), m.group(2), m.group(3)
            elif index == 2:
                word = m.group(3).lower()
                code = (
                    word.upper()
                    if len(word) == 3 and word.isalpha() and word != "yen"
                    else (CURRENCY_WORDS.get(word, ""))
                )
                amount, scale = m.group(1), m.group(2)
                if word.startswith("pound") and _mass_context(text):
                    continue  # "about 9 pounds" of a parcel: a weight, parsed as a quantity
            elif index == 3:
                code, amount, scale = CURRENCY_SIGNS[m.group(2)], m.group(1), None
            else:  # cents of a currency the text does not name; pence are sterling
                code = "" if (m.group(2) or "").lower().startswith("cent") else "GBP"
                amount, scale = str(_float(m.group(1)) / 100), None
            value = _float(amount) * SCALE.get((scale or "").lower(), 1.0)
            per, end = _rate_after(text, m.end())
            found.add(
                Value(
                    "money",
                    m.group(0).strip(),
                    (value,),
                    unit=code,
                    per=per,
                    approx=_hedged(text, m.start()),
                    start=m.start(),
                    end=end,
                    number=value,
                )
            )


def _mass_context(text: str) -> bool:
    return bool(
        re.search(
            r"\b(kg|kilos?|kilograms?|grams?|weighs?|weighing|heavy|heavier|weight|lbs?|"
            r"stone|ounces?|oz)\b",
            text,
            re.I,
        )
    )


def _dates(text: str, found: _Found, today: date | None, digits: bool = True) -> None:
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
                if g[2] is None and (m.group(0).count(".") or a > 31 or b > 31):
                    continue  # "3.2" is a number, not a date
                options = [(year, b, a), (year, a, b)]  # day first (most of the world) or not
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
    weekday = None  # the weekday written right before the date ("Sunday, the 14th")
    if m := _WEEKDAY_BEFORE.search(context[max(0, start - 16) : start]):
        weekday = WEEKDAYS.index(m.group(1).lower())
    return Value("date", text, dates=options, weekday=weekday, start=start, end=end)


def _times(text: str, found: _Found, digits: bool = True) -> None:
    for m in NOON.finditer(text):
        if found.free(*m.span()):
            minutes = 0.0 if m.group(1).lower() == "midnight" else 720.0
            alternatives = (minutes, 1440.0) if minutes == 0 else (minutes,)
            found.add(
                Value(
                    "time",
                    m.group(0),
                    alternatives,
                    approx=_hedged(text, m.start()),
                    start=m.start(),
                    end=m.end(),
                )
            )
    for index, pattern in enumerate(TIME_RES if digits else ()):
        for m in pattern.finditer(text):
            if not found.free(*m.span()):
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
            if index == 3 and not 1 <= hour <= 12:
                continue  # "at 14" is no spoken hour
            if meridiem == "p" and hour < 12:
                hour += 12
            elif meridiem == "a" and hour == 12:
                hour = 0
            options = (hour * 60.0 + minute,)
            if not meridiem and 1 <= hour <= 12 and not m.group(1).startswith("0"):
                options = (options[0], (hour % 12 + 12) * 60.0 + minute)  # either half of the day
            start = m.start(1) if index == 3 else m.start()  # "at 6": the value is the 6
            found.add(
                Value(
                    "time",
                    text[start : m.end()].strip(),
                    options,
                    approx=_hedged(text, m.start()),
                    start=start,
                    end=m.end(),
                )
            )


def _quantities(text: str, found: _Found) -> None:
    for m in COMPOUND_DURATION.finditer(text):
        if found.free(*m.span()):
            seconds = int(m.group(1)) * 3600.0 + int(m.group(2)) * 60.0
            found.add(
                Value(
                    "q:duration",
                    m.group(0),
                    (seconds,),
                    unit="s",
                    approx=_hedged(text, m.start()),
                    start=m.start(),
                    end=m.end(),
                )
            )
    for m in ORDINAL_NOUN.finditer(text):
        noun = m.group(2).lower()
        if found.free(*m.span()) and noun not in NOUNS_NOT_COUNTED and noun not in MONTHS:
            found.add(
                Value(
                    f"nth:{_stem(noun)}",
                    m.group(0),
                    (float(m.group(1)),),
                    start=m.start(),
                    end=m.end(),
                )
            )
    for m in QUANTITY.finditer(text):
        if not found.free(m.start(), m.start(1) + len(m.group(1))):
            continue
        number, word = _float(m.group(1)), m.group(2)
        unit = re.sub(r"\s+", " ", word.lower().replace("sq.", "sq"))
        hedge = _hedged(text, m.start())
        if unit in UNIT_TABLE and not (
            unit in ("m", "l", "s", "h", "g", "mi") and _letter_after(text, m.end())
        ):
            dimension, factor = UNIT_TABLE[unit]
            if unit in NIGHTS:
                dimension, factor = "nights", 1.0
            per, end = _rate_after(text, m.end())
            if unit in SPEEDS:
                per = 3600.0  # "4 mph": a length per hour
            found.add(
                Value(
                    f"q:{dimension}",
                    m.group(0),
                    (number * factor,),
                    unit=unit,
                    per=per,
                    approx=hedge,
                    start=m.start(),
                    end=end,
                    number=number,
                )
            )
            continue
        if not word.isalpha():
            continue
        noun = word.lower()
        if noun in NOUNS_NOT_COUNTED and noun != "times":
            if "." in m.group(1) or number >= 1000:
                _bare(text, m, number, hedge, found)
            continue
        if ID_NOUNS.search(text[max(0, m.start() - 12) : m.start()]):
            continue  # "line 2", "room 12": names of things, not amounts
        head = (_HEAD_ONE if number == 1 else _HEAD).match(text, m.end())  # "40 packing boxes":
        end = m.end()  # boxes are counted; "1 rest stop", as "2 rest stops", counts stops
        if (
            head
            and not noun.endswith("s")
            and noun not in PLURALS
            and head.group(1).lower() not in NOUNS_NOT_COUNTED
        ):
            noun, end = head.group(1).lower(), head.end()
        per, end = _rate_after(text, end)
        found.add(
            Value(
                f"count:{_stem(noun)}",
                m.group(0),
                (number,),
                per=per,
                approx=hedge,
                start=m.start(),
                end=end,
                number=number,
            )
        )
    counted = [v for v in found.values if v.cls.startswith("count:")]
    for m in _IN_EVERY.finditer(text):  # "3 in 10 teams escape": 3 teams
        whole = next((v for v in counted if v.start == m.start(2)), None)
        if whole is not None and found.free(*m.span(1)):
            number = _float(m.group(1))
            found.add(
                Value(
                    whole.cls, m.group(1), (number,), start=m.start(1), end=m.end(1), number=number
                )
            )
    for m in _OF_THEM.finditer(text):  # "8 adult helpers and 5 have signed up": 5 helpers
        before = [v for v in counted if v.end <= m.start()]
        if before and found.free(*m.span(1)):
            found.add(
                Value(
                    before[-1].cls,
                    m.group(1),
                    (_float(m.group(1)),),
                    start=m.start(1),
                    end=m.end(1),
                    number=_float(m.group(1)),
                )
            )
    for m in re.finditer(rf"(?<![\w.,:/$€£-])({NUM})(?![\w.,:/%])", text):
        number = _float(m.group(1))
        if not found.free(*m.span()) or ("." not in m.group(1) and number < 1000):
            continue  # bare small integers ("between 9 and 12", "give me 2") are small talk
        if 1900 <= number <= 2100 and "." not in m.group(1):
            continue
        _bare(text, m, number, _hedged(text, m.start()), found)


_RANGE_TO = re.compile(
    rf"^\s*(?:to|until|till|through|-|–|and)\s+(?:(?:{'|'.join(WEEKDAYS)}),?\s+)?(?:the\s+)?$", re.I
)
_WEEKDAY_BEFORE = re.compile(rf"\b({'|'.join(WEEKDAYS)}),?\s*(?:the\s+)?$", re.I)
_NEXT_WEEK = re.compile(r",?\s+(?:of\s+)?next\s+week\b", re.I)
_IN_EVERY = re.compile(r"\b(\d+)\s+(?:in|out of)\s+(?:every\s+)?(\d+)\b", re.I)
_OF_THEM = re.compile(
    r"\b(?:and|but|with|of whom|of which|so far)\s+(\d+)\s+(?=(?:have|has|are|were|is|was|will|of them)\b)",
    re.I,
)
# the counted noun after a word that describes it; never across "and", "of", "per"...
_BETWEEN = r"(?!(?:and|or|but|of|per|for|to|in|on|at|with|from|a|an|the)\b)[a-z]+\s+"
_HEAD = re.compile(rf"\s+(?:{_BETWEEN})?([a-z]{{3,}}s)\b(?!\s+[a-z]{{3,}}s\b)")
_HEAD_ONE = re.compile(
    r"\s+(?!(?:and|or|but|of|per|for|to|in|on|at|with|from|is|are|was|were|will|has|have|"
    r"that|this|which|who|each|only|more|less|too|now|then|here|there|left|remaining|"
    r"available|needed|required|booked|allowed|included|spare|extra|might|may|can|could|"
    r"would|should|must|will|did|does|got|gets)\b)([a-z]{3,})\b"
)
PLURALS = frozenset({"people", "children", "men", "women", "staff", "feet", "teeth", "geese"})


def _bare(text: str, m: re.Match[str], number: float, hedge: bool, found: _Found) -> None:
    if ID_NOUNS.search(text[max(0, m.start() - 12) : m.start()]):
        return
    end = m.start(1) + len(m.group(1))
    if found.free(m.start(1), end):
        found.add(Value("q:bare", m.group(1), (number,), approx=hedge, start=m.start(1), end=end))


def _letter_after(text: str, end: int) -> bool:
    return end < len(text) and text[end].isalpha()


_IRREGULAR = {
    "children": "child",
    "people": "person",
    "men": "man",
    "women": "woman",
    "feet": "foot",
    "teeth": "tooth",
    "mice": "mouse",
    "geese": "goose",
}


def _stem(word: str) -> str:
    word = word.lower()
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    for suffix, repl in (
        ("ies", "y"),
        ("ves", "f"),
        ("sses", "ss"),
        ("xes", "x"),
        ("ches", "ch"),
        ("shes", "sh"),
        ("ses", "s"),
        ("s", ""),
    ):
        if word.endswith(suffix) and len(word) - len(suffix) + len(repl) >= 3:
            return word[: -len(suffix)] + repl
    return word


def reference_date(facts: tuple[str, ...]) -> date | None:
    """The date the grounding calls today ("Today is Tuesday, 11 March 2025"), if any."""
    for fact in facts:
        if re.search(r"\b(today is|today's date|as of today|the date is)\b", fact, re.I):
            for value in values_in(fact):
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
