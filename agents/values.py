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
from dataclasses import replace
from datetime import date
from functools import lru_cache
from itertools import pairwise

from agents.calendar_values import find_dates, find_times, reference_date
from agents.spoken import normalise
from agents.value_type import Found, Value, hedged, rate_after, to_float
from agents.value_words import (
    COMPOUND_DURATION,
    CURRENCY_SIGNS,
    CURRENCY_WORDS,
    ID_NOUNS,
    ID_RANGE,
    MONEY_RES,
    MONEY_WORD,
    MONTHS,
    NIGHTS,
    NOUNS_NOT_COUNTED,
    NUM,
    ORDINAL_NOUN,
    PRICE_VERB,
    QUANTITY,
    SCALE,
    SPOKEN_PAIR,
    SPOKEN_PRICE,
    UNIT_TABLE,
)

_PRICED_BARE = re.compile(
    r"\b(?:deposit|fee|price|cost|rate|charge|balance|premium|fine|penalty|excess|deductible)"
    r"(?:'s| is| was| will be| would be| comes to| of)\s+(\d{2,5}(?:\.\d{2})?)\b"
    r"(?![.,]?\d|\s*(?:%|per cent|percent|[a-z]{2,}\b(?<!and)(?<!so)(?<!due)(?<!for)))",
    re.I,
)
_EACH_PRICED = re.compile(  # "119 euros each, and the kids are 89 each"
    r"(?<![\d.,:])\b(\d{1,5}(?:[.,]\d{2})?)\s+(?:each|apiece|a head|per (?:person|head))\b", re.I
)
_SIGN_BEFORE = re.compile(r"(?:[$€£₹¥]|\b[A-Z]{3})\s*$")  # "BBD$60 each" is found as it is
_RANGE_TO = re.compile(r"\s*(?:to|-|–|or)\s*$", re.I)
# a pair said as a price with no money word: "it's nine-fifty for a standard bathroom",
# "twenty plays for four-fifty" (not "the train is at nine-fifty", "9 50 pm")
_PAIR_PRICED = re.compile(
    r"\b(?:costs?|for|comes to|is|it's|that's|'s)\s+[1-9]\d? [1-9]\d\b"
    r"(?![\d:-]|[.,]\d|\s*(?:am|pm|yo|years?|[a-z]+s)\b)",
    re.I,
)
FAHRENHEIT = frozenset({"°f", "fahrenheit", "degrees fahrenheit"})  # compared in Celsius


@lru_cache(maxsize=8192)
def values_in(text: str, today: date | None = None) -> tuple[Value, ...]:
    """Every money amount, time, date, quantity and counted thing stated in `text`.

    `today` resolves relative dates ("tomorrow", "this Sunday", "in two days").
    """
    text = normalise(text)
    found = Found()
    digits = bool(_DIGIT.search(text))
    if digits:  # no digit (after number words became digits): only words can state a value
        _money(text, found)
    find_dates(text, found, today, digits)
    find_times(text, found, digits)
    if digits:
        _quantities(text, found)
    out = sorted(found.values, key=lambda v: v.start)
    for i, (a, b) in enumerate(pairwise(out)):  # "roughly 1.5 to 2 months": the hedge holds
        if a.approx and not b.approx and a.cls == b.cls and _RANGE_TO.match(text[a.end : b.start]):
            out[i + 1] = replace(b, approx=True)  # for the range
    return tuple(out)


def _money(text: str, found: Found) -> None:
    for m in SPOKEN_PRICE.finditer(text):  # "14 99 rupees": 14.99 or 1,499, as the facts say
        whole, cents = int(m.group(1)), int(m.group(2))
        word = (m.group(3) or "").lower()
        per, end = rate_after(text, m.end())
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
    if MONEY_WORD.search(text) or _PAIR_PRICED.search(text):
        for m in SPOKEN_PAIR.finditer(text):
            if found.free(*m.span()) and PRICE_VERB.search(
                text[max(0, m.start() - 12) : m.start()]
            ):
                whole, cents = int(m.group(1)), int(m.group(2))
                found.add(
                    Value(
                        "money",
                        m.group(0),
                        (whole + cents / 100, whole * 100.0 + cents),
                        start=m.start(),
                        end=m.end(),
                        number=whole * 100.0 + cents,
                    )
                )
        for m in _EACH_PRICED.finditer(text):
            if found.free(*m.span(1)) and not _SIGN_BEFORE.search(text, 0, m.start(1)):
                amount = to_float(m.group(1).replace(",", "."))
                found.add(
                    Value(
                        "money", m.group(1), (amount,), start=m.start(1), end=m.end(), number=amount
                    )
                )
    for m in _PRICED_BARE.finditer(text):  # "the deposit's 250, due by the twentieth"
        if found.free(m.start(1), m.end(1)):
            amount = to_float(m.group(1))
            found.add(
                Value("money", m.group(1), (amount,), start=m.start(1), end=m.end(1), number=amount)
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
                if (
                    word.startswith("pound")
                    and _mass_context(text)
                    and not rate_after(text, m.end())[0]  # "fifteen pounds a day": a price
                ):
                    continue  # "about 9 pounds" of a parcel: a weight, parsed as a quantity
            elif index == 3:
                code, amount, scale = CURRENCY_SIGNS[m.group(2)], m.group(1), None
            else:  # cents of a currency the text does not name; pence are sterling
                code = "" if (m.group(2) or "").lower().startswith("cent") else "GBP"
                amount, scale = str(to_float(m.group(1)) / 100), None
            value = to_float(amount) * SCALE.get((scale or "").lower(), 1.0)
            per, end = rate_after(text, m.end())
            found.add(
                Value(
                    "money",
                    m.group(0).strip(),
                    (value,),
                    unit=code,
                    per=per,
                    approx=hedged(text, m.start()),
                    start=m.start(),
                    end=end,
                    number=value,
                )
            )


def _mass_context(text: str) -> bool:
    return bool(
        re.search(
            r"\b(kg|kilos?|kilograms?|grams?|weighs?|weighing|heavy(?!-duty)|heavier|weight|lbs?|"
            r"stone|ounces?|oz)\b",
            text,
            re.I,
        )
    )


# an age said as a threshold: "18 or older", "riders 16 and up", "aged 12" (the same count
# of years as "18 yo", which "18 years old" becomes)
_AGE = re.compile(
    r"\b(?:aged|ages?)\s+(\d{1,2})\b(?!\s*(?:%|:|\.\d|months?\b|weeks?\b|days?\b))"
    r"|\b(\d{1,2})\s+(?:or|and)\s+(?:older|younger|over|under|above)\b(?!\s+(?:\w+\s+)?(?:kg|lb|"
    r"pounds|kilos|minutes|hours|days|weeks|months|miles|km))"
    r"|\b(?:riders?|kids|children|guests|players|students|members|people|anyone|those|visitors|"
    r"passengers|drivers|customers|boys|girls|teens|juniors|seniors)\s+(\d{1,2})\s+(?:and|or)\s+"
    r"(?:up|over|above|older)\b",
    re.I,
)
_AGE_CUE = re.compile(
    r"\b(?:old|older|younger|ages?|aged|birthday|kids?|child(?:ren)?|teens?)\b|\bmust be\b", re.I
)


def _ages(text: str, found: Found) -> None:
    for m in _AGE.finditer(text):
        group = next(g for g in (1, 2, 3) if m.group(g))
        if m.group(2) and not _AGE_CUE.search(text):
            continue  # "12 or more" of parcels is no age
        if found.free(m.start(group), m.end(group)):
            n = float(m.group(group))
            found.add(
                Value("count:yo", m.group(0), (n,), start=m.start(group), end=m.end(), number=n)
            )


def _quantities(text: str, found: Found) -> None:
    _ages(text, found)
    for m in COMPOUND_DURATION.finditer(text):
        if found.free(*m.span()):
            seconds = int(m.group(1)) * 3600.0 + int(m.group(2)) * 60.0
            found.add(
                Value(
                    "q:duration",
                    m.group(0),
                    (seconds,),
                    unit="s",
                    approx=hedged(text, m.start()),
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
        number, word = to_float(m.group(1)), m.group(2)
        unit = re.sub(r"\s+", " ", word.lower().replace("sq.", "sq"))
        hedge = hedged(text, m.start())
        if unit == "s" and (
            m.group(0)[len(m.group(1)) :].startswith("s")
            and m.start() > 0
            and (text[m.start() - 1] == "-" or number >= 1000)
        ):
            continue  # "under-16s", "the 1990s": an age group, a decade
        if unit in UNIT_TABLE and not (
            unit in ("m", "l", "s", "h", "g", "mi") and _letter_after(text, m.end())
        ):
            dimension, factor = UNIT_TABLE[unit]
            if unit in NIGHTS:
                dimension, factor = "nights", 1.0
            per, end = rate_after(text, m.end())
            if dimension == "length" and per == 3600.0:
                dimension, per = "speed", 0.0  # "6 km per hour" is the speed "6 km/h"
            amount = number * factor
            if unit in FAHRENHEIT:  # an offset, not a factor: compared in Celsius
                dimension, amount = "temperature_c", (number - 32) * 5 / 9
            amounts = (amount,)
            if unit in ("gallon", "gallons"):  # a bare gallon: imperial, or the US one
                amounts = (amount, number * UNIT_TABLE["us gallon"][1])
            found.add(
                Value(
                    f"q:{dimension}",
                    m.group(0),
                    amounts,
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
        if any(r.start(1) == m.start() for r in ID_RANGE.finditer(text)):
            continue  # "seats 11 through 14": names too
        head = (_HEAD_ONE if number == 1 else _HEAD).match(text, m.end())  # "40 packing boxes":
        end = m.end()  # boxes are counted; "1 rest stop", as "2 rest stops", counts stops
        if (
            head
            and not noun.endswith("s")
            and noun not in PLURALS
            and head.group(1).lower() not in NOUNS_NOT_COUNTED
        ):
            noun, end = head.group(1).lower(), head.end()
        per, end = rate_after(text, end)
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
            number = to_float(m.group(1))
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
                    (to_float(m.group(1)),),
                    start=m.start(1),
                    end=m.end(1),
                    number=to_float(m.group(1)),
                )
            )
    for m in _LONE_NUMBER.finditer(text):
        number = to_float(m.group(1))
        if not found.free(*m.span()) or ("." not in m.group(1) and number < 1000):
            continue  # bare small integers ("between 9 and 12", "give me 2") are small talk
        if 1900 <= number <= 2100 and "." not in m.group(1):
            continue
        _bare(text, m, number, hedged(text, m.start()), found)


_DIGIT = re.compile(r"\d")
_LONE_NUMBER = re.compile(rf"(?<![\w.,:/$€£-])({NUM})(?![\w.,:/%])")
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


def _bare(text: str, m: re.Match[str], number: float, hedge: bool, found: Found) -> None:
    if ID_NOUNS.search(text[max(0, m.start() - 12) : m.start()]):
        return
    end = m.start(1) + len(m.group(1))
    if found.free(m.start(1), end):
        found.add(
            Value(
                "q:bare",
                m.group(1),
                (number,),
                approx=hedge,
                start=m.start(1),
                end=end,
                number=number,
            )
        )


def _letter_after(text: str, end: int) -> bool:
    return end < len(text) and text[end].isalpha()


_IRREGULAR = {
    "kids": "child",  # what is counted, in its plain word
    "kid": "child",
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


__all__ = ["Value", "reference_date", "values_in"]
