"""The words values are said in: units and their factors, currencies, calendar words, the
patterns that find them, and the rewrites that turn spoken forms into plain ones.

`agents.values` finds values with these; `normalise` is here because it is the rewrites'
one entry point ("half past five" -> "5:30", "a week" -> "1 week", number words as digits
through `text2num`, a Rust extension: about 3 µs per sentence).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from text_to_num import alpha2digit

# -- units: dimension and factor to the dimension's base unit ------------------------------
UNIT_TABLE: dict[str, tuple[str, float]] = {}


def _units(dimension: str, factor: float, *names: str) -> None:
    for name in names:
        UNIT_TABLE[name] = (dimension, factor)


_DAY = 86400.0
_units("length", 1.0, "m", "metre", "metres", "meter", "meters")
_units("length", 1000.0, "km", "kms", "kilometre", "kilometres", "kilometer", "kilometers")
_units("length", 0.01, "cm", "centimetre", "centimetres", "centimeter", "centimeters")
_units("length", 0.001, "mm", "millimetre", "millimetres", "millimeter", "millimeters")
_units("length", 1609.344, "mile", "miles", "mi")
# speeds: a length per hour ("4 mph" is "four miles an hour")
SPEEDS = {"mph": 1609.344, "km/h": 1000.0, "kph": 1000.0, "kmh": 1000.0, "kmph": 1000.0}
for _name, _factor in SPEEDS.items():
    UNIT_TABLE[_name] = ("length", _factor)
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
_units("volume", 28.3168, "cubic feet", "cubic foot", "cu ft", "cu. ft.", "ft³")
_units("volume", 1000.0, "cubic metres", "cubic meters", "cubic metre", "cubic meter", "m³")
_units("volume", 0.001, "ml", "millilitre", "millilitres", "milliliter", "milliliters")
_units("volume", 0.568, "pint", "pints")  # the imperial pint; a US pint is 0.473 l
_units("volume", 4.546, "gallon", "gallons", "imperial gallons", "uk gallons")
_units("volume", 3.785, "us gallon", "us gallons")
_units("pressure", 1.0, "bar")
_units("pressure", 0.0689475729, "psi")
_units("temperature_c", 1.0, "°c", "degrees celsius", "celsius")
_units("temperature_c", 1.0, "°f", "degrees fahrenheit", "fahrenheit")  # offset in values_in
_units("data", 1.0, "mb", "megabyte", "megabytes")
_units("data", 1000.0, "gb", "gigabyte", "gigabytes", "gig", "gigs")
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
NIGHTS = {"night", "nights"}  # a count of nights is its own thing (hotel stays)

PER = {  # "per day", "a week", "daily": a rate's period in seconds
    "fortnight": 14 * _DAY,
    "hour": 3600.0,
    "hr": 3600.0,
    "day": _DAY,
    "night": _DAY,
    "week": 7 * _DAY,
    "month": 365 / 12 * _DAY,
    "year": 365 * _DAY,
    "annum": 365 * _DAY,
}
PER_ADVERB = {
    "hourly": 3600.0,
    "daily": _DAY,
    "nightly": _DAY,
    "weekly": 7 * _DAY,
    "fortnightly": 14 * _DAY,
    "monthly": 365 / 12 * _DAY,
    "yearly": 365 * _DAY,
    "annually": 365 * _DAY,
}

# -- money ---------------------------------------------------------------------------------
CURRENCY_SIGNS = {"$": "USD", "us$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR"}
CURRENCY_SIGNS |= {"a$": "AUD", "c$": "CAD", "fr.": "CHF", "rs.": "INR", "rs": "INR"}
CURRENCY_WORDS = {
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
# "fourteen ninety-nine a month" (after number words became digits: "14 99"): 14.99 or 1,499
SPOKEN_PRICE = re.compile(
    r"(?<![\d.,:])([1-9]\d?) ([1-9]\d)(?![\d,:]|\.\d)"
    r"(?=\s+(?:in\s+)?(dollars?|bucks?|euros?|pounds?|quid|rupees?)\b"
    r"|\s+(?:a|per|each|every)\s+(?:month|week|fortnight|year|day|night|session|visit)\b)",
    re.I,
)
# the same pair said as a price in a sentence that names money elsewhere: "the inspection is
# ninety-five dollars, and the plan is thirteen fifty"
SPOKEN_PAIR = re.compile(r"(?<![\d.,:])([1-9]\d?) ([1-9]\d)(?![\d,:]|\.\d)")
PRICE_VERB = re.compile(r"\b(?:is|are|was|costs?|for|comes to|total|price|fee|pay)\s+$", re.I)
MONEY_WORD = re.compile(r"[$€£₹¥]|\b(?:dollars?|bucks?|euros?|pounds?|quid|rupees?|cents?)\b", re.I)
SCALE = {"k": 1e3, "thousand": 1e3, "m": 1e6, "mn": 1e6, "million": 1e6}
SCALE |= {"bn": 1e9, "billion": 1e9, "lakh": 1e5, "lakhs": 1e5, "lac": 1e5, "crore": 1e7}

# 1,234,567 or the Indian 12,34,567 ("₹4,50,000")
NUM = r"\d+(?:(?:,\d{3})+|(?:,\d{2})+,\d{3})?(?:\.\d+)?"
_SCALE_RE = (
    r"(?:\s?(k|thousand|mn|m|million|bn|billion|lakhs?|lac|crore)\b)?"  # \b: "€189 makes" is €189
)
MONEY_RES = [
    re.compile(
        rf"(?<![\w$€£¥₹])(us\$|a\$|c\$|rs\.?(?=\s?\d)|[$€£¥₹])\s?({NUM}){_SCALE_RE}",
        re.I,
    ),
    re.compile(rf"\b({_CODES})\s?({NUM}){_SCALE_RE}", re.I),
    re.compile(
        rf"\b({NUM}){_SCALE_RE}\s?(?:-\s?)?({_CODES}|(?:swiss |danish )?(?:dollars?|bucks?|euros?|"
        r"pounds?|quid|francs?|kroner|krone|yen|rupees?))\b",
        re.I,
    ),
    re.compile(rf"\b({NUM})\s?(€|£)", re.I),
    re.compile(r"\b(\d+(?:\.\d+)?)(?:\s?(cents?|pence)|(p))\b", re.I),  # 25 cents, 45p
]

# -- dates and times -----------------------------------------------------------------------
MONTHS = {
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
MONTH_WORDS = tuple(sorted({name[:3] for name in MONTHS}))
WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_MONTH_RE = "|".join(sorted(MONTHS, key=len, reverse=True))
_WEEKDAY_RE = "|".join(WEEKDAYS)
_ORD = r"(?:st|nd|rd|th)"
DATE_RES = [
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
DAY_ONLY = re.compile(
    rf"\bthe\s+(\d{{1,2}}){_ORD}\b(?!\s+(?:of\s+)?(?:{_MONTH_RE})\b)(?!\s+\d)"  # "the 1st 10,000"
    r"(?!\s+(?!(?:at|on|in|of|and|or|to|by|from|until|till|is|was|for|then|so|but|would|will|"
    r"works?|suits?|instead|please|too|as|if|when|with)\b)[a-z]{2,})",
    re.I,
)
# "from Monday 16 to Friday 20 February": a weekday and a bare day of the month
WEEKDAY_DAY = re.compile(
    rf"\b({_WEEKDAY_RE}),?\s+(\d{{1,2}})\b"
    r"(?!\s*(?::|\.\d|%|(?!(?:to|and|or|until|till|through|at|in|for|from)\b)[a-z]))"
    # "Saturday, 9 till 8", "Sunday 10 to 4 pm": opening hours, not the 9th
    r"(?!\s+(?:till|til|until)\s+\d)"
    r"(?!\s+(?:to|-)\s+\d{1,2}(?::\d\d)?\s*(?:am\b|pm\b|a\.m\.|p\.m\.|o'clock|in the|[.,;!?]|$))",
    re.I,
)
WEEKDAY = re.compile(rf"\b(?:(this|next|coming|this coming)\s+)?({_WEEKDAY_RE})(s)?\b", re.I)
RELATIVE = re.compile(
    r"\b(today|tonight|this (?:morning|afternoon|evening)|the day after tomorrow|tomorrow|"
    r"yesterday|in (\d+) (days?|weeks?)|(\d+) (days?|weeks?) ago)\b(?!'s|\u2019s)",  # "today's price"
    re.I,
)
_MERIDIEM = r"(a\.?m\.?|p\.?m\.?)"
_PART_OF_DAY = r"(?:in the (morning|afternoon|evening)|at night|tonight)"
TIME_RES = [
    re.compile(rf"\b(\d{{1,2}}):(\d{{2}})\s*(?:{_MERIDIEM}(?!\w)|{_PART_OF_DAY})?", re.I),
    re.compile(rf"\b(\d{{1,2}})\.(\d{{2}})\s*(?:{_MERIDIEM}(?!\w)|{_PART_OF_DAY})", re.I),
    re.compile(rf"\b(\d{{1,2}})()\s*(?:{_MERIDIEM}(?!\w)|o'clock|{_PART_OF_DAY})", re.I),
    # "leaves at six", "open till 8": an hour after a word of time, either half of the day
    re.compile(
        r"(?<!up )(?<!down )(?<!rise )(?<!fell )\b(?:at|by|until|till|before|after|from|between)\s"
        r"(\d{1,2})()()"
        r"(?!\s*(?:[:.,/]?\d|%|°|-|(?!(?:and|or|to|tonight|today|tomorrow|on|then|so|but|sharp|"
        r"please|if|at|in|the|latest|every|each|that|this|it|you|we|i)\b)[a-z]))",
        re.I,
    ),
    # the end of a spoken range: "from 9 to 5", "between nine and twelve"
    re.compile(
        r"\b(?:from|between)\s\d{1,2}(?::\d{2})?\s(?:am\s|pm\s)?(?:to|and|until|till)\s(\d{1,2})()()"
        r"(?!\s*(?:[:.,/]?\d|%|-|(?!(?:and|or|to|tonight|today|tomorrow|on|then|so|but|sharp|"
        r"please|if|at|in|the|latest|every|each|that|this|it|you|we|i)\b)[a-z]))",
        re.I,
    ),
]
NOON = re.compile(r"\b(?:12\s+)?(noon|midday|midnight)\b", re.I)

HEDGES = re.compile(
    r"\b(about|around|roughly|approximately|approx\.?|nearly|almost|just under|just over|somewhere|"
    r"(?:somewhere )?between|give or take|"
    # a bound ("over 50 lb", "up to 4 hours") is no hedge: 48 lb is not "over 50 lb"
    r"a bit (?:over|under|more than|less than)|close to|some|or so|ish|just before|just after|"
    r"shortly before|shortly after)\s*$",
    re.I,
)
RATE = re.compile(
    r"^\s*(?:(?:per|each) (?!hour|hr|day|night|week|month|year)[a-z]+\s+|"  # "per item per day"
    # "50 pages free per week", "4 free hours of meeting-room time per month"
    r"(?:(?!(?:and|or|but|then|so|if|plus)\b)[a-z-]+\s+){1,3}(?=(?:per|each|every)\s))?"
    r"(?:(?:per|a|an|each|every|/|in an?|in 1|over an?|across an?)\s*"
    r"(hour|hr|day|night|week|fortnight|month|year|annum)\b|"
    r"(hourly|daily|nightly|weekly|fortnightly|monthly|yearly|annually)\b)",
    re.I,
)
QUANTITY = re.compile(
    rf"(?<![\w.,])({NUM})(?!{_ORD}\b)\s?(?:-\s?)?"
    r"((?:square|sq\.?)\s+(?:metres?|meters?|feet|foot|m|ft)|cubic\s+(?:feet|foot|metres?|meters?)|"
    r"cu\.? ?ft\.?|business days?|working days?|"
    r"degrees celsius|degrees fahrenheit|per cent|km/h|us gallons?|uk gallons?|imperial gallons?|"
    r"[a-zµμ°%²]+(?:/s)?)",
    re.I,
)
ORDINAL_NOUN = re.compile(rf"\b(\d{{1,3}}){_ORD}\s+([a-z]+)", re.I)
COMPOUND_DURATION = re.compile(
    r"\b(\d+)\s*(?:hours?|hrs?|h)\s*(?:and\s+)?(\d+)\s*(?:minutes?|mins?)\b", re.I
)
NOUNS_NOT_COUNTED = {
    "through",
    "thru",
    "today",
    "tomorrow",
    "tonight",
    "yesterday",
    "out",
    "make",
    "makes",
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
    "have",
    "has",
    "were",
    "will",
}
# "seats 11 through 14", "rooms 4 to 6": numbers that name things, as a range of names
ID_RANGE = re.compile(
    r"\b(?:seats|rooms|rows|gates|lines|platforms|units|lockers|tables|beds|pitches|plots|"
    r"numbers|lanes|bays)\s+(\d+)\s*(?:to|through|thru|-|–|and)\s*\d+",
    re.I,
)
ID_NOUNS = re.compile(
    r"(?:line|room|counter|desk|gate|terminal|platform|level|floor|number|no\.?|parcel|order|"
    r"flight|ticket|case|ref|reference|seat|house|apartment|flat|suite|bus|route|step|page|"
    r"option|box|extension|ext\.?|code|pin|table|bed|locker|aisle|row|window|unit|lane|dock|"
    r"bay|zone|ward|question|item|version|channel|press|dial)\s*#?\s*$",
    re.I,
)
DERIVE_CUES = re.compile(
    r"\b(so|that's|that is|which makes|"
    # "four lengths make 100 m", not "the drops make you drowsy"
    r"makes?(?=\s+(?:it\s+|that\s+|for\s+|up\s+)?(?:\d|an?\b|one|two|three|four|five|six|seven|"
    r"eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|hundred))|"
    r"would be|would cost|in total|total|altogether|all in|in all|means|would mean|comes to|"
    r"bringing|brings|leaves|on top|"
    r"works out|adds up|then)\b",
    re.I,
)


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
_NUMBER_WORD = (
    r"(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|"
    r"fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|"
    r"eighty|ninety|hundred|thousand|and|a)"
)
_BEFORE = [
    _rule(  # "a five-hundred-twelve-gig drive", "a hundred-and-fifty-gallon tank": one number
        rf"\b(?=[a-z-]*(?:hundred|thousand))(?:{_NUMBER_WORD}-)+{_NUMBER_WORD}\b-?",
        lambda m: m.group(0).replace("-", " "),
        when=("hundred-", "thousand-", "-hundred", "-thousand"),
    ),
    _rule(r"\ba couple (?:of )?hundred\b", "about 200", when=("couple",)),
    _rule(r"\ba few hundred\b", "about 300", when=("few",)),
    _rule(
        r"\b(?!half-|full-)(\w+)-(dollar|euro|pound|minute|hour|day|week|month|year|kilo)s?\b",
        r"\1 \2s",
        when=("-",),
    ),
    _rule(  # "2.4k homes", "$2.5k": thousands
        r"(?<![\w.])(\d+(?:\.\d+)?)\s?k\b(?!m)",
        lambda m: f"{float(m.group(1)) * 1000:,.0f}",
        when=("k",),
    ),
    _rule(  # "a dollar fifty", "a pound twenty": one and some cents
        r"\ba (dollar|buck|euro|pound|quid) (?=(?:ten|twenty|thirty|forty|fifty|sixty|seventy|"
        r"eighty|ninety|fifteen|twenty-five|seventy-five|\d{2})\b)",
        r"one \1s ",
        when=("a dollar", "a buck", "a euro", "a pound", "a quid"),
    ),
    (_A_MOMENT, r"\1 moment", ("sec",)),  # "give me a second" is no ordinal
    (_PRONOUN_ONE, "\\1 o\u2060ne", ("one",)),  # "the one who answers" counts nothing
    _rule(  # "10 one-to-one sessions", "a one-off fee": kinds of thing, not counts
        r"\bone-(?:to|on)-one\b|\bone-(?=(?:off|way|stop|time|shot|size)\b)",
        lambda m: "private" if m.group(0).endswith("one") else "single-",
        when=("one-",),
    ),
]
_AFTER = [
    (_SMALL_RE, lambda m: str(_SMALL[m.group(1).lower()]), ()),
    _rule(  # "at six thirty", "6 45 pm": a spoken clock time
        r"\b(at|by|from|until|till|around|about|before|after) (\d{1,2}) ([0-5]\d)\b(?![.,:]\d)"
        r"|\b(\d{1,2}) ([0-5]\d)(?=\s*(?:am|pm|a\.m\.|p\.m\.)\b)",
        lambda m: (
            f"{m.group(1)} {m.group(2)}:{m.group(3)}"
            if m.group(1)
            else f"{m.group(4)}:{m.group(5)}"
        ),
        when=(" ",),
    ),
    _rule(  # "a third of a litre", "two-thirds of an hour", "half a kilo"
        r"\b(?:(?:a|one|1) (half|third|3rd|quarter|4th|fifth|5th|tenth|10th)|"
        r"(2|3)[- ](thirds|3rds|quarters|4ths)|half) "
        r"of an? "
        r"(hour|litre|liter|kilo|kilometre|kilometer|mile|metre|meter|pound|gallon|pint)\b",
        lambda m: _fraction(m),
        when=("half", "third", "3rd", "quarter", "4th", "fifth", "5th", "tenth", "10th"),
    ),
    _rule(r"\ba (\d)", r"\1", 0, ("a ",)),  # "a 120 credits" (from "a hundred and twenty")
    _rule(r"\b(?:an|a|1) (hour|day|week|year) and a half\b", r"1.5 \1s", when=("half",)),
    _rule(  # "a kilo and a half", "a pound and a half": 1.5 of the unit
        r"\b(?:an|a|1|one) (kilo|pound|litre|liter|mile|metre|meter|gallon|pint|kilometre|"
        r"kilometer) and a half\b",
        r"1.5 \1s",
        when=("half",),
    ),
    _rule(r"\b(\d+) (hours?|days?|weeks?|years?) and a half\b", r"\1.5 \2", 0, ("half",)),
    _rule(  # not "£68 and a half-day", "£32 and a half day costs £20"
        r"\b(\d+) and a half\b(?!-| (?:days?|hours?|terms?|price|board|dozen|sessions?)\b)",
        r"\1.5",
        0,
        ("half",),
    ),
    _rule(r"\b(\d+) and a quarter\b(?!-)", r"\1.25", 0, ("quarter",)),  # "two and a quarter"
    _rule(r"\b(\d+) and three[- ]quarters\b(?!-)", r"\1.75", 0, ("quarter",)),
    _rule(r"\b(\d+)[- ]years?[- ]olds?\b", r"\1 yo", 0, ("old",)),  # an age, not a duration
    _rule(r"\bhalf[- ]price\b", "50% off", when=("half",)),
    _rule(  # "7 to 10 days": both ends carry the unit
        r"\b(\d+(?:\.\d+)?)\s*(?:to|-|–|or)\s*(\d+(?:\.\d+)?)\s+(minutes?|hours?|days?|weeks?|"
        r"months?|years?|working days|business days|km|kilometres?|miles?|metres?|kg|litres?)\b",
        r"\1 \3 to \2 \3",
        0,
        (" to ", "-", "–", " or "),
    ),
    _rule(
        r"\bhalf an? (litre|liter|kilo|mile|metre|meter|pint|gallon)\b", r"0.5 \1", when=("half",)
    ),
    _rule(r"\bhalf a dozen\b", "6", when=("dozen",)),
    _rule(r"\b(\d+) dozen\b", lambda m: str(int(m.group(1)) * 12), 0, ("dozen",)),
    _rule(r"\ba dozen\b", "12", when=("dozen",)),
    _rule(r"\btwice\b", "2 times", when=("twice",)),
    _rule(r"\bthrice\b", "3 times", when=("thrice",)),
    _rule(
        r"\bonce (?=(?:a|an|per|every|each) (?:day|week|month|year|night)\b)",
        "1 times ",
        when=("once",),
    ),
    _rule(r"\b(?:3|three)[\s-]quarters of an? hour\b", "45 minutes", when=("quarter",)),
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
    _rule(  # "from ten-thirty", "at four-thirty", "by two-fifteen"
        r"\b(at|from|by|until|till|before|after|around|about|is|be) (\d{1,2})[- ](thirty|fifteen|"
        r"forty[- ]five|forty|fifty|twenty|ten|45|30|15)\b",
        lambda m: f"{m.group(1)} {m.group(2)}:{_MINUTES[m.group(3).lower().replace(' ', '-')]}",
        when=("thirty", "fifteen", "forty", "fifty", "twenty", "ten", "-45", "-30", "-15"),
    ),
    _rule(  # "between nine-thirty and eleven-thirty": a clock time, whatever comes before
        r"\b(1[0-2]|[1-9])-(thirty|fifteen|forty-five)\b(?!\s*(?:minutes?|hours?|years?|days?|%))",
        lambda m: f"{m.group(1)}:{_MINUTES[m.group(2).lower()]}",
        when=("-thirty", "-fifteen", "-forty"),
    ),
    _rule(  # "25 or more parcels": the count, then its bound
        r"\b(\d+) (or more|or fewer|or less|or so|plus) ([a-z]{3,}s)\b",
        r"\1 \3 \2",
        when=(" or more", " or fewer", " or less", " or so", " plus "),
    ),
    _rule(  # "back by half four" (British): 4:30
        r"\b(by|at|from|until|till|before|after|around|about|and|to|or) half (\d{1,2})\b"
        r"(?![.,:]\d|\s*(?:hours?|days?|%))",
        r"\1 \2:30",
        when=("half",),
    ),
    _rule(  # "Half eleven in the morning.", "It's half six": the same, opening a clause
        r"(?:(?<=^)|(?<=[.!?,;:] )|(?<=it's )|(?<=it is )|(?<=[Ii]t's ))[Hh]alf (1[0-2]|[1-9])\b"
        r"(?=\s*(?:in the|at night|tonight|tomorrow|today|this|[.,!?;]|$|am\b|pm\b|o'clock))",
        r"\1:30",
        when=("half",),
    ),
    _rule(  # "half past midnight", "quarter past noon", "one minute past midnight"
        r"\b(half|(?:a )?quarter|an?|one|[1-5]?\d)(?: minutes?)? past (midnight|noon|midday)\b",
        lambda m: f"{'0' if m.group(2).lower() == 'midnight' else '12'}:{_past(m.group(1)):02d}",
        when=("past",),
    ),
    _rule(  # "a minute to midnight", "five minutes to noon"
        r"\b(a|one|[1-5]?\d) minutes? (?:to|before) (midnight|noon|midday)\b",
        lambda m: (
            f"{23 if m.group(2) == 'midnight' else 11}:"
            f"{60 - (1 if m.group(1) in ('a', 'one') else int(m.group(1))):02d}"
        ),
        when=("minute",),
    ),
    _rule(  # "twenty to four", "at ten to six" (not "open ten to six", a range)
        r"\b(?:(20|25)|(?<=at |by )(?:(5|10))|(\d{1,2}) minutes) (?:to|till|til) (1[0-2]|[1-9])\b"
        r"(?!:|\.\d| ?%| (?:hours?|days?|weeks?|people|minutes?)\b)",
        lambda m: (
            f"{(int(m.group(4)) - 1) % 12 or 12}:{60 - int(m.group(1) or m.group(2) or m.group(3)):02d}"
        ),
        when=(" to ", " till ", " til "),
    ),
    _rule(  # "ten past eight"
        r"\b([1-5]?\d) past (1[0-2]|[1-9])\b",
        lambda m: f"{m.group(2)}:{int(m.group(1)):02d}",
        when=("past",),
    ),
    _rule(r"\b(?:a )?quarter past (\d{1,2})\b", r"\1:15", when=("quarter",)),
    _rule(
        r"\b(?:a )?quarter (?:to|till|til|of) (\d{1,2})\b",
        lambda m: f"{(int(m.group(1)) - 1) % 12 or 12}:45",
        when=("quarter",),
    ),
    _rule(  # "at 14h", "by 9h30": a time, not a duration
        r"\b(at|by|from|until|till|before|after) (\d{1,2})h(?:(\d{2}))?\b",
        lambda m: f"{m.group(1)} {m.group(2)}:{m.group(3) or '00'}",
        when=("h",),
    ),
    _rule(r"\b(\d+)h(\d{2})\b", r"\1 hours \2 minutes", 0, ("h",)),  # "1h40"
    _rule(  # "thirteen pound five pence", "3 dollars and 5 cents": £13.05
        r"\b(\d+) (pounds?|quid|euros?|dollars?|bucks) (?:and )?(\d{1,2}) (?:pence|p|cents?)\b",
        lambda m: f"{m.group(1)}.{int(m.group(3)):02d} {m.group(2)}",
        when=("pence", "cent", " p"),
    ),
    _rule(  # "fourteen pounds fifty", "3 dollars 20": the smaller unit after the larger
        r"\b(\d+) (pounds?|quid|euros?|dollars?|bucks|francs?) (?:and )?(\d{2})(?: (?:cents?|pence|p))?\b"
        r"(?![.,]?\d|\s*(?:%|kg|g|lbs?|oz|ml|l|km|m|minutes?|hours?|days?|people|percent)\b)",
        r"\1.\3 \2",
        when=("pound", "quid", "euro", "dollar", "buck", "franc"),
    ),
    _rule(  # "one metre eighty-five": 1.85 m
        r"\b(\d) (metres?|meters?|m) (\d{2})\b(?![.,]?\d|\s*(?:%|[a-z]))",
        r"\1.\3 \2",
        when=("m",),
    ),
    _rule(  # "six foot two": feet and inches
        r"\b(\d) (?:foot|feet|ft) (\d{1,2})(?: inch(?:es)?)?\b(?![.,]?\d|\s*(?:%|cm|mm|m\b))",
        lambda m: f"{int(m.group(1)) + int(m.group(2)) / 12:.4f} feet",
        when=("foot", "feet", "ft"),
    ),
]


_MINUTES = {"thirty": "30", "fifteen": "15", "forty-five": "45", "forty": "40", "fifty": "50"}
_MINUTES |= {"twenty": "20", "ten": "10", "45": "45", "30": "30", "15": "15"}


def _past(words: str) -> int:
    """The minutes of "half", "a quarter", "a (minute)", "10" past midnight or noon."""
    ones = {"half": 30, "a": 1, "an": 1, "one": 1}
    return ones.get(words.lower(), 15 if "quarter" in words.lower() else None) or int(words)


def _fraction(m: re.Match[str]) -> str:
    parts = {"half": 0.5, "third": 1 / 3, "3rd": 1 / 3, "quarter": 0.25, "4th": 0.25}
    parts |= {"fifth": 0.2, "5th": 0.2, "tenth": 0.1, "10th": 0.1}
    parts |= {"thirds": 1 / 3, "3rds": 1 / 3, "quarters": 0.25, "4ths": 0.25}
    if m.group(1):
        share = parts[m.group(1).lower()]
    elif m.group(2):
        share = int(m.group(2)) * parts[m.group(3).lower()]
    else:
        share = 0.5
    unit = m.group(4)
    if unit == "hour":
        return f"{round(share * 60)} minutes"
    return f"{share:.3f} {unit}"


def _gated(rules: list[tuple[re.Pattern[str], Any, tuple[str, ...]]]) -> list[tuple[Any, ...]]:
    """Each rule with its `when` words as one pattern: one C-speed test per rule and turn."""
    return [
        (pattern, repl, re.compile("|".join(map(re.escape, when))) if when else None)
        for pattern, repl, when in rules
    ]


_BEFORE_GATED = _gated(_BEFORE)
_AFTER_GATED = _gated(_AFTER)


@lru_cache(maxsize=8192)
def normalise(text: str) -> str:
    """Number words as digits, and spoken forms ("half past five", "a week") as plain ones."""
    text = text.replace("\u2019", "'").replace("\u00a0", " ")
    lower = text.lower()
    for pattern, repl, when in _BEFORE_GATED:
        if when is None or when.search(lower):
            text = pattern.sub(repl, text)
    text = alpha2digit(text, "en", threshold=0)
    lower = text.lower()
    for pattern, repl, when in _AFTER_GATED:
        if when is None or when.search(lower):
            text = pattern.sub(repl, text)
    return text
