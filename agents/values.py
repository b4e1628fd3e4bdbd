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
from typing import Any

from text_to_num import alpha2digit

# -- units: dimension and factor to the dimension's base unit ------------------------------
_UNIT_TABLE: dict[str, tuple[str, float]] = {}


def _units(dimension: str, factor: float, *names: str) -> None:
    for name in names:
        _UNIT_TABLE[name] = (dimension, factor)


_DAY = 86400.0
_units("length", 1.0, "m", "metre", "metres", "meter", "meters")
_units("length", 1000.0, "km", "kms", "kilometre", "kilometres", "kilometer", "kilometers")
_units("length", 0.01, "cm", "centimetre", "centimetres", "centimeter", "centimeters")
_units("length", 0.001, "mm", "millimetre", "millimetres", "millimeter", "millimeters")
_units("length", 1609.344, "mile", "miles", "mi")
_units("length", 0.3048, "ft", "foot", "feet")
_units("length", 0.0254, "inch", "inches")
_units("length", 0.9144, "yard", "yards", "yd")
_units("area", 1.0, "m2", "m²", "sqm", "square metre", "square metres", "square meter")
_units("area", 1.0, "square meters", "sq m")
_units("area", 0.09290304, "sq ft", "sqft", "ft2", "ft²", "square foot", "square feet")
_units("mass", 1.0, "g", "gram", "grams", "gramme", "grammes")
_units("mass", 1000.0, "kg", "kgs", "kilo", "kilos", "kilogram", "kilograms")
_units("mass", 0.001, "mg", "milligram", "milligrams")
_units("mass", 1e-6, "µg", "μg", "mcg", "ug", "microgram", "micrograms")
_units("mass", 453.59237, "lb", "lbs", "pound", "pounds")
_units("mass", 28.349523, "oz", "ounce", "ounces")
_units("mass", 1e6, "tonne", "tonnes", "ton", "tons")
_units("volume", 1.0, "l", "litre", "litres", "liter", "liters")
_units("volume", 0.001, "ml", "millilitre", "millilitres", "milliliter", "milliliters")
_units("pressure", 1.0, "bar")
_units("pressure", 0.0689475729, "psi")
_units("temperature_c", 1.0, "°c", "degrees celsius", "celsius")
_units("data", 1.0, "mb", "megabyte", "megabytes")
_units("data", 1000.0, "gb", "gigabyte", "gigabytes")
_units("data", 1e6, "tb", "terabyte", "terabytes")
_units("data", 0.001, "kb", "kilobyte", "kilobytes")
_units("bitrate", 1.0, "mbps", "mbit/s", "mb/s")
_units("bitrate", 1000.0, "gbps", "gbit/s", "gb/s")
_units("duration", 1.0, "s", "sec", "secs", "second", "seconds")
_units("duration", 60.0, "min", "mins", "minute", "minutes")
_units("duration", 3600.0, "h", "hr", "hrs", "hour", "hours")
_units("duration", _DAY, "day", "days", "night", "nights")
_units("duration", 7 * _DAY, "week", "weeks", "wk", "wks")
_units("duration", 365 / 12 * _DAY, "month", "months")
_units("duration", 365 * _DAY, "year", "years", "yr", "yrs")
_units("workdays", 1.0, "business day", "business days", "working day", "working days")
_units("workdays", 1.0, "workday", "workdays")
_units("percent", 1.0, "%", "percent", "per cent", "pct")
_NIGHTS = {"night", "nights"}  # a count of nights is its own thing (hotel stays)

_PER = {  # "per day", "a week", "daily": a rate's period in seconds
    "hour": 3600.0,
    "hr": 3600.0,
    "day": _DAY,
    "night": _DAY,
    "week": 7 * _DAY,
    "month": 365 / 12 * _DAY,
    "year": 365 * _DAY,
    "annum": 365 * _DAY,
}
_PER_ADVERB = {
    "hourly": 3600.0,
    "daily": _DAY,
    "nightly": _DAY,
    "weekly": 7 * _DAY,
    "monthly": 365 / 12 * _DAY,
    "yearly": 365 * _DAY,
    "annually": 365 * _DAY,
}

# -- money ---------------------------------------------------------------------------------
_CURRENCY_SIGNS = {"$": "USD", "us$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR"}
_CURRENCY_SIGNS |= {"a$": "AUD", "c$": "CAD", "fr.": "CHF"}
_CURRENCY_WORDS = {
    "dollar": "USD",
    "dollars": "USD",
    "buck": "USD",
    "bucks": "USD",
    "euro": "EUR",
    "euros": "EUR",
    "pound": "GBP",
    "pounds": "GBP",
    "quid": "GBP",
    "swiss franc": "CHF",
    "swiss francs": "CHF",
    "franc": "CHF",
    "francs": "CHF",
    "krone": "DKK",
    "kroner": "DKK",
    "danish krone": "DKK",
    "danish kroner": "DKK",
    "yen": "JPY",
    "rupee": "INR",
    "rupees": "INR",
}
_CODES = "usd|eur|gbp|chf|dkk|sek|nok|jpy|inr|aud|cad|nzd|cny|pln|czk|huf"
_SCALE = {"k": 1e3, "thousand": 1e3, "m": 1e6, "mn": 1e6, "million": 1e6}
_SCALE |= {"bn": 1e9, "billion": 1e9}

_NUM = r"\d+(?:,\d{3})*(?:\.\d+)?"
_SCALE_RE = r"(?:\s?(k|thousand|mn|m|million|bn|billion)\b)?"  # \b: "€189 makes" is €189
_MONEY_RES = [
    re.compile(
        rf"(?<![\w$€£¥₹])(us\$|a\$|c\$|[$€£¥₹])\s?({_NUM}){_SCALE_RE}",
        re.I,
    ),
    re.compile(rf"\b({_CODES})\s?({_NUM}){_SCALE_RE}", re.I),
    re.compile(
        rf"\b({_NUM}){_SCALE_RE}\s?(?:-\s?)?({_CODES}|(?:swiss |danish )?(?:dollars?|bucks?|euros?|"
        r"pounds?|quid|francs?|kroner|krone|yen|rupees?))\b",
        re.I,
    ),
    re.compile(rf"\b({_NUM})\s?(€|£)", re.I),
]

# -- dates and times -----------------------------------------------------------------------
_MONTHS = {
    name: i
    for i, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        1,
    )
    for name in names
}
_MONTH_WORDS = tuple(sorted({name[:3] for name in _MONTHS}))
WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_MONTH_RE = "|".join(sorted(_MONTHS, key=len, reverse=True))
_WEEKDAY_RE = "|".join(WEEKDAYS)
_ORD = r"(?:st|nd|rd|th)"
_DATE_RES = [
    ("iso", re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b")),
    ("numeric", re.compile(r"\b(\d{1,2})[/.](\d{1,2})(?:[/.](\d{4}|\d{2}))?\b(?![.:]\d)")),
    (
        "month_day",
        re.compile(rf"\b({_MONTH_RE})\.?\s+(\d{{1,2}}){_ORD}?\b(?:,?\s+(\d{{4}})\b)?", re.I),
    ),
    (
        "day_month",
        re.compile(
            rf"\b(\d{{1,2}}){_ORD}?\s+(?:of\s+)?({_MONTH_RE})\b\.?(?:,?\s+(\d{{4}})\b)?", re.I
        ),
    ),
]
_DAY_ONLY = re.compile(
    rf"\bthe\s+(\d{{1,2}}){_ORD}\b(?!\s+(?:of\s+)?(?:{_MONTH_RE})\b)"
    r"(?!\s+(?!(?:at|on|in|of|and|or|to|by|from|until|till|is|was|for|then|so|but|would|will|"
    r"works?|suits?|instead|please|too|as|if|when|with)\b)[a-z]{2,})",
    re.I,
)
_WEEKDAY = re.compile(rf"\b(?:(this|next|coming|this coming)\s+)?({_WEEKDAY_RE})(s)?\b", re.I)
_RELATIVE = re.compile(
    r"\b(today|tonight|this (?:morning|afternoon|evening)|the day after tomorrow|tomorrow|"
    r"yesterday|in (\d+) (days?|weeks?)|(\d+) (days?|weeks?) ago)\b",
    re.I,
)
_MERIDIEM = r"(a\.?m\.?|p\.?m\.?)"
_PART_OF_DAY = r"(?:in the (morning|afternoon|evening)|at night|tonight)"
_TIME_RES = [
    re.compile(rf"\b(\d{{1,2}}):(\d{{2}})\s*(?:{_MERIDIEM}(?!\w)|{_PART_OF_DAY})?", re.I),
    re.compile(rf"\b(\d{{1,2}})\.(\d{{2}})\s*(?:{_MERIDIEM}(?!\w)|{_PART_OF_DAY})", re.I),
    re.compile(rf"\b(\d{{1,2}})()\s*(?:{_MERIDIEM}(?!\w)|o'clock|{_PART_OF_DAY})", re.I),
]
_NOON = re.compile(r"\b(?:12\s+)?(noon|midday|midnight)\b", re.I)

_HEDGES = re.compile(
    r"\b(about|around|roughly|approximately|approx\.?|nearly|almost|just under|just over|"
    r"a bit (?:over|under|more than|less than)|close to|some|over|under|more than|less than|"
    r"up to|at least|at most|or so|ish|just before|just after|shortly before|shortly after)\s*$",
    re.I,
)
_RATE = re.compile(
    r"^\s*(?:(?:per|a|an|each|every|/)\s*(hour|hr|day|night|week|month|year|annum)\b|"
    r"(hourly|daily|nightly|weekly|monthly|yearly|annually)\b)",
    re.I,
)
_QUANTITY = re.compile(
    rf"(?<![\w.,])({_NUM})(?!{_ORD}\b)\s?(?:-\s?)?"
    r"((?:square|sq\.?)\s+(?:metres?|meters?|feet|foot|m|ft)|business days?|working days?|"
    r"degrees celsius|per cent|[a-zµμ°%²]+(?:/s)?)",
    re.I,
)
_ORDINAL_NOUN = re.compile(rf"\b(\d{{1,3}}){_ORD}\s+([a-z]+)", re.I)
_COMPOUND_DURATION = re.compile(
    r"\b(\d+)\s*(?:hours?|hrs?|h)\s*(?:and\s+)?(\d+)\s*(?:minutes?|mins?)\b", re.I
)
_NOUNS_NOT_COUNTED = {
    "and",
    "or",
    "to",
    "of",
    "in",
    "on",
    "at",
    "for",
    "the",
    "a",
    "an",
    "is",
    "are",
    "was",
    "it",
    "i",
    "you",
    "we",
    "so",
    "but",
    "with",
    "by",
    "from",
    "as",
    "more",
    "less",
    "times",
    "am",
    "pm",
    "o",
}
_ID_NOUNS = re.compile(
    r"(?:line|room|counter|desk|gate|terminal|platform|level|floor|number|no\.?|parcel|order|"
    r"flight|ticket|case|ref|reference|seat|house|apartment|flat|suite|bus|route|step|page|"
    r"option|box|extension|ext\.?|code|pin|table|bed|locker|aisle|row|window|unit|lane|dock|"
    r"bay|zone|ward|question|item|version|channel|press|dial)\s*#?\s*$",
    re.I,
)
DERIVE_CUES = re.compile(
    r"\b(so|that's|that is|which makes|makes|make|would be|would cost|in total|total|altogether|all in|means|comes to|"
    r"works out|adds up|then)\b",
    re.I,
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


_SMALL = {
    "zero": 0,
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
}
_A_MOMENT = re.compile(
    r"\b((?:give me|wait|hold on|hold|just|for|in|take) (?:a|one|just a)) (?:second|sec)\b"
    r"(?!\s+(?:bag|time|one|card|opinion|floor|visit|bill|payment)s?\b)",
    re.I,
)
_PRONOUN_ONE = re.compile(
    r"\b(the|this|that|which|no|every|any|each|another|last|next|other|little|right|wrong|"
    r"only|same|a) one\b(?!\s+(?:of|or|and)\s+\d)",
    re.I,
)
_SMALL_RE = re.compile(
    r"\b(" + "|".join(_SMALL) + r")(?=[\s-]+(?:[a-z]+\b))",
    re.I,
)


def _rule(
    pattern: str, repl: Any, flags: int = re.I, when: tuple[str, ...] = ()
) -> tuple[re.Pattern[str], Any, tuple[str, ...]]:
    """A rewrite, tried only when the text holds one of `when` (cheap: most turns hold none)."""
    return re.compile(pattern, flags), repl, when


_UNITS_OF_TIME = ("hour", "day", "week", "month", "year", "night")
# spoken forms to plain ones, in order; before text2num: hyphens, thousands, pronoun "one"
_BEFORE = [
    _rule(
        r"\b(\w+)-(dollar|euro|pound|minute|hour|day|week|month|year|kilo)s?\b",
        r"\1 \2s",
        when=("-",),
    ),
    _rule(  # "2.4k homes", "$2.5k": thousands
        r"(?<![\w.])(\d+(?:\.\d+)?)\s?k\b(?!m)",
        lambda m: f"{float(m.group(1)) * 1000:,.0f}",
        when=("k",),
    ),
    (_A_MOMENT, r"\1 moment", ("sec",)),  # "give me a second" is no ordinal
    (_PRONOUN_ONE, "\\1 o\u2060ne", ("one",)),  # "the one who answers" counts nothing
]
_AFTER = [
    (_SMALL_RE, lambda m: str(_SMALL[m.group(1).lower()]), ()),
    _rule(r"\ba (\d)", r"\1", 0, ("a ",)),  # "a 120 credits" (from "a hundred and twenty")
    _rule(r"\b(?:an|a|1) (hour|day|week|year) and a half\b", r"1.5 \1s", when=("half",)),
    _rule(r"\b(\d+) (hours?|days?|weeks?|years?) and a half\b", r"\1.5 \2", 0, ("half",)),
    _rule(r"\b(\d+) and a half\b", r"\1.5", 0, ("half",)),
    _rule(r"\btwice\b", "2 times", when=("twice",)),
    _rule(r"\bthrice\b", "3 times", when=("thrice",)),
    _rule(
        r"\bonce (?=(?:a|an|per|every|each) (?:day|week|month|year|night)\b)",
        "1 times ",
        when=("once",),
    ),
    _rule(r"\b(?:3|three) quarters of an? hour\b", "45 minutes", when=("quarter",)),
    _rule(r"\b(?:a|1|one) quarter of an? hour\b", "15 minutes", when=("quarter",)),
    _rule(
        r"\bhalf an? (hour|day)\b",
        lambda m: "30 minutes" if m.group(1) == "hour" else "12 hours",
        when=("half",),
    ),
    _rule(
        r"\b(for|within|in|after|about|around|roughly|nearly|almost|over|than|under|takes?|"
        r"lasts?|of|^)\s*(?:an|a|one) (hour|day|week|month|year|night|mile|kilometre|kilometer|"
        r"kilo|litre|liter|metre|meter)\b",
        r"\1 1 \2",
        when=(*_UNITS_OF_TIME, "mile", "kilo", "litre", "liter", "metre", "meter"),
    ),
    _rule(r"\b(?:an|a|one) (hour|day|week|month|year)(?= or \d)", r"1 \1", 0, (" or ",)),
    _rule(r"\bhalf past (\d{1,2})\b", r"\1:30", when=("past",)),
    _rule(  # "ten past eight"
        r"\b([1-5]?\d) past (1[0-2]|[1-9])\b",
        lambda m: f"{m.group(2)}:{int(m.group(1)):02d}",
        when=("past",),
    ),
    _rule(r"\b(?:a )?quarter past (\d{1,2})\b", r"\1:15", when=("quarter",)),
    _rule(
        r"\b(?:a )?quarter to (\d{1,2})\b",
        lambda m: f"{(int(m.group(1)) - 1) % 12 or 12}:45",
        when=("quarter",),
    ),
]


@lru_cache(maxsize=8192)
def normalise(text: str) -> str:
    """Number words as digits, and spoken forms ("half past five", "a week") as plain ones."""
    text = text.replace("\u2019", "'").replace("\u00a0", " ")
    lower = text.lower()
    for pattern, repl, when in _BEFORE:
        if not when or any(w in lower for w in when):
            text = pattern.sub(repl, text)
    text = alpha2digit(text, "en", threshold=0)
    lower = text.lower()
    for pattern, repl, when in _AFTER:
        if not when or any(w in lower for w in when):
            text = pattern.sub(repl, text)
    return text


def _float(text: str) -> float:
    return float(text.replace(",", ""))


def _hedged(text: str, start: int) -> bool:
    return bool(_HEDGES.search(text[max(0, start - 22) : start]))


def _rate_after(text: str, end: int) -> tuple[float, int]:
    match = _RATE.match(text[end : end + 20])
    if not match:
        return 0.0, end
    word = (match.group(1) or match.group(2)).lower()
    return (_PER.get(word) or _PER_ADVERB[word]), end + match.end()


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
    for index, pattern in enumerate(_MONEY_RES):
        for m in pattern.finditer(text):
            if not found.free(*m.span()):
                continue
            if index == 0:
                code, amount, scale = _CURRENCY_SIGNS[m.group(1).lower()], m.group(2), m.group(3)
            elif index == 1:
                code, amount, scale = m.group(1).upper(), m.group(2), m.group(3)
            elif index == 2:
                word = m.group(3).lower()
                code = (
                    word.upper()
                    if len(word) == 3 and word.isalpha() and word != "yen"
                    else (_CURRENCY_WORDS.get(word, ""))
                )
                amount, scale = m.group(1), m.group(2)
                if word.startswith("pound") and _mass_context(text):
                    continue  # "about 9 pounds" of a parcel: a weight, parsed as a quantity
            else:
                code, amount, scale = _CURRENCY_SIGNS[m.group(2)], m.group(1), None
            value = _float(amount) * _SCALE.get((scale or "").lower(), 1.0)
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
    return bool(re.search(r"\b(kg|kilos?|weighs?|heavy|weight|lbs?)\b", text, re.I))


def _dates(text: str, found: _Found, today: date | None, digits: bool = True) -> None:
    lower = text.lower()
    months = digits and any(name in lower for name in _MONTH_WORDS)
    for kind, pattern in _DATE_RES if digits else ():
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
                options = [(_year(g[2]), _MONTHS[g[0].lower()], int(g[1]))]
            else:
                options = [(_year(g[2]), _MONTHS[g[1].lower()], int(g[0]))]
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
    for m in _RELATIVE.finditer(text):
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
    for m in _DAY_ONLY.finditer(text):
        if found.free(*m.span()):
            found.add(
                Value(
                    "date",
                    m.group(0),
                    dates=((None, None, int(m.group(1))),),
                    start=m.start(),
                    end=m.end(),
                )
            )
    for m in _WEEKDAY.finditer(text):
        if m.group(3) or not found.free(*m.span()):
            continue  # "on Saturdays" is a habit, not a date
        if any(abs(m.end() - s) <= 3 or abs(m.start() - e) <= 3 for s, e in found.taken):
            continue  # "Sunday, 22 June": the date says it all
        weekday = WEEKDAYS.index(m.group(2).lower())
        options: tuple[tuple[int | None, int | None, int | None], ...] = ()
        if today is not None:
            ahead = (weekday - today.weekday()) % 7
            days = [ahead + 7] if (m.group(1) or "").lower() == "next" and ahead == 0 else [ahead]
            if ahead == 0 and not m.group(1):
                days = [0, 7]
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
    weekday = None
    before = context[max(0, start - 14) : start].lower()
    for i, name in enumerate(WEEKDAYS):
        if name in before:
            weekday = i
    return Value("date", text, dates=options, weekday=weekday, start=start, end=end)


def _times(text: str, found: _Found, digits: bool = True) -> None:
    for m in _NOON.finditer(text):
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
    for index, pattern in enumerate(_TIME_RES if digits else ()):
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
            if meridiem == "p" and hour < 12:
                hour += 12
            elif meridiem == "a" and hour == 12:
                hour = 0
            options = (hour * 60.0 + minute,)
            if not meridiem and 1 <= hour <= 12 and not m.group(1).startswith("0"):
                options = (options[0], (hour % 12 + 12) * 60.0 + minute)  # either half of the day
            found.add(
                Value(
                    "time",
                    m.group(0).strip(),
                    options,
                    approx=_hedged(text, m.start()),
                    start=m.start(),
                    end=m.end(),
                )
            )


def _quantities(text: str, found: _Found) -> None:
    for m in _COMPOUND_DURATION.finditer(text):
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
    for m in _ORDINAL_NOUN.finditer(text):
        noun = m.group(2).lower()
        if found.free(*m.span()) and noun not in _NOUNS_NOT_COUNTED and noun not in _MONTHS:
            found.add(
                Value(
                    f"nth:{_stem(noun)}",
                    m.group(0),
                    (float(m.group(1)),),
                    start=m.start(),
                    end=m.end(),
                )
            )
    for m in _QUANTITY.finditer(text):
        if not found.free(m.start(), m.start(1) + len(m.group(1))):
            continue
        number, word = _float(m.group(1)), m.group(2)
        unit = re.sub(r"\s+", " ", word.lower().replace("sq.", "sq"))
        hedge = _hedged(text, m.start())
        if unit in _UNIT_TABLE and not (
            unit in ("m", "l", "s", "h", "g", "mi") and _letter_after(text, m.end())
        ):
            dimension, factor = _UNIT_TABLE[unit]
            if unit in _NIGHTS:
                dimension, factor = "nights", 1.0
            per, end = _rate_after(text, m.end())
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
        if noun in _NOUNS_NOT_COUNTED and noun != "times":
            if "." in m.group(1) or number >= 1000:
                _bare(text, m, number, hedge, found)
            continue
        if _ID_NOUNS.search(text[max(0, m.start() - 12) : m.start()]):
            continue  # "line 2", "room 12": names of things, not amounts
        per, end = _rate_after(text, m.end())
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
    for m in re.finditer(rf"(?<![\w.,:/$€£-])({_NUM})(?![\w.,:/%])", text):
        number = _float(m.group(1))
        if not found.free(*m.span()) or ("." not in m.group(1) and number < 1000):
            continue  # bare small integers ("between 9 and 12", "give me 2") are small talk
        if 1900 <= number <= 2100 and "." not in m.group(1):
            continue
        _bare(text, m, number, _hedged(text, m.start()), found)


def _bare(text: str, m: re.Match[str], number: float, hedge: bool, found: _Found) -> None:
    if _ID_NOUNS.search(text[max(0, m.start() - 12) : m.start()]):
        return
    end = m.start(1) + len(m.group(1))
    if found.free(m.start(1), end):
        found.add(Value("q:bare", m.group(1), (number,), approx=hedge, start=m.start(1), end=end))


def _letter_after(text: str, end: int) -> bool:
    return end < len(text) and text[end].isalpha()


def _stem(word: str) -> str:
    word = word.lower()
    for suffix, repl in (("ies", "y"), ("ves", "f"), ("ses", "s"), ("s", "")):
        if word.endswith(suffix) and len(word) > len(suffix) + 2:
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
