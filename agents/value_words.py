"""The words values are said in: units and their factors, currencies, calendar words and the
patterns that find them. `agents.values` finds values with these, in text that
`agents.spoken.normalise` has rewritten from spoken forms into plain ones.
"""

from __future__ import annotations

import re

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
# speeds, in metres an hour ("4 mph" is "four miles an hour"; "6 km per hour" is one too)
_SPEEDS = {"mph": 1609.344, "km/h": 1000.0, "kph": 1000.0, "kmh": 1000.0, "kmph": 1000.0}
for _name, _factor in _SPEEDS.items():
    UNIT_TABLE[_name] = ("speed", _factor)
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
_units("mass", 6350.29318, "stone", "stones")
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
_units("duration", 14 * _DAY, "fortnight", "fortnights")
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
    "wk": 7 * _DAY,
    "month": 365 / 12 * _DAY,
    "mo": 365 / 12 * _DAY,
    "year": 365 * _DAY,
    "yr": 365 * _DAY,
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
    r"|\s+(?:a|per|each|every)\s+(?:month|week|fortnight|year|day|night|session|visit|head|"
    r"person|play|ticket|lesson|class|kilo|go)\b"
    r"|\s+(?:all up|all in|altogether|in total|total|each|apiece|a pop)\b"
    r"|\s+(?:plus|\+)\s*(?:tax|taxes|gst|hst|pst|vat)\b)",  # "eighty-four fifty plus tax"
    re.I,
)
# the same pair said as a price in a sentence that names money elsewhere: "the inspection is
# ninety-five dollars, and the plan is thirteen fifty"
SPOKEN_PAIR = re.compile(r"(?<![\d.,:])([1-9]\d?) ([1-9]\d)(?![\d:]|[.,]\d)")
PRICE_VERB = re.compile(
    r"(?:\b(?:is|are|was|costs?|for|comes to|total|price|fee|pay|so)|'s)\s+$", re.I
)
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
    re.compile(rf"\b({NUM})\s?(€|£|\$(?!\s?\d))", re.I),  # "12,50 $" in Quebec
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
    rf"(?!\s+and\s+(?:the\s+)?\d{{1,2}}{_ORD}\s+[a-z]+s\b)"  # "the 2nd and 3rd floors"
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
    r"(?!\s+(?:in the (?:morning|afternoon|evening)|at night|o'clock))"  # "Tuesday, ten in the
    # morning": a time of the day
    r"(?!\s+(?:to|-)\s+\d{1,2}(?::\d\d)?\s*(?:am\b|pm\b|a\.m\.|p\.m\.|o'clock|in the|[.,;!?]|$))",
    re.I,
)
WEEKDAY = re.compile(rf"\b(?:(this|next|coming|this coming)\s+)?({_WEEKDAY_RE})(s)?\b", re.I)
RELATIVE = re.compile(
    r"\b(today|tonight|this (?:morning|afternoon|evening)|(?:the )?day after tomorrow|tomorrow|"
    r"yesterday|in (\d+) (days?|weeks?)|(?<![\d.,])(\d+) (days?|weeks?) ago)\b"
    r"(?!'s|\u2019s)",  # "today's price"; not "5 weeks ago" of "2.5 weeks ago"
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
    r"shortly before|shortly after|just short of|a little short of|just shy of|a touch over|"
    r"a touch under|getting on for|knocking on|the best part of)\s*$",
    re.I,
)
RATE = re.compile(
    r"^\s*(?:(?:per|each) (?!hour|hr|day|night|week|month|year)[a-z]+\s+|"  # "per item per day"
    # "50 pages free per week", "4 free hours of meeting-room time per month"
    r"(?:(?!(?:and|or|but|then|so|if|plus)\b)[a-z-]+\s+){1,3}(?=(?:per|each|every)\s))?"
    r"(?:(?:per|a|an|each|every|/|in an?|in 1|over an?|across an?)\s*"
    r"(hour|hr|day|night|week|wk|fortnight|month|mo|year|yr|annum)\b|"
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
    # "at five she gets in free", "under 6 get in": pronouns and verbs are not counted
    "she",
    "he",
    "they",
    "get",
    "gets",
    "go",
    "goes",
    "do",
    "does",
    "can",
    "need",
    "must",
    "would",
    "should",
    "could",
    # "four thousand two hundred and twenty exactly": adverbs, not what is counted
    "exactly",
    "precisely",
    "altogether",
    "overall",
    "total",
    "apiece",
    "sharp",
    "approximately",
    "roughly",
    "odd",
    "ish",
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
    r"would be|(?:there|that|it)'d be|would cost|in total|total|altogether|all in|in all|means|"
    r"all up|all told|^together|"  # "All up $597"; "Together CHF 732" (not "kept together")
    r"would mean|comes to|"
    r"bringing|brings|leaves|on top|gives (?:you|her|him|them|us)|"
    r"works out|adds up|then)\b",
    re.I,
)
# a pause asked for on the call: "give us two minutes to find a pen" is small talk
PAUSE = re.compile(
    r"\b(?:give (?:me|us)|bear with (?:me|us)(?: for)?|hang on(?: for)?|hold on(?: for)?|"
    r"back to you in|call you back in|ring you back in|with you in)\s+(?:just\s+)?(?:a\s+)?$",
    re.I,
)
