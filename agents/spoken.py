"""Spoken forms rewritten as plain ones, before values are read: number words as digits
(through `text2num`, a Rust extension: about 3 µs per sentence), "half past five" as "5:30",
"a week" as "1 week", "thirteen pound five pence" as "13.05 pound". `normalise` is the one
entry point; `agents.value_words` holds the words the values themselves are said in.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from text_to_num import alpha2digit

from agents.value_words import MONTHS

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
    r"only|same|a|my|your|our|their|his|her|monday|tuesday|wednesday|thursday|friday|saturday|"
    r"sunday|morning|afternoon|evening|early|later?|earlier|first|new|old|big|small) one\b"
    r"(?!\s+(?:of|or|and)\s+\d)",  # "I'll keep my Tuesday one"
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
_MONTH_NAMES = {i: name for name, i in reversed(MONTHS.items())}  # 1 -> "january"
_CLOCK_BEFORE = re.compile(
    r"\b(?:at|by|between|from|until|till|and|to|around|about|before|after|or|since)\s+$", re.I
)
_CLOCK_AFTER = re.compile(
    r"[a-z-]*\s*(?:am|pm|a\.m\.|p\.m\.|o'clock|in the (?:morning|afternoon|evening)|tonight|"
    r"at night|sharp)\b",
    re.I,
)


def _clock_pair(m: re.Match[str]) -> bool:
    """Whether "nine-thirty" is said as a clock time ("between nine-thirty and eleven", "at
    four-fifty pm"), which the time finder reads, and not as a price."""
    before = m.string[max(0, m.start() - 10) : m.start()]
    return bool(_CLOCK_BEFORE.search(before) or _CLOCK_AFTER.match(m.string, m.end()))


_BEFORE = [
    _rule(  # "a five-hundred-twelve-gig drive", "a hundred-and-fifty-gallon tank": one number
        rf"\b(?=[a-z-]*(?:hundred|thousand))(?:{_NUMBER_WORD}-)+{_NUMBER_WORD}\b-?",
        lambda m: m.group(0).replace("-", " "),
        when=("hundred-", "thousand-", "-hundred", "-thousand"),
    ),
    _rule(  # "four-fifty", "three-twenty-five": a spoken price, a pair as "four fifty" is
        r"\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|"
        r"fifteen|sixteen|seventeen|eighteen|nineteen)-(?=(?:twenty|thirty|forty|fifty|sixty|"
        r"seventy|eighty|ninety)\b)",
        lambda m: m.group(0) if _clock_pair(m) else m.group(1) + " ",
        when=("-",),
    ),
    _rule(  # "a thirty-second ad": thirty seconds long, not the 32nd (of November, floor)
        r"\b(twenty|thirty|forty|fifty|sixty|ninety)-second(?=\s+(?:ads?|adverts?|spots?|"
        r"slots?|clips?|videos?|calls?|messages?|trailers?|commercials?|jingles?|promos?|"
        r"segments?|breaks?|delays?|pauses?|waits?|windows?|timers?|countdowns?)\b)",
        r"\1 seconds",
        when=("-second",),
    ),
    _rule(  # "1 080 ml", "1 200 $", "12 500 €": thousands grouped by a space (French, SI)
        r"(?<![\d.,:])([1-9]\d{0,2})[ \u202f]((?:\d{3}[ \u202f])*\d{3})(?![\d.:]|,\d{3})"
        r"(?=(?:,\d{1,2})?\s?(?:\$|€|£|%|(?:ml|cl|l|g|kg|km|m|cm|mm|t|chf|eur|cad|usd|dollars?|"
        r"euros?|litres?|liters?|metres?|meters?|kilos?|grams?|people|sheep|homes|units|"
        r"millilit(?:re|er)s?|centilit(?:re|er)s?|kilomet(?:re|er)s?|millimet(?:re|er)s?|"
        r"centimet(?:re|er)s?|kilograms?|tonnes?|rand|francs?|words|pages|members|visitors|"
        r"passengers|residents|households|customers)\b))",
        lambda m: m.group(1) + m.group(2).replace(" ", "").replace("\u202f", ""),
        re.I,
        (" ", "\u202f"),
    ),
    _rule(  # "244,80 CHF", "EUR 4,50", "€12,90": a decimal comma beside a currency
        r"(?<![\d,.])(\d{1,6}),(\d{2})(?![\d,.]?\d)(?=\s*(?:chf|eur|euros?|francs?|€|kr|sek|nok|"
        r"dkk|zł|pln|,-|\$(?!\s?\d)))|(?:(?<=chf )|(?<=eur )|(?<=€))(\d{1,6}),(\d{2})(?![\d,.]?\d)",
        lambda m: f"{m.group(1) or m.group(3)}.{m.group(2) or m.group(4)}",
        re.I,
        (",",),
    ),
    _rule(  # "from 11.00", "by 17.30": a clock time with a dot (not "at 4.50 EUR")
        r"\b(at|from|until|till|by|before|after|since) "
        r"([01]?\d|2[0-3])\.([0-5]\d)\b(?![.,]\d|\s*(?:%|€|\$|£|(?:eur|euros?|chf|francs?|"
        r"dollars?|pounds?|lbs?|kgs?|km|kilos?|g|mg|ml|l|oz|m|cm|mm|percent|per cent|litres?|"
        r"liters?|miles?|hours?|hrs?|minutes?|mins?|ppm|gallons?|each|per|apiece|a (?:go|head|pop|"
        r"piece|kilo|day|week|night|month|person))(?![a-z])))",
        r"\1 \2:\3",
        re.I,
        (".",),
    ),
    _rule(  # "the 18.01", "Friday 24.01": a day and month with a dot, no year
        r"\b(the|(?:mon|tues|wednes|thurs|fri|satur|sun)day,?) (0?[1-9]|[12]\d|3[01])\.(0?[1-9]|1[0-2])"
        r"\b(?![.,]?\d)",
        lambda m: f"{m.group(1)} {int(m.group(2))} {_MONTH_NAMES[int(m.group(3))]}",
        re.I,
        (".",),
    ),
    _rule(  # "14h30", "at 9h00": a clock time as written on the continent (not "the crossing's
        # 1h40")
        r"\b(1\d|2[0-3])h([0-5]\d)\b|\b(at|from|until|till|by|to|before|after) (\d)h([0-5]\d)\b",
        lambda m: (
            f"{m.group(1)}:{m.group(2)}"
            if m.group(1)
            else f"{m.group(3)} {m.group(4)}:{m.group(5)}"
        ),
        re.I,
        ("h",),
    ),
    _rule(r"\ba couple (?:of )?hundred\b", "about 200", when=("couple",)),
    _rule(  # "you'd have a fortnight to collect": one fortnight (not "once a fortnight")
        r"\b(have|in|within|for|takes?|about|around|is|be|give|get|after|than) a fortnight\b",
        r"\1 one fortnight",
        when=("fortnight",),
    ),
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
    _rule(  # "we close at 21 hours", "until 18 o'clock": the continental clock's hours
        r"\b(at|until|till|from|by) (1[3-9]|2[0-3]) (?:hours|o'clock)(?! (?:of|notice|before|after|"
        r"later|ahead|in advance)\b)",
        r"\1 \2:00",
        re.I,
        ("hours", "o'clock"),
    ),
    _rule(  # "at 1700 hours", "by 0930 hrs": a 24-hour clock time, not 1,700 hours
        r"\b(at|by|from|until|till|to|before|after|between|and|around|about|since|or) "
        r"([01]\d|2[0-3])([0-5]\d) ?(?:hours|hrs|hr|h)\b(?! of\b)",
        r"\1 \2:\3",
        re.I,
        ("hour", "hr", "h"),
    ),
    _rule(  # "between 0900 and 1300 hours": the first end is a clock time too
        r"\b(between|from) ([01]\d|2[0-3])([0-5]\d) (and|to|till|until) (?=\d\d:\d\d)",
        r"\1 \2:\3 \4 ",
        re.I,
        ("between", "from"),
    ),
    _rule(  # "0.3 of a litre", "0.7 of a kilo": the decimal of one unit
        r"\b(0?\.\d+) of an? (?=[a-z])",
        r"\1 ",
        when=(" of a",),
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
    _rule(r"\b(?:an|a|1) (hour|day|week|month|year) and a half\b", r"1.5 \1s", when=("half",)),
    _rule(  # "a kilo and a half", "a pound and a half": 1.5 of the unit
        r"\b(?:an|a|1|one) (kilo|pound|litre|liter|mile|metre|meter|gallon|pint|kilometre|"
        r"kilometer) and a half\b",
        r"1.5 \1s",
        when=("half",),
    ),
    _rule(r"\b(\d+) (hours?|days?|weeks?|months?|years?) and a half\b", r"\1.5 \2", 0, ("half",)),
    _rule(r"\b(\d+) and a half (hours|weeks|months|years|minutes)\b", r"\1.5 \2", 0, ("half",)),
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
    _rule(  # "seven to ten in the evening": the part of day is both ends' (not "9 to 5 pm")
        r"\b(1[0-2]|[1-9]) (to|till|until|and|-) (1[0-2]|[1-9]) (in the (?:morning|afternoon|"
        r"evening)|at night|tonight|am\b|pm\b|a\.m\.|p\.m\.)",
        lambda m: (
            f"{m.group(1)} {m.group(4)} {m.group(2)} {m.group(3)} {m.group(4)}"
            if int(m.group(1)) < int(m.group(3)) < 12 or m.group(3) == "12"
            else m.group(0)
        ),
        when=("morning", "afternoon", "evening", "night", "am", "pm", "a.m", "p.m"),
    ),
    _rule(  # "6:30 to 9", "from 9 am till 5": a range's bare end is a clock time too
        r"\b(\d{1,2}:[0-5]\d|\d{1,2} ?(?:am|pm)) (to|till|until|-) (1[0-2]|[1-9])\b(?![:.,]\d| ?(?:%|"
        r"am\b|pm\b|a\.m|p\.m|o'clock|in the|at night|hours?\b|days?\b|minutes?\b|weeks?\b|people\b))",
        r"\1 \2 \3:00",
        re.I,
        (":", "am", "pm"),
    ),
    _rule(  # "£2.5 million", "three and a half thousand" (after text2num: "2.5 1000000")
        r"(?<![\d,.])(\d+(?:\.\d+)?) (1000|1000000|1000000000)\b(?![\d,]|\.\d)",
        lambda m: f"{float(m.group(1)) * int(m.group(2)):,.0f}",
        when=(" 1000",),
    ),
    _rule(  # "ten past eight"
        r"\b([1-5]?\d) past (1[0-2]|[1-9])\b",
        lambda m: f"{m.group(2)}:{int(m.group(1)):02d}",
        when=("past",),
    ),
    _rule(r"\b(?:a )?quarter (?:past|after) (\d{1,2})\b", r"\1:15", when=("quarter",)),
    _rule(r"\bhalf after (\d{1,2})\b", r"\1:30", when=("after",)),  # American English
    _rule(  # "ten after four": minutes after the hour
        r"\b(5|10|20|25) after (1[0-2]|[1-9])\b(?!:|\.\d| ?(?:%|hours?|days?|weeks?|minutes?)\b)",
        lambda m: f"{m.group(2)}:{int(m.group(1)):02d}",
        when=("after",),
    ),
    _rule(
        r"\b(?:a )?quarter (?:to|till|til|of) (\d{1,2})\b",
        lambda m: f"{(int(m.group(1)) - 1) % 12 or 12}:45",
        when=("quarter",),
    ),
    _rule(  # "de 9 h à 17 h 30", "from 7 h 30 to 18 h", "Tuesday at 9 h": the French clock
        r"\b(at|from|until|till|to|and|before|after|since|à|by|opens?|closes?|between) "
        r"([01]?\d|2[0-3]) h(?: ([0-5]\d))?\b(?! ?(?:of|min|minutes?|mins?|hours?|long)\b)"
        r"|\b(1[3-9]|2[0-3]) h(?: ([0-5]\d))?\b(?=(?: [0-5]\d)? ?(?:to|à|-|–|and|until|till) ?\d| [0-5]\d\b)",
        lambda m: (
            f"{m.group(1)} {int(m.group(2)):02d}:{m.group(3) or '00'}"  # a 24-hour clock
            if m.group(1)
            else f"{m.group(4)}:{m.group(5) or '00'}"
        ),
        when=(" h",),
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
